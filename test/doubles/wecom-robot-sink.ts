// A local HTTP double of WeCom's group robot endpoint (`POST /cgi-bin/webhook/send?key=…`), checking what the real one
// checks: the key, the JSON body and its msgtype, markdown.content at most 4,096 bytes of UTF-8 (text.content 2,048),
// and 20 messages in a rolling minute per robot. Like the real endpoint it answers HTTP 200 with `{errcode, errmsg}`
// for every refusal. WeCom's numbers are stated here, not imported from src/channels/wecom-robot.ts: the double is the
// provider's word, so a wrong number in the code fails.
//
//   const sink = await startWecomRobotSink({ keys: ['K'] });
//   sink.url('K')          → the robot's webhook, as WeCom's robot page shows it
//   sink.messages('K')     → what the robot accepted: parsed bodies and when
//   sink.requests          → every request with the errcode it got (or the injected failure)
//   sink.failNext(2, 'http500' | 'close' | 'hang')   → the next requests fail that way instead
//   await sink.close()
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** WeCom's published facts for group robots (群机器人配置说明). */
const MARKDOWN_CONTENT_LIMIT_BYTES = 4096;
const TEXT_CONTENT_LIMIT_BYTES = 2048;
const MESSAGES_PER_MINUTE = 20;
const RATE_WINDOW_MS = 60_000;
/** Bodies are read up to this size only; longer ones are answered 40058 all the same. */
const READ_LIMIT_BYTES = 1_000_000;

/** Answers as WeCom words them (errmsg shortened; only the errcode is meant to be relied on). */
const ANSWERS = {
  ok: { errcode: 0, errmsg: 'ok' },
  invalidWebhook: { errcode: 93000, errmsg: 'invalid webhook url, hint: [sink]' },
  invalidMsgtype: { errcode: 40008, errmsg: 'invalid message type, hint: [sink]' },
  wrongJson: { errcode: 40008, errmsg: 'Warning: wrong json format. invalid message type, hint: [sink]' },
  emptyContent: { errcode: 44004, errmsg: 'empty content, hint: [sink]' },
  tooLong: (field: string, limit: number) => ({ errcode: 40058, errmsg: `${field} exceed max length ${limit}. invalid Request Parameter, hint: [sink]` }),
  tooFast: { errcode: 45009, errmsg: 'api freq out of limit, hint: [sink]' },
  postOnly: { errcode: 43002, errmsg: 'require POST method, hint: [sink]' },
};
type Answer = { errcode: number; errmsg: string };

export interface WecomRobotSinkOptions {
  /** The keys of the robots that exist. */
  keys?: string[];
  /** The sink's clock (ms) for the rate window. Default Date.now. */
  now?: () => number;
}

export interface AcceptedMessage {
  body: Record<string, unknown>;
  /** ms, by the sink's clock */
  at: number;
}

export type InjectedFailure = 'http500' | 'close' | 'hang';

export interface SinkRequest {
  key: string | null;
  /** ms, by the sink's clock */
  at: number;
  /** The errcode answered, or the failure injected instead of an answer. */
  outcome: number | InjectedFailure;
}

export interface WecomRobotSink {
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  /** The robot's webhook: `<baseUrl>/cgi-bin/webhook/send?key=<key>`. */
  url(key: string): string;
  addRobot(key: string): void;
  /** Messages the robot accepted, oldest first. */
  messages(key: string): AcceptedMessage[];
  /** Every request that reached the robot path, in order. */
  requests: SinkRequest[];
  /** The next `count` requests get this instead of an answer: HTTP 500, the connection closed, or no answer at all. */
  failNext(count: number, failure: InjectedFailure): void;
  close(): Promise<void>;
}

interface RobotState {
  accepted: AcceptedMessage[];
  /** Times of messages within the last rate window. */
  recent: number[];
}

interface SinkState {
  robots: Map<string, RobotState>;
  now: () => number;
  failures: InjectedFailure[];
  requests: SinkRequest[];
}

/** The content field each message type this double knows carries, and its byte limit. */
const CONTENT_OF: Record<string, { limit: number }> = {
  text: { limit: TEXT_CONTENT_LIMIT_BYTES },
  markdown: { limit: MARKDOWN_CONTENT_LIMIT_BYTES },
};

