/**
 * The edit loop on the 10,000-alert synthetic project (issue #12 §3): one alert threshold edited, then
 * `vigil build --cache-dir` (a cache of its own, filled by the run before) and `vigil build --watch` (the process stays
 * up); and the cold `vigil build --no-cache` for its peak memory. With BENCH_AGAINST=DIR (another checkout, e.g. a
 * `git worktree` of an older commit with its node_modules) every command runs interleaved with the same command of
 * DIR's bin/vigil.js, one each in turn, on separate copies of the project. Run:
 * `node --import tsx test/bench/incremental-bench.ts` (BENCH_RUNS, BENCH_EDITS, BENCH_ALERTS, BENCH_DASHBOARDS).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeSyntheticProject } from './synthetic.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const ALERTS = Number(process.env.BENCH_ALERTS ?? 10_000);
const DASHBOARDS = Number(process.env.BENCH_DASHBOARDS ?? 200);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const EDITS = Number(process.env.BENCH_EDITS ?? 5);
const AGAINST = process.env.BENCH_AGAINST ? path.resolve(process.env.BENCH_AGAINST) : undefined;

interface Timed {
  seconds: number;
  cpuSeconds: number;
  maxRssMb: number;
}

function timed(cmd: string[], cwd: string): Timed {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', ...cmd], { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed:\n${r.stderr.slice(-3000)}`);
  const [seconds, user, system, kb] = (r.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
  return { seconds: seconds!, cpuSeconds: Number((user! + system!).toFixed(2)), maxRssMb: Math.round(kb! / 1024) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = () => os.loadavg().map((l) => Number(l.toFixed(2)));

/** A `vigil build --watch` process and a way to wait for the report of its next run. */
class Watcher {
  private readonly child: ChildProcess;
  private output = '';
  private waiting: { from: number; resolve: (ms: { wallMs: number; cpuMs?: number }) => void } | undefined;

  constructor(vigil: string[], project: string, out: string, cache: string, cwd: string) {
    this.child = spawn(vigil[0]!, [...vigil.slice(1), 'build', project, '--out', out, '--cache-dir', cache, '--watch'], { cwd, env: { ...process.env, VIGIL_TIMINGS: '1' } });
    const take = (chunk: Buffer) => {
      this.output += chunk.toString();
      this.check();
    };
    this.child.stdout!.on('data', take);
    this.child.stderr!.on('data', take);
  }

  /** Resolves with the next run's wall time ("… in N ms") and, where the command prints it, its CPU time. */
  next(): Promise<{ wallMs: number; cpuMs?: number }> {
    return new Promise((resolve) => {
      this.waiting = { from: this.output.length, resolve };
      this.check();
    });
  }

  async ready(): Promise<void> {
    while (!this.output.includes('watching ')) await new Promise((r) => setTimeout(r, 200));
  }

  private check(): void {
    if (!this.waiting) return;
    const text = this.output.slice(this.waiting.from);
    const wall = / in (\d+) ms\n/.exec(text);
    if (!wall) return;
    // The CPU line follows the summary line when the command prints one; give it a moment.
    const cpu = /timing run: \d+ ms, CPU (\d+) ms/.exec(text);
    if (!cpu && !this.waitedForCpu) {
      this.waitedForCpu = true;
      setTimeout(() => this.check(), 300);
      return;
    }
    this.waitedForCpu = false;
    const { resolve } = this.waiting;
    this.waiting = undefined;
    resolve({ wallMs: Number(wall[1]), ...(cpu ? { cpuMs: Number(cpu[1]) } : {}) });
  }

  private waitedForCpu = false;

  stop(): void {
    this.child.kill('SIGINT');
  }
}

async function main() {
  const checkouts = AGAINST ? [REPO, AGAINST] : [REPO];
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-incremental-'));
  const template = path.join(dir, 'template');
  await writeSyntheticProject(template, ALERTS, DASHBOARDS);
  const edited = path.join('alerts', 'bench-0000.yaml');
  const original = await readFile(path.join(template, edited), 'utf8');
  const at = checkouts.map((c, i) => ({
    checkout: c,
    vigil: [process.execPath, path.join(c, 'bin/vigil.js')],
    project: path.join(dir, `project-${i}`),
    out: path.join(dir, `out-${i}`),
    cache: path.join(dir, `cache-${i}`),
    cold: [] as Timed[],
    oneFile: [] as Timed[],
    watch: [] as { wallMs: number; cpuMs?: number }[],
  }));
  for (const a of at) await cp(template, a.project, { recursive: true });
  const loadBefore = load();

  for (let run = 0; run < RUNS; run++) {
    for (const a of at) {
      await rm(a.out, { recursive: true, force: true });
      a.cold.push(timed([...a.vigil, 'build', a.project, '--out', a.out, '--no-cache'], a.checkout));
    }
    for (const a of at) {
      // The cache as the previous run left it, then one threshold changed.
      await writeFile(path.join(a.project, edited), original);
      timed([...a.vigil, 'build', a.project, '--out', a.out, '--cache-dir', a.cache], a.checkout);
      await writeFile(path.join(a.project, edited), original.replace('value: 0.7,', `value: 0.7${run + 1},`));
      a.oneFile.push(timed([...a.vigil, 'build', a.project, '--out', a.out, '--cache-dir', a.cache], a.checkout));
    }
  }

  const watchers = at.map((a) => new Watcher(a.vigil, a.project, a.out, a.cache, a.checkout));
  try {
    await Promise.all(watchers.map((w) => w.ready()));
    for (let e = 0; e < EDITS; e++) {
      for (const [i, a] of at.entries()) {
        const next = watchers[i]!.next();
        await writeFile(path.join(a.project, edited), original.replace('value: 0.7,', `value: 0.6${e + 1},`));
        a.watch.push(await next);
      }
    }
  } finally {
    for (const w of watchers) w.stop();
  }

  const report = at.map((a) => ({
    checkout: a.checkout,
    coldBuild: { seconds: median(a.cold.map((t) => t.seconds)), cpuSeconds: median(a.cold.map((t) => t.cpuSeconds)), peakRssMb: Math.max(...a.cold.map((t) => t.maxRssMb)) },
    oneFileCachedBuild: { seconds: median(a.oneFile.map((t) => t.seconds)), cpuSeconds: median(a.oneFile.map((t) => t.cpuSeconds)), peakRssMb: Math.max(...a.oneFile.map((t) => t.maxRssMb)), all: a.oneFile },
    oneFileWatch: { wallMs: a.watch.map((w) => w.wallMs), cpuMs: a.watch.map((w) => w.cpuMs ?? null) },
  }));
  console.log(JSON.stringify({ alerts: ALERTS, dashboards: DASHBOARDS, runs: RUNS, edits: EDITS, report, loadAverage: { before: loadBefore, after: load() } }, null, 2));
  await rm(dir, { recursive: true, force: true });
}

await main();
