// test/bench/thread-cpu.cjs, the preload `npm run bench` uses to split a vigil process's time between its main thread
// (on a CPU, waiting for one) and its other threads.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const PRELOAD = path.resolve(import.meta.dirname, '../bench/thread-cpu.cjs');
const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-thread-cpu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `script` in node with the preload, its figures written to `file` (none: the variable unset). */
function run(script: string, file?: string, cwd = dir): { wallMs: number } {
  const env = { ...process.env, NODE_OPTIONS: `--require=${PRELOAD}` } as NodeJS.ProcessEnv;
  delete env.VIGIL_BENCH_THREAD_CPU;
  if (file) env.VIGIL_BENCH_THREAD_CPU = file;
  const started = performance.now();
  const r = spawnSync(process.execPath, ['-e', script], { cwd, env, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return { wallMs: performance.now() - started };
}

// A fixed amount of work (≈ 0.1–0.6 s of CPU here), not a time: a busy machine makes it slower, not smaller.
const WORK = 'let x = 0; for (let i = 0; i < 1e8; i++) x = (x * 31 + i) | 0; if (x === 0.5) console.log(x);';
const BUSY_MAIN = WORK;
// A worker thread works while the main thread waits for it: its CPU counts as another thread's, though it has ended.
const BUSY_WORKER = `const { Worker } = require('node:worker_threads'); new Worker(${JSON.stringify(WORK)}, { eval: true });`;

describe.runIf(process.platform === 'linux')('the bench\'s thread figures (test/bench/thread-cpu.cjs)', () => {
  it.each([
    ['a busy main thread', BUSY_MAIN, (t: Figures) => t.mainCpuMs >= 100 && t.otherCpuMs < t.mainCpuMs],
    ['a busy worker thread and an idle main thread', BUSY_WORKER, (t: Figures) => t.otherCpuMs >= 100 && t.mainCpuMs < t.otherCpuMs],
  ])('%s: one line of figures at exit, the busy thread\'s CPU where it belongs', (_name, script, holds) => {
    const file = path.join(dir, `${_name.replace(/\W+/g, '-')}.jsonl`);
    const { wallMs } = run(script, file);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    const figures = JSON.parse(lines[0]!) as Figures;
    expect(Object.keys(figures).sort()).toEqual(['mainCpuMs', 'mainWaitMs', 'otherCpuMs']);
    expect(figures.mainCpuMs + figures.mainWaitMs).toBeLessThanOrEqual(wallMs + 20);
    expect(figures.mainWaitMs).toBeGreaterThanOrEqual(0);
    expect(holds(figures)).toBe(true);
  });

  it('writes nothing, and fails nothing, without VIGIL_BENCH_THREAD_CPU', () => {
    const cwd = path.join(dir, 'unset');
    mkdirSync(cwd);
    run(BUSY_MAIN, undefined, cwd);
    expect(readdirSync(cwd)).toEqual([]);
  });
});

interface Figures {
  mainCpuMs: number;
  mainWaitMs: number;
  otherCpuMs: number;
}
