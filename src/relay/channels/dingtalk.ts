/**
 * DingTalk custom robot delivery: render a notice as one message that fits the robot's body limit, sign the webhook
 * URL, post it, and classify the answer. DingTalk answers HTTP 200 with `{errcode, errmsg}` for everything it refuses,
 * so the errcode, not the status, says whether a message was sent.
 */
import { createHmac } from 'node:crypto';
import { dingtalk } from '../../channels/dingtalk.ts';
import type { AlertRecord } from '../types.ts';
import { cutText, markdownLink, markdownText, markdownUrl, plainLine } from './escape.ts';
import { formatTime } from './time.ts';
import type { Fetch, Notice, SendResult } from './types.ts';
import { WORDS, type Words } from './words.ts';

export interface DingtalkTarget {
  webhook: string;
  secret?: string;
  atMobiles: string[];
  atUserIds?: string[];
  isAtAll?: boolean;
}

export interface RenderedMessage {
  /** The JSON request body. */
  body: string;
  /** UTF-8 bytes of `body`: never more than the robot accepts. */
  bytes: number;
  /** Alerts of the notice the message leaves out (named by "… and N more"). */
  omitted: number;
}

function requiredLimit(value: number | undefined, what: string): number {
  if (value === undefined) throw new Error(`src/channels/dingtalk.ts declares no ${what}`);
  return value;
}

const BODY_LIMIT = requiredLimit(dingtalk.limits.messageBytes, 'messageBytes');
/** An alert name longer than this is cut in the title: the chat list shows a line of it anyway. */
const TITLE_NAME_CHARS = 100;
const ANSWER_CHARS = 2_000;


// ---------------------------------------------------------------------------------------------------------------
// Rendering

/** How much of a notice a message holds: the first `shown` alerts, with free text cut to budgets when set. */
interface Shape {
  shown: number;
  /** Code points kept of summary and description. */
  textChars?: number;
  /** Code points kept of every label value (and the alert name and severity). */
  labelChars?: number;
  withMentions: boolean;
}

export function renderDingtalk(notice: Notice, target: DingtalkTarget): RenderedMessage {
  const total = notice.alerts.length;
  const attempt = (shape: Shape): RenderedMessage | undefined => {
    const body = JSON.stringify(message(notice, target, shape));
    const bytes = Buffer.byteLength(body, 'utf8');
    return bytes <= BODY_LIMIT ? { body, bytes, omitted: total - shape.shown } : undefined;
  };
  const whole = attempt({ shown: total, withMentions: true });
  if (whole) return whole;

  const fewer = largestFitting(1, total - 1, (shown) => attempt({ shown, withMentions: true }));
  if (fewer) return fewer;

  // The first alert alone is too big: cut its prose, then its labels.
  const one = { shown: 1, withMentions: true };
  const longestText = Math.max(...['summary', 'description'].map((k) => Array.from(notice.alerts[0].annotations[k] ?? '').length));
  const cutProse = largestFitting(0, longestText, (textChars) => attempt({ ...one, textChars }));
  if (cutProse) return cutProse;
  const longestLabel = Math.max(0, ...Object.values(notice.alerts[0].labels).map((v) => Array.from(v).length));
  const cutLabels = largestFitting(0, longestLabel, (labelChars) => attempt({ ...one, textChars: 0, labelChars }));
  if (cutLabels) return cutLabels;

  // Thousands of labels or mentions: the title and the count still fit (the title's name is capped).
  const bare = attempt({ shown: 0, withMentions: false });
  if (bare) return bare;
  throw new Error('DingTalk message: even the title does not fit the body limit');
}

