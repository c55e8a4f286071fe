/**
 * The thread figures a timed vigil process reports at its exit (test/bench/thread-cpu.cjs, preloaded through
 * NODE_OPTIONS, which the TypeScript loader's clean environment does not pass on): one JSON line per run, appended to
 * the file VIGIL_BENCH_THREAD_CPU names. Linux only; elsewhere the file stays absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface ThreadCpu {
  /** The main thread's time on a CPU. */
  mainCpuMs: number;
  /** Its time runnable but waiting for a CPU. */
  mainWaitMs: number;
  /** The other threads' CPU, ended ones too. */
  otherCpuMs: number;
}

const PRELOAD = path.join(import.meta.dirname, 'thread-cpu.cjs');

/** `env` with the preload added to NODE_OPTIONS and its figures appended to `file`. */
export function withThreadFigures(env: NodeJS.ProcessEnv, file: string): NodeJS.ProcessEnv {
  return { ...env, NODE_OPTIONS: [env.NODE_OPTIONS, `--require=${PRELOAD}`].filter(Boolean).join(' '), VIGIL_BENCH_THREAD_CPU: file };
}

/** Every run's figures in `file`, in the order the runs ended (none when the platform wrote none). */
export function readThreadFigures(file: string): ThreadCpu[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ThreadCpu);
}
