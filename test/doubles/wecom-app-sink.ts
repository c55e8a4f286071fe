// A local HTTP double of WeCom's application message API (企业微信 自建应用), the part Alertmanager 0.25's
// `wechat_configs` speak (notify/wechat/wechat.go): `GET <api_url>gettoken?corpid=…&corpsecret=…` for an access token,
// then `POST <api_url>message/send?access_token=…` with the message as JSON. It checks what WeCom checks: the corp id
// (40013) and the application's secret (40001), a token it issued and that has not expired (41001, 40014, 42001), the
// JSON (47001), the application id (41011, 40056), the message type (40008) and its content (44004, 2,048 bytes of
// UTF-8 at most: text beyond that is cut off as WeCom does, markdown refused with 45002), and recipients of which at
// least one is in the application's visible range (81013). Like WeCom it answers HTTP 200 with `{errcode, errmsg}`.
// WeCom's numbers are stated here, not imported from src/: the double is the provider's word.
//
// Alertmanager 0.25 sends `agentid` and `safe` as JSON strings ("1000002", "0") where WeCom documents integers; WeCom
// takes a string of digits, so this double does too. Alertmanager reads `code`/`error` from the answer, not WeCom's
// `errcode`/`errmsg`, so it takes any refusal for a success: only `messages` says what was delivered.
//
//   const sink = await startWecomAppSink({ apps: [{ corpId: 'ww01', agentId: '1000002', secret: 's', parties: ['2'] }] });
//   sink.apiUrl            → `global.wechat_api_url` (ends in /, as Alertmanager appends gettoken and message/send)
//   sink.messages          → what was accepted: recipients, agent, type, content, when
//   sink.requests          → every request with the errcode it got
//   sink.expireTokens()    → tokens issued so far answer 42001 from now on
//   await sink.close()
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listen, readBody, READ_LIMIT_BYTES } from './http-server.ts';
import { parseJsonObject } from './robot-sink.ts';

/** WeCom's published facts (获取access_token, 发送应用消息, 全局错误码). */
const TOKEN_TTL_SECONDS = 7200;
const CONTENT_LIMIT_BYTES = 2048;

const ANSWERS = {
  ok: { errcode: 0, errmsg: 'ok' },
  invalidSecret: { errcode: 40001, errmsg: 'invalid credential, hint: [sink]' },
  invalidMsgtype: { errcode: 40008, errmsg: 'invalid message type, hint: [sink]' },
  invalidCorpId: { errcode: 40013, errmsg: 'invalid corpid, hint: [sink]' },
  invalidToken: { errcode: 40014, errmsg: 'invalid access_token, hint: [sink]' },
  invalidAgentId: { errcode: 40056, errmsg: 'invalid agentid, hint: [sink]' },
  missingToken: { errcode: 41001, errmsg: 'access_token missing, hint: [sink]' },
  missingCorpId: { errcode: 41002, errmsg: 'corpid missing, hint: [sink]' },
  missingSecret: { errcode: 41004, errmsg: 'corpsecret missing, hint: [sink]' },
  missingAgentId: { errcode: 41011, errmsg: 'missing agentid, hint: [sink]' },
  expiredToken: { errcode: 42001, errmsg: 'access_token expired, hint: [sink]' },
  emptyContent: { errcode: 44004, errmsg: 'empty content, hint: [sink]' },
  tooLong: { errcode: 45002, errmsg: 'content size out of limit, hint: [sink]' },
  badJson: { errcode: 47001, errmsg: 'data format error, hint: [sink]' },
  noRecipient: { errcode: 81013, errmsg: 'user & party & tag all invalid, hint: [sink]' },
  postOnly: { errcode: 43002, errmsg: 'require POST method, hint: [sink]' },
  getOnly: { errcode: 43001, errmsg: 'require GET method, hint: [sink]' },
};

type Answer = { errcode: number; errmsg: string } & Record<string, unknown>;

/** One self-built application: its corp, id and secret, and who is in its visible range (anyone when a list is absent). */
export interface WecomApp {
  corpId: string;
  agentId: string;
  secret: string;
  users?: string[];
  parties?: string[];
  tags?: string[];
}

export interface WecomAppSinkOptions {
  apps: WecomApp[];
  /** The sink's clock (ms) for token expiry. Default Date.now. */
  now?: () => number;
}

export interface WecomAppMessage {
  corpId: string;
  agentId: string;
  toUser: string[];
  toParty: string[];
  toTag: string[];
  msgtype: 'text' | 'markdown';
  /** As the recipients see it: text beyond the limit cut off. */
  content: string;
  body: Record<string, unknown>;
  /** ms, by the sink's clock */
  at: number;
}

export interface WecomAppRequest {
  endpoint: 'gettoken' | 'message/send' | 'other';
  at: number;
  errcode: number;
}

export interface WecomAppSink {
  /** http://127.0.0.1:<port>/cgi-bin/ */
  apiUrl: string;
  messages: WecomAppMessage[];
  requests: WecomAppRequest[];
  /** Tokens issued so far are expired: the next send with one answers 42001. */
  expireTokens(): void;
  close(): Promise<void>;
}

interface IssuedToken {
  app: WecomApp;
  expiresAt: number;
}

interface SinkState {
  apps: WecomApp[];
  tokens: Map<string, IssuedToken>;
  messages: WecomAppMessage[];
  now: () => number;
}

