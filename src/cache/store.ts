import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readSync, unlinkSync, writevSync } from 'node:fs';
import { endianness } from 'node:os';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { sweepAtomicLeftovers } from '../util/atomic-write.ts';

export interface StoreOptions {
  /**
   * Hand out copies (the default): what a caller does to a value it got or set never reaches the cache. False for
   * values nobody changes (PromQL analyses, already shared between the compiles of one run), which saves a copy each.
   */
  copies?: boolean;
  /**
   * Open the files only when an entry is first read or kept, not when the store opens: for values a run rarely reads
   * (generated files' texts, read only when a file must be written).
   */
  lazy?: boolean;
  /**
   * Read each record from the file when it is looked up (for stores a run reads little of: the PromQL analyses, the
   * generated files' texts), instead of the whole file at the first lookup (for those a run reads most of).
   */
  sparse?: boolean;
}

/**
 * One kind of cached result (parsed YAML, TypeScript exports, PromQL analyses), keyed by text, in two files under
 * `<dir>/<namespace>/`: base.bin and delta.bin, each a map from key to value (the delta's entries win). A run adds its
 * new entries to the delta only, so a one-file change of a large project writes a few entries, not the whole cache;
 * when the delta grows past a quarter of the base, or most of the base went unused, the entries this run used become
 * the new base and the delta is emptied (stale entries go then).
 *
 * Values go through V8's serializer, not JSON: YAML gives numbers JSON cannot hold (.inf, .nan, -0) and a cached
 * value must be the very value a cold run computes. A file is a header (a magic number and the count of entries), an
 * index (per entry: a 64-bit hash of its key, where its record starts and its length; in the order of the hashes) and
 * the records, end to end in any order: the sha256 of the rest of the record, the key's length, the key and the
 * serialized value.
 * Opening a file reads its header and index only; an entry's record is read from the file when the entry is first
 * read (a one-file change of a large project reads a few of its 11,000 analyses and none of its routing matrix's
 * parts), and checked then: its sha256, and its key against the one asked for. A damaged record is no entry. A file
 * whose index does not describe it (hashes out of order, a record outside the file, records that do not add up to the
 * file's end, truncated, or not a cache) is dropped as a whole: never a wrong value. A file that cannot be read or
 * written is ignored the same way: the cache only ever saves work. Files are written through a temporary file and a rename; two runs writing at
 * once may lose each other's additions, never mix them. What a run sets waits for the flush in a scratch file of the
 * store's folder, not in memory (see Scratch).
 */
export class CacheStore<T> {
  /** Records set since the last flush (written to delta.bin by the next): in the scratch file, or in memory without one. */
  private fresh = new Map<string, Uint8Array | Spilled>();
  /** Where this run's records wait for the flush; undefined before the first set, null where none can be made. */
  private scratch: Scratch | null | undefined;
  /** delta.bin and base.bin, as this process last read or wrote them. */
  private delta: Records = NO_RECORDS;
  private base: Records = NO_RECORDS;
  /** Keys whose record was found damaged: no entry, in any file, until set again. */
  private dropped = new Set<string>();
  /** Keys whose record was checked against its sha256 (or made in this process). */
  private checked = new Set<string>();
  /** With copies: records read from the files, so a second get does not read the file again. */
  private read = new Map<string, Uint8Array>();
  /** Without copies: the value handed out for a key, so every get of it gives that same object. */
  private decoded = new Map<string, T>();
  private added = false;
  private opened = false;
  /** Whether base.bin and delta.bin were opened (a lazy store opens them when first needed). */
  private loaded = false;
  private readonly lazy: boolean;
  /** Keys read or written since the last flush: a compaction keeps only these. */
  private used = new Set<string>();
  /** Keys named by keepLater since the last flush, looked at only by a flush that writes. */
  private keepers: (() => Iterable<string>)[] = [];
  private readonly copies: boolean;
  private readonly sparse: boolean;

  constructor(
    private readonly dir: string | undefined,
    private readonly namespace: string,
    options: StoreOptions = {},
  ) {
    this.copies = options.copies ?? true;
    this.lazy = options.lazy ?? false;
    this.sparse = options.sparse ?? false;
  }

  /** Opens the files once (their indexes); later gets read records from them (a watch keeps the store between runs). */
  async open(): Promise<void> {
    if (this.opened) return;
    this.opened = true;
    if (!this.lazy) this.load();
  }

