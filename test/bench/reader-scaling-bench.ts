/**
 * Linearity of Vigil's two hand-written readers (issue #12 §3): the plain YAML reader (src/load/plain-yaml.ts) and
 * the PromQL parser behind analyzePromql (src/promql/fast-parse.ts). Each hostile shape — what a pull request could
 * write to make a reader slow: long scalars, many keys, long flow collections, escapes, documents, deep nesting
 * past the limit, a decline found only at the very end — is read at 1×, 2× and 4× its base size, in this process,
 * beside the reader it stands in for on the same text (js-yaml's loadAll with CORE_SCHEMA; analyzePromql with the
 * lezer parser only). A line says "SUPER-LINEAR?" when 4× the input costs more than 5× the time of 1× and the
 * reference's step is clearly smaller: past ≈ 50,000 keys in one object, V8's own property tables grow faster than
 * linearly (a Map of n keys does too), which both readers pay alike, and that is marked "(as the reference)".
 * A shape still flagged is measured again in a process with a 128 MB young generation: a step that is linear there
 * is the garbage collector's (long strings and large live data promoted by scavenges), not the reader's algorithm.
 * The sizes stay within src/load/limits.ts at 4× (100,000 items in one collection, 10,000 documents in one file).
 * Run: `node --import tsx test/bench/reader-scaling-bench.ts` (≈ 30 s); BENCH_ONLY=<name substring> runs some shapes.
 */
import { spawnSync } from 'node:child_process';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { readPlainYaml } from '../../src/load/plain-yaml.ts';
import { analyzePromql, withLezerOnly } from '../../src/promql/analyze.ts';

const FACTORS = [1, 2, 4];
/** 4× the input may cost at most this many times 1× before the step is called super-linear… */
const SUPERLINEAR = 5;
/** …unless the reference's step is at least this fraction of Vigil's (the growth is the platform's). */
const AS_REFERENCE = 0.8;
const ONLY = process.env.BENCH_ONLY;
/** Set in the re-measuring process: print each step as JSON, judge nothing. */
const STEPS_ONLY = process.env.BENCH_STEPS_ONLY === '1';
const LARGE_YOUNG_GENERATION = '--max-semi-space-size=128';

interface Shape {
  reader: 'yaml' | 'promql';
  name: string;
  /** The text at size n. */
  text(n: number): string;
  base: number;
}

const repeat = (n: number, f: (i: number) => string, sep = '') => Array.from({ length: n }, (_, i) => f(i)).join(sep);

