/**
 * PromQL analysis benchmark: the 11,200 expressions of the synthetic project's cold build (10,000 alert expressions,
 * 1,200 Grafana dashboard queries; test/bench/synthetic.ts) analysed in a fresh process, CPU and wall time of the
 * loop alone. Run: `node --import tsx test/bench/promql-bench.ts` (BENCH_RUNS, default 5).
 * BENCH_AGAINST=DIR (another checkout, e.g. a detached `git worktree` of an older commit) runs the same in DIR's
 * src/promql, one process each in turn, and reports both.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const REPO = path.resolve(import.meta.dirname, '../..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const AGAINST = process.env.BENCH_AGAINST ? path.resolve(process.env.BENCH_AGAINST) : undefined;

interface Options {
  grafana?: boolean;
}

/** One measurement, in this process: `checkout`'s analyzePromql over the expressions. */
async function measure(checkout: string): Promise<void> {
  const { analyzePromql } = (await import(pathToFileURL(path.join(checkout, 'src/promql/analyze.ts')).href)) as {
    analyzePromql: (e: string, o?: Options) => { problems: unknown[] };
  };
  const metric = (i: number) => `app_metric_${i % 100}_total`;
  const exprs: [string, boolean][] = [];
  for (let a = 0; a < 10_000; a++) {
    const m = metric(a);
    exprs.push([`sum by (service) (rate(${m}{code=~"5..", shard="${a % 7}"}[5m])) / sum by (service) (rate(${m}{shard="${a % 7}", zone!="z${a}"}[5m]))`, false]);
  }
  for (let d = 0; d < 1_200; d++) exprs.push([`sum by (service) (rate(${metric(d)}[$__rate_interval]))`, true]);
  const cpu = process.cpuUsage();
  const wall = performance.now();
  let problems = 0;
  for (const [e, grafana] of exprs) problems += analyzePromql(e, { grafana }).problems.length;
  const used = process.cpuUsage(cpu);
  console.log(JSON.stringify({ cpuMs: Math.round((used.user + used.system) / 1000), wallMs: Math.round(performance.now() - wall), problems }));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (process.argv[2] === '--measure') {
  await measure(process.argv[3]!);
} else {
  const checkouts = AGAINST ? [REPO, AGAINST] : [REPO];
  const runs = checkouts.map(() => ({ cpuMs: [] as number[], wallMs: [] as number[] }));
  for (let n = 0; n < RUNS; n++) {
    checkouts.forEach((c, i) => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--measure', c], { cwd: REPO, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`measuring ${c} failed:\n${r.stderr}`);
      const m = JSON.parse(r.stdout.trim().split('\n').pop()!) as { cpuMs: number; wallMs: number; problems: number };
      if (m.problems !== 0) throw new Error(`${c}: ${m.problems} problems in the synthetic expressions`);
      runs[i]!.cpuMs.push(m.cpuMs);
      runs[i]!.wallMs.push(m.wallMs);
    });
  }
  const report = (i: number) => ({ checkout: checkouts[i], cpuMs: runs[i]!.cpuMs, wallMs: runs[i]!.wallMs, cpuMedianMs: median(runs[i]!.cpuMs), wallMedianMs: median(runs[i]!.wallMs) });
  console.log(JSON.stringify({ analyses: 11_200, runs: RUNS, ...report(0), ...(AGAINST ? { against: report(1) } : {}) }, null, 2));
}
