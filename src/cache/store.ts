import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';

export interface StoreOptions {
  /**
   * Hand out copies (the default): what a caller does to a value it got or set never reaches the cache. False for
   * values nobody changes (PromQL analyses, already shared between the compiles of one run), which saves a copy each.
   */
  copies?: boolean;
}

/**
 * One kind of cached result (parsed YAML, TypeScript exports, PromQL analyses), keyed by text, in two files under
 * `<dir>/<namespace>/`: base.bin and delta.bin, each a map from key to value, read whole when the store opens (the
 * delta's entries win). A run adds its new entries to the delta only, so a one-file change of a large project writes
 * a few entries, not the whole cache; when the delta grows past a quarter of the base, or most of the base went
 * unused, the entries this run used become the new base and the delta is emptied (stale entries go then).
 *
 * Values go through V8's serializer, not JSON: YAML gives numbers JSON cannot hold (.inf, .nan, -0) and a cached
 * value must be the very value a cold run computes. Each file starts with the sha256 of its payload, so a truncated
 * or damaged file is dropped as a whole (read as empty) instead of yielding a wrong value; a file that cannot be
 * read or written is ignored the same way: the cache only ever saves work. Files are written through a temporary
 * file and a rename; two runs writing at once may lose each other's additions, never mix them.
 */
export class CacheStore<T> {
  /**
   * Every entry as its own serialized bytes: opening a store copies bytes, and only the entries a run asks for are
   * turned back into objects (a one-file change of a large project reads a few of its 11,000 analyses, not all).
   */
  private entries = new Map<string, Uint8Array>();
  /** Entries of delta.bin, and those this run added (written to it at the next flush). */
  private delta = new Map<string, Uint8Array>();
  /** Without copies: the value handed out for a key, so every get of it gives that same object. */
  private decoded = new Map<string, T>();
  private baseSize = 0;
  private added = false;
  private opened = false;
  /** Keys read or written since the last flush: a compaction keeps only these. */
  private used = new Set<string>();
  private readonly copies: boolean;

  constructor(
    private readonly dir: string | undefined,
    private readonly namespace: string,
    options: StoreOptions = {},
  ) {
    this.copies = options.copies ?? true;
  }

  /** Reads the files once; later gets are answered from memory (a watch keeps the store between runs). */
  async open(): Promise<void> {
    if (this.opened) return;
    this.opened = true;
    if (!this.dir) return;
    const [base, delta] = await Promise.all([readMap(this.file('base')), readMap(this.file('delta'))]);
    this.baseSize = base.size;
    this.delta = delta;
    this.entries = base;
    for (const [k, v] of delta) this.entries.set(k, v);
  }

  get(key: string): T | undefined {
    const kept = this.copies ? undefined : this.decoded.get(key);
    if (kept !== undefined) {
      this.used.add(key);
      return kept;
    }
    const bytes = this.entries.get(key);
    if (bytes === undefined) return undefined;
    let value: T;
    try {
      value = deserialize(bytes) as T;
    } catch {
      // A damaged entry is no entry: the caller computes the value again.
      this.entries.delete(key);
      return undefined;
    }
    this.used.add(key);
    if (!this.copies) this.decoded.set(key, value);
    return value;
  }

  /** Whether the store has `key`, which then counts as used (kept by a compaction) without being read. */
  keep(key: string): boolean {
    if (!this.entries.has(key)) return false;
    this.used.add(key);
    return true;
  }

  set(key: string, value: T): void {
    // The serialized bytes are the copy: what the caller does to `value` later never reaches the cache.
    const bytes = serialize(value);
    this.entries.set(key, bytes);
    this.delta.set(key, bytes);
    if (!this.copies) this.decoded.set(key, value);
    this.used.add(key);
    this.added = true;
  }

  /** Writes what this run added; compacts when the delta is large or the base mostly stale. */
  async flush(): Promise<void> {
    const used = this.used;
    this.used = new Set();
    if (!this.added) return;
    this.added = false;
    const compact = this.delta.size * 4 > this.baseSize || (this.entries.size - used.size) * 2 > used.size;
    if (compact) {
      for (const key of this.entries.keys()) {
        if (used.has(key)) continue;
        this.entries.delete(key);
        this.decoded.delete(key);
      }
      this.baseSize = this.entries.size;
      this.delta = new Map();
      if (!this.dir) return;
      // The new base first: until the delta is emptied, its entries are merely there twice.
      if (await writeMap(this.file('base'), this.entries)) await writeMap(this.file('delta'), this.delta);
    } else if (this.dir) {
      await writeMap(this.file('delta'), this.delta);
    }
  }

  private file(name: 'base' | 'delta'): string {
    return path.join(this.dir!, this.namespace, `${name}.bin`);
  }
}

const DIGEST_BYTES = 32;

async function readMap(file: string): Promise<Map<string, Uint8Array>> {
  try {
    const bytes = await readFile(file);
    const payload = bytes.subarray(DIGEST_BYTES);
    if (bytes.length < DIGEST_BYTES || !createHash('sha256').update(payload).digest().equals(bytes.subarray(0, DIGEST_BYTES))) return new Map();
    const value = deserialize(payload) as unknown;
    if (!(value instanceof Map)) return new Map();
    for (const [k, v] of value) if (typeof k !== 'string' || !(v instanceof Uint8Array)) return new Map();
    return value as Map<string, Uint8Array>;
  } catch {
    return new Map();
  }
}

async function writeMap(file: string, map: Map<string, Uint8Array>): Promise<boolean> {
  const temp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    const payload = serialize(map);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(temp, Buffer.concat([createHash('sha256').update(payload).digest(), payload]));
    await rename(temp, file);
    return true;
  } catch {
    // A cache that cannot be written costs the next run time, never correctness.
    await rm(temp, { force: true }).catch(() => undefined);
    return false;
  }
}
