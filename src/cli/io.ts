import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileNameProblem, printableName } from '../load/file-names.ts';
import type { LoadOptions, LoadResult } from '../load/index.ts';
import { ansiStyle, plainStyle, type Style } from '../report/text.ts';

/** The CLI's only window on the process: tests pass their own and read what was printed. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** GitHub Actions workflow commands (`::error …`), which `out` and `err` never let through; defaults to `out`. */
  annotate?(text: string): void;
  /** Colour for stderr (problems) and stdout (summaries), each only when that stream is a terminal. */
  color: boolean;
  outColor?: boolean;
}

export class UsageError extends Error {}

export function processIO(): CliIO {
  const allowed = !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  return {
    out: (t) => process.stdout.write(neutraliseWorkflowCommands(t)),
    err: (t) => process.stderr.write(neutraliseWorkflowCommands(t)),
    annotate: (t) => process.stdout.write(t),
    color: allowed && Boolean(process.stderr.isTTY),
    outColor: allowed && Boolean(process.stdout.isTTY),
  };
}

/**
 * A CI runner reads every line of a job's output that starts with `::` (after blanks) as a workflow command: a
 * definition's text that reaches the output at the start of a line (a name with a newline, a tool's message quoting a
 * rule) could add annotations, mask values or stop commands. Such lines get a zero-width space in front.
 */
export function neutraliseWorkflowCommands(text: string): string {
  return text.includes('::') ? text.replace(/^([ \t]*)::/gm, '$1\u200b::') : text;
}

export function styleFor(io: CliIO, stream: 'err' | 'out' = 'err'): Style {
  return (stream === 'err' ? io.color : io.outColor) ? ansiStyle : plainStyle;
}

/**
 * Loads a definitions directory, turning a missing directory into a usage error instead of a stack trace; `options`
 * carries the cache of parsed files where the command uses one.
 */
export async function loadDefinitions(dir: string, envFile?: string, options: LoadOptions = {}): Promise<LoadResult> {
  await definitionsDirectory(dir);
  // Imported here, not at start-up: the YAML parsers and esbuild are for commands that load definitions.
  const { loadDirectory, withExtraFile } = await import('../load/index.ts');
  const loaded = await loadDirectory(dir, options);
  if (envFile === undefined) return loaded;
  try {
    await access(envFile);
  } catch {
    throw new UsageError(`--environment-file "${printableName(envFile)}" does not exist`);
  }
  return withExtraFile(loaded, envFile);
}

/** The definitions directory must be a directory whose name can be copied into generated files (its name prefixes every source name). */
export async function definitionsDirectory(dir: string): Promise<void> {
  const shown = printableName(dir);
  let info;
  try {
    info = await stat(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `definitions directory "${shown}" does not exist` : `definitions directory "${shown}" cannot be read (${code})`);
  }
  if (!info.isDirectory()) throw new UsageError(`definitions path "${shown}" is a file, not a directory; pass the folder that holds the definitions`);
  const problem = fileNameProblem(Buffer.from(path.basename(path.resolve(dir))));
  if (problem) throw new UsageError(`the definitions directory's name "${shown}" ${problem}; rename it`);
}
