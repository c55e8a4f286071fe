import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { CacheStore, TsCacheEntry } from '../cache/index.ts';
import { tsDefinitionsOf, type TsFile, type TsLoadResult } from './typescript.ts';

const sha256 = (content: string | Buffer) => createHash('sha256').update(content).digest('hex');
const keyOf = (f: TsFile) => `${f.absolutePath}\0${sha256(f.text)}`;

/**
 * The TypeScript files whose exported data the cache holds for exactly these inputs: the file's text and every
 * file its bundle was made from or imports by path (local modules, `vigil`'s helpers, a package's entry), each
 * compared by its sha256 now. The rest must be loaded.
 */
export async function typeScriptFromCache(files: readonly TsFile[], store: CacheStore<TsCacheEntry>): Promise<{ hits: Map<string, TsLoadResult>; misses: TsFile[] }> {
  const hits = new Map<string, TsLoadResult>();
  const misses: TsFile[] = [];
  await Promise.all(
    files.map(async (f) => {
      const entry = store.get(keyOf(f));
      if (entry && (await unchanged(entry.inputs))) hits.set(f.file, tsDefinitionsOf(f.file, f.text, entry.json));
      else misses.push(f);
    }),
  );
  return { hits, misses: files.filter((f) => misses.includes(f)) };
}

/** Keeps each load that had no problem, with the sha256 of its inputs as they are after the load. */
export async function rememberTypeScript(files: readonly TsFile[], results: ReadonlyMap<string, TsLoadResult>, store: CacheStore<TsCacheEntry>): Promise<void> {
  await Promise.all(
    files.map(async (f) => {
      const exported = results.get(f.file)?.exported;
      if (!exported) return;
      const inputs = await hashes(exported.inputs);
      // Edited while it loaded: what was loaded is not what the key names.
      if (!inputs || inputs.find((i) => i.path === f.absolutePath)?.sha256 !== sha256(f.text)) return;
      store.set(keyOf(f), { json: exported.json, inputs });
    }),
  );
}

async function unchanged(inputs: TsCacheEntry['inputs']): Promise<boolean> {
  const now = await hashes(inputs.map((i) => i.path));
  return now !== undefined && now.every((h, i) => h.sha256 === inputs[i]!.sha256);
}

async function hashes(paths: readonly string[]): Promise<TsCacheEntry['inputs'] | undefined> {
  try {
    return await Promise.all(paths.map(async (p) => ({ path: p, sha256: sha256(await readFile(p)) })));
  } catch {
    return undefined;
  }
}
