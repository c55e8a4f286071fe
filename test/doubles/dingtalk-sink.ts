// A local HTTP double of DingTalk's custom robot endpoint (`POST /robot/send?access_token=…`), checking what the real
// one checks: the token, the signature and its one-hour timestamp window, the JSON body and its msgtype, the
// 20,000-byte body limit, and 20 messages in a rolling minute per robot (then throttled for 10 minutes). Like the
// real endpoint it answers HTTP 200 with `{errcode, errmsg}` for every refusal. DingTalk's numbers are stated here,
// not imported from src/channels/dingtalk.ts: the double is the provider's word, so a wrong number in the code fails.
//
//   const sink = await startDingtalkSink({ robots: [{ token: 'T', secret: 'SEC…' }], throttleMs: 200 });
//   sink.url('T')          → the robot's webhook, as DingTalk's settings page shows it (without signature)
//   sink.messages('T')     → what the robot accepted: parsed bodies and when
//   sink.requests          → every request with the errcode it got (or the injected failure)
//   sink.failNext(2, 'http500' | 'close' | 'hang')   → the next requests fail that way instead
//   await sink.close()
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** DingTalk's published facts for custom robots. */
const BODY_LIMIT_BYTES = 20_000;
const MESSAGES_PER_MINUTE = 20;
const RATE_WINDOW_MS = 60_000;
const DEFAULT_THROTTLE_MS = 10 * 60_000;
const TIMESTAMP_WINDOW_MS = 60 * 60_000;
/** Bodies are read up to this size only; longer ones are still answered 460101, as the real endpoint does. */
const READ_LIMIT_BYTES = 1_000_000;

/** Answers as DingTalk words them (errmsg texts from its answers; only the errcode is meant to be relied on). */
const ANSWERS = {
  ok: { errcode: 0, errmsg: 'ok' },
  tokenNotExist: { errcode: 300001, errmsg: 'token is not exist' },
  signNotMatch: { errcode: 310000, errmsg: 'sign not match' },
  invalidTimestamp: { errcode: 310000, errmsg: 'invalid timestamp' },
  missingJson: { errcode: 40035, errmsg: '缺少参数 json' },
  missingParameter: (name: string) => ({ errcode: 40035, errmsg: `缺少参数 ${name}` }),
  invalidMsgtype: { errcode: 40008, errmsg: '不合法的消息类型' },
  tooLong: { errcode: 460101, errmsg: `message too long, exceed ${BODY_LIMIT_BYTES} bytes` },
  tooFast: { errcode: 130101, errmsg: `send too fast, exceed ${MESSAGES_PER_MINUTE} times per minute` },
  postOnly: { errcode: 43002, errmsg: '需要POST请求' },
};
type Answer = { errcode: number; errmsg: string };

export interface DingtalkRobot {
  token: string;
  /** The robot's signing secret ("加签"); without one the robot takes unsigned requests. */
  secret?: string;
}

export interface DingtalkSinkOptions {
  robots?: DingtalkRobot[];
  /** How long a robot that sent too fast stays throttled. Default 10 minutes, as DingTalk does. */
  throttleMs?: number;
  /** The sink's clock (ms) for the timestamp window and the rate window. Default Date.now. */
  now?: () => number;
}

export interface AcceptedMessage {
  body: Record<string, unknown>;
  /** ms, by the sink's clock */
  at: number;
}

export type InjectedFailure = 'http500' | 'close' | 'hang';

export interface SinkRequest {
  token: string | null;
  /** ms, by the sink's clock */
  at: number;
  /** The errcode answered, or the failure injected instead of an answer. */
  outcome: number | InjectedFailure;
}

export interface DingtalkSink {
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  /** The robot's webhook: `<baseUrl>/robot/send?access_token=<token>`. */
  url(token: string): string;
  addRobot(robot: DingtalkRobot): void;
  /** Messages the robot accepted, oldest first. */
  messages(token: string): AcceptedMessage[];
  /** Every request that reached the robot path, in order. */
  requests: SinkRequest[];
  isThrottled(token: string): boolean;
  /** The next `count` requests get this instead of an answer: HTTP 500, the connection closed, or no answer at all. */
  failNext(count: number, failure: InjectedFailure): void;
  close(): Promise<void>;
}

