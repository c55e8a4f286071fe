import { access } from 'node:fs/promises';
import { loadDirectory, withExtraFile, type LoadResult } from '../load/index.ts';
import { ansiStyle, plainStyle, type Style } from '../report/text.ts';

/** The CLI's only window on the process: tests pass their own and read what was printed. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** Colour for stderr (problems) and stdout (summaries), each only when that stream is a terminal. */
  color: boolean;
  outColor?: boolean;
}

export class UsageError extends Error {}

export function processIO(): CliIO {
  const allowed = !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    color: allowed && Boolean(process.stderr.isTTY),
    outColor: allowed && Boolean(process.stdout.isTTY),
  };
}

export function styleFor(io: CliIO, stream: 'err' | 'out' = 'err'): Style {
  return (stream === 'err' ? io.color : io.outColor) ? ansiStyle : plainStyle;
}

/** Loads a definitions directory, turning a missing directory into a usage error instead of a stack trace. */
export async function loadDefinitions(dir: string, envFile?: string): Promise<LoadResult> {
  try {
    await access(dir);
  } catch {
    throw new UsageError(`definitions directory "${dir}" does not exist`);
  }
  const loaded = await loadDirectory(dir);
  if (envFile === undefined) return loaded;
  try {
    await access(envFile);
  } catch {
    throw new UsageError(`--env-file "${envFile}" does not exist`);
  }
  return withExtraFile(loaded, envFile);
}
