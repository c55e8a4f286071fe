/**
 * A/B pairs of one vigil command line on a busy machine: runs `node bin/vigil.js <args>` of two checkouts one after
 * the other (alternating which goes first), only at moments when at most MAX_RUNNING other processes are runnable
 * (/proc/loadavg's running count, looked at five times 20 ms apart), until PAIRS pairs or SECONDS have passed. Prints
 * each pair (wall and user + system CPU seconds, under /usr/bin/time, and milliseconds around each run) and the
 * medians, B − A in milliseconds (mean ± the standard error of the mean, and median: differences of a few
 * milliseconds are below GNU time's hundredths), and the same over the pairs in which neither run exceeded the faster
 * mode (QUIET_UNDER seconds, default: 1.25 × the fastest run seen).
 * Run: `node --import tsx test/bench/quiet-pairs.ts A_DIR B_DIR [PAIRS=30] [SECONDS=900] [MAX_RUNNING=1] -- validate examples/ml-platform --no-cache`
 * (each DIR a checkout with node_modules and a built dist/, e.g. a detached `git worktree` of another commit).
 * PAIRS_UNSET_B=NAME runs B without the environment variable NAME: `PAIRS_UNSET_B=NODE_EXTRA_CA_CERTS` with the same
 * checkout as A and B times a command with and without the certificates Node parses at its start (docs/benchmarks.md).
 * PAIRS_NODE_FLAGS_B='--flag=value …' starts B's node with those Node or V8 flags (the same checkout as A: what a flag
 * would give). Each side keeps its code cache and incremental cache in a folder of its own (VIGIL_CACHE_DIR), made by
 * the untimed first run: a cache file is named by the flags it was made under, and each command keeps one.
 * A V8 flag given there also costs side B the code caches Node made of its own modules under V8's defaults (they are
 * compiled from source after any flag change): give A a flag that changes nothing, or set the flag while running
 * after them as bin/vigil.js sets its inlining bound (docs/benchmarks.md, 2026-12-06 14:43).
 * On Linux each run also reports its main thread's time on a CPU and waiting for one, and the other threads' CPU
 * (test/bench/thread-cpu.cjs); the medians are printed with the rest.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readThreadFigures, withThreadFigures } from './thread-figures.ts';

const dash = process.argv.indexOf('--');
if (dash < 0 || dash < 4) {
  process.stderr.write('usage: quiet-pairs.ts A_DIR B_DIR [PAIRS] [SECONDS] [MAX_RUNNING] -- <vigil arguments>\n');
  process.exit(2);
}
const [a, b, pairsArg, secondsArg, maxArg] = process.argv.slice(2, dash);
const args = process.argv.slice(dash + 1);
const checkouts = [path.resolve(a!), path.resolve(b!)];
const PAIRS = Number(pairsArg ?? 30);
const end = Date.now() + Number(secondsArg ?? 900) * 1000;
const MAX_RUNNING = Number(maxArg ?? 1);
const UNSET_B = process.env.PAIRS_UNSET_B;
const NODE_FLAGS_B = (process.env.PAIRS_NODE_FLAGS_B ?? '').split(' ').filter(Boolean);
const scratch = mkdtempSync(path.join(os.tmpdir(), 'vigil-pairs-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
const threadFigures = [path.join(scratch, 'threads-a.jsonl'), path.join(scratch, 'threads-b.jsonl')];
const envOf = (i: number): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, VIGIL_CACHE_DIR: path.join(scratch, `cache-${i}`) };
  if (i === 1 && UNSET_B) delete env[UNSET_B];
  return env;
};
/** The same, for a timed run: its thread figures appended to the side's file. */
const timedEnvOf = (i: number): NodeJS.ProcessEnv => withThreadFigures(envOf(i), threadFigures[i]!);

/** Runnable processes other than this one. */
const running = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[3]!.split('/')[0]) - 1;
const quietNow = () => {
  for (let i = 0; i < 5; i++) {
    if (running() > MAX_RUNNING) return false;
    spawnSync('sleep', ['0.02']);
  }
  return true;
};

