/**
 * The PromQL analysis of this checkout against another's (BENCH_AGAINST=DIR, e.g. a detached `git worktree` of the
 * commit before a change), deep-equal by `util.inspect` (key order and undefined-valued keys included), with and
 * without Grafana variables, over: the synthetic project's expressions and the conditions made of them, every quoted
 * string and `expr:`/`query:` value of the repository (its test/fixtures corpora included), and seeded random
 * mutations of the valid ones (MUTATIONS, default 100,000; SEED). test/promql-fast-parse.test.ts compares the two
 * parsers' paths within one checkout; this compares a whole analysis across a change to the code both paths share.
 * Run: `BENCH_AGAINST=<dir> node --import tsx test/bench/promql-same-analysis.ts`; exits 1 on any difference.
 */
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { pathToFileURL } from "node:url";
import { analyzePromql as A } from "../../src/promql/analyze.ts";
import type { AnalyzeOptions, PromqlAnalysis } from "../../src/promql/types.ts";
import { promqlMutations } from "../helpers/promql-mutations.ts";
import { writeSyntheticProject } from "./synthetic.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
if (!process.env.BENCH_AGAINST)
  throw new Error("set BENCH_AGAINST to the checkout to compare with");
const AGAINST = path.resolve(process.env.BENCH_AGAINST);
const { analyzePromql: B } = (await import(
  pathToFileURL(path.join(AGAINST, "src/promql/analyze.ts")).href
)) as {
  analyzePromql: (e: string, o?: AnalyzeOptions) => PromqlAnalysis;
};
const show = (v: unknown) =>
  inspect(v, {
    depth: Infinity,
    showHidden: false,
    sorted: false,
    breakLength: Infinity,
  });
function repositoryStrings(): string[] {
  const found = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(ROOT, dir), {
      withFileTypes: true,
    })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules" && !entry.name.startsWith("."))
          walk(rel);
        continue;
      }
      if (
        !/\.(ts|ya?ml|json|md|jsonnet)$/.test(entry.name) ||
        statSync(path.join(ROOT, rel)).size > 2_000_000
      )
        continue;
      const source = readFileSync(path.join(ROOT, rel), "utf8");
      for (const m of source.matchAll(
        /"((?:[^"\\\n]|\\.){1,2000})"|'((?:[^'\\\n]|\\.){1,2000})'|`([^`]{1,2000})`/g,
      )) {
        const raw = m[1] ?? m[2] ?? m[3]!;
        found.add(raw);
        if (m[1] !== undefined && raw.includes("\\")) {
          try {
            found.add(JSON.parse(`"${raw}"`) as string);
          } catch {}
        }
      }
      for (const m of source.matchAll(
        /^\s*-?\s*(?:expr|query|errorQuery|totalQuery|error_query|total_query):\s*(.+)$/gm,
      )) {
        let v = m[1]!.trim();
        found.add(v);
        if (v.startsWith("'") && v.endsWith("'"))
          found.add(v.slice(1, -1).replaceAll("''", "'"));
        else if (v.startsWith('"') && v.endsWith('"')) {
          try {
            found.add(JSON.parse(v));
          } catch {}
        }
      }
      for (const m of source.matchAll(/"expr":\s*("(?:[^"\\]|\\.)*")/g)) {
        try {
          found.add(JSON.parse(m[1]!));
        } catch {}
      }
    }
  };
  for (const dir of [
    "src",
    "test",
    "monitoring",
    "examples",
    "docs",
    "templates",
  ])
    walk(dir);
  return [...found];
}
const PIECES = [
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  ",",
  " ",
  "-",
  "+",
  "*",
  "/",
  "^",
  "%",
  "==",
  "!=",
  ">",
  "<=",
  "=",
  "=~",
  "!~",
  ":",
  '"',
  "'",
  "`",
  "#",
  "@",
  "$",
  ".",
  "1",
  "5m",
  "0x1f",
  "1e3",
  "inf",
  "NaN",
  "x",
  "sum",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "offset",
  "and",
  "or",
  "unless",
  "atan2",
  "rate",
  "abs",
  "topk",
  "count_values",
  "\\",
  "\n",
  " -1",
  "[5m:1m]",
  " offset -5m ",
  " @ end()",
  "le",
  "_bucket",
  "histogram_quantile",
  "label_replace",
  "Sum",
  "AND",
  "start",
  "end",
  "smoothed",
  "fill",
  "(x)",
  "\u{1f600}",
  "\ud800",
  "absent(",
  "absent_over_time(",
  "up",
  "vector(1)",
  " > 0.5",
  " < -3",
  "quantile",
  '{__name__="x"}',
  '{a=~".*"}',
  '{a=~"("}',
  '"\\d"',
  'count_values("l", x)',
  " or ",
  "label_join",
  "x[5m]",
  "[1h:]",
  "rat(",
  "holt_winters(",
  "foo(",
  "$__rate_interval",
  "${v}",
  "[[v]]",
  '{a!~""}',
  "scalar(",
  "time()",
  "bool ",
  " on(a) group_left(b) ",
];
const mutations = (seeds: readonly string[], count: number, seed: number) => promqlMutations(seeds, PIECES, count, seed);
const dir = mkdtempSync(path.join(tmpdir(), "vigil-same-analysis-"));
await writeSyntheticProject(dir, 300, 20);
const synth = new Set<string>();
for (const sub of ["alerts", "dashboards"])
  for (const f of readdirSync(path.join(dir, sub)))
    for (const m of readFileSync(path.join(dir, sub, f), "utf8").matchAll(
      /expr: '([^']*)'|expr: (.+)$/gm,
    ))
      synth.add((m[1] ?? m[2]!).trim());
for (const e of [...synth]) {
  synth.add(`(${e}) > 0.1`);
  synth.add(`${e} > 0.7`);
}
const repo = repositoryStrings();
const seeds = [
  ...synth,
  ...repo.filter((s) => B(s).ok || B(s, { grafana: true }).ok),
];
rmSync(dir, { recursive: true, force: true });
const all = [
  ...synth,
  ...repo,
  ...mutations(
    seeds,
    Number(process.env.MUTATIONS ?? 100_000),
    Number(process.env.SEED ?? 12),
  ),
];
let bad = 0,
  ok = 0,
  n = 0;
for (const e of all)
  for (const grafana of [false, true]) {
    n++;
    const a = show(A(e, { grafana })),
      b = show(B(e, { grafana }));
    if (a !== b) {
      if (bad++ < 5)
        console.log(
          `different:  ${JSON.stringify(e)} grafana=${grafana}\n new ${a}\n old ${b}`,
        );
    } else if (!a.startsWith("{ ok: false")) ok++;
  }
console.log(
  JSON.stringify({
    against: AGAINST,
    cases: n,
    withoutProblems: ok,
    different: bad,
  }),
);
process.exit(bad ? 1 : 0);
