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
import { acceptMessage, parseJsonObject, rateWindowFull, startRobotSink, type Answer, type InjectedFailure, type RobotRequest, type RobotSink, type RobotState } from './robot-sink.ts';

export type { AcceptedMessage, InjectedFailure } from './robot-sink.ts';

/** DingTalk's published facts for custom robots. */
const BODY_LIMIT_BYTES = 20_000;
const MESSAGES_PER_MINUTE = 20;
const RATE_WINDOW_MS = 60_000;
const DEFAULT_THROTTLE_MS = 10 * 60_000;
const TIMESTAMP_WINDOW_MS = 60 * 60_000;

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

export interface SinkRequest {
  token: string | null;
  /** ms, by the sink's clock */
  at: number;
  /** The errcode answered, or the failure injected instead of an answer. */
  outcome: number | InjectedFailure;
}

export interface DingtalkSink extends RobotSink<SinkRequest> {
  addRobot(robot: DingtalkRobot): void;
  isThrottled(token: string): boolean;
}

interface DingtalkRobotState extends DingtalkRobot, RobotState {
  throttledUntil: number;
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
function signatureProblem(robot: DingtalkRobotState, query: URLSearchParams, now: number): Answer | undefined {
  if (!robot.secret) return undefined;
  const timestamp = query.get('timestamp');
  const sign = query.get('sign');
  if (!timestamp || !sign) return ANSWERS.signNotMatch;
  if (!/^\d+$/.test(timestamp) || Math.abs(now - Number(timestamp)) > TIMESTAMP_WINDOW_MS) return ANSWERS.invalidTimestamp;
  return sign === expectedSign(robot.secret, timestamp) ? undefined : ANSWERS.signNotMatch;
}

/** Counts the message against the robot's rolling minute; past the limit the robot is throttled for throttleMs. */
function rateProblem(robot: DingtalkRobotState, now: number, throttleMs: number): Answer | undefined {
  if (now < robot.throttledUntil) return ANSWERS.tooFast;
  if (rateWindowFull(robot, now, MESSAGES_PER_MINUTE, RATE_WINDOW_MS)) {
    robot.throttledUntil = now + throttleMs;
    return ANSWERS.tooFast;
  }
  return undefined;
}

function parsedMessage(raw: Buffer, contentType: string | undefined): { body: Record<string, unknown> } | { answer: Answer } {
  if (!contentType?.toLowerCase().startsWith('application/json')) return { answer: ANSWERS.missingJson };
  const body = parseJsonObject(raw);
  if (!body) return { answer: ANSWERS.missingJson };
  const msgtype = body.msgtype;
  if (msgtype === undefined || msgtype === '') return { answer: ANSWERS.missingParameter('msgtype') };
  if (typeof msgtype !== 'string' || !(msgtype in REQUIRED_FIELDS)) return { answer: ANSWERS.invalidMsgtype };
  const missing = missingField(body, msgtype);
  return missing ? { answer: ANSWERS.missingParameter(missing) } : { body };
}

function answerRobot(request: RobotRequest<DingtalkRobotState>, throttleMs: number): Answer {
  const { robot, query, raw, now } = request;
  if (request.method !== 'POST') return ANSWERS.postOnly;
  if (!robot) return ANSWERS.tokenNotExist;
  const unsigned = signatureProblem(robot, query, now);
  if (unsigned) return unsigned;
  if (request.truncated || raw.length > BODY_LIMIT_BYTES) return ANSWERS.tooLong;
  const parsed = parsedMessage(raw, request.contentType);
  if ('answer' in parsed) return parsed.answer;
  const tooFast = rateProblem(robot, now, throttleMs);
  if (tooFast) return tooFast;
  acceptMessage(robot, parsed.body, now);
  return ANSWERS.ok;
}

export async function startDingtalkSink(options: DingtalkSinkOptions = {}): Promise<DingtalkSink> {
  const throttleMs = options.throttleMs ?? DEFAULT_THROTTLE_MS;
  const now = options.now ?? Date.now;
  const { sink, addRobot, robotOf } = await startRobotSink<DingtalkRobotState, SinkRequest>({
    name: 'DingTalk sink',
    path: '/robot/send',
    robotParam: 'access_token',
    answerContentType: 'application/json;charset=UTF-8',
    now,
    answerRobot: (request) => answerRobot(request, throttleMs),
    recordRequest: (token, at, outcome) => ({ token, at, outcome }),
  });
  const addDingtalkRobot = (robot: DingtalkRobot) => addRobot(robot.token, { ...robot, accepted: [], recent: [], throttledUntil: 0 });
  for (const robot of options.robots ?? []) addDingtalkRobot(robot);
  return { ...sink, addRobot: addDingtalkRobot, isThrottled: (token) => now() < robotOf(token).throttledUntil };
}
