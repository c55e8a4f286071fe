import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasCommand } from '../../test/helpers/cli.ts';
import { parseGoLabelSet, parsePromtoolOutput, PromtoolOutputError, readGoQuoted, type PromtoolError } from './promtool-output.ts';

/** Outputs of the real promtool 2.42, captured by test/fixtures/tests/promtool-output/capture.sh (inputs beside them). */
const DIR = path.resolve(import.meta.dirname, '../../test/fixtures/tests/promtool-output');
const read = (f: string) => readFile(path.join(DIR, f), 'utf8');

const WEIRD = 'a, b: c\nd\t"q" \\ é ☃ 😀 \x01 \x7f \u00a0 \u2028 \ufeff';

describe('parsePromtoolOutput on captured outputs', () => {
  it('reads every failing alert check with its test, alertname, time and the full labels and annotations that fired', async () => {
    const run = parsePromtoolOutput(await read('probe.out.txt'));
    expect(run.preamble).toEqual([]);
    expect(run.files.map((f) => [f.file, f.passed])).toEqual([['probe.test.yml', false]]);
    const errors = run.files[0]!.errors;
    const alerts = errors.filter((e): e is Extract<PromtoolError, { kind: 'alert' }> => e.kind === 'alert');
    expect(alerts.map((a) => [a.test, a.alertname, a.time, a.timeMs, a.got.length])).toEqual([
      ['probe one', 'High', '30s', 30_000, 1],
      ['probe one', 'Bytes', '1m30s', 90_000, 1],
      ['probe one', 'High', '5m', 300_000, 2],
      ['probe, two: x', 'Other, alert', '3m', 180_000, 1],
      ['probe, two: x', 'High', '1d', 86_400_000, 0],
    ]);
    expect(alerts[2]!.got).toEqual([
      { labels: { alertname: 'High', gpu: '0', instance: 'a', severity: 'critical', team: 'x' }, annotations: { summary: 'crit 0' } },
      { labels: { alertname: 'High', gpu: '0', instance: 'a', severity: 'warning', team: 'x' }, annotations: { summary: 'v=96 on a', weird: WEIRD } },
    ]);
    expect(alerts[3]!.got).toEqual([{ labels: { alertname: 'Other, alert', instance: 'b' }, annotations: {} }]);
    // A non-empty exp list and got:[].
    expect(alerts[4]!.expected).toEqual([{ labels: { alertname: 'High', severity: 'warning', team: 'x' }, annotations: {} }]);
    expect(alerts[4]!.got).toEqual([]);
  });

  it('decodes escaped quotes and backslashes in labels, and bytes that are not UTF-8', async () => {
    const run = parsePromtoolOutput(await read('probe.out.txt'));
    const bytes = run.files[0]!.errors.find((e) => e.kind === 'alert' && e.alertname === 'Bytes') as Extract<PromtoolError, { kind: 'alert' }>;
    expect(bytes.got[0]!.labels.v).toBe('q"uote\\back');
    expect(bytes.got[0]!.annotations.label).toBe('q"uote\\back');
    expect(bytes.got[0]!.annotations.invalid).toBe('\ufffd\ufffd bytes');
  });

  it('reads expression failures (mismatch and query error) and names the test they follow', async () => {
    const run = parsePromtoolOutput(await read('probe.out.txt'));
    const exprs = run.files[0]!.errors.filter((e) => e.kind === 'expr');
    expect(exprs).toMatchObject([
      { kind: 'expr', expr: 'job:m:sum', time: '1m', timeMs: 60_000, expected: 'nil', got: '{__name__="job:m:sum"} 9.6E+01', test: 'probe one' },
      { kind: 'expr', expr: 'm +', time: '1m', error: '1:4: parse error: unexpected end of input', test: 'probe one' },
    ]);
  });

  it('reads series parse errors, rule-file errors, warnings, evaluation errors and malformed files, file by file', async () => {
    const run = parsePromtoolOutput(await read('errors.out.txt'));
    expect(run.files.map((f) => f.file)).toEqual(['series-errors.test.yml', 'errors.test.yml', 'eval-error.test.yml', 'malformed.test.yml']);
    expect(run.files.every((f) => !f.passed)).toBe(true);
    expect(run.files[0]!.errors).toEqual([
      { kind: 'series', line: 1, col: 9, message: "unexpected character inside braces: '1'", text: "1:9: parse error: unexpected character inside braces: '1'" },
      { kind: 'series', line: 1, col: 16, message: 'unexpected "x" in series values', text: '1:16: parse error: unexpected "x" in series values' },
      { kind: 'series', line: 1, col: 4, message: 'unexpected <op:!=> in label set, expected "="', text: '1:4: parse error: unexpected <op:!=> in label set, expected "="' },
    ]);
    expect(run.files[1]!.warnings).toEqual(['no file match pattern missing.yml']);
    expect(run.files[1]!.errors).toEqual([{ kind: 'other', text: 'broken-rules.yml: 5:15: group "broken", rule 1, "Bad": could not parse expression: 1:4: parse error: unexpected end of input' }]);
    expect(run.files[2]!.errors).toMatchObject([{ kind: 'eval', rule: 'Err', time: '0s', error: 'invalid regular expression in label_replace(): (' }]);
    expect(run.files[3]!.errors).toEqual([{ kind: 'other', text: 'yaml: unmarshal errors:\n  line 4: field bogus not found in type main.series' }]);
  });

  it('reports a passing file as SUCCESS with no errors', () => {
    const run = parsePromtoolOutput('Unit Testing:  a.yml\n  SUCCESS\n\nUnit Testing:  b.yml\n  WARNING: no file match pattern x.yml\n  SUCCESS\n\n');
    expect(run.files).toEqual([
      { file: 'a.yml', passed: true, warnings: [], errors: [] },
      { file: 'b.yml', passed: true, warnings: ['no file match pattern x.yml'], errors: [] },
    ]);
  });

  it('keeps lines before any file (promtool usage errors) apart, and fails loudly on a truncated alert list', () => {
    expect(parsePromtoolOutput("promtool: error: path 'x.yml' does not exist, try --help\n").preamble).toEqual(["promtool: error: path 'x.yml' does not exist, try --help"]);
    const truncated = 'Unit Testing:  a.yml\n  FAILED:\n    name: t,\n    alertname: A, time: 1m, \n        exp:[], \n        got:[\n            0:\n';
    expect(() => parsePromtoolOutput(truncated)).toThrow(PromtoolOutputError);
  });

  it.skipIf(!hasCommand('promtool'))('the captured outputs are what the installed promtool prints today', async () => {
    const live = spawnSync('sh', ['-c', 'promtool test rules probe.test.yml 2>&1'], { cwd: DIR, encoding: 'utf8' });
    expect(parsePromtoolOutput(live.stdout)).toEqual(parsePromtoolOutput(await read('probe.out.txt')));
  });
});