  /** The files' headers and indexes, read when first needed; what this run set before stays (it is newer). */
  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    if (!this.dir) return;
    this.base = RecordFile.open(this.file('base'), this.sparse) ?? NO_RECORDS;
    this.delta = RecordFile.open(this.file('delta'), this.sparse) ?? NO_RECORDS;
  }

  /** The record of `key`: undefined when no file has one, null when the one that should is damaged. */
  private recordOf(key: string): Uint8Array | null | undefined {
    if (this.dropped.has(key)) return null;
    const fresh = this.fresh.get(key);
    if (fresh !== undefined) return fresh instanceof Uint8Array ? fresh : this.scratch?.read(fresh);
    const read = this.read.get(key);
    if (read !== undefined) return read;
    const record = this.delta.lookup(key) ?? this.base.lookup(key);
    if (record && this.copies) this.read.set(key, record);
    return record;
  }

  get(key: string): T | undefined {
    this.load();
    const kept = this.copies ? undefined : this.decoded.get(key);
    if (kept !== undefined) {
      this.used.add(key);
      return kept;
    }
    const record = this.recordOf(key);
    if (record === undefined) return undefined;
    let value: T;
    try {
      if (record === null) throw new Error('damaged');
      if (!this.checked.has(key)) {
        if (!intact(record)) throw new Error('damaged');
        this.checked.add(key);
      }
      value = deserialize(valueOf(record)) as T;
    } catch {
      // A damaged entry is no entry: the caller computes the value again.
      this.drop(key);
      return undefined;
    }
    this.used.add(key);
    if (!this.copies) this.decoded.set(key, value);
    return value;
  }

  private drop(key: string): void {
    this.dropped.add(key);
    this.fresh.delete(key);
    this.read.delete(key);
  }

  /** How many entries the store holds (none: a first run, or another Vigil's cache); a key in both files counts twice. */
  get size(): number {
    this.load();
    return this.fresh.size + this.delta.count + this.base.count;
  }

  /**
   * Whether the store has `key`, which then counts as used (kept by a compaction) without being read. Answered from
   * the indexes (the key's hash): a caller must cope with a later get finding nothing (a damaged record, as always).
   */
  keep(key: string): boolean {
    this.load();
    if (this.dropped.has(key) || !(this.fresh.has(key) || this.delta.has(key) || this.base.has(key))) return false;
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
    if (this.scratch === undefined) this.scratch = this.dir ? Scratch.create(path.join(this.dir, this.namespace)) : null;
    this.fresh.set(key, this.scratch?.append(record) ?? record);
    this.dropped.delete(key);
    this.read.delete(key);
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
    this.load();
    // This run's records, and their scratch file: a set during the writes below starts the next run's.
    const fresh = this.fresh;
    const scratch = this.scratch ?? undefined;
    this.fresh = new Map();
    this.scratch = undefined;
    try {
      // The delta as the next run will read it: what delta.bin holds, and what this run set.
      const delta: Map<string, Uint8Array | Spilled> = this.delta.all();
      for (const [k, v] of fresh) delta.set(k, v);
      for (const k of this.dropped) delta.delete(k);
      let entries = this.base.count;
      for (const k of delta.keys()) if (!this.base.has(k)) entries++;
      const compact = delta.size * 4 > this.base.count || (entries - used.size) * 2 > used.size;
      if (compact) {
        // The base read whole (compactions are rare): every used key's record, the delta's winning.
        const records: Map<string, Uint8Array | Spilled> = this.base.all();
        for (const [k, v] of delta) records.set(k, v);
        const kept = new Map<string, Uint8Array | Spilled>();
        for (const key of used) {
          const record = this.dropped.has(key) ? undefined : records.get(key);
          if (record) kept.set(key, record);
        }
        for (const key of this.decoded.keys()) if (!kept.has(key)) this.decoded.delete(key);
        // The new base first: until the delta is emptied, its entries are merely there twice.
        const base = await this.written('base', kept, scratch);
        this.replace(base, base instanceof RecordFile ? await this.written('delta', new Map()) : new MapRecords(new Map()));
      } else {
        this.replace(this.base, await this.written('delta', delta, scratch));
      }
    } finally {
      scratch?.remove();
    }
  }

  /**
   * Writes `records` as the store's `name` file and gives that file opened again, or, where it cannot be written,
   * the records in memory (a scratch record that cannot be read back is left out: the next run makes it again).
   */
  private async written(name: 'base' | 'delta', records: Map<string, Uint8Array | Spilled>, scratch?: Scratch): Promise<Records> {
    if (this.dir && (await writeRecords(this.file(name), records, scratch))) {
      const file = RecordFile.open(this.file(name), this.sparse);
      if (file) return file;
    }
    const inMemory = new Map<string, Uint8Array>();
    for (const [key, record] of records) {
      const bytes = record instanceof Uint8Array ? record : scratch?.read(record);
      if (bytes) inMemory.set(key, bytes);
    }
    return new MapRecords(inMemory);
  }

  /** Makes `base` and `delta` the files' records as written (closing files no longer read), this run's additions in them. */
  private replace(base: Records, delta: Records): void {
    if (this.base !== base) this.base.close();
    if (this.delta !== delta) this.delta.close();
    this.base = base;
    this.delta = delta;
    this.read.clear();
    this.dropped.clear();
    // Records are read from the files again now, which another process may change: checked again when read.
    this.checked.clear();
  }

  private file(name: 'base' | 'delta'): string {
    return path.join(this.dir!, this.namespace, `${name}.bin`);
  }
}

