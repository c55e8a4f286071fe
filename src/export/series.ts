/**
 * `vigil export data`: the time range and step a user gives, and the series Prometheus answers, as CSV or JSON. Pure;
 * the HTTP call is the command's.
 */
import { ownValue } from '../util/own.ts';
import { parseDuration } from '../util/duration.ts';

/** Prometheus refuses a range query of more than 11,000 points per series. */
export const MAX_POINTS = 11_000;

export interface Series {
  labels: Record<string, string>;
  /** [unix seconds, value as Prometheus writes it ("1", "NaN", "+Inf")] */
  values: [number, string][];
}

export class ExportUsage extends Error {}

/**
 * `now`, `now-1h`, RFC 3339 (`2024-01-01T00:00:00Z`), or unix seconds; in unix seconds. `now` is passed in, so the
 * same arguments give the same range within one run.
 */
export function parseTime(text: string, nowSeconds: number, what: string): number {
  const t = text.trim();
  const relative = /^now(?:\s*-\s*(.+))?$/.exec(t);
  if (relative) {
    if (relative[1] === undefined) return nowSeconds;
    const ms = parseDuration(relative[1]);
    if (!Number.isFinite(ms)) throw new ExportUsage(`${what} ${JSON.stringify(text)}: "${relative[1]}" is not a duration (such as 1h or 30m)`);
    return nowSeconds - ms / 1000;
  }
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return ms / 1000;
  }
  throw new ExportUsage(`${what} ${JSON.stringify(text)}: not a time; use now, now-1h, 2024-01-01T00:00:00Z or unix seconds`);
}

export interface Range {
  start: number;
  end: number;
  step: number;
}

/** The range, with a step that keeps every series under Prometheus' point limit (default: about 250 points). */
export function queryRange(fromText: string, toText: string, stepText: string | undefined, nowSeconds: number): Range {
  const start = parseTime(fromText, nowSeconds, '--from');
  const end = parseTime(toText, nowSeconds, '--to');
  if (!(end > start)) throw new ExportUsage(`--to must be later than --from (${iso(start)} … ${iso(end)})`);
  let step: number;
  if (stepText === undefined) step = Math.max(1, Math.ceil((end - start) / 250));
  else {
    const ms = /^\d+(\.\d+)?$/.test(stepText) ? Number(stepText) * 1000 : parseDuration(stepText);
    if (!Number.isFinite(ms) || ms <= 0) throw new ExportUsage(`--step ${JSON.stringify(stepText)}: not a duration (such as 15s or 1m)`);
    step = ms / 1000;
  }
  const points = Math.floor((end - start) / step) + 1;
  if (points > MAX_POINTS) throw new ExportUsage(`${points.toLocaleString('en-US')} points per series at --step ${stepText}: Prometheus answers at most ${MAX_POINTS.toLocaleString('en-US')}; use a step of at least ${Math.ceil((end - start) / (MAX_POINTS - 1))}s, or a shorter range`);
  return { start, end, step };
}

export const iso = (seconds: number) => new Date(Math.round(seconds * 1000)).toISOString();

/** The series of a `matrix` answer; throws on any other shape (the command reports it as Prometheus' fault). */
export function seriesOf(answer: unknown): Series[] {
  const data = (answer as { data?: { resultType?: string; result?: unknown } })?.data;
  if (data?.resultType !== 'matrix' || !Array.isArray(data.result)) throw new Error(`expected a matrix, got ${data?.resultType ?? 'no data'}`);
  return data.result.map((r: { metric?: Record<string, string>; values?: [number, string][] }) => ({ labels: r.metric ?? {}, values: (r.values ?? []).map(([t, v]) => [Number(t), String(v)] as [number, string]) }));
}

/**
 * Long CSV: one row per sample, a column per label name (`__name__` first, the rest sorted), then `timestamp`
 * (RFC 3339, UTC) and `value`. A label value a spreadsheet would run as a formula (=, +, -, @ first) is written with
 * a leading apostrophe: series labels come from whoever controls the metrics.
 */
export function toCsv(series: readonly Series[]): string {
  const names = [...new Set(series.flatMap((s) => Object.keys(s.labels)))].sort((a, b) => (a === '__name__' ? -1 : b === '__name__' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  const lines = [[...names, 'timestamp', 'value'].map(csvField).join(',')];
  for (const s of series) {
    const labels = names.map((n) => csvField(inert(ownValue(s.labels, n) ?? '')));
    for (const [t, v] of s.values) lines.push([...labels, iso(t), csvField(v)].join(','));
  }
  return `${lines.join('\n')}\n`;
}

function inert(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function toJson(query: string, range: Range, series: readonly Series[]): string {
  return `${JSON.stringify({ query, start: iso(range.start), end: iso(range.end), step: range.step, series }, null, 2)}\n`;
}
