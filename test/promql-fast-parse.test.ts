import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Node } from '../src/promql/ast.ts';
import { analyzePromql, withFastParseTree, withLezerOnly, withoutFusedAnalysis } from '../src/promql/analyze.ts';
import { fastAnalysis } from '../src/promql/fast-analysis.ts';
import { fastParse } from '../src/promql/fast-parse.ts';
import { substituteGrafanaVariables } from '../src/promql/grafana.ts';
import { promqlParser } from '../src/promql/lezer.ts';
import { rewriteUnknownCalls } from '../src/promql/prepare.ts';
import { writeSyntheticProject } from './bench/synthetic.ts';
import { promqlMutations } from './helpers/promql-mutations.ts';

/**
 * The hand-written parser (src/promql/fast-parse.ts) against lezer: wherever it accepts an expression, its tree must
 * be lezer's node for node (type name, from, to, nesting) and the analysis the same object (key order and
 * undefined-valued keys included), over the repository's quoted strings, the synthetic project's expressions and
 * seeded random mutations of them.
 */

const ROOT = path.resolve(import.meta.dirname, '..');

function lezerDump(text: string): string {
  let out = '';
  promqlParser()
    .parse(text)
    .iterate({
      enter: (n) => {
        out += `${n.name}[${n.from},${n.to}](`;
      },
      leave: () => {
        out += ')';
      },
    });
  return out;
}

function fastDump(n: Node): string {
  let out = `${n.name}[${n.from},${n.to}](`;
  for (let c = n.firstChild; c; c = c.nextSibling) out += fastDump(c);
  return `${out})`;
}

/** The text analyzeUnsafe parses, as there. */
function prepared(expr: string, grafana: boolean) {
  const first = grafana ? substituteGrafanaVariables(expr).text : expr;
  return { text: rewriteUnknownCalls(first).text };
}

const show = (v: unknown) => inspect(v, { depth: Infinity, showHidden: false, sorted: false, breakLength: Infinity });

interface Outcome {
  cases: number;
  accepted: number;
  mismatches: string[];
}

const rate = (what: string, r: Outcome) => console.info(`fast-parse ${what}: ${r.accepted} of ${r.cases} accepted (${((100 * r.accepted) / r.cases).toFixed(1)} %)`);

function compare(exprs: Iterable<string>, modes = (_expr: string) => [false, true]): Outcome {
  const out: Outcome = { cases: 0, accepted: 0, mismatches: [] };
  for (const expr of exprs) {
    for (const grafana of modes(expr)) {
      out.cases++;
      const { text } = prepared(expr, grafana);
      const fast = fastParse(text);
      if (!fast) continue;
      out.accepted++;
      const f = fastDump(fast.topNode);
      const l = lezerDump(text);
      if (f !== l) {
        out.mismatches.push(`tree of ${JSON.stringify(text)}:\n  lezer ${l}\n  fast  ${f}`);
        continue;
      }
      const a = show(analyzePromql(expr, { grafana }));
      const b = show(withLezerOnly(() => analyzePromql(expr, { grafana })));
      if (a !== b) out.mismatches.push(`analysis of ${JSON.stringify(expr)} (grafana ${grafana}):\n  lezer ${b}\n  fast  ${a}`);
      const c = show(withFastParseTree(() => analyzePromql(expr, { grafana })));
      if (a !== c) out.mismatches.push(`analysis of ${JSON.stringify(expr)} (grafana ${grafana}):\n  fastParse and toExpr ${c}\n  fastExpr ${a}`);
    }
  }
  return out;
}

/** Every quoted string (and YAML `expr:` value) in the repository's sources, fixtures and docs. */
function repositoryStrings(): string[] {
  const found = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(rel);
        continue;
      }
      if (!/\.(ts|ya?ml|json|md|jsonnet)$/.test(entry.name) || statSync(path.join(ROOT, rel)).size > 2_000_000) continue;
      const source = readFileSync(path.join(ROOT, rel), 'utf8');
      for (const m of source.matchAll(/"((?:[^"\\\n]|\\.){1,2000})"|'((?:[^'\\\n]|\\.){1,2000})'|`([^`]{1,2000})`/g)) {
        const raw = m[1] ?? m[2] ?? m[3]!;
        found.add(raw);
        if (m[1] !== undefined && raw.includes('\\')) {
          try {
            found.add(JSON.parse(`"${raw}"`) as string);
          } catch {
            // not a JSON string
          }
        }
      }
      for (const m of source.matchAll(/^\s*-?\s*expr:\s*(.+)$/gm)) found.add(m[1]!.trim());
    }
  };
  for (const dir of ['src', 'test', 'monitoring', 'examples', 'docs', 'templates']) walk(dir);
  return [...found];
}

