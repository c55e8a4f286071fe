import { setOwn } from '../util/own.ts';
import { parseDuration } from '../util/duration.ts';

/**
 * A parser for what `promtool test rules` (Prometheus 2.42) prints, read from ONE stream that carries both its stdout
 * and its stderr in order (the runner points both at the same file): promtool prints `Unit Testing:  <file>` and the
 * blank line after each error on stdout, but `FAILED:` and the errors themselves on stderr, so only the merged stream
 * tells which file and which test an error belongs to.
 *
 * ```
 * Unit Testing:  tests/p1.yml
 *   WARNING: no file match pattern missing.yml
 *   FAILED:
 *     name: probe one,
 *     alertname: High, time: 5m,␠
 *         exp:[],␠
 *         got:[
 *             0:
 *               Labels:{alertname="High", instance="a", severity="critical"}
 *               Annotations:{summary="crit 0"}
 *             ]
 *
 *     expr: "job:m:sum", time: 1m,
 *         exp: {__name__="job:m:sum"} 1E+00
 *         got: {__name__="job:m:sum"} 9.6E+01
 *
 *     rule: Err, time: 0s, err: invalid regular expression in label_replace(): (
 *
 * 1:10: parse error: unexpected character inside braces: '1'
 *
 *
 * Unit Testing:  tests/p2.yml
 *   SUCCESS
 * ```
 *
 * Label and annotation values are Go-quoted (strconv.Quote): `\n \t \" \\ \xNN \uNNNN \UNNNNNNNN` and friends; label
 * names are bare. Test names and alert names are printed raw and may contain `, ` (so the `name:` and `alertname:`
 * lines are split at their LAST `,` / `, time: `). Passing checks print nothing. A test without a name gets no
 * `name:` line, and expression failures never name their test: callers that need to attribute every error should run
 * one test per file.
 */

export interface FiredAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export type PromtoolError =
  | {
      kind: 'alert';
      /** The test's name, when it has one. */
      test?: string;
      alertname: string;
      /** As promtool prints it (Go's model.Duration: `1m30s`, `1d`). */
      time: string;
      timeMs: number;
      expected: FiredAlert[];
      got: FiredAlert[];
      text: string;
    }
  | {
      kind: 'expr';
      /** The name of the last test that printed one in this file; promtool does not name the test of an expression. */
      test?: string;
      expr: string;
      time: string;
      timeMs: number;
      /** promtool's rendering of the expected and actual samples (`nil` for none). */
      expected?: string;
      got?: string;
      /** Set when the query itself failed (parse or evaluation error). */
      error?: string;
      text: string;
    }
  | { kind: 'eval'; rule: string; time: string; error: string; text: string }
  /** The input series did not parse: promtool's line:col are relative to ONE series line (`<series> <values>`). */
  | { kind: 'series'; line: number; col: number; message: string; text: string }
  /** Anything else: a rule file that does not load, a malformed test file. */
  | { kind: 'other'; text: string };

export interface PromtoolFileResult {
  file: string;
  passed: boolean;
  warnings: string[];
  errors: PromtoolError[];
}

export interface PromtoolRun {
  files: PromtoolFileResult[];
  /** Lines outside any `Unit Testing:` section (promtool's own usage errors). */
  preamble: string[];
}

const FILE_LINE = /^Unit Testing: {2}(.*)$/;
const NAME_LINE = /^ {4}name: (.*),$/;
const ALERT_LINE = /^ {4}alertname: (.*), time: (\S+), ?$/;
const RULE_LINE = /^ {4}rule: (.*), time: (\S+), err: (.*)$/;
const SERIES_ERROR = /^(\d+):(\d+): parse error: (.*)$/;

