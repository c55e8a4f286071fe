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
import { READ_LIMIT_BYTES, acceptMessage, parseJsonObject, rateWindowFull, startRobotSink, type Answer, type InjectedFailure, type RobotRequest, type RobotSink, type RobotState } from './robot-sink.ts';

export type { AcceptedMessage, InjectedFailure } from './robot-sink.ts';

/** WeCom's published facts for group robots (群机器人配置说明). */
const MARKDOWN_CONTENT_LIMIT_BYTES = 4096;
const TEXT_CONTENT_LIMIT_BYTES = 2048;
const MESSAGES_PER_MINUTE = 20;
const RATE_WINDOW_MS = 60_000;

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

export interface WecomRobotSinkOptions {
  /** The keys of the robots that exist. */
  keys?: string[];
  /** The sink's clock (ms) for the rate window. Default Date.now. */
  now?: () => number;
}

export interface SinkRequest {
  key: string | null;
  /** ms, by the sink's clock */
  at: number;
  /** The errcode answered, or the failure injected instead of an answer. */
  outcome: number | InjectedFailure;
}

export interface WecomRobotSink extends RobotSink<SinkRequest> {
  addRobot(key: string): void;
}

/** The content field each message type this double knows carries, and its byte limit. */
const CONTENT_OF: Record<string, { limit: number }> = {
  text: { limit: TEXT_CONTENT_LIMIT_BYTES },
  markdown: { limit: MARKDOWN_CONTENT_LIMIT_BYTES },
};

function parsedMessage(raw: Buffer, truncated: boolean): { body: Record<string, unknown> } | { answer: Answer } {
  if (truncated) return { answer: ANSWERS.tooLong('body', READ_LIMIT_BYTES) };
  const body = parseJsonObject(raw);
  if (!body) return { answer: ANSWERS.wrongJson };
  const msgtype = body.msgtype;
  if (typeof msgtype !== 'string' || !(msgtype in CONTENT_OF)) return { answer: ANSWERS.invalidMsgtype };
  const part = body[msgtype] as { content?: unknown } | undefined;
  const content = typeof part === 'object' && part !== null ? part.content : undefined;
  if (typeof content !== 'string' || content === '') return { answer: ANSWERS.emptyContent };
  const { limit } = CONTENT_OF[msgtype]!;
  if (Buffer.byteLength(content, 'utf8') > limit) return { answer: ANSWERS.tooLong(`${msgtype}.content`, limit) };
  return { body };
}

function answerRobot(request: RobotRequest<RobotState>): Answer {
  const { robot, now } = request;
  if (request.method !== 'POST') return ANSWERS.postOnly;
  if (!robot) return ANSWERS.invalidWebhook;
  const parsed = parsedMessage(request.raw, request.truncated);
  if ('answer' in parsed) return parsed.answer;
  // Past the limit every message is refused until one ages out of the rolling minute.
  if (rateWindowFull(robot, now, MESSAGES_PER_MINUTE, RATE_WINDOW_MS)) return ANSWERS.tooFast;
  acceptMessage(robot, parsed.body, now);
  return ANSWERS.ok;
}

export async function startWecomRobotSink(options: WecomRobotSinkOptions = {}): Promise<WecomRobotSink> {
  const { sink, addRobot } = await startRobotSink<RobotState, SinkRequest>({
    name: 'WeCom robot sink',
    path: '/cgi-bin/webhook/send',
    robotParam: 'key',
    answerContentType: 'application/json; charset=UTF-8',
    now: options.now ?? Date.now,
    answerRobot,
    recordRequest: (key, at, outcome) => ({ key, at, outcome }),
  });
  const addWecomRobot = (key: string) => addRobot(key, { accepted: [], recent: [] });
  for (const key of options.keys ?? []) addWecomRobot(key);
  return { ...sink, addRobot: addWecomRobot };
}
