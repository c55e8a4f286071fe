/**
 * Hostile-input benchmark (issue #8 §7): each hostile input of test/security/hostile-sizes-inputs.ts at 1×, 2× and 4× its
 * size, run through the real CLI (`vigil validate`). Prints wall time, CPU time and peak RSS per size, and flags a
 * super-linear step: when 4× the input costs more than 5× the CPU time of 1×, the line says "QUADRATIC?".
 * Run: `npm run bench:hostile` (a minute or two); HOSTILE_ONLY=<name substring> runs one input, HOSTILE_TIMEOUT=<s>
 * stops a run that takes longer (default 600).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bigCatalogue, deepParentheses, manyPromqlErrors, unclosedIfs, unknownMetrics, unknownReceivers, type HostileInput } from '../security/hostile-sizes-inputs.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const VIGIL = [process.execPath, path.join(REPO, 'bin/vigil.js')];
/** 4× the input may cost at most this many times 1× before the step is called super-linear. */
const SUPERLINEAR = 5;
/** Every hostile input must end within this many seconds. */
const GOAL_SECONDS = 5;
/** A run still going after this many seconds is stopped (to measure a slow version at all). */
const TIMEOUT_SECONDS = Number(process.env.HOSTILE_TIMEOUT ?? 600);
/** The sizes, as multiples of each input's base size (HOSTILE_FACTORS=1,2 to measure a slow version). */
const FACTORS = (process.env.HOSTILE_FACTORS ?? '1,2,4').split(',').map(Number);

interface Timed {
  wall: number;
  cpu: number;
  rssMb: number;
  code: number;
  errors: number;
  firstError: string;
}

/** GNU time gives wall time, user + system CPU time and the peak resident set of the whole process. */
function validate(dir: string): Timed {
  // `timeout` stops the CLI itself (not only `time`), so a killed run leaves nothing behind.
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', 'timeout', '-s', 'KILL', String(TIMEOUT_SECONDS), ...VIGIL, 'validate', dir], { cwd: REPO, encoding: 'utf8', maxBuffer: 1 << 30 });
  const lines = r.stderr.trimEnd().split('\n');
  if (r.status === 137 || r.status === 124) {
    const [wall] = lines.pop()!.split(' ').map(Number);
    return { wall: wall!, cpu: NaN, rssMb: NaN, code: -1, errors: 0, firstError: `killed after ${TIMEOUT_SECONDS} s (HOSTILE_TIMEOUT)` };
  }
  const [wall, user, sys, kb] = lines.pop()!.split(' ').map(Number);
  const located = lines.filter((l) => /^\S+:\d+:\d+: error\[/.test(l));
  return { wall: wall!, cpu: user! + sys!, rssMb: kb! / 1024, code: r.status ?? -1, errors: located.length, firstError: located[0]?.replace(/^.*?: error/, 'error').slice(0, 90) ?? '' };
}

const CASES: { input: HostileInput; base: number; note?: string }[] = [
  { input: bigCatalogue, base: bigCatalogue.reportedSize },
  { input: manyPromqlErrors, base: manyPromqlErrors.reportedSize },
  { input: deepParentheses, base: deepParentheses.reportedSize, note: 'over the 64 KiB expression limit: a schema error' },
  { input: deepParentheses, base: 8_000, note: 'under the limit: the PromQL nesting check' },
  { input: unclosedIfs, base: unclosedIfs.reportedSize, note: 'over the 64 KiB template limit: a schema error' },
  { input: unclosedIfs, base: 1_000, note: 'under the limit: the template analyzer' },
  { input: unknownMetrics, base: unknownMetrics.reportedSize, note: 'n external names, n/20 alerts on unknown names' },
  { input: unknownReceivers, base: unknownReceivers.reportedSize, note: 'n receivers, n/2 routes to unknown ones' },
];

const fmt = (n: number, digits = 2) => n.toFixed(digits).padStart(7);

async function main() {
  const only = process.env.HOSTILE_ONLY;
  const root = await mkdtemp(path.join(os.tmpdir(), 'vigil-hostile-bench-'));
  // The first run may rebuild the CLI bundle; it is not measured.
  validate(path.join(REPO, 'examples/ml-platform'));
  console.log(`vigil validate on hostile inputs (${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}, Node ${process.version})`);
  console.log('input                                   size      wall s   cpu s  peak MB  exit  errors  first error');
  let failed = false;
  for (const { input, base, note } of CASES) {
    if (only && !input.name.includes(only)) continue;
    const results: Timed[] = [];
    for (const factor of FACTORS) {
      const n = base * factor;
      const dir = path.join(root, `${input.name.replace(/\W+/g, '-')}-${n}`);
      await input.write(dir, n);
      const t = validate(dir);
      results.push(t);
      const label = input.name.padEnd(38);
      console.log(`${label} ${String(n).padStart(7)} ${fmt(t.wall)} ${fmt(t.cpu)} ${fmt(t.rssMb, 0)} ${String(t.code).padStart(5)} ${String(t.errors).padStart(7)}  ${t.firstError}`);
      const expected = input.hasErrors ? 1 : 0;
      // The time goal is for the sizes the issue names (1×); the larger runs are there to show the growth.
      if (t.code !== expected || (input.hasErrors && t.errors === 0) || (factor === FACTORS[0] && t.wall > GOAL_SECONDS)) failed = true;
      await rm(dir, { recursive: true, force: true });
    }
    // Linear cost grows like the size; allow SUPERLINEAR for 4× (a ×1.25 margin), scaled for other factors.
    const last = results.length - 1;
    const growth = FACTORS[last]! / FACTORS[0]!;
    const ratio = results[last]!.cpu / Math.max(results[0]!.cpu, 0.01);
    const limit = growth * (SUPERLINEAR / 4);
    const verdict = Number.isNaN(ratio) ? 'killed' : ratio > limit ? 'QUADRATIC?' : 'linear';
    if (last > 0) console.log(`  ${growth}× / 1× cpu time: ${ratio.toFixed(1)} (${verdict})${note ? ` — ${note}` : ''}`);
    if (verdict !== 'linear' && last > 0) failed = true;
  }
  await rm(root, { recursive: true, force: true });
  console.log(failed ? `\nNOT MET: an input at 1× exceeded ${GOAL_SECONDS} s, exited wrongly, or grew super-linearly` : `\nmet: every input at 1× ended under ${GOAL_SECONDS} s, every run with the expected exit status, and cost grew linearly`);
  process.exitCode = failed ? 1 : 0;
}

await main();