export function parsePromtoolOutput(output: string): PromtoolRun {
  const lines = output.replace(/\r\n/g, '\n').split('\n');
  const run: PromtoolRun = { files: [], preamble: [] };
  let current: PromtoolFileResult | undefined;
  let lastName: string | undefined;
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const file = FILE_LINE.exec(line);
    if (file) {
      current = { file: file[1]!, passed: true, warnings: [], errors: [] };
      run.files.push(current);
      lastName = undefined;
      i++;
      continue;
    }
    if (!current) {
      if (line.trim() !== '') run.preamble.push(line);
      i++;
      continue;
    }
    if (line.trim() === '') {
      i++;
      continue;
    }
    if (line.startsWith('  WARNING: ')) {
      current.warnings.push(line.slice('  WARNING: '.length));
      i++;
      continue;
    }
    if (line === '  SUCCESS') {
      current.passed = true;
      i++;
      continue;
    }
    if (line === '  FAILED:') {
      current.passed = false;
      i++;
      continue;
    }
    // One error.
    const start = i;
    let test: string | undefined;
    const name = NAME_LINE.exec(line);
    if (name && ALERT_LINE.test(lines[i + 1] ?? '')) {
      test = lastName = name[1]!;
      i++;
    }
    const alert = ALERT_LINE.exec(lines[i]!);
    if (alert) {
      i++;
      const expected = readAlertList(lines, i, 'exp');
      i = expected.next;
      const got = readAlertList(lines, i, 'got');
      i = got.next;
      current.errors.push({
        kind: 'alert',
        ...(test !== undefined ? { test } : {}),
        alertname: alert[1]!,
        time: alert[2]!,
        timeMs: parseDuration(alert[2]!),
        expected: expected.alerts,
        got: got.alerts,
        text: lines.slice(start, i).join('\n'),
      });
      continue;
    }
    i = start;
    if (line.startsWith('    expr: "')) {
      const parsed = readExprError(lines, i);
      if (parsed) {
        i = parsed.next;
        current.errors.push({ ...parsed.error, ...(lastName !== undefined ? { test: lastName } : {}), text: lines.slice(start, i).join('\n') });
        continue;
      }
    }
    const rule = RULE_LINE.exec(line);
    const block = readBlock(lines, i);
    i = block.next;
    if (rule) {
      const rest = block.lines.slice(1).join('\n');
      current.errors.push({ kind: 'eval', rule: rule[1]!, time: rule[2]!, error: rest ? `${rule[3]}\n${rest}` : rule[3]!, text: block.lines.join('\n') });
      continue;
    }
    const series = SERIES_ERROR.exec(line);
    if (series && block.lines.length === 1) {
      current.errors.push({ kind: 'series', line: Number(series[1]), col: Number(series[2]), message: series[3]!, text: line });
      continue;
    }
    current.errors.push({ kind: 'other', text: block.lines.join('\n') });
  }
  return run;
}

/** Lines up to the next blank line (errors are separated by one) or the next file section. */
function readBlock(lines: string[], i: number): { lines: string[]; next: number } {
  const out: string[] = [];
  while (i < lines.length && lines[i]!.trim() !== '' && !FILE_LINE.test(lines[i]!)) out.push(lines[i++]!);
  return { lines: out, next: i };
}

/**
 * `        exp:[], ` or
 * ```
 *         exp:[
 *             0:
 *               Labels:{…}
 *               Annotations:{…},
 *             1:
 *               …
 *             ],␠
 * ```
 */
function readAlertList(lines: string[], i: number, key: 'exp' | 'got'): { alerts: FiredAlert[]; next: number } {
  const head = lines[i] ?? '';
  const prefix = `        ${key}:`;
  if (!head.startsWith(prefix)) throw new PromtoolOutputError(`expected "${key}:" at line ${i + 1} of promtool's output, got ${JSON.stringify(head)}`);
  const rest = head.slice(prefix.length).trimEnd();
  if (rest === '[]' || rest === '[],') return { alerts: [], next: i + 1 };
  if (rest !== '[') throw new PromtoolOutputError(`unexpected ${key} list at line ${i + 1} of promtool's output: ${JSON.stringify(head)}`);
  i++;
  const alerts: FiredAlert[] = [];
  for (;;) {
    const line = lines[i];
    if (line === undefined) throw new PromtoolOutputError(`promtool's output ends inside the ${key} list`);
    const trimmed = line.trim();
    if (trimmed === ']' || trimmed === '],') return { alerts, next: i + 1 };
    if (/^\d+:$/.test(trimmed)) {
      const labelsLine = (lines[i + 1] ?? '').trim();
      const annotationsLine = (lines[i + 2] ?? '').trim();
      if (!labelsLine.startsWith('Labels:') || !annotationsLine.startsWith('Annotations:')) {
        throw new PromtoolOutputError(`expected Labels: and Annotations: after "${trimmed}" at line ${i + 1} of promtool's output`);
      }
      alerts.push({
        labels: parseGoLabelSet(labelsLine.slice('Labels:'.length)),
        annotations: parseGoLabelSet(annotationsLine.slice('Annotations:'.length).replace(/,$/, '')),
      });
      i += 3;
      continue;
    }
    throw new PromtoolOutputError(`unexpected line ${i + 1} in promtool's ${key} list: ${JSON.stringify(line)}`);
  }
}

