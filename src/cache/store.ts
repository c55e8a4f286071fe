import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';

/**
 * One kind of cached result (parsed YAML, TypeScript exports, PromQL analyses), keyed by text: a few shard files
 * under `<dir>/<namespace>/`, each a map from key to value, written whole through a temporary file and a rename.
 *
 * Values go through V8's serializer, not JSON: YAML gives numbers JSON cannot hold (.inf, .nan, -0) and a cached
 * value must be the very value a cold run computes. Each shard starts with the sha256 of its payload, so a truncated
 * or damaged shard is dropped as a whole (read as empty) instead of yielding a wrong value; a shard that cannot be
 * read or written is ignored the same way: the cache only ever saves work. Entries are kept serialized, also in
 * memory, so every get is a fresh copy: what a compile does to its definitions never reaches the cache.
 */
export class CacheStore<T> {
  private readonly shards = new Map<number, Map<string, Uint8Array>>();
  /** Keys read or written in this run, per shard: a rewritten shard keeps only these, so stale entries go. */
  private readonly used = new Map<number, Set<string>>();
  private readonly dirty = new Set<number>();

  constructor(
    private readonly dir: string | undefined,
    private readonly namespace: string,
    private readonly shardCount = 16,
  ) {}

  /** Reads every shard once; later gets are answered from memory (a watch keeps the store between runs). */
  async open(): Promise<void> {
    if (this.shards.size > 0) return;
    await Promise.all(Array.from({ length: this.shardCount }, async (_, i) => this.shards.set(i, this.dir ? await readShard(this.shardFile(i)) : new Map())));
  }

  get(key: string): T | undefined {
    const shard = this.shardOf(key);
    const bytes = this.shards.get(shard)?.get(key);
    if (bytes === undefined) return undefined;
    try {
      const value = deserialize(bytes) as T;
      this.markUsed(shard, key);
      return value;
    } catch {
      return undefined;
    }
  }

  set(key: string, value: T): void {
    const shard = this.shardOf(key);
    const map = this.shards.get(shard) ?? new Map<string, Uint8Array>();
    this.shards.set(shard, map);
    const bytes = serialize(value);
    const before = map.get(key);
    if (!before || !Buffer.from(before).equals(bytes)) this.dirty.add(shard);
    map.set(key, bytes);
    this.markUsed(shard, key);
  }

  /** Writes the shards that gained entries, keeping only the entries used since the last flush. */
  async flush(): Promise<void> {
    const dirty = [...this.dirty];
    this.dirty.clear();
    await Promise.all(
      dirty.map(async (i) => {
        const used = this.used.get(i) ?? new Set<string>();
        const map = this.shards.get(i)!;
        for (const key of map.keys()) if (!used.has(key)) map.delete(key);
        if (this.dir) await writeShard(this.shardFile(i), map);
      }),
    );
    this.used.clear();
  }

  private markUsed(shard: number, key: string): void {
    (this.used.get(shard) ?? this.used.set(shard, new Set()).get(shard)!).add(key);
  }

  private shardOf(key: string): number {
    return createHash('sha1').update(key).digest().readUInt32BE(0) % this.shardCount;
  }

  private shardFile(i: number): string {
    return path.join(this.dir!, this.namespace, `${i.toString(16).padStart(2, '0')}.bin`);
  }
}

const DIGEST_BYTES = 32;

async function readShard(file: string): Promise<Map<string, Uint8Array>> {
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

async function writeShard(file: string, map: Map<string, Uint8Array>): Promise<void> {
  const temp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    const payload = serialize(map);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(temp, Buffer.concat([createHash('sha256').update(payload).digest(), payload]));
    await rename(temp, file);
  } catch {
    // A cache that cannot be written costs the next run time, never correctness.
    await rm(temp, { force: true }).catch(() => undefined);
  }
}