const SHAPES: Shape[] = [
  { reader: 'yaml', name: 'one mapping of n keys', base: 20_000, text: (n) => repeat(n, (i) => `key_${i}: value ${i}\n`) },
  { reader: 'yaml', name: 'a sequence of n mappings', base: 10_000, text: (n) => `alerts:\n${repeat(n, (i) => `  - name: A${i}\n    expr: up == ${i}\n`)}` },
  { reader: 'yaml', name: 'a plain scalar of n words', base: 200_000, text: (n) => `summary: ${repeat(n, (i) => `w${i % 10}`, ' ')}\n` },
  { reader: 'yaml', name: 'a plain scalar folded over n lines', base: 50_000, text: (n) => `summary:\n${repeat(n, (i) => `  word${i}\n`)}` },
  { reader: 'yaml', name: 'a double-quoted scalar of n escapes', base: 100_000, text: (n) => `summary: "${repeat(n, () => '\\n\\t\\u00e9\\"')}"\n` },
  { reader: 'yaml', name: "a single-quoted scalar of n ''", base: 200_000, text: (n) => `summary: '${repeat(n, () => "a''")}'\n` },
  { reader: 'yaml', name: 'a block scalar of n lines', base: 50_000, text: (n) => `description: |\n${repeat(n, (i) => `  line ${i} of the description\n`)}` },
  { reader: 'yaml', name: 'a flow sequence of n items', base: 25_000, text: (n) => `labels: [${repeat(n, (i) => `l${i}`, ', ')}]\n` },
  { reader: 'yaml', name: 'a flow mapping of n entries', base: 25_000, text: (n) => `labels: {${repeat(n, (i) => `k${i}: v${i}`, ', ')}}\n` },
  { reader: 'yaml', name: 'n documents', base: 2_500, text: (n) => repeat(n, (i) => `---\nkind: Metrics\nname: m${i}\n`) },
  { reader: 'yaml', name: 'n comment lines', base: 50_000, text: (n) => `${repeat(n, (i) => `# comment ${i} with words\n`)}kind: Project\n` },
  { reader: 'yaml', name: 'a key of n characters', base: 500_000, text: (n) => `${'k'.repeat(n)}: v\n` },
  { reader: 'yaml', name: 'n keys then a duplicate (declined at the end)', base: 20_000, text: (n) => `${repeat(n, (i) => `key_${i}: ${i}\n`)}key_0: again\n` },
  { reader: 'yaml', name: 'n lines then an unclosed quote (declined at the end)', base: 20_000, text: (n) => `${repeat(n, (i) => `key_${i}: ${i}\n`)}last: "open\n` },
  { reader: 'yaml', name: 'nesting past the depth limit, n times', base: 2_000, text: (n) => repeat(n, (i) => `k${i}: ${'['.repeat(70)}${']'.repeat(70)}\n`) },
  { reader: 'promql', name: 'a sum of n terms', base: 2_000, text: (n) => repeat(n, (i) => `m${i % 50}`, ' + ') },
  { reader: 'promql', name: 'a selector of n matchers', base: 4_000, text: (n) => `m{${repeat(n, (i) => `l${i}="v${i}"`, ',')}}` },
  { reader: 'promql', name: 'a string of n characters', base: 200_000, text: (n) => `label_replace(m, "dst", "${'x'.repeat(n)}", "src", "(.*)")` },
  { reader: 'promql', name: 'a grouping of n labels', base: 4_000, text: (n) => `sum by (${repeat(n, (i) => `l${i}`, ', ')}) (m)` },
  { reader: 'promql', name: 'n nested parentheses (past the nesting limit)', base: 2_000, text: (n) => `${'('.repeat(n)}m${')'.repeat(n)}` },
  { reader: 'promql', name: 'n terms then a syntax error', base: 2_000, text: (n) => `${repeat(n, (i) => `m${i % 50}`, ' + ')} +` },
];

/** The fastest of `runs` timings of `read(text)`, in ms of CPU time: the least disturbed by other work. */
function fastest(read: (text: string) => unknown, text: string, runs = 5): number {
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const start = process.cpuUsage();
    read(text);
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return best;
}

// Every text differs from the last (a trailing comment or space): nothing may come from a memo of an earlier read.
let serial = 0;
const unique = (reader: Shape['reader'], text: string) => (reader === 'yaml' ? `${text}\n# ${++serial}\n` : `${text}${' '.repeat(++serial % 7)}`);

/** js-yaml's reading, or the error it throws (a syntax error is an outcome too: the load reports it). */
const jsYaml = (t: string) => {
  try {
    return loadAll(t, { schema: CORE_SCHEMA });
  } catch (e) {
    return e;
  }
};
const readers = {
  yaml: { vigil: (t: string) => readPlainYaml(t) ?? jsYaml(t), reference: jsYaml, referenceName: 'js-yaml' },
  promql: { vigil: (t: string) => analyzePromql(t), reference: (t: string) => withLezerOnly(() => analyzePromql(t)), referenceName: 'lezer' },
};

const fmt = (n: number) => n.toFixed(1).padStart(8);
const flagged: Shape[] = [];
for (const shape of SHAPES) {
  if (ONLY && !shape.name.includes(ONLY)) continue;
  const r = readers[shape.reader];
  const own: number[] = [];
  const ref: number[] = [];
  // Warmed up first: the 1× figure is not to carry the compiler's first look at the reader's code.
  for (const read of [r.vigil, r.reference]) read(unique(shape.reader, shape.text(shape.base)));
  for (const f of FACTORS) {
    const text = shape.text(shape.base * f);
    own.push(fastest((t) => r.vigil(unique(shape.reader, t)), text));
    ref.push(fastest((t) => r.reference(unique(shape.reader, t)), text));
  }
  const growth = (ms: number[]) => ms[ms.length - 1]! / Math.max(ms[0]!, 0.05);
  const step = growth(own);
  const referenceStep = growth(ref);
  const platforms = step > SUPERLINEAR && referenceStep >= step * AS_REFERENCE;
  if (STEPS_ONLY) {
    console.log(JSON.stringify({ name: shape.name, step }));
    continue;
  }
  if (step > SUPERLINEAR && !platforms) flagged.push(shape);
  const verdict = step <= SUPERLINEAR ? '' : platforms ? '  (as the reference)' : '  SUPER-LINEAR?';
  console.log(
    `${shape.reader.padEnd(6)} ${shape.name.padEnd(52)} ms at ${FACTORS.join('/')}×:${own.map(fmt).join('')}   ${r.referenceName}:${ref.map(fmt).join('')}   4×/1× ${step.toFixed(1)} (${referenceStep.toFixed(1)})${verdict}`,
  );
}
let algorithmic = 0;
for (const shape of STEPS_ONLY ? [] : flagged) {
  const again = spawnSync(process.execPath, [LARGE_YOUNG_GENERATION, '--import', 'tsx', import.meta.filename], { env: { ...process.env, BENCH_ONLY: shape.name, BENCH_STEPS_ONLY: '1' }, encoding: 'utf8' });
  const step = again.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { name: string; step: number })
    .find((m) => m.name === shape.name)?.step;
  const linear = step !== undefined && step <= SUPERLINEAR;
  if (!linear) algorithmic++;
  console.log(`${shape.name}: 4×/1× ${step?.toFixed(1) ?? '?'} with ${LARGE_YOUNG_GENERATION}${linear ? ': the collector’s step, not the reader’s' : ': SUPER-LINEAR'}`);
}
if (!STEPS_ONLY) {
  console.log(algorithmic ? `${algorithmic} shape(s) grow faster than linearly` : `no shape grows faster than linearly (beyond the collector's and the platform's own steps)`);
  process.exitCode = algorithmic ? 1 : 0;
}