describe('Go quoting', () => {
  it('decodes every escape strconv.Quote produces', () => {
    const cases: [string, string][] = [
      ['"plain"', 'plain'],
      ['"a\\nb\\tc\\rd"', 'a\nb\tc\rd'],
      ['"\\a\\b\\f\\v"', '\x07\x08\x0c\x0b'],
      ['"\\"q\\" \\\\"', '"q" \\'],
      ['"\\x01\\x7f"', '\x01\x7f'],
      ['"\\u00a0\\u2028\\ufeff"', '\u00a0\u2028\ufeff'],
      ['"\\U0001f600"', '😀'],
      ['"é ☃ 😀"', 'é ☃ 😀'],
      ['"\\xc3\\xa9"', 'é'], // two bytes that are UTF-8 together
      ['"\\101"', 'A'], // octal
      ['"\\xff"', '\ufffd'],
    ];
    for (const [quoted, value] of cases) expect(readGoQuoted(quoted, 0), quoted).toEqual({ value, end: quoted.length });
  });

  it('rejects what is not a complete literal', () => {
    for (const bad of ['plain', '"open', '"\\q"', '"\\x1"', '"\\u12"', '"\\']) expect(readGoQuoted(bad, 0), bad).toBeUndefined();
  });

  it('parses label sets whose values hold the separators', () => {
    expect(parseGoLabelSet('{}')).toEqual({});
    expect(parseGoLabelSet('{a="x, y=\\"z\\"}", b=""}')).toEqual({ a: 'x, y="z"}', b: '' });
    expect(() => parseGoLabelSet('{a=x}')).toThrow(PromtoolOutputError);
    expect(() => parseGoLabelSet('{a="x" b="y"}')).toThrow(PromtoolOutputError);
  });

  // A label named as a property of Object.prototype is a label of the set like any other, `__proto__` too.
  it.each(['__proto__', 'constructor', 'toString'])('parses a label named %s as the set\'s own', (name) => {
    const set = parseGoLabelSet(`{${name}="x", team="app"}`);
    expect(Object.keys(set)).toEqual([name, 'team']);
    expect(Object.getOwnPropertyDescriptor(set, name)?.value).toBe('x');
    expect(Object.getPrototypeOf(set)).toBe(Object.prototype);
  });
});