/** The records of one file by key: what it holds, found by key; null for a record that is damaged. */
interface Records {
  readonly count: number;
  /** Whether the file's index has the key's hash (no record read). */
  has(key: string): boolean;
  lookup(key: string): Uint8Array | null | undefined;
  /** Every record by its key (the whole file read). */
  all(): Map<string, Uint8Array>;
  close(): void;
}

class MapRecords implements Records {
  constructor(private readonly records: Map<string, Uint8Array>) {}
  get count(): number {
    return this.records.size;
  }
  has(key: string): boolean {
    return this.records.has(key);
  }
  lookup(key: string): Uint8Array | undefined {
    return this.records.get(key);
  }
  all(): Map<string, Uint8Array> {
    return new Map(this.records);
  }
  close(): void {}
}

const NO_RECORDS: Records = new MapRecords(new Map());

const DIGEST_BYTES = 32;
/** "VGC" and the format's number: a file of another format is no cache. */
const MAGIC = 0x56474304;
const HEADER_BYTES = 8;
/** Per entry: the key's hash (two 32-bit halves), the record's start and its length, little-endian. */
const INDEX_ENTRY_BYTES = 16;
/** A record's sha256, the key's length, the value's length: the least a record holds. */
const RECORD_MIN_BYTES = DIGEST_BYTES + 8;
const BIG_ENDIAN = endianness() === 'BE';

/** Closes the files of stores nobody holds any more (tests open many); a build's process exits with them open. */
const unreachable = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
});

/**
 * A cache file, open: its index in memory; each record read from the file when it is looked up (sparse), or the whole
 * file read at the first lookup and the file closed.
 */
class RecordFile implements Records {
  private closed = false;
  /** The whole file, once read (not sparse). */
  private bytes: Buffer | undefined;

  private constructor(
    private readonly fd: number,
    /** The index as 32-bit words, four per entry: hash high, hash low, start, length. */
    private readonly index: Uint32Array,
    readonly count: number,
    private readonly size: number,
    private readonly sparse: boolean,
  ) {
    unreachable.register(this, fd, this);
  }

