// Lines of text kept only as UTF-8, in chunks of a fixed number of lines: a changed line re-encodes its chunk alone,
// and a scrape writes the chunks as they are — no string of the whole exposition (139 MB for 100,000 histogram
// series, past V8's longest string at 4×) and no encoding of it on every scrape.

/** Where an update's lines come from, written straight as bytes (no string of them need exist). */
export interface LineSource {
  /** Whether line i changed since the previous update (or is new); asked about every line, in order, first. */
  changed(i: number): boolean;
  /** An upper bound of the bytes changed line i takes, its newline included. */
  maxBytes(i: number): number;
  /** Writes changed line i and its newline into `into` at `offset`; returns the offset after them. */
  write(i: number, into: Buffer, offset: number): number;
}

/** Garbage allowed beside the live bytes before the chunks are packed into one new slab. */
const SLACK = 64 * 1024;

/**
 * The chunks rebuilt by one update are cut from one new slab (an allocation per chunk cost more in allocation and
 * garbage collection than the formatting: 6,000 ArrayBuffers a scrape for 100,000 histogram series). A slab lives
 * as long as any chunk cut from it, so when the slabs held hold more than twice the live bytes, the live chunks are
 * packed into one new slab — at most one byte copied per byte of garbage made.
 */
export class ChunkedLines {
  /** Chunk k holds lines k·linesPerChunk … (k+1)·linesPerChunk − 1, each followed by a newline. */
  private chunkList: Buffer[] = [];
  /** The chunks with neighbours that lie next to each other in one slab merged into one view; null until asked. */
  private runList: Buffer[] | null = [];
  /** The slab each chunk was cut from. */
  private chunkSlabs: Slab[] = [];
  /** Where each line's bytes (its newline included) end within its chunk. */
  private ends: number[] = [];
  private count = 0;
  private bytes = 0;
  private retained = 0;
  /** Reused between updates: whether each line changed, the chunks to rebuild. */
  private readonly changed: boolean[] = [];
  private readonly dirty: number[] = [];

  constructor(readonly linesPerChunk: number) {
    if (!(linesPerChunk >= 1)) throw new RangeError(`ChunkedLines: linesPerChunk must be at least 1, not ${linesPerChunk}`);
  }

  /**
   * The chunks now. Never written to once handed out — a rebuilt chunk is cut from a new slab, and the list is a new
   * array after each change — so a response still sending a previous scrape's chunks sends what that scrape saw.
   */
  get chunks(): readonly Buffer[] {
    return this.chunkList;
  }

  /**
   * The same bytes in as few pieces as they lie in memory: chunks rebuilt in one update (all of them in the first)
   * are cut one after the other from one slab, and a scrape writes each run of them at once — 70,000 writes for
   * 100,000 histogram series otherwise. Never written to, like the chunks.
   */
  get runs(): readonly Buffer[] {
    if (this.runList) return this.runList;
    const runs: Buffer[] = [];
    let run: Buffer | null = null;
    for (const chunk of this.chunkList) {
      if (run && chunk.buffer === run.buffer && chunk.byteOffset === run.byteOffset + run.length) {
        run = Buffer.from(run.buffer, run.byteOffset, run.length + chunk.length);
      } else {
        if (run) runs.push(run);
        run = chunk;
      }
    }
    if (run) runs.push(run);
    this.runList = runs;
    return runs;
  }

  /** Total bytes of the chunks. */
  get byteLength(): number {
    return this.bytes;
  }

  /** Bytes of the slabs the chunks are cut from (live chunks and garbage beside them). */
  get retainedBytes(): number {
    return this.retained;
  }

