import { createHash } from 'node:crypto';
import { MANIFEST_PATH } from './paths.ts';

export interface ManifestEntry {
  path: string;
  sha256: string;
  sources?: string[];
}

export const sha256 = (content: string) => createHash('sha256').update(content).digest('hex');

/** manifest.json of a build: every file with its sha256 and the definitions it came from, in the files' order. */
export function buildManifest(files: readonly { path: string; content: string; sources: readonly string[] }[]): { path: string; content: string; sources: string[] } {
  const entries = files.map((f) => ({ path: f.path, sha256: sha256(f.content), sources: [...new Set(f.sources)].sort() }));
  return { path: MANIFEST_PATH, content: JSON.stringify({ generator: 'vigil', format: 'vigil/v1', files: entries }, null, 2) + '\n', sources: [] };
}

/** The entries of a manifest.json; throws an Error saying what is wrong when it is not a Vigil manifest. */
export function parseManifest(text: string): ManifestEntry[] {
  const parsed = JSON.parse(text) as { generator?: unknown; files?: unknown };
  if (parsed.generator !== 'vigil' || !Array.isArray(parsed.files)) throw new Error('not a Vigil manifest');
  return parsed.files.map((f: unknown) => {
    const entry = f as { path?: unknown; sha256?: unknown; sources?: unknown };
    if (typeof entry.path !== 'string' || typeof entry.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(entry.sha256)) throw new Error('a file entry without path or sha256');
    const sources = Array.isArray(entry.sources) ? entry.sources.filter((s): s is string => typeof s === 'string') : undefined;
    return { path: entry.path, sha256: entry.sha256, ...(sources ? { sources } : {}) };
  });
}