  /** The file opened, or undefined when it is missing, cannot be read, or its header and index do not describe it. */
  static open(file: string, sparse: boolean): RecordFile | undefined {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return undefined;
    }
    try {
      const size = fstatSync(fd).size;
      const header = readAt(fd, HEADER_BYTES, 0);
      if (header === undefined || header.readUInt32LE(0) !== MAGIC) throw new Error('not a cache');
      const count = header.readUInt32LE(4);
      const indexBytes = count * INDEX_ENTRY_BYTES;
      if (HEADER_BYTES + indexBytes > size) throw new Error('truncated');
      const bytes = readAt(fd, indexBytes, HEADER_BYTES);
      if (bytes === undefined) throw new Error('truncated');
      // Little-endian in the file: read as words (a lookup reads a dozen entries; Buffer.readUInt32LE is slower).
      const index = new Uint32Array(count * 4);
      const view = Buffer.from(index.buffer, index.byteOffset, indexBytes);
      view.set(bytes);
      if (BIG_ENDIAN) view.swap32();
      if (!describes(index, count, HEADER_BYTES + indexBytes, size)) throw new Error('damaged');
      return new RecordFile(fd, index, count, size, sparse);
    } catch {
      closeSync(fd);
      return undefined;
    }
  }

  has(key: string): boolean {
    return this.first(key) >= 0;
  }

  lookup(key: string): Uint8Array | null | undefined {
    let i = this.first(key);
    if (i < 0) return undefined;
    const h1 = this.index[i * 4];
    const h2 = this.index[i * 4 + 1];
    // Keys of one hash side by side (two keys sharing 64 bits of hash: in practice never): the one with this key.
    for (; i < this.count && this.index[i * 4] === h1 && this.index[i * 4 + 1] === h2; i++) {
      const record = this.record(i);
      if (record !== undefined && keyOf(record) === key) return record;
    }
    // The index names the key, no record holds it: damaged.
    return null;
  }

  all(): Map<string, Uint8Array> {
    const map = new Map<string, Uint8Array>();
    const bytes = this.whole();
    if (bytes === undefined) return map;
    for (let i = 0; i < this.count; i++) {
      const start = this.index[i * 4 + 2]!;
      const record = wellFormed(bytes.subarray(start, start + this.index[i * 4 + 3]!));
      if (record !== undefined) map.set(keyOf(record), record);
    }
    return map;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    unreachable.unregister(this);
    try {
      closeSync(this.fd);
    } catch {
      // nothing to do
    }
  }

  /** The first index entry with the key's hash, or −1. */
  private first(key: string): number {
    hashKey(key);
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const h1 = this.index[mid * 4];
      const h2 = this.index[mid * 4 + 1];
      if (h1 < hashHigh || (h1 === hashHigh && h2 < hashLow)) lo = mid + 1;
      else hi = mid;
    }
    if (lo === this.count) return -1;
    return this.index[lo * 4] === hashHigh && this.index[lo * 4 + 1] === hashLow ? lo : -1;
  }

  /** The i-th record, if its lengths add up (its sha256 is checked by the store). */
  private record(i: number): Uint8Array | undefined {
    const start = this.index[i * 4 + 2]!;
    const length = this.index[i * 4 + 3]!;
    if (this.sparse) {
      const bytes = this.closed ? undefined : readAt(this.fd, length, start);
      return bytes && wellFormed(bytes);
    }
    const bytes = this.whole();
    return bytes && wellFormed(bytes.subarray(start, start + length));
  }

  /** The whole file (read once; the file is closed then unless records are read one by one). */
  private whole(): Buffer | undefined {
    if (this.bytes !== undefined || this.closed) return this.bytes;
    const bytes = readAt(this.fd, this.size, 0);
    if (!this.sparse) {
      this.bytes = bytes;
      this.close();
    }
    return bytes;
  }
}

/** `length` bytes of the file at `position` (into `into`'s first bytes if given), or undefined when it cannot be read or ends before. */
function readAt(fd: number, length: number, position: number, into?: Buffer): Buffer | undefined {
  const bytes = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
  let done = 0;
  try {
    while (done < length) {
      const n = readSync(fd, bytes, done, length - done, position + done);
      if (n === 0) return undefined;
      done += n;
    }
  } catch {
    return undefined;
  }
  return bytes;
}

/**
 * Whether an index gives hashes in order, and records inside the file from `start` whose lengths add up to the file's
 * end (in any order: a record that overlaps another is found by its sha256 when read).
 */
function describes(index: Uint32Array, count: number, start: number, size: number): boolean {
  let total = start;
  let h1 = 0;
  let h2 = 0;
  for (let i = 0; i < count; i++) {
    const e = i * 4;
    const k1 = index[e]!;
    const k2 = index[e + 1]!;
    if (k1 < h1 || (k1 === h1 && k2 < h2)) return false;
    h1 = k1;
    h2 = k2;
    const at = index[e + 2]!;
    const length = index[e + 3]!;
    if (at < start || length < RECORD_MIN_BYTES || at + length > size) return false;
    total += length;
  }
  return total === size;
}

/** The record if its key's and value's lengths fill it exactly. */
function wellFormed(record: Buffer): Uint8Array | undefined {
  if (record.length < RECORD_MIN_BYTES) return undefined;
  const keyLength = record.readUInt32LE(DIGEST_BYTES);
  const valueAt = DIGEST_BYTES + 8 + keyLength;
  if (valueAt > record.length || valueAt + record.readUInt32LE(DIGEST_BYTES + 4 + keyLength) !== record.length) return undefined;
  return record;
}

/** The hash of the last key given to hashKey, in two unsigned 32-bit halves (no allocation per key). */
let hashHigh = 0;
let hashLow = 0;

