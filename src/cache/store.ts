import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open as openFile, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';

export interface StoreOptions {
  /**
   * Hand out copies (the default): what a caller does to a value it got or set never reaches the cache. False for
   * values nobody changes (PromQL analyses, already shared between the compiles of one run), which saves a copy each.
   */
  copies?: boolean;
  /**
   * Read the files only when an entry is first read (synchronously, then), not when the store opens: for large values
   * a run rarely reads (generated files' texts, read only when a file must be written). `keep` then counts a key as
   * used without looking (the caller must cope with a later get finding nothing), and a flush adds to the delta
   * without reading the base unless it compacts.
   */
  lazy?: boolean;
}

/**
 * One kind of cached result (parsed YAML, TypeScript exports, PromQL analyses), keyed by text, in two files under
 * `<dir>/<namespace>/`: base.bin and delta.bin, each a map from key to value, read whole when the store opens (the
 * delta's entries win). A run adds its new entries to the delta only, so a one-file change of a large project writes
 * a few entries, not the whole cache; when the delta grows past a quarter of the base, or most of the base went
 * unused, the entries this run used become the new base and the delta is emptied (stale entries go then).
 *
 * Values go through V8's serializer, not JSON: YAML gives numbers JSON cannot hold (.inf, .nan, -0) and a cached
 * value must be the very value a cold run computes. A file is a header (a magic number and the count of entries)
 * and one record per entry: the sha256 of the rest of the record, the key's length, the key and the serialized value.
 * Opening a file only finds the records (views into the file's bytes, nothing copied or hashed); a record is checked
 * against its sha256 when its entry is first read, and a damaged one is no entry. A file whose records do not add up
 * to its header (truncated, or not a cache) is dropped as a whole: never a wrong value. A file that cannot be read or
 * written is ignored the same way: the cache only ever saves work. Files are written through a temporary file and a
 * rename; two runs writing at once may lose each other's additions, never mix them.
 */
export class CacheStore<T> {
  /**
   * Every entry as its record (see recordOf): opening a store finds records, and only the entries a run asks for are
   * checked and turned back into objects (a one-file change of a large project reads a few of its 11,000 analyses).
   */
  private entries = new Map<string, Uint8Array>();
  /** Records of delta.bin, and those this run added (written to it at the next flush). */
  private delta = new Map<string, Uint8Array>();
  /** Keys whose record was checked against its sha256 (or made in this process). */
  private checked = new Set<string>();
  /** Without copies: the value handed out for a key, so every get of it gives that same object. */
  private decoded = new Map<string, T>();
  private baseSize = 0;
  private added = false;
  private opened = false;
  /** Whether base.bin and delta.bin were read (a lazy store reads them when first needed). */
  private loaded = false;
  private readonly lazy: boolean;
  /** Keys read or written since the last flush: a compaction keeps only these. */
  private used = new Set<string>();
  /** Keys named by keepLater since the last flush, looked at only by a flush that writes. */
  private keepers: (() => Iterable<string>)[] = [];
  private readonly copies: boolean;

  constructor(
    private readonly dir: string | undefined,
    private readonly namespace: string,
    options: StoreOptions = {},
  ) {
    this.copies = options.copies ?? true;
    this.lazy = options.lazy ?? false;
  }

  /** Reads the files once; later gets are answered from memory (a watch keeps the store between runs). */
  async open(): Promise<void> {
    if (this.opened) return;
    this.opened = true;
    if (!this.dir || this.lazy) return;
    this.loaded = true;
    const [base, delta] = await Promise.all([readMap(this.file('base')), readMap(this.file('delta'))]);
    this.take(base, delta);
  }