/** The expressions of the public corpora (import-corpus, pyrra, sloth fixtures). */
function corpusExpressions(): Set<string> {
  const exprs = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (/\.(ya?ml|json)$/.test(entry.name)) {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/"expr":\s*("(?:[^"\\]|\\.)*")/g)) exprs.add(JSON.parse(m[1]!) as string);
        for (const m of text.matchAll(/^\s*-?\s*(?:expr|query|errorQuery|totalQuery|error_query|total_query):\s*(.+)$/gm)) {
          let v = m[1]!.trim();
          if (v.startsWith("'") && v.endsWith("'")) v = v.slice(1, -1).replaceAll("''", "'");
          else if (v.startsWith('"') && v.endsWith('"')) {
            try {
              v = JSON.parse(v) as string;
            } catch {
              continue;
            }
          }
          if (v !== '|' && v !== '>' && v !== '|-' && v !== '>-') exprs.add(v);
        }
      }
    }
  };
  for (const d of ['import-corpus', 'pyrra', 'sloth']) walk(path.join(ROOT, 'test/fixtures', d));
  return exprs;
}

let synthetic: string[] = [];
let dir = '';

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-fast-parse-'));
  await writeSyntheticProject(dir, 300, 20);
  const exprs = new Set<string>();
  for (const sub of ['alerts', 'dashboards']) {
    for (const file of readdirSync(path.join(dir, sub))) {
      const text = readFileSync(path.join(dir, sub, file), 'utf8');
      for (const m of text.matchAll(/expr: '([^']*)'|expr: (.+)$/gm)) exprs.add((m[1] ?? m[2]!).trim());
    }
  }
  // The alert conditions the compiler makes of them.
  for (const e of [...exprs]) {
    exprs.add(`(${e}) > 0.1`);
    exprs.add(`${e} > 0.7`);
  }
  synthetic = [...exprs];
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const PIECES = [
  '(', ')', '[', ']', '{', '}', ',', ' ', '-', '+', '*', '/', '^', '%', '==', '!=', '>', '<=', '=', '=~', '!~', ':', '"', "'", '`', '#',
  '@', '$', '.', '1', '5m', '0x1f', '1e3', 'inf', 'NaN', 'x', 'sum', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right',
  'bool', 'offset', 'and', 'or', 'unless', 'atan2', 'rate', 'abs', 'topk', 'count_values', '\\', '\n', ' -1', '[5m:1m]', ' offset -5m ',
  ' @ end()', 'le', '_bucket', 'histogram_quantile', 'label_replace', 'Sum', 'AND', 'start', 'end', 'smoothed', 'fill', '(x)', '\u{1f600}', '\ud800',
];

const mutations = (seeds: readonly string[], count: number, seed: number) => promqlMutations(seeds, PIECES, count, seed);

