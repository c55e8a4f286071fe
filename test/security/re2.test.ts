// §6 of the security issue: `vigil validate` accepts a regex exactly when the real tools do. Every pattern of the table
// goes, in one project, into a PromQL label matcher, a label_replace() regex and an Alertmanager route matcher; the
// expectations are not written here: promtool 2.42 and amtool 0.25 are asked, and Vigil's verdict must equal theirs.
import { cp, mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCommand, runVigilAsync } from '../helpers/cli.ts';
import { matches } from '../../src/model/matchers.ts';
import { prometheusRegexExec, prometheusRegexTest } from '../../src/util/re2-match.ts';
import { prometheusRegex } from '../../src/util/regex.ts';
import {
  alertmanagerMatcherValue,
  amtoolMatcherVerdicts,
  promqlString,
  promtoolLabelReplaceDisagreements,
  promtoolLabelReplaceVerdicts,
  promtoolMatchDisagreements,
  promtoolMatcherVerdicts,
} from './real-tools.ts';

const nested = (depth: number) => `${'('.repeat(depth)}a${')'.repeat(depth)}`;

/** Valid and invalid RE2, and what JavaScript reads differently: the class of inputs, by construct. */
const PATTERNS: readonly string[] = [
  // alternation and groups
  'a', 'a|', '|a', '()', '(|)', '(?:)', '(a)(b)(c)', '(?:a|b)*', '((', '(', ')', 'a)', 'a)(b', '((a)', nested(10), nested(999), nested(1000),
  // flags
  '(?i)abc', 'a(?i)b', '(?i:a)b', '(?U)a*', '(?s).', '(?m)^a$', '(?i-s)a', '(?-i)a', '(?)', '(?i', '(?-)', '(?i-)', '(?i-m-s)', '(?z)', '(?i)*', 'a(?i)*', 'a*(?i)*',
  // Perl groups RE2 has and has not
  '(?P<name>x)', '(?P<n>x)(?P<n>y)', '(?P<>x)', '(?P<a-b>x)', '(?P<n', '(?P=n)', '(?<name>x)', '(?!x)', '(?=x)', '(?<=x)', '(?<!x)', '(?>x)', '(?#c)',
  // Unicode and POSIX classes
  '\\pL', '\\p{Greek}', '\\PL', '\\p{^Greek}', '\\P{^Greek}', '\\p{Any}', '\\p{Yezidi}', '\\p{LC}', '\\p{Vithkuqi}', '\\p{Latn}', '\\p{Foo}', '\\pX', '\\p',
  '[[:alpha:]]', '[[:^digit:]x]', '[[:foo:]]', '[[:alpha]', '[\\d\\p{Lu}]', 'é+', '\\é',
  // bracket expressions
  '[]a]', '[^]a]', '[a-]', '[-a]', '[]', '[^]', '[a', '[z-a]', '[a-\\d]', '[\\b]', '[\\Q]', '[\\]]', '[a-z0-9_]+',
  // escapes
  '\\Qa.b\\E', '\\Q(\\E', '\\Qabc', '\\d\\D\\s\\S\\w\\W', '\\x41', '\\x{1F600}', '\\x{110000}', '\\xG0', '\\x{}', '\\x4', '\\101', '\\0', '\\12', '\\1', '(a)\\1',
  '\\8', '\\_', '\\.', '\\Z', '\\G', '\\C', '\\e', '\\k<n>', '\\cA', '\\A\\z', '\\b\\B', 'abc\\', 'a\\\\', '"quoted"', 'line\nbreak',
  // repetition
  'x{1000}', 'x{1001}', 'x{2,5}', 'x{2,}', 'x{,5}', 'x{01}', 'x{2,1}', 'x{1001,}', 'a{', '{', 'a{1', '{2}', '(x{2}){500}', '(x{2}){501}', '(x{1000}){2,}',
  'x{2}{3}', 'a*?', 'a+?', 'a??', 'a{2}?', 'a*??', 'a++', 'a*+', 'a**', '^*', '$*', '*', '+a', '?', 'a|*', '(*)', '.*',
  // what JavaScript reads differently when it evaluates (case folding, `.`, `\s`, multi-line, classes)
  '(?i)k', '(?i)s', '(?i)é', '(?i)[[:upper:]]', '(?i)\\p{Lu}', '1(?i)a', '(?s)a.b', 'a.b', '(?m)a$', '(?m)^b', '\\s', '\\S', '[^a]', '\\W', '\\x{212A}', '\\p{Lu}',
  '(?i)a(?-i)b',
  // program size: Go refuses regexes that would compile to more than ~3.3M instructions
  '(?:a{1000})'.repeat(3300), '(?:a{1000})'.repeat(3400),
];