  /** A lazy store's files, read when an entry is first needed; what this run set before stays (it is newer). */
  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    if (!this.dir) return;
    this.take(recordsOf(readOrNothing(this.file('base'))), recordsOf(readOrNothing(this.file('delta'))));
  }

  private take(base: Map<string, Uint8Array>, delta: Map<string, Uint8Array>): void {
    const added = this.delta;
    this.baseSize = base.size;
    this.delta = delta;
    this.entries = base;
    for (const [k, v] of delta) this.entries.set(k, v);
    for (const [k, v] of added) {
      this.entries.set(k, v);
      this.delta.set(k, v);
    }
  }

  get(key: string): T | undefined {
    this.load();
    const kept = this.copies ? undefined : this.decoded.get(key);
    if (kept !== undefined) {
      this.used.add(key);
      return kept;
    }
    const record = this.entries.get(key);
    if (record === undefined) return undefined;
    let value: T;
    try {
      if (!this.checked.has(key)) {
        if (!intact(record)) throw new Error('damaged');
        this.checked.add(key);
      }
      value = deserialize(valueOf(record)) as T;
    } catch {
      // A damaged entry is no entry: the caller computes the value again.
      this.entries.delete(key);
      this.delta.delete(key);
      return undefined;
    }
    this.used.add(key);
    if (!this.copies) this.decoded.set(key, value);
    return value;
  }

  /** How many entries the store holds (none: a first run, or another Vigil's cache). */
  get size(): number {
    this.load();
    return this.entries.size;
  }

  /**
   * Whether the store has `key`, which then counts as used (kept by a compaction) without being read. A lazy store
   * that has not read its files yet answers true without looking: its callers compute the value when get finds none.
   */
  keep(key: string): boolean {
    if (this.loaded && !this.entries.has(key)) return false;
    this.used.add(key);
    return true;
  }

  /**
   * keep() of every key `keys()` gives, done by the next flush only if it writes (a run that added nothing writes
   * nothing, and then which keys were used does not matter): a one-file change of a large project names its 11,200
   * PromQL analyses' keys this way and adds none of them.
   */
  keepLater(keys: () => Iterable<string>): void {
    this.keepers.push(keys);
  }

  set(key: string, value: T): void {
    // The serialized bytes are the copy: what the caller does to `value` later never reaches the cache.
    const record = recordOf(key, serialize(value));
    this.entries.set(key, record);
    this.delta.set(key, record);
    this.checked.add(key);
    if (!this.copies) this.decoded.set(key, value);
    this.used.add(key);
    this.added = true;
  }

  /** Writes what this run added; compacts when the delta is large or the base mostly stale. */
  async flush(): Promise<void> {
    const keepers = this.keepers;
    this.keepers = [];
    if (this.added) for (const keys of keepers) for (const key of keys()) this.keep(key);
    const used = this.used;
    this.used = new Set();
    if (!this.added) return;
    this.added = false;
    if (!this.loaded && this.dir) {
      // Only the delta and the base's count are read: the base is read whole only to compact it.
      const [delta, baseSize] = await Promise.all([readMap(this.file('delta')), countOf(this.file('base'))]);
      // The compaction's test below, with the delta this flush would write and at most as many entries as it holds.
      const deltaSize = delta.size + this.delta.size;
      const fresh = deltaSize * 4 <= baseSize && (baseSize + deltaSize - used.size) * 2 <= used.size;
      if (fresh) {
        for (const [k, v] of this.delta) delta.set(k, v);
        this.baseSize = baseSize;
        this.delta = delta;
        for (const [k, v] of delta) this.entries.set(k, v);
        await writeMap(this.file('delta'), this.delta);
        return;
      }
      this.load();
    }
    const compact = this.delta.size * 4 > this.baseSize || (this.entries.size - used.size) * 2 > used.size;
    if (compact) {
      for (const key of this.entries.keys()) {
        if (used.has(key)) continue;
        this.entries.delete(key);
        this.decoded.delete(key);
        this.checked.delete(key);
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
/** "VGC" and the format's number: a file of another format is no cache. */
const MAGIC = 0x56474302;
const HEADER_BYTES = 8;

/**
 * One entry as stored: the sha256 of what follows, the key's length in bytes (4, little-endian), the key, the
 * value's length, the value.
 */
function recordOf(key: string, value: Uint8Array): Uint8Array {
  const keyBytes = Buffer.from(key, 'utf8');
  const record = Buffer.allocUnsafe(DIGEST_BYTES + 4 + keyBytes.length + 4 + value.length);
  record.writeUInt32LE(keyBytes.length, DIGEST_BYTES);
  keyBytes.copy(record, DIGEST_BYTES + 4);
  record.writeUInt32LE(value.length, DIGEST_BYTES + 4 + keyBytes.length);
  record.set(value, DIGEST_BYTES + 8 + keyBytes.length);
  createHash('sha256').update(record.subarray(DIGEST_BYTES)).digest().copy(record, 0);
  return record;
}

function intact(record: Uint8Array): boolean {
  const digest = createHash('sha256').update(record.subarray(DIGEST_BYTES)).digest();
  return Buffer.from(record.buffer, record.byteOffset, DIGEST_BYTES).equals(digest);
}

function valueOf(record: Uint8Array): Uint8Array {
  const keyLength = Buffer.from(record.buffer, record.byteOffset, record.length).readUInt32LE(DIGEST_BYTES);
  return record.subarray(DIGEST_BYTES + 8 + keyLength);
}

/** The records of a file by key, as views into its bytes; empty when the file is missing, damaged or not a cache. */
async function readMap(file: string): Promise<Map<string, Uint8Array>> {
  return recordsOf(await readFile(file).catch(() => undefined));
}

function readOrNothing(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** The count of entries a file's header gives (0 when it is missing or not a cache). */
async function countOf(file: string): Promise<number> {
  let handle;
  try {
    handle = await openFile(file, 'r');
    const header = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await handle.read(header, 0, HEADER_BYTES, 0);
    return bytesRead === HEADER_BYTES && header.readUInt32LE(0) === MAGIC ? header.readUInt32LE(4) : 0;
  } catch {
    return 0;
  } finally {
    await handle?.close();
  }
}

function recordsOf(bytes: Buffer | undefined): Map<string, Uint8Array> {
  const map = new Map<string, Uint8Array>();
  if (bytes === undefined) return map;
  if (bytes.length < HEADER_BYTES || bytes.readUInt32LE(0) !== MAGIC) return map;
  const count = bytes.readUInt32LE(4);
  let at = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (at + DIGEST_BYTES + 8 > bytes.length) return new Map();
    const keyLength = bytes.readUInt32LE(at + DIGEST_BYTES);
    const keyEnd = at + DIGEST_BYTES + 4 + keyLength;
    if (keyEnd + 4 > bytes.length) return new Map();
    const valueLength = bytes.readUInt32LE(keyEnd);
    const end = keyEnd + 4 + valueLength;
    if (end > bytes.length) return new Map();
    map.set(bytes.toString('utf8', at + DIGEST_BYTES + 4, keyEnd), bytes.subarray(at, end));
    at = end;
  }
  return at === bytes.length ? map : new Map();
}

async function writeMap(file: string, map: Map<string, Uint8Array>): Promise<boolean> {
  const temp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt32LE(MAGIC, 0);
    header.writeUInt32LE(map.size, 4);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(temp, Buffer.concat([header, ...map.values()]));
    await rename(temp, file);
    return true;
  } catch {
    // A cache that cannot be written costs the next run time, never correctness.
    await rm(temp, { force: true }).catch(() => undefined);
    return false;
  }
}