describe('the hand-written PromQL parser builds lezer’s tree', () => {
  it('accepts every synthetic project expression, with lezer’s tree and analysis', () => {
    // Dashboard queries (with $__rate_interval) are analysed as Grafana's; alert expressions both ways.
    const r = compare(synthetic, (e) => (e.includes('$') ? [true] : [false, true]));
    rate('synthetic project', r);
    expect(r.mismatches).toEqual([]);
    expect(r.cases).toBeGreaterThan(600);
    expect(r.accepted).toBe(r.cases);
  });

  it('over the quoted strings of the repository: the same tree and analysis wherever it accepts', () => {
    const r = compare(repositoryStrings());
    rate('quoted strings of the repository', r);
    expect(r.mismatches.slice(0, 5)).toEqual([]);
    expect(r.accepted).toBeGreaterThan(2000);
  });

  it('over 30,000 seeded random mutations: the same tree and analysis wherever it accepts', () => {
    const seeds = [...synthetic, ...repositoryStrings().filter((s) => fastParse(prepared(s, false).text))];
    const r = compare(mutations(seeds, 30_000, 12));
    rate('random mutations', r);
    expect(r.mismatches.slice(0, 5)).toEqual([]);
    expect(r.accepted).toBeGreaterThan(3000);
  }, 120_000);

  it('over the public corpora (import-corpus, pyrra, sloth fixtures): the same tree and analysis wherever it accepts', () => {
    const exprs = corpusExpressions();
    const r = compare(exprs);
    rate('public corpora', r);
    expect(r.mismatches.slice(0, 5)).toEqual([]);
    expect(r.accepted).toBeGreaterThan(100);
  });

  it('leaves long chains and deep nesting to lezer: the same analysis, no stack overflow', () => {
    const long = ['x^'.repeat(20_000) + 'x', '-'.repeat(5_000) + 'x', 'x^-'.repeat(3_000) + 'x', 'a + '.repeat(20_000) + 'a', '('.repeat(150) + 'x' + ')'.repeat(150)];
    for (const e of long) {
      const fast = show(analyzePromql(e));
      expect(fast).not.toContain('internal error');
      expect(fast).toBe(show(withLezerOnly(() => analyzePromql(e))));
    }
    const { text } = prepared('x^'.repeat(20_000) + 'x', false);
    expect(fastParse(text)).toBeUndefined();
  });

  it('around MAX_DEPTH expression nodes (where fastExpr hands over to fastParse and toExpr): the same analysis as fastParse and toExpr', () => {
    for (const n of [497, 498, 499, 500, 501, 998, 999, 1000, 1001, 1002]) {
      const chain = Array(n).fill('a').join(' + ');
      // An unknown function after the count is reached: fastParse declines, and the text takes lezer's way.
      for (const e of [chain, `${chain}[5m]`, `${chain} offset 5m`, `${chain} + foo(x)`, `-(${chain})`, `abs(${chain})`]) {
        const fast = show(analyzePromql(e));
        expect(fast).not.toContain('internal error');
        expect(fast).toBe(show(withFastParseTree(() => analyzePromql(e))));
      }
    }
  });

  it('reads a # inside a string literal as part of it, not as a comment', () => {
    const r = compare(['x{a="#"}', "sum by (job) (rate(x{path='/#/a'}[5m])) > 1", 'label_replace(x, "a", "#$1", "b", "(.*)")']);
    expect(r.mismatches).toEqual([]);
    expect(r.accepted).toBe(r.cases);
  });

  it.each([
    ['a # comment', 'a comment (lezer puts it in the tree)'],
    ['rate # comment\n(x[5m])', 'a comment after a called name'],
    ['- # comment\n1', 'a comment after a sign'],
    ['', 'nothing'],
    ['x @ 5', 'the @ modifier'],
    ['x @ end()', 'the @ modifier'],
    ['-1 ^ 2', 'a signed literal before ^ (lezer keeps the sign on the literal)'],
    ['x[1m+1m]', 'duration arithmetic'],
    ['x offset step()', 'duration functions'],
    ['{"quoted"="a"}', 'quoted label names'],
    ['sum', 'a keyword as a metric name'],
    ['on', 'a keyword as a metric name'],
    ['a fill(0) b', 'fill modifiers'],
    ['x anchored', 'later modifiers'],
    ['a </ b', 'trim operators'],
    ['rate(x[5m]', 'an unclosed bracket'],
    ['x{a="b}', 'an unterminated string'],
    ['x{a=b}', 'an unquoted label value'],
    ['rate(x[5m]) by (job)', 'a misplaced by'],
    ['a b', 'two expressions'],
    ['5mx', 'a malformed number'],
    ['1h5h', 'a malformed duration'],
    ['$__interval', 'a Grafana variable outside Grafana'],
    ['f(,)', 'an empty argument'],
    ['a + ', 'a missing operand'],
    ['x{a="\ud800"}', 'a lone surrogate (lezer’s string token stops there)'],
    ['"ab\ude00"', 'a lone surrogate (lezer’s string token stops there)'],
  ])('declines %j (%s)', (expr) => {
    const { text } = prepared(expr, false);
    expect(fastParse(text)).toBeUndefined();
  });
});

/** Each expression (both ways where `modes` says) analysed in one pass and without it: where the pass accepts, the same object. */
function compareFused(exprs: Iterable<string>, modes = (_expr: string) => [false, true]): Outcome {
  const out: Outcome = { cases: 0, accepted: 0, mismatches: [] };
  for (const expr of exprs) {
    for (const grafana of modes(expr)) {
      out.cases++;
      const fused = fastAnalysis(expr, grafana);
      if (!fused) continue;
      out.accepted++;
      const a = show(fused);
      const b = show(withoutFusedAnalysis(() => analyzePromql(expr, { grafana })));
      if (a !== b) out.mismatches.push(`analysis of ${JSON.stringify(expr)} (grafana ${grafana}):\n  Analyzer ${b}\n  one pass ${a}`);
      // …and it is the analysis analyzePromql gives.
      if (show(analyzePromql(expr, { grafana })) !== a) out.mismatches.push(`analyzePromql(${JSON.stringify(expr)}) is not the one-pass analysis`);
    }
  }
  return out;
}

const rateFused = (what: string, r: Outcome) => console.info(`one-pass analysis, ${what}: ${r.accepted} of ${r.cases} accepted (${((100 * r.accepted) / r.cases).toFixed(1)} %)`);