/**
 * `    expr: "q", time: 1m, err: …` or
 * ```
 *     expr: "q", time: 1m,
 *         exp: …
 *         got: …
 * ```
 */
function readExprError(lines: string[], i: number): { error: Extract<PromtoolError, { kind: 'expr' }>; next: number } | undefined {
  const line = lines[i]!;
  const quoted = readGoQuoted(line, '    expr: '.length);
  if (!quoted) return undefined;
  const after = line.slice(quoted.end);
  const m = /^, time: (\S+),(?: err: (.*))?$/.exec(after);
  if (!m) return undefined;
  const base = { kind: 'expr' as const, expr: quoted.value, time: m[1]!, timeMs: parseDuration(m[1]!), text: '' };
  if (m[2] !== undefined) {
    const block = readBlock(lines, i);
    const more = block.lines.slice(1);
    return { error: { ...base, error: [m[2], ...more].join('\n') }, next: block.next };
  }
  const exp = /^ {8}exp: (.*)$/.exec(lines[i + 1] ?? '');
  const got = /^ {8}got: (.*)$/.exec(lines[i + 2] ?? '');
  if (!exp || !got) return undefined;
  return { error: { ...base, expected: exp[1]!, got: got[1]! }, next: i + 3 };
}

export class PromtoolOutputError extends Error {}

/** `{a="1", b="x\ny"}` → { a: '1', b: 'x\ny' }. */
export function parseGoLabelSet(text: string): Record<string, string> {
  const s = text.trim();
  if (!s.startsWith('{') || !s.endsWith('}')) throw new PromtoolOutputError(`not a label set: ${JSON.stringify(text)}`);
  const out: Record<string, string> = {};
  let i = 1;
  if (s[i] === '}') return out;
  for (;;) {
    const name = /^[^=\s{},"]+/.exec(s.slice(i));
    if (!name) throw new PromtoolOutputError(`expected a label name at ${i} in ${JSON.stringify(text)}`);
    i += name[0].length;
    if (s[i] !== '=') throw new PromtoolOutputError(`expected "=" at ${i} in ${JSON.stringify(text)}`);
    const value = readGoQuoted(s, i + 1);
    if (!value) throw new PromtoolOutputError(`expected a quoted value at ${i + 1} in ${JSON.stringify(text)}`);
    // `__proto__` is a label name too: set as the set's own, not as its prototype.
    setOwn(out, name[0], value.value);
    i = value.end;
    if (s[i] === '}' && i === s.length - 1) return out;
    if (s.slice(i, i + 2) !== ', ') throw new PromtoolOutputError(`expected ", " or "}" at ${i} in ${JSON.stringify(text)}`);
    i += 2;
  }
}

const SIMPLE_ESCAPES: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34, "'": 39 };

/**
 * Reads the Go double-quoted string literal starting at `start` (which must be `"`): the value and the offset after the
 * closing quote. Escapes are decoded to BYTES first (`\xff` is one byte, `\u00e9` two), then the bytes as UTF-8, as Go
 * strings are byte strings; bytes that are not UTF-8 become U+FFFD.
 */
export function readGoQuoted(text: string, start: number): { value: string; end: number } | undefined {
  if (text[start] !== '"') return undefined;
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  let i = start + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') return { value: Buffer.from(bytes).toString('utf8'), end: i + 1 };
    if (c !== '\\') {
      const cp = text.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      bytes.push(...encoder.encode(ch));
      i += ch.length;
      continue;
    }
    const e = text[i + 1];
    if (e === undefined) return undefined;
    if (e in SIMPLE_ESCAPES) {
      bytes.push(SIMPLE_ESCAPES[e]!);
      i += 2;
    } else if (e === 'x') {
      const hex = text.slice(i + 2, i + 4);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 4;
    } else if (e === 'u' || e === 'U') {
      const len = e === 'u' ? 4 : 8;
      const hex = text.slice(i + 2, i + 2 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) return undefined;
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff) return undefined;
      bytes.push(...encoder.encode(String.fromCodePoint(cp)));
      i += 2 + len;
    } else if (/[0-7]/.test(e)) {
      const oct = text.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct)) return undefined;
      bytes.push(parseInt(oct, 8) & 0xff);
      i += 4;
    } else return undefined;
  }
  return undefined;
}
