/**
 * What every `vigil import <kind>` does around its importer: read the input files, refuse bad input having written
 * nothing, write the definitions into a new or empty directory, build them for --verify, and print the JSON answer.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { compileProject } from '../compile-project.ts';
import type { Diagnostic } from '../diagnostics.ts';
import type { Artifact } from '../emit/artifact.ts';
import { toJsonDiagnostics } from '../report/json.ts';
import { formatText } from '../report/text.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { EXIT } from './exit.ts';
import { loadDefinitions, styleFor, UsageError, type CliIO } from './io.ts';
import { countSummary, printDiagnostics } from './print.ts';

export interface ImportOptions {
  out: string;
  verify: boolean;
  format: 'text' | 'json';
}

export interface ImportInput {
  file: string;
  text: string;
}

/** The files' texts; an unreadable file is an `import/read` problem (and the import then writes nothing). */
export async function readImportInputs(files: readonly string[]): Promise<{ inputs: ImportInput[]; unreadable: Diagnostic[] }> {
  const inputs: ImportInput[] = [];
  const unreadable: Diagnostic[] = [];
  for (const file of files) {
    try {
      inputs.push({ file, text: await readFile(file, 'utf8') });
    } catch (e) {
      unreadable.push({ code: 'import/read', severity: 'error', message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    }
  }
  return { inputs, unreadable };
}

/** Prints the problems of bad input (located in `inputs`) and says nothing was written. */
export function refuseInput(io: CliIO, options: ImportOptions, diagnostics: readonly Diagnostic[], inputs: readonly ImportInput[]): number {
  if (options.format === 'json') io.out(JSON.stringify({ ok: false, written: [], diagnostics: toJsonDiagnostics(diagnostics, inputs) }, null, 2) + '\n');
  else io.err(`${formatText(diagnostics, inputs, styleFor(io))}${styleFor(io).red('import failed')}: ${countSummary(diagnostics)}; nothing was written\n`);
  return EXIT.problems;
}

/** The output directory must be new or empty: an import never mixes with, or overwrites, what is there. */
export async function emptyOutput(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new UsageError(`--out ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (entries.length > 0) throw new UsageError(`--out ${dir} is not empty: import into a new directory, then move the definitions into your project`);
}

/** Writes the imported files (each atomically) into the new or empty output directory. */
export async function writeImported(out: string, files: readonly { path: string; content: string }[]): Promise<void> {
  await emptyOutput(out);
  for (const f of files) {
    const target = path.join(out, f.path);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFileAtomic(target, f.content);
  }
}

/**
 * Builds the written definitions for --verify: the build's artifacts, or its errors (printed in text format, since a
 * definition an import wrote that does not build is the first thing to fix).
 */
export async function buildImported(io: CliIO, options: ImportOptions): Promise<{ artifacts?: Artifact[]; buildProblems: Diagnostic[] }> {
  const loaded = await loadDefinitions(options.out);
  const project = compileProject(loaded);
  const buildProblems = project.diagnostics.filter((d) => d.severity === 'error');
  if (buildProblems.length === 0) return { artifacts: project.base.artifacts, buildProblems };
  if (options.format === 'text') printDiagnostics(io, 'text', loaded, buildProblems);
  return { buildProblems };
}

/** The JSON answer of an import: what was written, counted and noted, and the verification. */
export function importJson(options: ImportOptions, ok: boolean, fields: { files: readonly { path: string }[]; [key: string]: unknown }, buildProblems: readonly Diagnostic[]): string {
  const { files, ...rest } = fields;
  return JSON.stringify({ ok, written: files.map((f) => path.join(options.out, f.path)), ...rest, ...(buildProblems.length ? { buildErrors: buildProblems.length } : {}) }, null, 2) + '\n';
}
