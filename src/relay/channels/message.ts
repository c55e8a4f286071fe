/**
 * The chat-markdown message both robot channels (DingTalk, WeCom) build from a notice: the title, one block per alert,
 * "… and N more", and the search for the most of a notice that fits the provider's byte limit. Each channel brings
 * its own markup dialect (`AlertMarkup`) and its own envelope; what an alert shows, and in what order, is said here
 * once (email takes its label selection too).
 */
import type { AlertRecord } from '../types.ts';
import { cutText, markdownLink, markdownText, markdownUrl, plainLine } from './escape.ts';
import { formatTime } from './time.ts';
import type { Notice } from './types.ts';
import type { Words } from './words.ts';

/** An alert name longer than this is cut in the title: a chat list or preview shows a line of it anyway. */
const TITLE_NAME_CHARS = 100;

/** How much of a notice a message holds: the first `shown` alerts, with free text cut to budgets when set. */
export interface Shape {
  shown: number;
  /** Code points kept of summary and description. */
  textChars?: number;
  /** Code points kept of every label value (and the alert name and severity). */
  labelChars?: number;
  withMentions: boolean;
}

/**
 * The message for the largest shape of the notice that fits, `attempt` saying whether one does: every alert, else as
 * many as fit, else the first alone with its prose cut, then its labels, else the title and the count alone.
 * Undefined when not even that fits.
 */
export function largestFittingMessage<T>(notice: Notice, attempt: (shape: Shape) => T | undefined): T | undefined {
  const total = notice.alerts.length;
  const whole = attempt({ shown: total, withMentions: true });
  if (whole) return whole;

  const fewer = largestFitting(1, total - 1, (shown) => attempt({ shown, withMentions: true }));
  if (fewer) return fewer;

  const one = { shown: 1, withMentions: true };
  const longestText = Math.max(...['summary', 'description'].map((k) => Array.from(notice.alerts[0].annotations[k] ?? '').length));
  const cutProse = largestFitting(0, longestText, (textChars) => attempt({ ...one, textChars }));
  if (cutProse) return cutProse;
  const longestLabel = Math.max(0, ...Object.values(notice.alerts[0].labels).map((v) => Array.from(v).length));
  const cutLabels = largestFitting(0, longestLabel, (labelChars) => attempt({ ...one, textChars: 0, labelChars }));
  if (cutLabels) return cutLabels;

  // Thousands of labels or mentions: the title and the count still fit (the title's name is capped).
  return attempt({ shown: 0, withMentions: false });
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

/** `[FIRING] critical: GpuTemperatureHigh`: plain text on one line (a chat list shows it unrendered). */
export function titleLine(notice: Notice, words: Words): string {
  const alerts = notice.alerts;
  const severities = [...new Set(alerts.map((a) => a.severity))];
  const names = [...new Set(alerts.map((a) => a.alertname))];
  let name = names.length === 1 ? cutText(names[0], TITLE_NAME_CHARS) : words.alerts(alerts.length);
  if (names.length === 1 && alerts.length > 1) name += ` (${alerts.length})`;
  const severity = severities.map((s) => cutText(s, TITLE_NAME_CHARS)).join('/');
  return plainLine(`${words[notice.kind]}${severity}${words.colon}${name}`);
}

/** How a channel's markdown dialect sets out the lines of an alert block. */
export interface AlertMarkup {
  /** Before each `name: value` line. */
  fieldPrefix: string;
  /** Before the line of runbook and dashboard links and the line of confirm and close links. */
  linksPrefix: string;
  /** A formatted time as the field shows it. */
  time(formatted: string): string;
}

/** Each shown alert's block, then "… and N more" when the shape leaves alerts out. */
export function alertBlocks(notice: Notice, shape: Shape, words: Words, markup: AlertMarkup, withActionLinks: boolean): string[] {
  const heading = notice.alerts.length > 1;
  const blocks = notice.alerts.slice(0, shape.shown).map((alert) => alertBlock(alert, notice, shape, words, markup, { heading, links: withActionLinks }));
  if (shape.shown < notice.alerts.length) blocks.push(moreLine(notice.alerts.length - shape.shown, notice.externalURL, words));
  return blocks;
}

function alertBlock(alert: AlertRecord, notice: Notice, shape: Shape, words: Words, markup: AlertMarkup, show: { heading: boolean; links: boolean }): string {
  const label = (value: string) => markdownText(shape.labelChars === undefined ? value : cutText(value, shape.labelChars));
  const prose = (value: string) => markdownText(shape.textChars === undefined ? value : cutText(value, shape.textChars));
  const lines: string[] = [];
  if (show.heading) lines.push(`**${label(alert.alertname)}** (${label(alert.severity)})`);
  const field = (name: string, value: string) => lines.push(`${markup.fieldPrefix}${name}${words.colon}${value}`);

  const { summary, description } = alert.annotations;
  if (summary) field(words.summary, prose(summary));
  if (description) field(words.description, prose(description));
  // Alertmanager's payload has no sample value: a rule that wants it shown sets a `value` annotation ({{ $value }}).
  if (alert.annotations.value) field(words.value, label(alert.annotations.value));
  if (alert.annotations.threshold) field(words.threshold, label(alert.annotations.threshold));
  const labels = labelsThatMatter(alert.labels);
  if (labels.length > 0) field(words.labels, labels.map(([k, v]) => `${markdownText(k)}=${label(v)}`).join(', '));
  field(words.started, markup.time(formatTime(alert.startsAt, notice.timeZone)));
  if (notice.kind === 'resolved' && alert.endsAt !== undefined) field(words.ended, markup.time(formatTime(alert.endsAt, notice.timeZone)));

  const references = [
    reference(words.runbook, alert.annotations.runbook_url ?? alert.annotations.runbook),
    reference(words.dashboard, alert.annotations.dashboard_url ?? alert.annotations.dashboard),
  ].filter((r) => r !== undefined);
  if (references.length > 0) lines.push(`${markup.linksPrefix}${references.join(' · ')}`);

  const links = show.links ? actionLinks(notice, alert) : undefined;
  if (links) lines.push(`${markup.linksPrefix}[${markdownText(words.confirm)}](${links.confirm}) · [${markdownText(words.close)}](${links.close})`);
  return lines.join('\n');
}

/** Every label but the ones the message already shows (alertname, severity) and Prometheus' internal `__` ones, sorted. */
export function labelsThatMatter(labels: Record<string, string>): [string, string][] {
  return Object.entries(labels)
    .filter(([name]) => name !== 'alertname' && name !== 'severity' && !name.startsWith('__'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A link when the annotation is an http(s) URL; otherwise its text, escaped (it may be a wiki page name). */
function reference(name: string, value: string | undefined): string | undefined {
  if (!value) return undefined;
  return markdownLink(name, value) ?? `${markdownText(name)}: ${markdownText(value)}`;
}

/** The alert's confirm and close links, when the relay has them and both are http(s) URLs. */
export function actionLinks(notice: Notice, alert: AlertRecord): { confirm: string; close: string } | undefined {
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
