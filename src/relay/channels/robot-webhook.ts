/**
 * Posting a message to a chat robot's webhook (DingTalk, WeCom) and classifying the answer. Both providers answer
 * HTTP 200 with `{errcode, errmsg}` for everything they refuse, so the errcode, not the status, says whether a message
 * was sent; which errcodes mean "too fast" or "try again" is each provider's own.
 */
import type { Fetch, SendResult } from './types.ts';
import { parseJson, postForAnswer } from './answers.ts';

export interface RobotErrcodes {
  /** The provider's name, for the answer that is not one of its own. */
  provider: string;
  /** "Too fast": wait for the robot's window before sending to it again. */
  throttled: number;
  /** Worth a retry (the provider is briefly unavailable); every other non-zero errcode stays the same on a retry. */
  retryable: number;
}

const ERRCODE_OK = 0;
const ANSWER_CHARS = 2_000;
const ERRMSG_CHARS = 200;

export async function postToRobot(url: string, body: string, fetch: Fetch, errcodes: RobotErrcodes, timeoutMs: number): Promise<SendResult> {
  const started = performance.now();
  const latency = () => performance.now() - started;
  // The URL holds the robot's credential (DingTalk's access token, WeCom's key): a failure never names it.
  const answered = await postForAnswer(fetch, url, { 'Content-Type': 'application/json' }, body, timeoutMs);
  if ('failure' in answered) return { ok: false, retryable: true, error: answered.failure, latencyMs: latency() };
  return { ...classifyRobotAnswer(answered.status, answered.text, errcodes), latencyMs: latency() };
}


function classifyRobotAnswer(status: number, text: string, errcodes: RobotErrcodes): Omit<SendResult, 'latencyMs'> {
  const answer = parseJson(text);
  const recorded = answer ?? text.slice(0, ANSWER_CHARS);
  if (status >= 500) return { ok: false, retryable: true, status, error: `HTTP ${status}`, answer: recorded };
  if (status !== 200) return { ok: false, retryable: false, status, error: `HTTP ${status}`, answer: recorded };
  if (!isErrcodeAnswer(answer)) {
    // A proxy's or gateway's page in front of the provider: nothing says the message was refused for good.
    return { ok: false, retryable: true, status, error: `HTTP 200 without a ${errcodes.provider} answer (no JSON errcode)`, answer: recorded };
  }
  const { errcode } = answer;
  if (errcode === ERRCODE_OK) return { ok: true, retryable: false, status, answer };
  const error = `errcode ${errcode}: ${String(answer.errmsg ?? '').slice(0, ERRMSG_CHARS)}`;
  if (errcode === errcodes.throttled) return { ok: false, retryable: true, throttled: true, status, error, answer };
  return { ok: false, retryable: errcode === errcodes.retryable, status, error, answer };
}


function isErrcodeAnswer(answer: unknown): answer is { errcode: number; errmsg?: unknown } {
  return typeof answer === 'object' && answer !== null && typeof (answer as { errcode?: unknown }).errcode === 'number';
}