function getToken(state: SinkState, query: URLSearchParams): Answer {
  const corpId = query.get('corpid');
  const secret = query.get('corpsecret');
  if (!corpId) return ANSWERS.missingCorpId;
  if (!secret) return ANSWERS.missingSecret;
  const ofCorp = state.apps.filter((a) => a.corpId === corpId);
  if (ofCorp.length === 0) return ANSWERS.invalidCorpId;
  const app = ofCorp.find((a) => a.secret === secret);
  if (!app) return ANSWERS.invalidSecret;
  const token = randomBytes(32).toString('base64url');
  state.tokens.set(token, { app, expiresAt: state.now() + TOKEN_TTL_SECONDS * 1000 });
  return { ...ANSWERS.ok, access_token: token, expires_in: TOKEN_TTL_SECONDS };
}

/** A numeric id as WeCom takes it: an integer, or a string of digits (what Alertmanager sends). */
function idText(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return String(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return value;
  return undefined;
}

/** "a|b" as WeCom splits recipient lists; empty parts dropped. */
const recipients = (value: unknown): string[] => (typeof value === 'string' ? value.split('|').map((s) => s.trim()).filter(Boolean) : []);

function inRange(app: WecomApp, users: string[], parties: string[], tags: string[]): boolean {
  const known = (list: string[] | undefined, id: string) => list === undefined || list.includes(id);
  return users.some((u) => u === '@all' || known(app.users, u)) || parties.some((p) => known(app.parties, p)) || tags.some((t) => known(app.tags, t));
}

/** Cut to at most `limit` bytes of UTF-8 without splitting a character. */
function cutToBytes(text: string, limit: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    bytes += Buffer.byteLength(ch, 'utf8');
    if (bytes > limit) break;
    out += ch;
  }
  return out;
}

function sendMessage(state: SinkState, query: URLSearchParams, raw: Buffer, truncated: boolean): Answer {
  const tokenText = query.get('access_token');
  if (!tokenText) return ANSWERS.missingToken;
  const token = state.tokens.get(tokenText);
  if (!token) return ANSWERS.invalidToken;
  if (state.now() >= token.expiresAt) return ANSWERS.expiredToken;
  const body = truncated ? undefined : parseJsonObject(raw);
  if (!body) return ANSWERS.badJson;
  if (body.agentid === undefined) return ANSWERS.missingAgentId;
  if (idText(body.agentid) !== token.app.agentId) return ANSWERS.invalidAgentId;
  const msgtype = body.msgtype;
  if (msgtype !== 'text' && msgtype !== 'markdown') return ANSWERS.invalidMsgtype;
  const part = body[msgtype];
  const content = typeof part === 'object' && part !== null ? (part as { content?: unknown }).content : undefined;
  if (typeof content !== 'string' || content === '') return ANSWERS.emptyContent;
  const tooLong = Buffer.byteLength(content, 'utf8') > CONTENT_LIMIT_BYTES;
  if (tooLong && msgtype === 'markdown') return ANSWERS.tooLong;
  const [toUser, toParty, toTag] = [recipients(body.touser), recipients(body.toparty), recipients(body.totag)];
  if (!inRange(token.app, toUser, toParty, toTag)) return ANSWERS.noRecipient;
  state.messages.push({
    corpId: token.app.corpId,
    agentId: token.app.agentId,
    toUser,
    toParty,
    toTag,
    msgtype,
    content: tooLong ? cutToBytes(content, CONTENT_LIMIT_BYTES) : content,
    body,
    at: state.now(),
  });
  return { ...ANSWERS.ok, invaliduser: '', invalidparty: '', invalidtag: '', msgid: randomBytes(12).toString('hex') };
}

export async function startWecomAppSink(options: WecomAppSinkOptions): Promise<WecomAppSink> {
  const state: SinkState = { apps: options.apps, tokens: new Map(), messages: [], now: options.now ?? Date.now };
  const requests: WecomAppRequest[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://sink');
    const { raw, truncated } = await readBody(req);
    let endpoint: WecomAppRequest['endpoint'] = 'other';
    let answer: Answer;
    if (url.pathname === '/cgi-bin/gettoken') {
      endpoint = 'gettoken';
      answer = req.method === 'GET' ? getToken(state, url.searchParams) : ANSWERS.getOnly;
    } else if (url.pathname === '/cgi-bin/message/send') {
      endpoint = 'message/send';
      answer = req.method === 'POST' ? sendMessage(state, url.searchParams, raw, truncated) : ANSWERS.postOnly;
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      requests.push({ endpoint, at: state.now(), errcode: -1 });
      return;
    }
    requests.push({ endpoint, at: state.now(), errcode: answer.errcode });
    res.writeHead(200, { 'Content-Type': 'application/json; charset=UTF-8' }).end(JSON.stringify(answer));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A bug in the double must show up in the test, not as a hung request.
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`WeCom app sink crashed: ${String(error)}`);
    });
  });
  const { port } = await listen(server);
  return {
    apiUrl: `http://127.0.0.1:${port}/cgi-bin/`,
    messages: state.messages,
    requests,
    expireTokens() {
      for (const token of state.tokens.values()) token.expiresAt = Math.min(token.expiresAt, state.now());
    },
    close: () => closeServer(server),
  };
}