describe('the one-pass analysis (fast-analysis.ts) is the Analyzer’s, key for key', () => {
  it("takes every synthetic expression (the dashboards' `[$__rate_interval]` too), with the same analysis", () => {
    const r = compareFused(synthetic, (e) => (e.includes('$') ? [true] : [false, true]));
    rateFused('synthetic project', r);
    expect(r.mismatches).toEqual([]);
    expect(r.accepted).toBe(r.cases);
  });

  it('over the quoted strings of the repository, the public corpora and 30,000 seeded random mutations: the same analysis wherever it accepts', () => {
    const strings = repositoryStrings();
    const corpus = [...corpusExpressions()];
    for (const [what, exprs, least] of [
      ['quoted strings of the repository', strings, 1000],
      ['public corpora', corpus, 100],
      ['random mutations', mutations([...synthetic, ...strings.filter((s) => fastAnalysis(s, false)), ...corpus.filter((s) => fastAnalysis(s, false))], 30_000, 7), 2000],
    ] as const) {
      const r = compareFused(exprs);
      rateFused(what, r);
      expect(r.mismatches.slice(0, 5), what).toEqual([]);
      expect(r.accepted, what).toBeGreaterThan(least);
    }
  }, 180_000);

  it.each([
    ['calls', 'abs('.repeat(3_000) + 'x' + ')'.repeat(3_000)],
    ['aggregations', 'sum by (a) ('.repeat(300) + 'x' + ')'.repeat(300)],
    ['parentheses', '('.repeat(300) + 'x' + ')'.repeat(300)],
    ['comparisons', 'rate(x[5m]) > '.repeat(2_000) + '1'],
    ['set operators', 'a or '.repeat(600) + 'a'],
    ['powers', 'a ^ '.repeat(600) + 'a'],
  ])('declines %s nested or chained past its bounds (MAX_NESTING, 500 operands), no stack overflow: the analysis without it', (_what, expr) => {
    expect(fastAnalysis(expr, false)).toBeUndefined();
    const analysis = show(analyzePromql(expr));
    expect(analysis).not.toContain('internal error');
    expect(analysis).toBe(show(withoutFusedAnalysis(() => analyzePromql(expr))));
  });

  it.each([
    ['x{a=~"("}', 'an invalid regex (reported)', false],
    ['x{__name__="y"}', 'a __name__ matcher', false],
    ['{a="b"}', 'a selector without a metric name', false],
    ['x{a="\\n"}', 'an escape', false],
    ['x[0s]', 'a zero range (reported)', false],
    ['x[5]', 'a range without a unit (reported)', false],
    ['x[5m:1m]', 'a subquery', false],
    ['x offset 5m', 'offset', false],
    ['-x', 'a unary minus', false],
    ['x > bool 1', 'bool', false],
    ['a / on(b) c', 'vector matching', false],
    ['1 > 2', 'scalars compared without bool (reported)', false],
    ['1 and x', 'a set operator on a scalar (reported)', false],
    ['rate(x)', 'an argument of the wrong type (reported)', false],
    ['rate(x[5m], 1)', 'too many arguments (reported)', false],
    ['sum(x[5m])', 'an aggregation of a range (reported)', false],
    ['topk(3, x)', 'an aggregation with a parameter', false],
    ['histogram_quantile(0.9, rate(x_bucket[5m]))', 'a quantile (facts of its own)', false],
    ['absent(up)', 'absent (facts of its own)', false],
    ['label_replace(x, "a", "$1", "b", "(.*)")', 'labels made from strings', false],
    ['rat(x[5m])', 'an unknown function (reported)', false],
    ['Rate(x[5m])', 'a function name in the wrong case (reported)', false],
    ['x{a="b"} # c', 'a comment', false],
    ['0x1f + x', 'a hexadecimal number', false],
    ['rate(x[$__rate_interval])', 'a Grafana variable outside a Grafana query', false],
    ['sum by ($label) (x)', 'in a Grafana query: a variable elsewhere than a range', true],
    ['x{$label="a"}', 'in a Grafana query: a variable for a label name', true],
    ['rate(x[$__interval]s)', 'in a Grafana query: a variable and a unit', true],
    ['rate(x[[[interval]]])', 'in a Grafana query: the [[x]] form', true],
    ['rate(x[$__rate_interval:])', 'in a Grafana query: a variable in a subquery', true],
  ] as const)('declines %j (%s), which the Analyzer takes', (expr, _why, grafana) => {
    expect(fastAnalysis(expr, grafana)).toBeUndefined();
  });
});
