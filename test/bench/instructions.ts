/**
 * Instructions of one vigil command line in two checkouts, counted by callgrind (issue #12 §3): on a shared two-core
 * machine the wall time of a cold `vigil validate` moves ± 20 % within an hour, and 40 pairs in turn leave a standard
 * error of ≈ 6 ms, more than most single changes left to make; the vigil process's instructions (all its threads; the
 * TypeScript loader and esbuild's service are processes of their own, not counted) move ± 0.5 % from run to run when
 * one runs at a time, up to ± 1.5 % with the two sides side by side (1,462–1,508 M on 2026-12-07: how often the
 * command's thread turns its event loop while the loader works depends on the timing): take RUNS of 5 or more.
 * Instructions are not time — valgrind's CPU has no SHA extensions, so hashing counts ≈ 6 × what it costs here, and
 * cache misses and the wait for a core are not counted — but what a change takes off the same work, they show.
 * Each checkout runs under valgrind once untimed first (V8's code caches name the CPU's features, which valgrind's
 * emulated CPU changes: a cache made outside valgrind is rejected inside, and the other way round), then RUNS times;
 * the two checkouts run side by side, one per core (their counts do not depend on each other). A code cache of each
 * checkout's own, in a folder of its own, as `npm run bench` does.
 * Run: `node --import tsx test/bench/instructions.ts A_DIR B_DIR [RUNS=3] -- validate examples/ml-platform --no-cache`
 * (each DIR a checkout with node_modules and a built dist/, e.g. a detached `git worktree` of another commit); needs
 * valgrind (Debian's package). Prints each run's count, the medians and B − A.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const dash = process.argv.indexOf('--');
if (dash < 4) {
  process.stderr.write('usage: instructions.ts A_DIR B_DIR [RUNS] -- <vigil arguments>\n');
  process.exit(2);
}
const [a, b, runsArg] = process.argv.slice(2, dash);
const args = process.argv.slice(dash + 1);
const RUNS = Number(runsArg ?? 3);
const scratch = mkdtempSync(path.join(os.tmpdir(), 'vigil-instructions-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

/** The instructions of one run of the command line of `checkout` under callgrind. */
function counted(checkout: string, cacheDir: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', ['--tool=callgrind', '--smc-check=all-non-file', '--callgrind-out-file=/dev/null', process.execPath, path.join(checkout, 'bin/vigil.js'), ...args], {
      cwd: checkout,
      env: { ...process.env, VIGIL_CACHE_DIR: cacheDir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      const refs = /I\s+refs:\s+([\d,]+)/.exec(stderr)?.[1];
      if (refs === undefined) reject(new Error(`no count from valgrind for ${checkout}:\n${stderr.slice(-2000)}`));
      else resolve(Number(refs.replaceAll(',', '')));
    });
  });
}

async function series(checkout: string, side: string): Promise<number[]> {
  const cacheDir = path.join(scratch, side);
  await counted(checkout, cacheDir);
  const counts: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    counts.push(await counted(checkout, cacheDir));
    process.stderr.write(`${side} ${(counts.at(-1)! / 1e6).toFixed(1)} M\n`);
  }
  return counts;
}

const [countsA, countsB] = await Promise.all([series(path.resolve(a!), 'a'), series(path.resolve(b!), 'b')]);
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const millions = (n: number) => Number((n / 1e6).toFixed(1));
const [ma, mb] = [median(countsA!), median(countsB!)];
console.log(
  JSON.stringify(
    {
      a: path.resolve(a!),
      b: path.resolve(b!),
      args,
      runs: RUNS,
      aMillions: countsA!.map(millions),
      bMillions: countsB!.map(millions),
      bMinusAMillions: millions(mb - ma),
      bMinusAPercent: Number((((mb - ma) / ma) * 100).toFixed(2)),
    },
    null,
    2,
  ),
);
