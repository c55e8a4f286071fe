import { existsSync, statSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pkg from '../../package.json' with { type: 'json' };
import type { PromqlAnalysis } from '../promql/index.ts';
import { CacheStore } from './store.ts';

export { CacheStore } from './store.ts';

/**
 * What a build knew of an output file when it last read it and found it equal to what it generated: the file's
 * size, modification and change times, inode and mode, and the sha256 of the content. Kept here, in the incremental
 * cache; read and made by cli/write.ts.
 */
export interface OutputRecord {
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
  mode: bigint;
  sha256: string;
}

/** Output records by `<absolute output directory>\0<file>` (the cache's `outputs` store). */
export interface OutputRecords {
  get(key: string): OutputRecord | undefined;
  set(key: string, record: OutputRecord): void;
}

/** What the TypeScript loader exported for one file, and every file its bundle was made from (with their sha256). */
export interface TsCacheEntry {
  json: string;
  inputs: { path: string; sha256: string }[];
}

/**
 * The incremental cache (issue #12 §3): results that are pure functions of a text, kept across runs. A run with
 * the cache gives the same diagnostics and files as one without; it only skips work whose input is unchanged.
 */
export interface DefinitionCache {
  /** sha256 of a YAML file's text → the values of its documents (only files that loaded without a problem). */
  yaml: CacheStore<unknown[]>;
  /** absolute path and sha256 of a TypeScript definition → its exported data (only loads without a problem). */
  typescript: CacheStore<TsCacheEntry>;
  /** `p:`/`g:` + expression text → its analysis (see compile.ts's AnalysisCaches). */
  promql: CacheStore<PromqlAnalysis>;
  /**
   * Per-file check reports and emitted parts (see compile-scopes.ts), keyed by what they were made from: the part,
   * the sha256 of the project-wide files and the environment, the sha256 of the file.
   */
  results: CacheStore<unknown>;
  /**
   * The texts of generated files made per file (rule files, dashboards; see compile-scopes.ts' memoText), keyed like
   * their entries in `results`: read from disk only when a build must write one of them.
   */
  texts: CacheStore<unknown>;
  /** Message template renders against sample notices (see checks/template-message-renders.ts), by template and notice. */
  renders: CacheStore<KeptRender>;
  /**
   * What `vigil build` last found in each output file, by output directory and file (see cli/write.ts): a file whose
   * stat is unchanged since it held the same content is not read back.
   */
  outputs: CacheStore<OutputRecord>;
  flush(): Promise<void>;
}

/** A render's outcome as the cache keeps it (checks/template-message-renders.ts turns it back into a render outcome). */
export type KeptOutcome =
  | { fails: { message: string; field: 'title' | 'body'; line?: number; column?: number } }
  | { bytes: number }
  | { markup: string[] }
  | { none: true };

/** A kept render: its outcome, and whether it read the notice's links. */
export interface KeptRender {
  outcome: KeptOutcome;
  readsLinks?: boolean;
}

export interface CacheOptions {
  /** --cache-dir; else VIGIL_CACHE_DIR; else node_modules/.cache/vigil of the nearest package.json above the working directory. */
  dir?: string;
  /** --no-cache */
  disabled?: boolean;
}

/** The cache a command uses, or undefined with --no-cache or when there is nowhere to keep it. */
export async function openCache(options: CacheOptions = {}, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<DefinitionCache | undefined> {
  if (options.disabled) return undefined;
  const base = options.dir ?? (env.VIGIL_CACHE_DIR || undefined) ?? defaultCacheDir(cwd);
  if (base === undefined) return undefined;
  const current = generation();
  const dir = path.join(path.resolve(base), current);
  const cache: DefinitionCache = {
    yaml: new CacheStore(dir, 'yaml'),
    typescript: new CacheStore(dir, 'typescript'),
    // Analyses are never changed after they are made (one compile's are shared by the next): no copies.
    promql: new CacheStore(dir, 'promql', { copies: false, sparse: true }),
    // Reports and texts are copied when handed out (compile.ts) or never changed (strings): no copies either.
    results: new CacheStore(dir, 'results', { copies: false }),
    // Strings, never changed; most runs write the files they hold from none of them.
    texts: new CacheStore(dir, 'texts', { copies: false, lazy: true, sparse: true }),
    // Outcomes are only read (and failures rebuilt as TemplateErrors): no copies.
    renders: new CacheStore(dir, 'renders', { copies: false }),
    // Records are replaced, never changed: no copies.
    outputs: new CacheStore(dir, 'outputs', { copies: false }),
    flush: async () => {
      await Promise.all([cache.yaml.flush(), cache.typescript.flush(), cache.promql.flush(), cache.results.flush(), cache.texts.flush(), cache.renders.flush(), cache.outputs.flush()]);
    },
  };
  await Promise.all([cache.yaml.open(), cache.typescript.open(), cache.promql.open(), cache.results.open(), cache.texts.open(), cache.renders.open(), cache.outputs.open(), removeOtherGenerations(path.resolve(base), current)]);
  return cache;
}

/** Another Vigil's or Node's entries are never read again here (an upgrade, or a rebuilt checkout): they go. */
async function removeOtherGenerations(base: string, current: string): Promise<void> {
  const names = await readdir(base).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith('vigil-') && n !== current).map((n) => rm(path.join(base, n), { recursive: true, force: true }).catch(() => undefined)));
}

/** Like eslint and babel: node_modules/.cache/<tool> of the project the command runs in. */
function defaultCacheDir(cwd: string): string | undefined {
  for (let d = path.resolve(cwd); ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'package.json'))) return path.join(d, 'node_modules', '.cache', 'vigil');
    if (path.dirname(d) === d) return undefined;
  }
}

/**
 * A cache directory per Vigil build and Node version: another version may parse or analyse differently, and V8's
 * serialization format belongs to the Node version. In a checkout the version number stays the same while the
 * code changes, so the size and time of the running module count as well.
 */
export function generation(): string {
  let build = '';
  try {
    const self = statSync(fileURLToPath(import.meta.url));
    build = `-${self.size.toString(36)}${Math.floor(self.mtimeMs).toString(36)}`;
  } catch {
    // no file behind this module: the version alone
  }
  return `vigil-${pkg.version}-node-${process.versions.node}${build}`;
}