/** A 64-bit hash of a key's UTF-16 code units (cyrb53's mixing, both halves kept): where the index files it. */
function hashKey(key: string): void {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  hashHigh = h1 >>> 0;
  hashLow = h2 >>> 0;
}

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

function keyOf(record: Uint8Array): string {
  const bytes = Buffer.from(record.buffer, record.byteOffset, record.length);
  return bytes.toString('utf8', DIGEST_BYTES + 4, DIGEST_BYTES + 4 + bytes.readUInt32LE(DIGEST_BYTES));
}

function valueOf(record: Uint8Array): Uint8Array {
  const keyLength = Buffer.from(record.buffer, record.byteOffset, record.length).readUInt32LE(DIGEST_BYTES);
  return record.subarray(DIGEST_BYTES + 8 + keyLength);
}

/** Buffers handed to one writev: the most an operating system takes in one call (IOV_MAX is 1024 on Linux and macOS). */
const PARTS_AT_A_TIME = 1024;
/** How much of the scratch file is read, or gathered before it is written, at a time. */
const SCRATCH_SPAN_BYTES = 1 << 20;

/** Where a record set by this run is in its store's scratch file. */
interface Spilled {
  readonly at: number;
  readonly length: number;
}

/** Scratch files not yet removed: a run that ends without flushing (an error) removes them as it exits. */
const liveScratches = new Set<Scratch>();
let removesAtExit = false;

/**
 * The records a run sets, in a temporary file of the store's folder until the flush writes them into the store's
 * file, instead of in memory: a build that fills an empty cache makes ≈ 50 MB of them as its compile goes (the PromQL
 * analyses, the generated texts, the per-file results), and holding them to the end made its peak memory (307–316 MB
 * for 10,000 alerts). They are gathered up to a megabyte and written with one synchronous call (into the page cache,
 * a few milliseconds for all of them). Named as writeFileAtomic names its temporary files, so the next run that writes
 * the store removes one a killed run left. Where the file cannot be made or written, the records stay in memory.
 */
class Scratch {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** Bytes in the file, and set after them (pending). */
  private size = 0;
  private written = 0;
  private removed = false;

  private constructor(
    private readonly file: string,
    private readonly fd: number,
  ) {
    liveScratches.add(this);
    if (!removesAtExit) {
      removesAtExit = true;
      process.once('exit', () => {
        for (const scratch of liveScratches) scratch.remove();
      });
    }
  }

