/**
 * WeCom (企业微信) group robot delivery: render a notice as one markdown message whose content fits the robot's limit,
 * post it to the webhook, and classify the answer. WeCom answers HTTP 200 with `{errcode, errmsg}` for what it
 * refuses, so the errcode, not the status, says whether a message was sent.
 */
import { wecomRobot } from '../../channels/wecom-robot.ts';
import type { AlertRecord } from '../types.ts';
import { cutText, markdownLink, markdownText, markdownUrl, plainLine } from './escape.ts';
import { formatTime } from './time.ts';
import type { Fetch, Notice, SendResult } from './types.ts';
import { WORDS, type Words } from './words.ts';

export interface WecomRobotTarget {
  /** `…/cgi-bin/webhook/send?key=KEY`: the key is the robot's only credential. */
  webhook: string;
  /** WeCom user ids, mentioned as `<@userid>`. */
  mentions: string[];
}

export interface RenderedWecomRobotMessage {
  /** The JSON request body. */
  body: string;
  /** UTF-8 bytes of `markdown.content` (what WeCom limits): never more than the robot accepts. */
  contentBytes: number;
  /** Alerts of the notice the message leaves out (named by "… and N more"). */
  omitted: number;
}

const CONTENT_LIMIT = wecomRobot.limits.messageBytes ?? fail('src/channels/wecom-robot.ts declares no messageBytes');
/** An alert name longer than this is cut in the title: a chat preview shows a line of it anyway. */
const TITLE_NAME_CHARS = 100;
const ANSWER_CHARS = 2_000;
/** A WeCom userid: letters, digits and `_-.@`, starting with a letter or digit. Anything else could end `<@…>`. */
const USER_ID = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

function fail(message: string): never {
  throw new Error(message);
}

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

export function renderWecomRobot(notice: Notice, target: WecomRobotTarget): RenderedWecomRobotMessage {
  const total = notice.alerts.length;
  const attempt = (shape: Shape): RenderedWecomRobotMessage | undefined => {
    const content = markdownContent(notice, target, shape);
    const contentBytes = Buffer.byteLength(content, 'utf8');
    if (contentBytes > CONTENT_LIMIT) return undefined;
    return { body: JSON.stringify({ msgtype: 'markdown', markdown: { content } }), contentBytes, omitted: total - shape.shown };
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
  throw new Error('WeCom robot message: even the title does not fit the content limit');
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

/** WeCom's font colours: warning is orange-red, info green (the only three are info, comment, warning). */
const TITLE_COLOUR: Record<Notice['kind'], 'warning' | 'info'> = { firing: 'warning', escalation: 'warning', resolved: 'info' };

/**
 * The markdown of WeCom's robot subset (headings, bold, links, `<font color>`, quotes): no lists or tables, so every
 * field is a quoted line. Values from alerts are escaped; only the relay's own words make markup.
 */
function markdownContent(notice: Notice, target: WecomRobotTarget, shape: Shape): string {
  const words = WORDS[notice.language];
  const blocks = [`### <font color="${TITLE_COLOUR[notice.kind]}">${markdownText(titleLine(notice, words))}</font>`];
  for (const alert of notice.alerts.slice(0, shape.shown)) blocks.push(alertBlock(alert, notice, shape, words, notice.alerts.length > 1));
  if (shape.shown < notice.alerts.length) blocks.push(moreLine(notice.alerts.length - shape.shown, notice.externalURL, words));
  const mentions = shape.withMentions ? mentionLine(target.mentions) : undefined;
  if (mentions) blocks.push(mentions);
  return blocks.join('\n\n');
}

/** `[FIRING] critical: GpuTemperatureHigh`, one line. */
function titleLine(notice: Notice, words: Words): string {
  const alerts = notice.alerts;
  const severities = [...new Set(alerts.map((a) => a.severity))];
  const names = [...new Set(alerts.map((a) => a.alertname))];
  let name = names.length === 1 ? cutText(names[0], TITLE_NAME_CHARS) : words.alerts(alerts.length);
  if (names.length === 1 && alerts.length > 1) name += ` (${alerts.length})`;
  const severity = severities.map((s) => cutText(s, TITLE_NAME_CHARS)).join('/');
  return plainLine(`${words[notice.kind]}${severity}${words.colon}${name}`);
}

function alertBlock(alert: AlertRecord, notice: Notice, shape: Shape, words: Words, withHeading: boolean): string {
  const label = (value: string) => markdownText(shape.labelChars === undefined ? value : cutText(value, shape.labelChars));
  const prose = (value: string) => markdownText(shape.textChars === undefined ? value : cutText(value, shape.textChars));
  const lines: string[] = [];
  if (withHeading) lines.push(`**${label(alert.alertname)}** (${label(alert.severity)})`);
  const field = (name: string, value: string) => lines.push(`> ${name}${words.colon}${value}`);

  const { summary, description } = alert.annotations;
  if (summary) field(words.summary, prose(summary));
  if (description) field(words.description, prose(description));
  const labels = labelsThatMatter(alert.labels);
  if (labels.length > 0) field(words.labels, labels.map(([k, v]) => `${markdownText(k)}=${label(v)}`).join(', '));
  field(words.started, `<font color="comment">${formatTime(alert.startsAt, notice.timeZone)}</font>`);
  if (notice.kind === 'resolved' && alert.endsAt !== undefined) field(words.ended, `<font color="comment">${formatTime(alert.endsAt, notice.timeZone)}</font>`);

  const references = [
    reference(words.runbook, alert.annotations.runbook_url ?? alert.annotations.runbook),
    reference(words.dashboard, alert.annotations.dashboard_url ?? alert.annotations.dashboard),
  ].filter((r) => r !== undefined);
  if (references.length > 0) lines.push(references.join(' · '));

  const links = actionLinks(notice, alert);
  if (links) lines.push(`[${markdownText(words.confirm)}](${links.confirm}) · [${markdownText(words.close)}](${links.close})`);
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
 * `<@userid>` for each user id of the receiver's definition: the only mention WeCom's robot markdown knows (its
 * `mentioned_list` works on text messages only). An id that could end the tag early is left out, not repaired.
 */
function mentionLine(userIds: readonly string[]): string | undefined {
  const valid = userIds.filter((id) => USER_ID.test(id));
  return valid.length === 0 ? undefined : valid.map((id) => `<@${id}>`).join(' ');
}

// ---------------------------------------------------------------------------------------------------------------
// Sending

const ERRCODE_OK = 0;
/** "接口调用超过限制": more than 20 messages a minute to this robot. */
const ERRCODE_THROTTLED = 45009;
/** "系统繁忙": WeCom's global error codes say to try again a little later. */
const ERRCODE_SYSTEM_BUSY = -1;
// Every other errcode stays the same on every retry: 40058 (content too long), 93000 (invalid webhook url: a wrong
// key, or the robot was removed from the group), 40008 (invalid message type), 44004 (empty content).

export async function sendWecomRobot(body: string, target: WecomRobotTarget, fetch: Fetch, timeoutMs = 10_000): Promise<SendResult> {
  const started = performance.now();
  const latency = () => performance.now() - started;
  let status: number;
  let text: string;
  try {
    const response = await fetch(target.webhook, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    // Never the URL: its key is the robot's credential.
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
    // A proxy's or gateway's page in front of WeCom: nothing says the message was refused for good.
    return { ok: false, retryable: true, status, error: 'HTTP 200 without a WeCom answer (no JSON errcode)', answer: recorded };
  }
  const { errcode } = answer;
  if (errcode === ERRCODE_OK) return { ok: true, retryable: false, status, answer };
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
