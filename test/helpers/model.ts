import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { compile, type CompileResult } from '../../src/compile.ts';
import { loadYamlSources } from '../../src/load/index.ts';

export const BASE_DIR = path.resolve(import.meta.dirname, '../fixtures/base');

/** Compiles the base fixture project with some files replaced (file name → YAML text). */
export async function compileBase(replace: Record<string, string> = {}): Promise<CompileResult> {
  const sources = [];
  for (const file of (await readdir(BASE_DIR)).sort()) {
    sources.push({ file, text: replace[file] ?? (await readFile(path.join(BASE_DIR, file), 'utf8')) });
  }
  for (const [file, text] of Object.entries(replace)) if (!sources.some((s) => s.file === file)) sources.push({ file, text });
  return compile(loadYamlSources(sources));
}

export async function baseFile(file: string): Promise<string> {
  return readFile(path.join(BASE_DIR, file), 'utf8');
}
