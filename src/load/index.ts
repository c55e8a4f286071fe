import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Diagnostic } from '../diagnostics.ts';
import type { Definition, SourceFile } from './definition.ts';
import { discoverDefinitionFiles } from './discover.ts';
import { loadTypeScript } from './typescript.ts';
import { loadYaml } from './yaml.ts';

export type { Definition, Path, SourceFile } from './definition.ts';

export interface LoadResult {
  dir: string;
  /**
   * File names are `<definitions dir name>/<path inside it>` (monitoring/alerts/gpu.yaml) wherever Vigil runs from,
   * so generated files name their sources identically on every machine; this maps them to paths the user can open
   * from the working directory, for printing.
   */
  displayNames?: Map<string, string>;
  sources: SourceFile[];
  definitions: Definition[];
  diagnostics: Diagnostic[];
}

/** Reads every definition under `dir`. IO lives here; everything after works on the returned texts. */
export async function loadDirectory(dir: string): Promise<LoadResult> {
  const files = await discoverDefinitionFiles(dir);
  const sources: SourceFile[] = [];
  const definitions: Definition[] = [];
  const diagnostics: Diagnostic[] = [];
  const displayNames = new Map<string, string>();
  const root = path.basename(path.resolve(dir));
  // Read every file at once (the disk is the slow part), then parse in order so results never depend on timing.
  const texts = await Promise.all(files.map((rel) => readFile(path.resolve(dir, rel), 'utf8')));
  for (const [i, rel] of files.entries()) {
    const absolute = path.resolve(dir, rel);
    const file = `${root}/${rel}`;
    displayNames.set(file, path.relative(process.cwd(), absolute).split(path.sep).join('/'));
    const text = texts[i]!;
    sources.push({ file, text });
    const result = file.endsWith('.ts') ? await loadTypeScript(file, absolute, text) : loadYaml(file, text);
    definitions.push(...result.definitions);
    diagnostics.push(...result.diagnostics);
  }
  return { dir, displayNames, sources, definitions, diagnostics };
}

/** Loads in-memory YAML sources (tests, editors): same result shape, no file system. */
export function loadYamlSources(sources: SourceFile[]): LoadResult {
  const definitions: Definition[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const source of sources) {
    const result = loadYaml(source.file, source.text);
    definitions.push(...result.definitions);
    diagnostics.push(...result.diagnostics);
  }
  return { dir: '.', sources, definitions, diagnostics };
}

/**
 * Adds the definitions of one file from outside the definitions directory (`--env-file`: an Environment kept in CI
 * secrets or written by a test). An Environment in it replaces the repository's Environment of the same name.
 */
export async function withExtraFile(loaded: LoadResult, filePath: string): Promise<LoadResult> {
  const absolute = path.resolve(filePath);
  const text = await readFile(absolute, 'utf8');
  const file = path.relative(process.cwd(), absolute).split(path.sep).join('/') || filePath;
  const result = file.endsWith('.ts') ? await loadTypeScript(file, absolute, text) : loadYaml(file, text);
  const names = new Set(result.definitions.map((d) => environmentNameOf(d)).filter((n): n is string => n !== undefined));
  const kept = loaded.definitions.filter((d) => !names.has(environmentNameOf(d) ?? ''));
  const displayNames = new Map(loaded.displayNames ?? []);
  displayNames.set(file, file);
  return {
    ...loaded,
    displayNames,
    sources: [...loaded.sources, { file, text }],
    definitions: [...kept, ...result.definitions],
    diagnostics: [...loaded.diagnostics, ...result.diagnostics],
  };
}

/** The name of an Environment definition; undefined for any other definition. */
export function environmentNameOf(def: Definition): string | undefined {
  const v = def.value as { kind?: unknown; name?: unknown } | null;
  return v && typeof v === 'object' && v.kind === 'Environment' && typeof v.name === 'string' ? v.name : undefined;
}