interface RobotState extends DingtalkRobot {
  accepted: AcceptedMessage[];
  /** Times of accepted messages within the last rate window. */
  recent: number[];
  throttledUntil: number;
}

interface SinkState {
  robots: Map<string, RobotState>;
  throttleMs: number;
  now: () => number;
  failures: InjectedFailure[];
  requests: SinkRequest[];
}

/** Fields each message type must carry (DingTalk answers 40035 "缺少参数 …" when one is missing). */
const REQUIRED_FIELDS: Record<string, string[][]> = {
  text: [['content']],
  link: [['title'], ['text'], ['messageUrl']],
  markdown: [['title'], ['text']],
  actionCard: [['title'], ['text']],
  feedCard: [['links']],
};

function missingField(body: Record<string, unknown>, msgtype: string): string | undefined {
  const content = body[msgtype];
  if (typeof content !== 'object' || content === null) return msgtype;
  const fields = content as Record<string, unknown>;
  for (const [name] of REQUIRED_FIELDS[msgtype]) {
    if (fields[name] === undefined || fields[name] === '') return `${msgtype}.${name}`;
  }
  if (msgtype === 'actionCard') {
    const single = typeof fields.singleTitle === 'string' && typeof fields.singleURL === 'string';
    const buttons = Array.isArray(fields.btns) && fields.btns.length > 0;
    if (!single && !buttons) return 'actionCard.btns';
    if (buttons && !(fields.btns as unknown[]).every((b) => isButton(b))) return 'actionCard.btns';
  }
  return undefined;
}

function isButton(value: unknown): boolean {
  const button = value as { title?: unknown; actionURL?: unknown } | null;
  return typeof button?.title === 'string' && typeof button.actionURL === 'string';
}

