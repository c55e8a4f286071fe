/**
 * Reads the Prometheus text exposition format (version 0.0.4, what every exporter serves on /metrics) into metric
 * families: name, type, help and the label names its samples carry. Values are not kept: a catalogue needs the shape
 * of the series, not their numbers.
 */

export type ExposedType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface ExposedMetric {
  name: string;
  type: ExposedType;
  help: string;
  /** Label names seen on its samples, sorted; le and quantile left out (Prometheus knows them). */
  labels: string[];
  /** False when the family was announced (# HELP/# TYPE) without a sample: its labels are then unknown. */
  sampled: boolean;
}

export class ExpositionError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const TYPES = new Set<ExposedType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SERIES_SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count'] };

interface Family {
  name: string;
  type?: ExposedType;
  help?: string;
  labels: Set<string>;
  sampled: boolean;
}

/** Every family of an exposition, in the order they first appear. Throws ExpositionError at the first malformed line. */
export function parseExposition(text: string): ExposedMetric[] {
  const families = new Map<string, Family>();
  const family = (name: string) => families.get(name) ?? families.set(name, { name, labels: new Set(), sampled: false }).get(name)!;
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    const at = i + 1;
    if (!line) return;
    if (line.startsWith('#')) {
      const m = /^#\s*(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (!m) return; // any other comment
      const [, keyword, name, rest = ''] = m;
      if (!NAME.test(name!)) throw new ExpositionError(`"${name}" is not a metric name`, at);
      if (keyword === 'HELP') family(name!).help = unescapeHelp(rest);
      else {
        const type = rest.trim() as ExposedType;
        if (!TYPES.has(type)) throw new ExpositionError(`unknown metric type "${rest.trim()}" for ${name}`, at);
        family(name!).type = type;
      }
      return;
    }
    const sample = parseSample(line, at);
    const owner = familyOfSeries(sample.name, families);
    const f = owner ?? family(sample.name);
    f.sampled = true;
    for (const label of sample.labels) {
      if ((label === 'le' && f.type === 'histogram') || (label === 'quantile' && f.type === 'summary')) continue;
      f.labels.add(label);
    }
  });
  if (families.size === 0) throw new ExpositionError('no metric in it', 1);
  return [...families.values()].map((f) => ({ name: f.name, type: f.type ?? 'untyped', help: f.help ?? '', labels: [...f.labels].sort(), sampled: f.sampled }));
}

/** The histogram or summary a series such as `x_bucket` belongs to, when its family was declared. */
function familyOfSeries(series: string, families: Map<string, Family>): Family | undefined {
  const own = families.get(series);
  if (own?.type && own.type !== 'untyped') return own;
  for (const [type, suffixes] of Object.entries(SERIES_SUFFIXES)) {
    for (const suffix of suffixes) {
      if (!series.endsWith(suffix)) continue;
      const base = families.get(series.slice(0, -suffix.length));
      if (base?.type === type) return base;
    }
  }
  return own;
}

function parseSample(line: string, at: number): { name: string; labels: string[] } {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!nameMatch) throw new ExpositionError(`not a sample line: ${preview(line)}`, at);
  const name = nameMatch[0];
  let pos = name.length;
  const labels: string[] = [];
  if (line[pos] === '{') {
    pos++;
    for (;;) {
      while (line[pos] === ' ') pos++;
      if (line[pos] === '}') break;
      const label = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(pos));
      if (!label || !LABEL_NAME.test(label[0])) throw new ExpositionError(`bad label name in ${preview(line)}`, at);
      pos += label[0].length;
      while (line[pos] === ' ') pos++;
      if (line[pos] !== '=' || line[pos + 1] !== '"') throw new ExpositionError(`expected ="…" after label ${label[0]} in ${preview(line)}`, at);
      pos += 2;
      while (pos < line.length && line[pos] !== '"') pos += line[pos] === '\\' ? 2 : 1;
      if (pos >= line.length) throw new ExpositionError(`unterminated label value in ${preview(line)}`, at);
      pos++;
      labels.push(label[0]);
      while (line[pos] === ' ') pos++;
      if (line[pos] === ',') pos++;
      else if (line[pos] !== '}') throw new ExpositionError(`expected , or } in ${preview(line)}`, at);
    }
    pos++;
  }
  const [value, timestamp, extra] = line.slice(pos).trim().split(/\s+/);
  if (value === undefined || !isSampleValue(value) || extra !== undefined || (timestamp !== undefined && !/^-?\d+$/.test(timestamp))) {
    throw new ExpositionError(`not a sample line: ${preview(line)}`, at);
  }
  return { name, labels };
}

function isSampleValue(v: string): boolean {
  return /^(?:[+-]?Inf|NaN)$/.test(v) || (v !== '' && !Number.isNaN(Number(v)));
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

function preview(line: string): string {
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line);
}