/** Matchers have a schema limit (4096 characters); the program-size probes are for PromQL, whose limit is 64 KiB. */
const ROUTE_SIZED = (p: string) => p.length < 4000;

interface Verdicts {
  promtool: (string | undefined)[];
  labelReplace: (string | undefined)[];
  amtool: (string | undefined)[];
  vigil: { matcher: Diag[]; labelReplace: Diag[]; route: Diag[] };
}

interface Diag {
  code: string;
  severity: string;
  message: string;
  file?: string;
  line?: number;
  col?: number;
}

/** The error phrases of Go's regexp/syntax: every regex error Vigil reports names one of them. */
const GO_ERRORS = [
  'missing closing )', 'unexpected )', 'missing closing ]', 'invalid escape sequence', 'invalid or unsupported Perl syntax', 'invalid named capture',
  'invalid repeat count', 'invalid nested repetition operator', 'missing argument to repetition operator', 'invalid character class range',
  'trailing backslash at end of expression', 'expression nests too deeply', 'expression too large', 'invalid UTF-8',
];

const tools = hasCommand('promtool') && hasCommand('amtool');
if (!tools) console.warn('re2.test.ts: skipped, promtool and amtool are not on PATH (.ci/run installs them)');

let dir = '';
let verdicts: Verdicts;

/** A project: the clean base fixture plus one recording rule per pattern and use, and one route per pattern. */
async function writeProject(): Promise<{ matcherLine: Map<number, number>; labelReplaceLine: Map<number, number>; routeLine: Map<number, number> }> {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-re2-'));
  await cp(path.join(import.meta.dirname, '../fixtures/base'), dir, { recursive: true });
  const matcherLine = new Map<number, number>();
  const labelReplaceLine = new Map<number, number>();
  const lines = ['apiVersion: vigil/v1', 'kind: RecordingRules', 'group: re2-probe', 'rules:'];
  PATTERNS.forEach((p, i) => {
    lines.push(`  - record: probe:matcher_${i}:count`, `    expr: ${JSON.stringify(`count(up{job=~${promqlString(p)}})`)}`);
    matcherLine.set(lines.length, i);
    lines.push(`  - record: probe:label_replace_${i}:count`, `    expr: ${JSON.stringify(`count(label_replace(up, "dst", "x", "job", ${promqlString(p)}))`)}`);
    labelReplaceLine.set(lines.length, i);
  });
  await writeFile(path.join(dir, 're2-probe.yaml'), `${lines.join('\n')}\n`);
  // The base routes.yaml ends inside its `routes:` list; each probe route adds a branch there.
  const routeLine = new Map<number, number>();
  const base = 9;
  const routes: string[] = [];
  PATTERNS.forEach((p, i) => {
    if (!ROUTE_SIZED(p)) return;
    routes.push(`  - matchers: [${JSON.stringify(`service=~${alertmanagerMatcherValue(p)}`)}]`, '    receiver: team');
    routeLine.set(base + routes.length - 1, i);
  });
  await appendFile(path.join(dir, 'routes.yaml'), `${routes.join('\n')}\n`);
  return { matcherLine, labelReplaceLine, routeLine };
}

