/**
 * The build's side of the hostile-input benchmark (issues #8 §7, #12 §3): each shape of
 * test/security/hostile-build-inputs.ts at 1×, 2× and 4× its size, built by the real CLI (`vigil build <dir> --out
 * <new folder> --no-cache` with VIGIL_TIMINGS=1). Prints wall time, CPU time and peak RSS per size, then each stage that
 * took 10 ms or more at 1× (each emitter, each check, load, schema, model, write) with its growth, and flags a step
 * where 4× the input costs more than 5× the time of 1× ("QUADRATIC?"), for the whole and for each such stage. Each size
 * is built HOSTILE_RUNS times (default 3) and each figure is the least of them: a stage's time is its wall clock, which
 * another process or one garbage collection can double in a single run.
 * Run: `npm run bench:hostile-build` (two or three minutes); HOSTILE_ONLY=<name substring> runs one shape,
 * HOSTILE_FACTORS=1,2 other sizes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HOSTILE_BUILD_INPUTS } from '../security/hostile-build-inputs.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const VIGIL = [process.execPath, path.join(REPO, 'bin/vigil.js')];
/** 4× the input may cost at most this many times 1× before the step is called super-linear. */
const SUPERLINEAR = 5;
const FACTORS = (process.env.HOSTILE_FACTORS ?? '1,2,4').split(',').map(Number);
/** Stages under this many ms at 1× are too short to time apart (their growth is the noise's). */
const TIMED_FROM_MS = 10;
const RUNS = Number(process.env.HOSTILE_RUNS ?? 3);

interface Built {
  wall: number;
  cpu: number;
  rssMb: number;
  code: number;
  stages: Map<string, number>;
}

function build(dir: string, out: string): Built {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', ...VIGIL, 'build', dir, '--out', out, '--no-cache'], { cwd: REPO, encoding: 'utf8', env: { ...process.env, VIGIL_TIMINGS: '1' }, maxBuffer: 1 << 30 });
  const lines = r.stderr.trimEnd().split('\n');
  const [wall, user, sys, kb] = lines.pop()!.split(' ').map(Number);
  const stages = new Map<string, number>();
  for (const line of lines) {
    const m = /^timing (.+): (\d+(?:\.\d+)?) ms$/.exec(line);
    if (m) stages.set(m[1]!, Number(m[2]));
  }
  return { wall: wall!, cpu: user! + sys!, rssMb: kb! / 1024, code: r.status ?? -1, stages };
}

const fmt = (n: number, digits = 2) => n.toFixed(digits).padStart(7);

async function main() {
  const only = process.env.HOSTILE_ONLY;
  const root = await mkdtemp(path.join(os.tmpdir(), 'vigil-hostile-build-bench-'));
  // The first run may rebuild the CLI bundle, and makes the build's code cache: it is not measured.
  build(path.join(REPO, 'examples/ml-platform'), path.join(root, 'warm-up'));
  console.log(`vigil build on hostile shapes (${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}, Node ${process.version})`);
  console.log('shape                                              size   wall s   cpu s  peak MB  exit');
  let failed = false;
  for (const input of HOSTILE_BUILD_INPUTS) {
    if (only && !input.name.includes(only)) continue;
    const results: Built[] = [];
    for (const factor of FACTORS) {
      const n = input.reportedSize * factor;
      const dir = path.join(root, `${input.name.replace(/\W+/g, '-')}-${n}`);
      await input.write(dir, n);
      const runs = Array.from({ length: RUNS }, (_, i) => build(dir, `${dir}-out-${i}`));
      const least = (pick: (b: Built) => number) => Math.min(...runs.map(pick));
      const stages = new Map([...runs[0]!.stages.keys()].map((stage) => [stage, least((b) => b.stages.get(stage) ?? Infinity)]));
      const t: Built = { wall: least((b) => b.wall), cpu: least((b) => b.cpu), rssMb: Math.max(...runs.map((b) => b.rssMb)), code: Math.max(...runs.map((b) => b.code)), stages };
      results.push(t);
      console.log(`${input.name.padEnd(48)} ${String(n).padStart(7)} ${fmt(t.wall)} ${fmt(t.cpu)} ${fmt(t.rssMb, 0)} ${String(t.code).padStart(5)}`);
      if (t.code !== 0) failed = true;
    }
    const last = results.length - 1;
    if (last === 0) continue;
    const growth = FACTORS[last]! / FACTORS[0]!;
    const limit = growth * (SUPERLINEAR / 4);
    const verdict = (ratio: number) => (ratio > limit ? 'QUADRATIC?' : 'linear');
    const whole = results[last]!.cpu / Math.max(results[0]!.cpu, 0.01);
    console.log(`  ${growth}× / 1× cpu time: ${whole.toFixed(1)} (${verdict(whole)})`);
    if (whole > limit) failed = true;
    const timed = [...results[0]!.stages].filter(([stage, ms]) => ms >= TIMED_FROM_MS && !stage.startsWith('CPU')).sort((a, b) => b[1] - a[1]);
    for (const [stage, ms] of timed) {
      const sizes = results.map((r) => r.stages.get(stage) ?? NaN);
      const ratio = sizes[last]! / ms;
      console.log(`    ${stage.padEnd(36)} ${sizes.map((s) => `${s.toFixed(0).padStart(5)} ms`).join(' ')}  ${growth}×: ${ratio.toFixed(1)} (${verdict(ratio)})`);
      if (ratio > limit) failed = true;
    }
  }
  await rm(root, { recursive: true, force: true });
  console.log(failed ? '\nNOT MET: a build failed or a step grew super-linearly' : '\nmet: every build succeeded and every step grew linearly');
  process.exitCode = failed ? 1 : 0;
}

await main();