interface Run {
  /** GNU time's, in hundredths of a second. */
  wall: number;
  cpu: number;
  /** Milliseconds around the child, from this process: what a difference of a few milliseconds is read from. */
  ms: number;
}

function run(i: number, env: NodeJS.ProcessEnv): Run {
  const checkout = checkouts[i]!;
  const flags = i === 1 ? NODE_FLAGS_B : [];
  const started = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', process.execPath, ...flags, path.join(checkout, 'bin/vigil.js'), ...args], { cwd: checkout, encoding: 'utf8', env });
  const ms = performance.now() - started;
  const [wall, user, system] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { wall: wall!, cpu: Number((user! + system!).toFixed(2)), ms: Number(ms.toFixed(1)) };
}

// Each checkout's bundle and code cache made before anything is timed.
checkouts.forEach((_, i) => run(i, envOf(i)));
const pairs: { a: Run; b: Run }[] = [];
while (pairs.length < PAIRS && Date.now() < end) {
  if (!quietNow()) {
    spawnSync('sleep', ['0.1']);
    continue;
  }
  const first = pairs.length % 2;
  const result = [undefined, undefined] as (Run | undefined)[];
  for (const i of [first, 1 - first]) result[i] = run(i, timedEnvOf(i));
  pairs.push({ a: result[0]!, b: result[1]! });
  console.log(`${new Date().toISOString()} A ${result[0]!.wall} s (CPU ${result[0]!.cpu}, ${result[0]!.ms} ms) B ${result[1]!.wall} s (CPU ${result[1]!.cpu}, ${result[1]!.ms} ms) load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 4).join(' ')}`);
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? NaN;
const mean = (xs: number[]) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
/** B − A in milliseconds over the pairs: its mean with the standard error of that mean, and its median. */
function difference(list: typeof pairs): { meanMs: number; standardErrorMs: number; medianMs: number } {
  const d = list.map((p) => p.b.ms - p.a.ms);
  const m = mean(d);
  const standardError = d.length > 1 ? Math.sqrt(d.reduce((sum, x) => sum + (x - m) ** 2, 0) / (d.length - 1) / d.length) : NaN;
  return { meanMs: Number(m.toFixed(1)), standardErrorMs: Number(standardError.toFixed(1)), medianMs: Number(median(d).toFixed(1)) };
}
const summary = (list: typeof pairs) => ({
  pairs: list.length,
  a: { wall: median(list.map((p) => p.a.wall)), cpu: median(list.map((p) => p.a.cpu)), ms: median(list.map((p) => p.a.ms)) },
  b: { wall: median(list.map((p) => p.b.wall)), cpu: median(list.map((p) => p.b.cpu)), ms: median(list.map((p) => p.b.ms)) },
  bMinusA: difference(list),
  aFaster: list.filter((p) => p.a.ms < p.b.ms).length,
});
const fastest = Math.min(...pairs.flatMap((p) => [p.a.wall, p.b.wall]));
const under = Number(process.env.QUIET_UNDER ?? (fastest * 1.25).toFixed(2));
/** Medians of the thread figures of one side's runs (all of them: which pair a line belongs to is not recorded). */
function threads(file: string): Record<string, number> | undefined {
  const lines = readThreadFigures(file);
  if (lines.length === 0) return undefined; // not Linux: no figures
  return { mainCpuMs: median(lines.map((l) => l.mainCpuMs)), mainWaitMs: median(lines.map((l) => l.mainWaitMs)), otherCpuMs: median(lines.map((l) => l.otherCpuMs)) };
}
console.log(
  JSON.stringify(
    {
      a: checkouts[0],
      b: checkouts[1],
      ...(UNSET_B ? { bWithout: UNSET_B } : {}),
      ...(NODE_FLAGS_B.length ? { bNodeFlags: NODE_FLAGS_B } : {}),
      args,
      all: summary(pairs),
      quietUnder: under,
      quiet: summary(pairs.filter((p) => p.a.wall <= under && p.b.wall <= under)),
      threads: { a: threads(threadFigures[0]!), b: threads(threadFigures[1]!) },
    },
    null,
    2,
  ),
);