  static create(folder: string): Scratch | null {
    const file = path.join(folder, `.scratch.bin.vigil-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      mkdirSync(folder, { recursive: true });
      return new Scratch(file, openSync(file, 'wx+', 0o600));
    } catch {
      return null;
    }
  }

  /** Appends a record; undefined when the file cannot be written (the caller keeps the record in memory). */
  append(record: Uint8Array): Spilled | undefined {
    if (this.removed) return undefined;
    const place = { at: this.size, length: record.length };
    this.pending.push(record);
    this.pendingBytes += record.length;
    this.size += record.length;
    if (this.pendingBytes >= SCRATCH_SPAN_BYTES || this.pending.length === PARTS_AT_A_TIME) this.writePending();
    return place;
  }

  /** A record as appended, or undefined when it cannot be read back. */
  read(place: Spilled): Uint8Array | undefined {
    if (!this.writePending()) return undefined;
    return readAt(this.fd, place.length, place.at);
  }

  /**
   * Copies the records at `places` to `handle`'s file, in the order of their places (each once: a record set twice
   * left its first place unused), a megabyte of the scratch file read at a time.
   */
  async copy(places: readonly Spilled[], handle: FileHandle): Promise<void> {
    if (!this.writePending()) throw new Error('scratch file not written');
    // One buffer for every span (each written before the next is read): 50 MB of spans as garbage cost 30 MB of peak.
    let buffer = Buffer.allocUnsafe(SCRATCH_SPAN_BYTES);
    for (let i = 0; i < places.length; ) {
      const from = places[i]!.at;
      let j = i + 1;
      while (j < places.length && j - i < PARTS_AT_A_TIME && places[j]!.at + places[j]!.length - from <= SCRATCH_SPAN_BYTES) j++;
      const last = places[j - 1]!;
      const length = last.at + last.length - from;
      if (length > buffer.length) buffer = Buffer.allocUnsafe(length);
      const span = readAt(this.fd, length, from, buffer);
      if (span === undefined) throw new Error('scratch file not read');
      await writeAll(handle, places.slice(i, j).map((p) => span.subarray(p.at - from, p.at - from + p.length)));
      i = j;
    }
  }

  /** Writes what is pending; false when the file cannot be written (then nothing in it can be read). */
  private writePending(): boolean {
    if (this.removed) return false;
    try {
      while (this.written < this.size) {
        const n = writevSync(this.fd, this.pending, this.written);
        if (n === 0) throw new Error('nothing written');
        this.written += n;
        // A short write: what is left of the parts goes again.
        let skip = n;
        while (skip > 0 && this.pending.length > 0 && this.pending[0]!.length <= skip) skip -= this.pending.shift()!.length;
        if (skip > 0) this.pending[0] = this.pending[0]!.subarray(skip);
      }
      this.pending = [];
      this.pendingBytes = 0;
      return true;
    } catch {
      this.remove();
      return false;
    }
  }

  remove(): void {
    if (this.removed) return;
    this.removed = true;
    this.pending = [];
    liveScratches.delete(this);
    try {
      closeSync(this.fd);
    } catch {
      // closed already
    }
    try {
      unlinkSync(this.file);
    } catch {
      // gone already
    }
  }
}

/** Writes every byte of `parts`, in order, at the file's current position (a short write is a failed one). */
async function writeAll(handle: FileHandle, parts: readonly Uint8Array[]): Promise<void> {
  const wanted = parts.reduce((n, p) => n + p.length, 0);
  const { bytesWritten } = await handle.writev(parts as Uint8Array[]);
  if (bytesWritten !== wanted) throw new Error(`${bytesWritten} of ${wanted} bytes written`);
}

/**
 * Writes records as a cache file: header, index in the order of the keys' hashes, then the records — those in the
 * scratch file in its order (read a megabyte at a time), then those in memory. Large stores are 15–17 MB each, flushed
 * together at the end of a build: nothing is joined into one buffer first.
 */
async function writeRecords(file: string, records: Map<string, Uint8Array | Spilled>, scratch?: Scratch): Promise<boolean> {
  // Named as writeFileAtomic names its temporary files, so that what a killed run left (a large project's store file
  // is 15–17 MB) is removed by the next run that writes the store, unless its writer is still alive.
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.vigil-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const entries = [...records].map(([key, record]) => {
      hashKey(key);
      return { high: hashHigh, low: hashLow, record, at: 0 };
    });
    const spilled = entries.filter((e) => !(e.record instanceof Uint8Array));
    spilled.sort((a, b) => (a.record as Spilled).at - (b.record as Spilled).at);
    const inMemory = entries.filter((e) => e.record instanceof Uint8Array);
    if (spilled.length > 0 && !scratch) throw new Error('records without their scratch file');
    let at = HEADER_BYTES + entries.length * INDEX_ENTRY_BYTES;
    for (const e of [...spilled, ...inMemory]) {
      e.at = at;
      at += e.record.length;
    }
    entries.sort((a, b) => a.high - b.high || a.low - b.low);
    const head = Buffer.alloc(HEADER_BYTES + entries.length * INDEX_ENTRY_BYTES);
    head.writeUInt32LE(MAGIC, 0);
    head.writeUInt32LE(entries.length, 4);
    entries.forEach((e, i) => {
      const o = HEADER_BYTES + i * INDEX_ENTRY_BYTES;
      head.writeUInt32LE(e.high, o);
      head.writeUInt32LE(e.low, o + 4);
      head.writeUInt32LE(e.at, o + 8);
      head.writeUInt32LE(e.record.length, o + 12);
    });
    await mkdir(path.dirname(file), { recursive: true });
    await sweepAtomicLeftovers(path.dirname(file));
    const handle = await open(temp, 'w');
    try {
      await writeAll(handle, [head]);
      if (spilled.length > 0) await scratch!.copy(spilled.map((e) => e.record as Spilled), handle);
      for (let from = 0; from < inMemory.length; from += PARTS_AT_A_TIME) {
        await writeAll(handle, inMemory.slice(from, from + PARTS_AT_A_TIME).map((e) => e.record as Uint8Array));
      }
    } finally {
      await handle.close();
    }
    await rename(temp, file);
    return true;
  } catch {
    // A cache that cannot be written costs the next run time, never correctness.
    await rm(temp, { force: true }).catch(() => undefined);
    return false;
  }
}
