import { createHash } from 'node:crypto';
import { MANIFEST_PATH } from './paths.ts';

export interface ManifestEntry {
  path: string;
  sha256: string;
  sources?: string[];
}

/** A definition file the build was made from (`<definitions dir name>/<path inside it>`) and its sha256. */
export interface ManifestInput {
  path: string;
  sha256: string;
}

export interface Manifest {
  files: ManifestEntry[];
  /** Undefined in a manifest written before inputs were recorded, or by a build of in-memory sources. */
  inputs?: ManifestInput[];
}

export const sha256 = (content: string) => createHash('sha256').update(content).digest('hex');

/**
 * manifest.json of a build: every file with its sha256 and the definitions it came from, in the files' order, and
 * the definition files it was built from (so deploy can tell a build made from other definitions without compiling).
 */
export function buildManifest(
  files: readonly { path: string; content: string; sources: readonly string[] }[],
  inputs?: readonly ManifestInput[],
): { path: string; content: string; sources: string[] } {
  const entries = files.map((f) => ({ path: f.path, sha256: sha256(f.content), sources: [...new Set(f.sources)].sort() }));
  const sortedInputs = inputs && [...inputs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((i) => ({ path: i.path, sha256: i.sha256 }));
  const doc = { generator: 'vigil', format: 'vigil/v1', files: entries, ...(sortedInputs ? { inputs: sortedInputs } : {}) };
  return { path: MANIFEST_PATH, content: JSON.stringify(doc, null, 2) + '\n', sources: [] };
}

const SHA256 = /^[0-9a-f]{64}$/;

/** A manifest.json's entries and inputs; throws an Error saying what is wrong when it is not a Vigil manifest. */
export function parseManifest(text: string): Manifest {
  const parsed = JSON.parse(text) as { generator?: unknown; files?: unknown; inputs?: unknown };
  if (parsed.generator !== 'vigil' || !Array.isArray(parsed.files)) throw new Error('not a Vigil manifest');
  const files = parsed.files.map((f: unknown) => {
    const entry = f as { path?: unknown; sha256?: unknown; sources?: unknown };
    if (typeof entry.path !== 'string' || typeof entry.sha256 !== 'string' || !SHA256.test(entry.sha256)) throw new Error('a file entry without path or sha256');
    const sources = Array.isArray(entry.sources) ? entry.sources.filter((s): s is string => typeof s === 'string') : undefined;
    return { path: entry.path, sha256: entry.sha256, ...(sources ? { sources } : {}) };
  });
  if (parsed.inputs === undefined) return { files };
  if (!Array.isArray(parsed.inputs)) throw new Error('"inputs" is not a list');
  const inputs = parsed.inputs.map((i: unknown) => {
    const input = i as { path?: unknown; sha256?: unknown };
    if (typeof input.path !== 'string' || typeof input.sha256 !== 'string' || !SHA256.test(input.sha256)) throw new Error('an input entry without path or sha256');
    return { path: input.path, sha256: input.sha256 };
  });
  return { files, inputs };
}
