/**
 * `vigil validate` of the example as users run it (issue #12 §3): the repository packed as npm publishes it and
 * installed into an empty project (`npm install --save-dev <tarball>`, from npm's cache), the example copied into the
 * project's `monitoring/`, and its `node_modules/vigil` command line timed against this checkout's `bin/vigil.js` on
 * the example in the checkout, cold (`--no-cache`), one run of each in turn. A checkout's command line first looks whether any of its ≈ 400 source files is newer than its bundle (and
 * rebuilds it then); an installed package never does. Each gets a code cache of its own, made by an untimed run.
 * Wall time by `performance.now()` around the child (GNU time's is in hundredths of a second), CPU by its rusage.
 * Run: `npm run bench:installed` (BENCH_PAIRS, default 20; about a minute, most of it `npm pack` building dist/).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { installPackedVigil } from '../helpers/packed-install.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const PAIRS = Number(process.env.BENCH_PAIRS ?? 20);

interface Run {
  ms: number;
  cpuMs: number;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** One run of `node <bin> validate <example> --no-cache`, timed from this process. */
function timed(bin: string, example: string, cwd: string, cacheDir: string): Run {
  const cpuBefore = childrenCpuMs();
  const started = performance.now();
  run(process.execPath, [bin, 'validate', example, '--no-cache'], cwd, { ...process.env, VIGIL_CACHE_DIR: cacheDir });
  const ms = performance.now() - started;
  return { ms, cpuMs: childrenCpuMs() - cpuBefore };
}

/** CPU milliseconds of every child this process has waited for (Linux /proc/self/stat: cutime + cstime, in ticks of 10 ms). */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function main() {
  const temp = mkdtempSync(path.join(os.tmpdir(), 'vigil-installed-'));
  try {
    const project = installPackedVigil(temp, 'team-monitoring');
    // The example as a team's own definitions: in the project (as `vigil init --example ml-platform` puts it), not
    // inside node_modules/vigil, whose package is another repository for the loader's readable roots.
    cpSync(path.join(project, 'node_modules/vigil/examples/ml-platform'), path.join(project, 'monitoring'), { recursive: true });
    const arms = [
      { name: 'checkout', bin: path.join(REPO, 'bin/vigil.js'), example: path.join(REPO, 'examples/ml-platform'), cwd: REPO },
      { name: 'installed', bin: path.join(project, 'node_modules/vigil/bin/vigil.js'), example: path.join(project, 'monitoring'), cwd: project },
    ];
    const cacheOf = (i: number) => path.join(temp, `code-${i}`);
    // The code caches, made by an untimed run of each.
    arms.forEach((a, i) => timed(a.bin, a.example, a.cwd, cacheOf(i)));
    const runs: Run[][] = arms.map(() => []);
    for (let n = 0; n < PAIRS; n++) {
      const order = n % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) runs[i]!.push(timed(arms[i]!.bin, arms[i]!.example, arms[i]!.cwd, cacheOf(i)));
    }
    const paired = runs[1]!.map((r, n) => r.ms - runs[0]![n]!.ms);
    const report = {
      pairs: PAIRS,
      ...Object.fromEntries(arms.map((a, i) => [a.name, { validateExampleMs: Math.round(median(runs[i]!.map((r) => r.ms))), fastestMs: Math.round(Math.min(...runs[i]!.map((r) => r.ms))), cpuMs: Math.round(median(runs[i]!.map((r) => r.cpuMs))) }])),
      installedMinusCheckoutMs: Math.round(median(paired) * 10) / 10,
      installedFasterIn: paired.filter((d) => d < 0).length,
      loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
      goals: { 'validate example < 0.3 s (cold), installed': median(runs[1]!.map((r) => r.ms)) < 300 },
    };
    console.log(JSON.stringify(report, null, 2));
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

main();
