/**
 * Emitter benchmark: the CPU time of each emitter (and of the manifest's hashing) over the synthetic project of the
 * build benchmark (test/bench/synthetic.ts, 10,000 alerts, 200 dashboards), run once per fresh process after the
 * project is loaded and compiled without emitting — as the cold build runs them, once, code not yet optimised.
 * Run: `node --import tsx test/bench/emit-bench.ts` (BENCH_RUNS, default 5; BENCH_PROJECT, a project directory,
 * default a synthetic one written to a temporary directory). BENCH_AGAINST=DIR (another checkout, e.g. a detached
 * `git worktree` of an older commit) runs the same with DIR's src, one process each in turn, and reports both.
 * The CPU time is the process's (process.cpuUsage: the main thread and the collector's helpers), medians.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeSyntheticProject } from './synthetic.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const AGAINST = process.env.BENCH_AGAINST ? path.resolve(process.env.BENCH_AGAINST) : undefined;

type Timings = Record<string, number>;

/** One measurement, in this process: `checkout`'s emitters over `project`. */
async function measure(checkout: string, project: string): Promise<void> {
  const load = async <T>(file: string) => (await import(pathToFileURL(path.join(checkout, file)).href)) as T;
  const { loadDirectory } = await load<typeof import('../../src/load/index.ts')>('src/load/index.ts');
  const { compile, createCheckContext } = await load<typeof import('../../src/compile.ts')>('src/compile.ts');
  const { EMITTERS } = await load<typeof import('../../src/emit/index.ts')>('src/emit/index.ts');
  const { buildManifest } = await load<typeof import('../../src/build/manifest.ts')>('src/build/manifest.ts');
  const { model } = compile(await loadDirectory(project), { emit: false });
  const { ctx } = createCheckContext(model, []);
  // The build's emitters read the identities the checks worked out: worked out here before the clock starts.
  for (const group of model.groups) for (const alert of group.alerts) ctx.labels.identityOf(alert);
  const cpu = () => {
    const used = process.cpuUsage();
    return (used.user + used.system) / 1000;
  };
  const timings: Timings = {};
  const artifacts = [];
  const start = cpu();
  for (const emitter of EMITTERS) {
    const from = cpu();
    artifacts.push(...emitter.emit(model, ctx, undefined, { data: false }));
    timings[emitter.name] = cpu() - from;
  }
  const from = cpu();
  buildManifest(artifacts.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)));
  timings.manifest = cpu() - from;
  timings.total = cpu() - start;
  process.stdout.write(`${JSON.stringify(timings)}\n`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

async function main(): Promise<void> {
  if (process.env.EMIT_BENCH_CHILD) return measure(process.env.EMIT_BENCH_CHILD, process.env.BENCH_PROJECT!);
  const temporary = process.env.BENCH_PROJECT ? undefined : await mkdtemp(path.join(os.tmpdir(), 'vigil-emit-bench-'));
  const project = process.env.BENCH_PROJECT ? path.resolve(process.env.BENCH_PROJECT) : path.join(temporary!, 'monitoring');
  if (temporary) await writeSyntheticProject(project, 10_000, 200);
  try {
    const checkouts = AGAINST ? [REPO, AGAINST] : [REPO];
    const runs = checkouts.map(() => [] as Timings[]);
    for (let i = 0; i < RUNS; i++) {
      checkouts.forEach((checkout, c) => {
        const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename], { cwd: REPO, encoding: 'utf8', env: { ...process.env, EMIT_BENCH_CHILD: checkout, BENCH_PROJECT: project } });
        if (r.status !== 0) throw new Error(`emit bench in ${checkout} failed:\n${r.stdout}${r.stderr}`);
        runs[c]!.push(JSON.parse(r.stdout.trim().split('\n').pop()!) as Timings);
      });
    }
    const names = Object.keys(runs[0]![0]!).filter((name) => median(runs[0]!.map((t) => t[name]!)) >= 1);
    console.log(`emitter CPU ms, median of ${RUNS} fresh processes${AGAINST ? `, in turn with ${AGAINST}` : ''}`);
    for (const name of names) console.log(`${name.padEnd(20)} ${checkouts.map((_, c) => String(Math.round(median(runs[c]!.map((t) => t[name] ?? 0)))).padStart(8)).join('')}`);
  } finally {
    if (temporary) await rm(temporary, { recursive: true, force: true });
  }
}

await main();