/** The attempt for the largest n in [low, high] that fits, by bisection (a message grows with n). */
function largestFitting<T>(low: number, high: number, attempt: (n: number) => T | undefined): T | undefined {
  let best: T | undefined;
  while (low <= high) {
    const middle = Math.floor((low + high) / 2);
    const fitted = attempt(middle);
    if (fitted) {
      best = fitted;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return best;
}

function message(notice: Notice, target: DingtalkTarget, shape: Shape): Record<string, unknown> {
  const words = WORDS[notice.language];
  const title = titleLine(notice, words);
  const shown = notice.alerts.slice(0, shape.shown);
  const mentions = shape.withMentions ? mentionsOf(target) : undefined;
  const buttons = shown.length === 1 && notice.alerts.length === 1 && !mentions ? actionLinks(notice, shown[0]) : undefined;

  const blocks = [`### ${markdownText(title)}`];
  for (const alert of shown) {
    blocks.push(alertBlock(alert, notice, shape, words, { heading: notice.alerts.length > 1, links: !buttons }));
  }
  if (shape.shown < notice.alerts.length) blocks.push(moreLine(notice.alerts.length - shape.shown, notice.externalURL, words));
  if (mentions) blocks.push(mentions.text);
  const text = blocks.join('\n\n');

  if (buttons) {
    return {
      msgtype: 'actionCard',
      actionCard: {
        title,
        text,
        btnOrientation: '1',
        btns: [
          { title: words.confirm, actionURL: buttons.confirm },
          { title: words.close, actionURL: buttons.close },
        ],
      },
    };
  }
  return { msgtype: 'markdown', markdown: { title, text }, ...(mentions ? { at: mentions.at } : {}) };
}

/** `[FIRING] critical: GpuTemperatureHigh`: plain text (the chat list shows it unrendered), one line. */
function titleLine(notice: Notice, words: Words): string {
  const alerts = notice.alerts;
  const severities = [...new Set(alerts.map((a) => a.severity))];
  const names = [...new Set(alerts.map((a) => a.alertname))];
  let name = names.length === 1 ? cutText(names[0], TITLE_NAME_CHARS) : words.alerts(alerts.length);
  if (names.length === 1 && alerts.length > 1) name += ` (${alerts.length})`;
  const severity = severities.map((s) => cutText(s, TITLE_NAME_CHARS)).join('/');
  return plainLine(`${words[notice.kind]}${severity}${words.colon}${name}`);
}

function alertBlock(alert: AlertRecord, notice: Notice, shape: Shape, words: Words, show: { heading: boolean; links: boolean }): string {
  const label = (value: string) => markdownText(shape.labelChars === undefined ? value : cutText(value, shape.labelChars));
  const prose = (value: string) => markdownText(shape.textChars === undefined ? value : cutText(value, shape.textChars));
  const lines: string[] = [];
  if (show.heading) lines.push(`**${label(alert.alertname)}** (${label(alert.severity)})`);
  const field = (name: string, value: string) => lines.push(`- ${name}${words.colon}${value}`);

  const { summary, description } = alert.annotations;
  if (summary) field(words.summary, prose(summary));
  if (description) field(words.description, prose(description));
  const labels = labelsThatMatter(alert.labels);
  if (labels.length > 0) field(words.labels, labels.map(([k, v]) => `${markdownText(k)}=${label(v)}`).join(', '));
  field(words.started, formatTime(alert.startsAt, notice.timeZone));
  if (notice.kind === 'resolved' && alert.endsAt !== undefined) field(words.ended, formatTime(alert.endsAt, notice.timeZone));

  const references = [
    reference(words.runbook, alert.annotations.runbook_url ?? alert.annotations.runbook),
    reference(words.dashboard, alert.annotations.dashboard_url ?? alert.annotations.dashboard),
  ].filter((r) => r !== undefined);
  if (references.length > 0) lines.push(`- ${references.join(' · ')}`);

  const links = show.links ? actionLinks(notice, alert) : undefined;
  if (links) lines.push(`- [${markdownText(words.confirm)}](${links.confirm}) · [${markdownText(words.close)}](${links.close})`);
  return lines.join('\n');
}

/** Every label but the ones the message already shows (alertname, severity) and Prometheus' internal `__` ones. */
function labelsThatMatter(labels: Record<string, string>): [string, string][] {
  return Object.entries(labels)
    .filter(([name]) => name !== 'alertname' && name !== 'severity' && !name.startsWith('__'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A link when the annotation is an http(s) URL; otherwise its text, escaped (it may be a wiki page name). */
function reference(name: string, value: string | undefined): string | undefined {
  if (!value) return undefined;
  return markdownLink(name, value) ?? `${markdownText(name)}: ${markdownText(value)}`;
}

function actionLinks(notice: Notice, alert: AlertRecord): { confirm: string; close: string } | undefined {
  const links = notice.links?.(alert);
  if (!links) return undefined;
  const confirm = markdownUrl(links.confirm);
  const close = markdownUrl(links.close);
  return confirm && close ? { confirm, close } : undefined;
}

function moreLine(count: number, externalURL: string, words: Words): string {
  const link = externalURL ? markdownLink('Alertmanager', externalURL) : undefined;
  return link ? `${words.more(count)} · ${link}` : words.more(count);
}

/**
 * DingTalk notifies a person only when the `at` field names them AND `@<mobile>` / `@<userid>` is in the text.
 * Names come from the receiver's definition, not from alerts; whitespace would end the mention, so none is kept.
 * The `at` field exists for text and markdown messages only, so a message with mentions is never an actionCard.
 */
function mentionsOf(target: DingtalkTarget): { text: string; at: Record<string, unknown> } | undefined {
  const clean = (ids: string[] | undefined) => (ids ?? []).map((id) => id.replace(/\s+/g, '')).filter((id) => id !== '');
  const atMobiles = clean(target.atMobiles);
  const atUserIds = clean(target.atUserIds);
  const isAtAll = target.isAtAll === true;
  if (atMobiles.length === 0 && atUserIds.length === 0 && !isAtAll) return undefined;
  const names = [...atMobiles, ...atUserIds];
  return { text: names.map((n) => `@${n}`).join(' '), at: { atMobiles, atUserIds, isAtAll } };
}

// ---------------------------------------------------------------------------------------------------------------
// Signing and sending

/**
 * The webhook with DingTalk's signature ("加签") appended when the robot has a secret: `timestamp` in ms and
 * `sign` = URL-encoded Base64 of HMAC-SHA256 (key: the secret) of `timestamp + "\n" + secret`. DingTalk refuses a
 * timestamp more than an hour away from its clock.
 */
export function signedUrl(webhook: string, secret: string | undefined, nowMs: number): string {
  if (!secret) return webhook;
  const timestamp = String(Math.trunc(nowMs));
  const sign = createHmac('sha256', secret).update(`${timestamp}\n${secret}`, 'utf8').digest('base64');
  const separator = !webhook.includes('?') ? '?' : /[?&]$/.test(webhook) ? '' : '&';
  return `${webhook}${separator}timestamp=${timestamp}&sign=${encodeURIComponent(sign)}`;
}

const ERRCODE_THROTTLED = 130101;
/**
 * "系统繁忙" (system busy): DingTalk's global error codes say the server is briefly unavailable and to try again
 * (global error codes, https://developers.dingtalk.com/document/app/server-api-error-codes-1: "服务器暂不可用，建议稍候再重试1次，最多重试3次").
 * Every other non-zero errcode (bad keyword, secret, IP, token; 460101 too long) stays the same on every retry.
 */
const ERRCODE_SYSTEM_BUSY = -1;

export async function sendDingtalk(body: string, target: DingtalkTarget, fetch: Fetch, nowMs: number, timeoutMs = 10_000): Promise<SendResult> {
  const started = performance.now();
  const latency = () => performance.now() - started;
  let status: number;
  let text: string;
  try {
    const response = await fetch(signedUrl(target.webhook, target.secret, nowMs), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    // Never the URL: it holds the robot's access token.
    const name = (error as { name?: unknown } | null)?.name;
    const timedOut = name === 'TimeoutError' || name === 'AbortError';
    const reason = timedOut ? `no answer within ${timeoutMs} ms` : `network error: ${networkReason(error)}`;
    return { ok: false, retryable: true, error: reason, latencyMs: latency() };
  }
  return { ...classify(status, text), latencyMs: latency() };
}

function networkReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

function classify(status: number, text: string): Omit<SendResult, 'latencyMs'> {
  const answer = parseJson(text);
  const recorded = answer ?? text.slice(0, ANSWER_CHARS);
  if (status >= 500) return { ok: false, retryable: true, status, error: `HTTP ${status}`, answer: recorded };
  if (status !== 200) return { ok: false, retryable: false, status, error: `HTTP ${status}`, answer: recorded };
  if (!isErrcodeAnswer(answer)) {
    // A proxy's or gateway's page in front of DingTalk: nothing says the message was refused for good.
    return { ok: false, retryable: true, status, error: 'HTTP 200 without a DingTalk answer (no JSON errcode)', answer: recorded };
  }
  const { errcode } = answer;
  if (errcode === 0) return { ok: true, retryable: false, status, answer };
  const error = `errcode ${errcode}: ${String(answer.errmsg ?? '').slice(0, 200)}`;
  if (errcode === ERRCODE_THROTTLED) return { ok: false, retryable: true, throttled: true, status, error, answer };
  return { ok: false, retryable: errcode === ERRCODE_SYSTEM_BUSY, status, error, answer };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isErrcodeAnswer(answer: unknown): answer is { errcode: number; errmsg?: unknown } {
  return typeof answer === 'object' && answer !== null && typeof (answer as { errcode?: unknown }).errcode === 'number';
}