function parsedMessage(raw: Buffer, truncated: boolean): { body: Record<string, unknown> } | { answer: Answer } {
  if (truncated) return { answer: ANSWERS.tooLong('body', READ_LIMIT_BYTES) };
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return { answer: ANSWERS.wrongJson };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { answer: ANSWERS.wrongJson };
  const msgtype = (body as Record<string, unknown>).msgtype;
  if (typeof msgtype !== 'string' || !(msgtype in CONTENT_OF)) return { answer: ANSWERS.invalidMsgtype };
  const part = (body as Record<string, unknown>)[msgtype] as { content?: unknown } | undefined;
  const content = typeof part === 'object' && part !== null ? part.content : undefined;
  if (typeof content !== 'string' || content === '') return { answer: ANSWERS.emptyContent };
  const { limit } = CONTENT_OF[msgtype]!;
  if (Buffer.byteLength(content, 'utf8') > limit) return { answer: ANSWERS.tooLong(`${msgtype}.content`, limit) };
  return { body: body as Record<string, unknown> };
}

/** Counts the message against the robot's rolling minute; past the limit every message is refused until one ages out. */
function tooFast(robot: RobotState, now: number): boolean {
  robot.recent = robot.recent.filter((t) => t > now - RATE_WINDOW_MS);
  return robot.recent.length >= MESSAGES_PER_MINUTE;
}

function answerRobot(state: SinkState, req: IncomingMessage, key: string | null, raw: Buffer, truncated: boolean): Answer {
  const now = state.now();
  if (req.method !== 'POST') return ANSWERS.postOnly;
  const robot = state.robots.get(key ?? '');
  if (!robot) return ANSWERS.invalidWebhook;
  const parsed = parsedMessage(raw, truncated);
  if ('answer' in parsed) return parsed.answer;
  if (tooFast(robot, now)) return ANSWERS.tooFast;
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
  if (url.pathname !== '/cgi-bin/webhook/send') {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    return;
  }
  const key = url.searchParams.get('key');
  const failure = state.failures.shift();
  if (failure) {
    state.requests.push({ key, at: state.now(), outcome: failure });
    if (failure === 'http500') res.writeHead(500, { 'Content-Type': 'text/html' }).end('<html>500 Internal Server Error</html>');
    if (failure === 'close') req.socket.destroy();
    // 'hang': never answered; close() ends the connection.
    return;
  }
  const { raw, truncated } = await readBody(req);
  let answer: Answer;
  try {
    answer = answerRobot(state, req, key, raw, truncated);
  } catch (error) {
    // A bug in the double must show up in the test, not as a hung request.
    res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`WeCom robot sink crashed: ${String(error)}`);
    return;
  }
  state.requests.push({ key, at: state.now(), outcome: answer.errcode });
  res.writeHead(200, { 'Content-Type': 'application/json; charset=UTF-8' }).end(JSON.stringify(answer));
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

export async function startWecomRobotSink(options: WecomRobotSinkOptions = {}): Promise<WecomRobotSink> {
  const state: SinkState = { robots: new Map(), now: options.now ?? Date.now, failures: [], requests: [] };
  const addRobot = (key: string) => {
    if (state.robots.has(key)) throw new Error(`WeCom robot sink: robot ${key} exists already`);
    state.robots.set(key, { accepted: [], recent: [] });
  };
  for (const key of options.keys ?? []) addRobot(key);
  const robotOf = (key: string) => {
    const robot = state.robots.get(key);
    if (!robot) throw new Error(`WeCom robot sink: no robot ${key}`);
    return robot;
  };

  const server = createServer((req, res) => void handleRequest(state, req, res));
  const { port } = await listen(server);
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    url: (key) => `${baseUrl}/cgi-bin/webhook/send?key=${encodeURIComponent(key)}`,
    addRobot,
    messages: (key) => robotOf(key).accepted,
    requests: state.requests,
    failNext(count, failure) {
      for (let i = 0; i < count; i++) state.failures.push(failure);
    },
    close: () => closeServer(server),
  };
}