  /**
   * Brings the lines to `count`, asking `source` whether each line changed, in order (a line past the previous count
   * is new and must be changed); rebuilds the chunks that hold a changed line or lost lines. Returns whether any byte
   * changed.
   */
  update(count: number, source: LineSource): boolean {
    const per = this.linesPerChunk;
    const previousCount = this.count;
    const changed = this.changed;
    const dirty = this.dirty;
    let size = 0;
    for (let first = 0, chunk = 0; first < count; first += per, chunk++) {
      const last = Math.min(count, first + per);
      let chunkSize = 0;
      let chunkChanged = Math.min(previousCount, first + per) !== last;
      for (let i = first; i < last; i++) {
        const lineChanged = source.changed(i);
        changed[i] = lineChanged;
        if (lineChanged) {
          chunkChanged = true;
          chunkSize += source.maxBytes(i);
        } else {
          if (i >= previousCount) throw new Error(`ChunkedLines: line ${i} of ${count} is new but has no text`);
          chunkSize += this.ends[i] - (i === first ? 0 : this.ends[i - 1]);
        }
      }
      if (!chunkChanged) continue;
      dirty.push(chunk);
      size += chunkSize;
    }
    const chunkCount = Math.ceil(count / per);
    if (dirty.length === 0 && chunkCount === this.chunkList.length) {
      changed.length = 0;
      return false;
    }
    const next = this.chunkList.slice(0, chunkCount);
    for (let chunk = chunkCount; chunk < this.chunkList.length; chunk++) this.release(chunk);
    if (dirty.length) this.rebuild(next, size, previousCount, count, source);
    this.chunkList = next;
    this.runList = null;
    this.chunkSlabs.length = chunkCount;
    this.ends.length = count;
    this.count = count;
    changed.length = dirty.length = 0;
    if (this.retained > 2 * this.bytes + SLACK) this.pack();
    return true;
  }

  /**
   * Cuts the dirty chunks from one new slab (sized by the upper bounds of the changed lines): unchanged lines copied
   * from their previous chunk, changed ones written by the source.
   */
  private rebuild(next: Buffer[], size: number, previousCount: number, count: number, source: LineSource): void {
    const per = this.linesPerChunk;
    // Unpooled: a slab cut from Node's shared 8 KB pool would keep all of it alive.
    const bytes = Buffer.allocUnsafeSlow(size);
    const slab: Slab = { bytes, live: 0 };
    this.retained += size;
    let offset = 0;
    for (const chunk of this.dirty) {
      const first = chunk * per;
      const last = Math.min(count, first + per);
      const old = chunk < this.chunkList.length ? this.chunkList[chunk] : null;
      const start = offset;
      let oldStart = 0;
      // Unchanged lines are contiguous in the old chunk: each run of them is one copy.
      let runFrom = 0;
      let runLength = 0;
      for (let i = first; i < last; i++) {
        const oldEnd = i < previousCount ? this.ends[i] : oldStart;
        if (!this.changed[i]) {
          if (runLength === 0) runFrom = oldStart;
          runLength += oldEnd - oldStart;
          this.ends[i] = offset + runLength - start;
        } else {
          if (runLength > 0) offset += old!.copy(bytes, offset, runFrom, runFrom + runLength);
          runLength = 0;
          offset = source.write(i, bytes, offset);
          this.ends[i] = offset - start;
        }
        oldStart = oldEnd;
      }
      if (runLength > 0) offset += old!.copy(bytes, offset, runFrom, runFrom + runLength);
      if (old) this.release(chunk);
      next[chunk] = bytes.subarray(start, offset);
      this.chunkSlabs[chunk] = slab;
      slab.live += offset - start;
      this.bytes += offset - start;
    }
    if (offset > size) throw new Error(`ChunkedLines: lines took ${offset} bytes, more than the ${size} announced`);
  }

  /** The chunk at `chunk` is no longer used: its slab loses its bytes, and is let go with the last of them. */
  private release(chunk: number): void {
    const length = this.chunkList[chunk].length;
    const slab = this.chunkSlabs[chunk];
    this.bytes -= length;
    slab.live -= length;
    if (slab.live === 0) this.retained -= slab.bytes.length;
  }

  /** Every chunk copied into one new slab of the live bytes: the old slabs are let go (a response may still hold them). */
  private pack(): void {
    const slab: Slab = { bytes: Buffer.allocUnsafeSlow(this.bytes), live: this.bytes };
    let offset = 0;
    this.runList = null;
    this.chunkList = this.chunkList.map((chunk, i) => {
      chunk.copy(slab.bytes, offset);
      this.chunkSlabs[i] = slab;
      offset += chunk.length;
      return slab.bytes.subarray(offset - chunk.length, offset);
    });
    this.retained = this.bytes;
  }
}

interface Slab {
  bytes: Buffer;
  /** Bytes of the chunks still cut from it. */
  live: number;
}