function expectedSign(secret: string, timestamp: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${secret}`, 'utf8').digest('base64');
}

/** The signature check: URLSearchParams decodes `sign` the way a server does (so an unencoded `+` is a space). */
function signatureProblem(robot: RobotState, query: URLSearchParams, now: number): Answer | undefined {
  if (!robot.secret) return undefined;
  const timestamp = query.get('timestamp');
  const sign = query.get('sign');
  if (!timestamp || !sign) return ANSWERS.signNotMatch;
  if (!/^\d+$/.test(timestamp) || Math.abs(now - Number(timestamp)) > TIMESTAMP_WINDOW_MS) return ANSWERS.invalidTimestamp;
  return sign === expectedSign(robot.secret, timestamp) ? undefined : ANSWERS.signNotMatch;
}

/** Counts the message against the robot's rolling minute; past the limit the robot is throttled for throttleMs. */
function rateProblem(state: SinkState, robot: RobotState, now: number): Answer | undefined {
  if (now < robot.throttledUntil) return ANSWERS.tooFast;
  robot.recent = robot.recent.filter((t) => t > now - RATE_WINDOW_MS);
  if (robot.recent.length >= MESSAGES_PER_MINUTE) {
    robot.throttledUntil = now + state.throttleMs;
    return ANSWERS.tooFast;
  }
  return undefined;
}

function parsedMessage(raw: Buffer, contentType: string | undefined): { body: Record<string, unknown> } | { answer: Answer } {
  if (!contentType?.toLowerCase().startsWith('application/json')) return { answer: ANSWERS.missingJson };
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return { answer: ANSWERS.missingJson };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { answer: ANSWERS.missingJson };
  const msgtype = (body as Record<string, unknown>).msgtype;
  if (msgtype === undefined || msgtype === '') return { answer: ANSWERS.missingParameter('msgtype') };
  if (typeof msgtype !== 'string' || !(msgtype in REQUIRED_FIELDS)) return { answer: ANSWERS.invalidMsgtype };
  const missing = missingField(body as Record<string, unknown>, msgtype);
  return missing ? { answer: ANSWERS.missingParameter(missing) } : { body: body as Record<string, unknown> };
}

function answerRobot(state: SinkState, req: IncomingMessage, query: URLSearchParams, raw: Buffer, truncated: boolean): Answer {
  const now = state.now();
  if (req.method !== 'POST') return ANSWERS.postOnly;
  const robot = state.robots.get(query.get('access_token') ?? '');
  if (!robot) return ANSWERS.tokenNotExist;
  const unsigned = signatureProblem(robot, query, now);
  if (unsigned) return unsigned;
  if (truncated || raw.length > BODY_LIMIT_BYTES) return ANSWERS.tooLong;
  const parsed = parsedMessage(raw, req.headers['content-type']);
  if ('answer' in parsed) return parsed.answer;
  const tooFast = rateProblem(state, robot, now);
  if (tooFast) return tooFast;
  robot.recent.push(now);
  robot.accepted.push({ body: parsed.body, at: now });
  return ANSWERS.ok;
}

function readBody(req: IncomingMessage): Promise<{ raw: Buffer; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= READ_LIMIT_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve({ raw: Buffer.concat(chunks), truncated: size > READ_LIMIT_BYTES }));
    req.on('error', reject);
  });
}

async function handleRequest(state: SinkState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sink');
  if (url.pathname !== '/robot/send') {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    return;
  }
  const token = url.searchParams.get('access_token');
  const failure = state.failures.shift();
  if (failure) {
    state.requests.push({ token, at: state.now(), outcome: failure });
    if (failure === 'http500') res.writeHead(500, { 'Content-Type': 'text/html' }).end('<html>500 Internal Server Error</html>');
    if (failure === 'close') req.socket.destroy();
    // 'hang': never answered; close() ends the connection.
    return;
  }
  const { raw, truncated } = await readBody(req);
  let answer: Answer;
  try {
    answer = answerRobot(state, req, url.searchParams, raw, truncated);
  } catch (error) {
    // A bug in the double must show up in the test, not as a hung request.
    res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`DingTalk sink crashed: ${String(error)}`);
    return;
  }
  state.requests.push({ token, at: state.now(), outcome: answer.errcode });
  res.writeHead(200, { 'Content-Type': 'application/json;charset=UTF-8' }).end(JSON.stringify(answer));
}

function listen(server: Server): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address() as AddressInfo));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // fetch keeps connections alive, and a 'hang' keeps one open: without this close() would wait for them.
    server.closeAllConnections();
  });
}

export async function startDingtalkSink(options: DingtalkSinkOptions = {}): Promise<DingtalkSink> {
  const state: SinkState = {
    robots: new Map(),
    throttleMs: options.throttleMs ?? DEFAULT_THROTTLE_MS,
    now: options.now ?? Date.now,
    failures: [],
    requests: [],
  };
  const addRobot = (robot: DingtalkRobot) => {
    if (state.robots.has(robot.token)) throw new Error(`DingTalk sink: robot ${robot.token} exists already`);
    state.robots.set(robot.token, { ...robot, accepted: [], recent: [], throttledUntil: 0 });
  };
  for (const robot of options.robots ?? []) addRobot(robot);
  const robotOf = (token: string) => {
    const robot = state.robots.get(token);
    if (!robot) throw new Error(`DingTalk sink: no robot ${token}`);
    return robot;
  };

  const server = createServer((req, res) => void handleRequest(state, req, res));
  const { port } = await listen(server);
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    url: (token) => `${baseUrl}/robot/send?access_token=${encodeURIComponent(token)}`,
    addRobot,
    messages: (token) => robotOf(token).accepted,
    requests: state.requests,
    isThrottled: (token) => state.now() < robotOf(token).throttledUntil,
    failNext(count, failure) {
      for (let i = 0; i < count; i++) state.failures.push(failure);
    },
    close: () => closeServer(server),
  };
}