beforeAll(async () => {
  if (!tools) return;
  const { matcherLine, labelReplaceLine, routeLine } = await writeProject();
  const [promtool, labelReplace, amtool, run] = await Promise.all([
    promtoolMatcherVerdicts(PATTERNS),
    promtoolLabelReplaceVerdicts(PATTERNS),
    amtoolMatcherVerdicts(PATTERNS.filter(ROUTE_SIZED)),
    runVigilAsync(['validate', dir, '--format', 'json']),
  ]);
  const diagnostics = (JSON.parse(run.stdout) as { diagnostics: Diag[] }).diagnostics.filter((d) => d.severity === 'error');
  const byLine = (file: string, lines: Map<number, number>, code: string) => {
    const out: Diag[] = [];
    for (const d of diagnostics) {
      if (!d.file?.endsWith(file) || d.code !== code) continue;
      const i = lines.get(d.line!);
      if (i !== undefined && !out[i]) out[i] = d;
    }
    return out;
  };
  const unexpected = diagnostics.filter((d) => !(d.file?.endsWith('re2-probe.yaml') && d.code === 'promql/syntax') && !(d.file?.endsWith('routes.yaml') && d.code === 'route/matcher'));
  expect(unexpected, 'errors other than regex errors').toEqual([]);
  verdicts = {
    promtool,
    labelReplace,
    amtool: PATTERNS.map((p) => (ROUTE_SIZED(p) ? amtool.shift() : undefined)),
    vigil: {
      matcher: byLine('re2-probe.yaml', matcherLine, 'promql/syntax'),
      labelReplace: byLine('re2-probe.yaml', labelReplaceLine, 'promql/syntax'),
      route: byLine('routes.yaml', routeLine, 'route/matcher'),
    },
  };
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('regex evaluation takes linear time, whatever the pattern and the value a definition brings', () => {
  // Backtracking engines take exponential time on these; routing evaluates route matchers against alert labels, both
  // written in the pull request.
  it.each([
    ['(a*)*b', 'a'],
    ['(a+)+$x', 'a'],
    ['(a|aa)*c', 'a'],
    ['(.*a){20}b', 'a'],
    ['(?i)(A|a)*\\d', 'a'],
    ['((a|b|ab)*)*c', 'ab'],
    // too large a program to build: not evaluated (never handed to a backtracking engine)
    [`(a*)*b${'(?:c{1000})'.repeat(250)}`, 'a'],
  ])('%s against 50,000 x %s', (pattern, unit) => {
    const value = unit.repeat(50_000);
    const started = Date.now();
    expect(matches({ label: 'x', op: '=~', value: pattern }, { x: value })).toBe(false);
    expect(matches({ label: 'x', op: '=~', value: pattern }, { x: unit.repeat(30) })).toBe(false);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

const show = (p: string) => JSON.stringify(p.length > 40 ? `${p.slice(0, 40)}… (${p.length} chars)` : p);
const cases = PATTERNS.map((p, i) => [show(p), i] as const);
const routeCases = cases.filter(([, i]) => ROUTE_SIZED(PATTERNS[i]!));

describe.runIf(tools)('regexes: vigil validate agrees with the real tools', () => {
  it('the table holds enough valid and invalid patterns to mean something', () => {
    const invalid = verdicts.promtool.filter(Boolean).length;
    expect(PATTERNS.length).toBeGreaterThanOrEqual(60);
    expect(invalid).toBeGreaterThanOrEqual(30);
    expect(PATTERNS.length - invalid).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('%s as a PromQL label matcher (promtool check rules)', (_, i) => {
    const vigil = verdicts.vigil.matcher[i];
    expect(vigil?.message, `promtool: ${verdicts.promtool[i] ?? 'accepted'}`).toSatisfy((m: string | undefined) => (m === undefined) === (verdicts.promtool[i] === undefined));
    if (vigil) expect(GO_ERRORS.some((e) => vigil.message.includes(`error parsing regexp: ${e}`))).toBe(true);
  });

  it.each(cases)('%s as the regex of label_replace() (promtool test rules)', (_, i) => {
    const vigil = verdicts.vigil.labelReplace[i];
    expect(vigil?.message, `promtool: ${verdicts.labelReplace[i] ?? 'accepted'}`).toSatisfy((m: string | undefined) => (m === undefined) === (verdicts.labelReplace[i] === undefined));
  });

  it.each(routeCases)('%s as an Alertmanager route matcher (amtool check-config)', (_, i) => {
    const vigil = verdicts.vigil.route[i];
    expect(vigil?.message, `amtool: ${verdicts.amtool[i] ?? 'accepted'}`).toSatisfy((m: string | undefined) => (m === undefined) === (verdicts.amtool[i] === undefined));
  });

  it('evaluates every valid pattern as Prometheus does: the same label values match', async () => {
    // Routing (docs/routing.md, vigil test) and test synthesis evaluate regexes in JavaScript; Prometheus is the judge.
    const samples = ['', 'a', 'A', 'b', 'ab', 'aB', 'AB', 'abc', 'x', 'xx', 'y', '1', '_', '.', 'a.b', 'axb', '\n', '\r', '\v', ' ', 'a\nb', 'é', 'É',
      'α', 'Ω', '😀', '(', ')', '{', 'a{', '[', ']', '\\', '"quoted"', 'line\nbreak', 'k', 'K', '\u212a', 's', 'S', '\u017f'];
    const valid = PATTERNS.filter((p, i) => verdicts.promtool[i] === undefined && p.length < 1000);
    const readable = valid.filter((p) => prometheusRegex(p));
    // JavaScript cannot switch case-insensitivity mid-pattern; such patterns are the only ones left unevaluated.
    expect(valid.filter((p) => !prometheusRegex(p))).toEqual(['a(?i)b', '(?i:a)b', '(?i)a(?-i)b']);
    // Both evaluators: JavaScript's RegExp (label_replace captures in vigil test) and the linear-time matcher (routing).
    const [js, linear] = await Promise.all([
      promtoolMatchDisagreements(readable, samples, (p) => samples.map((v) => prometheusRegex(p)!.test(v))),
      promtoolMatchDisagreements(valid, samples, (p) => samples.map((v) => prometheusRegexTest(p)!(v))),
    ]);
    expect([...js.values()], 'JavaScript RegExp').toEqual([]);
    expect([...linear.values()], 'linear-time matcher').toEqual([]);
  });

  it("captures what Prometheus captures: label_replace's groups, leftmost-first, named and numbered", async () => {
    const cases = [
      { pattern: '(a|ab)(c|bcd)(d*)', replacement: '$1-$2-$3' },
      { pattern: '(a*)(a*)', replacement: '${1}|${2}' },
      { pattern: '(a*?)(a*)', replacement: '${1}|${2}' },
      { pattern: '(?U)(a+)(a*)', replacement: '${1}|${2}' },
      { pattern: '(?U)(a+?)(a*)', replacement: '${1}|${2}' },
      { pattern: '(?P<host>[^:]+):(?P<port>\\d+)', replacement: '${port}@${host}' },
      { pattern: '(?P<x>a)|(?P<x>b)', replacement: '[$1][$2][$x]' },
      { pattern: '(?i)(A)(B)?', replacement: '$2$1' },
      { pattern: '((a)|b)+', replacement: '$1/$2' },
      { pattern: '(.*)', replacement: 'v=$1' },
      { pattern: '(x)?', replacement: 'got:$1' },
      { pattern: 'a(?i)(b)', replacement: '$1' },
    ];
    const samples = ['', 'a', 'aa', 'ab', 'abcd', 'aB', 'AB', 'A', 'b', 'abab', 'ba', 'db:5432', 'x', 'xx'];
    const expand = (template: string, m: RegExpExecArray) =>
      template.replace(/\$(?:\{(\w+)\}|(\w+))/g, (_, a: string | undefined, b: string | undefined) => {
        const ref = (a ?? b)!;
        return (/^\d+$/.test(ref) ? m[Number(ref)] : m.groups?.[ref]) ?? '';
      });
    const disagreements = await promtoolLabelReplaceDisagreements(cases, samples, (pattern, replacement, sample) => {
      const m = prometheusRegexExec(pattern)!(sample);
      return m ? expand(replacement, m) || undefined : undefined;
    });
    expect([...disagreements.values()]).toEqual([]);
  });

  it('locates each regex error inside the string, not at the rule', () => {
    for (const d of [...verdicts.vigil.matcher, ...verdicts.vigil.labelReplace].filter(Boolean)) {
      // `    expr: "count(up{job=~"` puts the pattern's first character at column 24 at the earliest.
      expect(d.col, d.message).toBeGreaterThanOrEqual(24);
    }
  });
});
