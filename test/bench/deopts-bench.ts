/**
 * How much optimised code a cold build throws away (issue #12 §3): V8's eager and lazy deoptimisations, those for a
 * "wrong map", code marked for deoptimisation by changed dependencies, and the optimising compiles with their time, in
 * cold builds (`--no-cache`) of the synthetic project (test/bench/synthetic.ts). These counts move far less with the
 * machine's speed than wall time does, so a change to the shapes of hot data shows here when pairs of builds cannot
 * tell it from noise. The counts still vary from run to run (V8 compiles on other threads, so what has been optimised
 * when a new shape arrives differs): medians of BENCH_RUNS builds (default 3).
 * Run: `npm run bench:deopts` (BENCH_RUNS, BENCH_ALERTS, BENCH_DASHBOARDS; BENCH_AGAINST=DIR, another checkout, runs
 * DIR's bin/vigil.js in turn with this one's).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeSyntheticProject } from './synthetic.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const ALERTS = Number(process.env.BENCH_ALERTS ?? 10_000);
const DASHBOARDS = Number(process.env.BENCH_DASHBOARDS ?? 200);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const AGAINST = process.env.BENCH_AGAINST ? path.resolve(process.env.BENCH_AGAINST) : undefined;

interface Counts {
  eager: number;
  lazy: number;
  wrongMap: number;
  dependencies: number;
  compiles: number;
  compileMs: number;
  /** Functions compiled more than once, with the time of all their compiles. */
  recompiled: Map<string, number>;
  /** Each eager deoptimisation's reason and function. */
  reasons: Map<string, number>;
}

/** The counts in V8's `--trace-opt --trace-deopt` output. */
function countTrace(trace: string): Counts {
  const counts: Counts = { eager: 0, lazy: 0, wrongMap: 0, dependencies: 0, compiles: 0, compileMs: 0, recompiled: new Map(), reasons: new Map() };
  const compiled = new Map<string, { name: string; times: number; ms: number }>();
  for (const line of trace.split('\n')) {
    const bailout = /^\[bailout \(kind: deopt-(eager|lazy|soft), reason: (.*?)\): begin\. deoptimizing \S+ <JSFunction (\S*)/.exec(line);
    if (bailout) {
      if (bailout[1] === 'lazy') counts.lazy++;
      else {
        counts.eager++;
        if (bailout[2] === 'wrong map') counts.wrongMap++;
        const key = `${bailout[2]}: ${bailout[3] || '(anonymous)'}`;
        counts.reasons.set(key, (counts.reasons.get(key) ?? 0) + 1);
      }
      continue;
    }
    if (line.startsWith('[marking dependent code') && line.includes('reason: code dependencies')) counts.dependencies++;
    const done = /^\[completed compiling \S+ <JSFunction (\S*) \(sfi = (\S+)\)> \(target TURBOFAN\)(?: OSR)? - took [\d.]+, ([\d.]+), [\d.]+ ms\]/.exec(line);
    if (done) {
      counts.compiles++;
      const ms = Number(done[3]);
      counts.compileMs += ms;
      const entry = compiled.get(done[2]!) ?? { name: done[1] || '(anonymous)', times: 0, ms: 0 };
      entry.times++;
      entry.ms += ms;
      compiled.set(done[2]!, entry);
    }
  }
  for (const { name, times, ms } of compiled.values()) if (times > 1) counts.recompiled.set(name, (counts.recompiled.get(name) ?? 0) + ms);
  return counts;
}

function coldBuild(checkout: string, project: string, out: string, cacheDir: string): Counts {
  // A flag on V8's command line makes a code cache of its own: the first build of each checkout makes it, unmeasured,
  // in a folder of this run's (each command keeps one code cache: in the checkout's, it would replace the usual one).
  const env = { ...process.env, VIGIL_CACHE_DIR: cacheDir };
  const r = spawnSync(process.execPath, ['--trace-opt', '--trace-deopt', path.join(checkout, 'bin/vigil.js'), 'build', project, '--out', out, '--no-cache'], { encoding: 'utf8', env, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`vigil build failed:\n${r.stderr.slice(-3000)}`);
  return countTrace(r.stdout + r.stderr);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-deopts-'));
  try {
    const project = path.join(dir, 'project');
    await writeSyntheticProject(project, ALERTS, DASHBOARDS);
    const checkouts = AGAINST ? [REPO, AGAINST] : [REPO];
    const cacheOf = (i: number) => path.join(dir, `cache-${i}`);
    checkouts.forEach((c, i) => coldBuild(c, project, path.join(dir, `warm-${i}`), cacheOf(i)));
    const runs: Counts[][] = checkouts.map(() => []);
    for (let n = 0; n < RUNS; n++) checkouts.forEach((c, i) => runs[i]!.push(coldBuild(c, project, path.join(dir, `out-${i}-${n}`), cacheOf(i))));
    const report = checkouts.map((checkout, i) => {
      const r = runs[i]!;
      const last = r[r.length - 1]!;
      const of = (pick: (c: Counts) => number) => median(r.map(pick));
      return {
        checkout,
        eagerDeoptimisations: of((c) => c.eager),
        lazyDeoptimisations: of((c) => c.lazy),
        wrongMap: of((c) => c.wrongMap),
        codeDependencies: of((c) => c.dependencies),
        optimisingCompiles: of((c) => c.compiles),
        optimisingCompileMs: Math.round(of((c) => c.compileMs)),
        // From the last run: what a change would look at first.
        eagerReasons: Object.fromEntries([...last.reasons].sort((a, b) => b[1] - a[1])),
        recompiledMs: Object.fromEntries([...last.recompiled].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => [k, Math.round(v)])),
      };
    });
    console.log(JSON.stringify({ alerts: ALERTS, dashboards: DASHBOARDS, runs: RUNS, results: report }, null, 2));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
