/**
 * Definitions as the files a project holds: YAML text keyed by file name, the shape loadYamlSources, modelOf and a
 * temp project directory take. `projectFiles()` is the whole base project (it compiles with no error); a test
 * replaces or removes the files it is about: `projectFiles({ 'routes.yaml': routes({ receiver: 'oncall' }) })`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import type { SourceFile } from '../../src/load/index.ts';
import { alertRules, metrics, project, receivers, routes, severities, type Definition } from './definitions.ts';

/**
 * YAML text of one definition (block style, keys in the order the factory wrote them). Written as YAML 1.1, so a string
 * such as "yes", "on" or "0x1" is quoted and stays a string for every reader (Go's tools read YAML 1.1).
 */
export function yamlOf(definition: Definition | Record<string, unknown>): string {
  return stringify(definition, { lineWidth: 0, version: '1.1' });
}

export type ProjectFiles = Record<string, string>;

export function defaultDefinitions(): Record<string, Definition> {
  return {
    'project.yaml': project(),
    'metrics.yaml': metrics(),
    'alerts.yaml': alertRules(),
    'severities.yaml': severities(),
    'receivers.yaml': receivers(),
    'routes.yaml': routes(),
  };
}

/**
 * The default project's files with some replaced (a definition or YAML text), added, or removed (`undefined`).
 * Text is kept as given, so a test about line and column states the file verbatim.
 */
export function projectFiles(changes: Record<string, Definition | string | undefined> = {}): ProjectFiles {
  const out: ProjectFiles = {};
  const all: Record<string, Definition | string | undefined> = { ...defaultDefinitions(), ...changes };
  for (const [file, content] of Object.entries(all)) {
    if (content === undefined) continue;
    out[file] = typeof content === 'string' ? content : yamlOf(content);
  }
  return out;
}

/** The files as loadYamlSources takes them, sorted by name (the order loadDirectory reads a directory in). */
export function sourcesOf(files: ProjectFiles): SourceFile[] {
  return Object.keys(files)
    .sort()
    .map((file) => ({ file, text: files[file]! }));
}

/** Writes the files under `dir` (sub-directories made as needed); returns `dir`. */
export async function writeProject(dir: string, files: ProjectFiles): Promise<string> {
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  return dir;
}
