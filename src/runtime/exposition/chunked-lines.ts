// Lines of text kept only as UTF-8, in chunks of a fixed number of lines: a changed line re-encodes its chunk alone,
// and a scrape writes the chunks as they are — no string of the whole exposition (139 MB for 100,000 histogram
// series, past V8's longest string at 4×) and no encoding of it on every scrape.

import { freshSlabs, type SlabSource } from './slab-pool.ts';

/** Where an update's lines come from, written straight as bytes (no string of them need exist). */
export interface LineSource {
  /** Whether line i changed since the previous update (or is new); asked about every line, in order, first. */
  changed(i: number): boolean;
  /** An upper bound of the bytes changed line i takes, its newline included. */
  maxBytes(i: number): number;
  /**
   * Writes changed line i and its newline into `into` at `offset`; returns the offset after them. `previous` holds
   * what line i was before this update at [previousStart, previousEnd) — null for a new line — for a source that
   * keeps the parts of a line that do not change (never written to: a response may still be sending it).
   */
  write(i: number, into: Buffer, offset: number, previous: Buffer | null, previousStart: number, previousEnd: number): number;
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
  /**
   * Chunk k holds lines k·linesPerChunk … (k+1)·linesPerChunk − 1, each followed by a newline, at
   * [chunkStarts[k], chunkStarts[k] + chunkLengths[k]) of chunkSlabs[k]: plain numbers, a view (a Buffer object)
   * made only when asked for — 50,000 of them a scrape for 100,000 changed histogram series otherwise.
   */
  private chunkSlabs: Slab[] = [];
  private chunkStarts: number[] = [];
  private chunkLengths: number[] = [];
  /** Views of the chunks made so far (kept while a chunk is unchanged); the list of all of them, null until asked. */
  private views: (Buffer | undefined)[] = [];
  private chunkList: Buffer[] | null = [];
  /** The chunks with neighbours that lie next to each other in one slab merged into one view; null until asked. */
  private runList: Buffer[] | null = [];
  /** Where each line's bytes (its newline included) end within its chunk. */
  private ends: number[] = [];
  private count = 0;
  private bytes = 0;
  private retained = 0;
  /** Reused between updates: whether each line changed, the chunks to rebuild. */
  private readonly changed: boolean[] = [];
  private readonly dirty: number[] = [];

  /** `slabs` gives the bytes of new slabs and takes back those no chunk is cut from any more. */
  constructor(readonly linesPerChunk: number, private readonly slabs: SlabSource = freshSlabs) {
    if (!(linesPerChunk >= 1)) throw new RangeError(`ChunkedLines: linesPerChunk must be at least 1, not ${linesPerChunk}`);
  }

  /**
   * The chunks now. Never written to once handed out — a rebuilt chunk is cut from a new slab, and the list is a new
   * array after each change — so a response still sending a previous scrape's chunks sends what that scrape saw.
   */
  get chunks(): readonly Buffer[] {
    if (this.chunkList) return this.chunkList;
    const chunks: Buffer[] = [];
    for (let chunk = 0; chunk < this.chunkSlabs.length; chunk++) {
      let view = this.views[chunk];
      if (!view) {
        const start = this.chunkStarts[chunk];
        view = this.views[chunk] = this.chunkSlabs[chunk].bytes.subarray(start, start + this.chunkLengths[chunk]);
      }
      chunks.push(view);
    }
    this.chunkList = chunks;
    return chunks;
  }

  /**
   * The same bytes in as few pieces as they lie in memory: chunks rebuilt in one update (all of them in the first)
   * are cut one after the other from one slab, and a scrape writes each run of them at once — 70,000 writes for
   * 100,000 histogram series otherwise. Never written to, like the chunks.
   */
  get runs(): readonly Buffer[] {
    if (this.runList) return this.runList;
    const runs: Buffer[] = [];
    const chunkCount = this.chunkSlabs.length;
    for (let chunk = 0; chunk < chunkCount;) {
      const slab = this.chunkSlabs[chunk];
      const start = this.chunkStarts[chunk];
      let end = start + this.chunkLengths[chunk];
      for (chunk++; chunk < chunkCount && this.chunkSlabs[chunk] === slab && this.chunkStarts[chunk] === end; chunk++) {
        end += this.chunkLengths[chunk];
      }
      runs.push(slab.bytes.subarray(start, end));
    }
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
    const previousChunkCount = this.chunkSlabs.length;
    if (dirty.length === 0 && chunkCount === previousChunkCount) {
      changed.length = 0;
      return false;
    }
    for (let chunk = chunkCount; chunk < previousChunkCount; chunk++) this.release(chunk);
    this.chunkSlabs.length = this.chunkStarts.length = this.chunkLengths.length = this.views.length = chunkCount;
    if (dirty.length) this.rebuild(size, previousCount, previousChunkCount, count, source);
    this.chunkList = this.runList = null;
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
  private rebuild(size: number, previousCount: number, previousChunkCount: number, count: number, source: LineSource): void {
    const per = this.linesPerChunk;
    const bytes = this.slabs.take(size);
    const slab: Slab = { bytes, live: 0 };
    this.retained += bytes.length;
    let offset = 0;
    for (const chunk of this.dirty) {
      const first = chunk * per;
      const last = Math.min(count, first + per);
      const old = chunk < previousChunkCount ? this.chunkSlabs[chunk].bytes : null;
      const oldChunkStart = old ? this.chunkStarts[chunk] : 0;
      const start = offset;
      let oldStart = oldChunkStart;
      // Unchanged lines are contiguous in the old chunk: each run of them is one copy.
      let runFrom = 0;
      let runLength = 0;
      for (let i = first; i < last; i++) {
        const oldEnd = i < previousCount ? oldChunkStart + this.ends[i] : oldStart;
        if (!this.changed[i]) {
          if (runLength === 0) runFrom = oldStart;
          runLength += oldEnd - oldStart;
          this.ends[i] = offset + runLength - start;
        } else {
          if (runLength > 0) offset += old!.copy(bytes, offset, runFrom, runFrom + runLength);
          runLength = 0;
          offset = i < previousCount ? source.write(i, bytes, offset, old, oldStart, oldEnd) : source.write(i, bytes, offset, null, 0, 0);
          this.ends[i] = offset - start;
        }
        oldStart = oldEnd;
      }
      if (runLength > 0) offset += old!.copy(bytes, offset, runFrom, runFrom + runLength);
      if (old) this.release(chunk);
      this.chunkSlabs[chunk] = slab;
      this.chunkStarts[chunk] = start;
      this.chunkLengths[chunk] = offset - start;
      this.views[chunk] = undefined;
      slab.live += offset - start;
      this.bytes += offset - start;
    }
    if (offset > size) throw new Error(`ChunkedLines: lines took ${offset} bytes, more than the ${size} announced`);
  }

  /** The chunk at `chunk` is no longer used: its slab loses its bytes, and is let go with the last of them. */
  private release(chunk: number): void {
    const length = this.chunkLengths[chunk];
    const slab = this.chunkSlabs[chunk];
    this.bytes -= length;
    slab.live -= length;
    if (slab.live === 0) {
      this.retained -= slab.bytes.length;
      this.slabs.give(slab.bytes);
    }
  }

  /** Every chunk copied into one new slab of the live bytes: the old slabs are let go (a response may still hold them). */
  private pack(): void {
    const slab: Slab = { bytes: this.slabs.take(this.bytes), live: this.bytes };
    const previousSlabs = new Set(this.chunkSlabs);
    let offset = 0;
    for (let chunk = 0; chunk < this.chunkSlabs.length; chunk++) {
      const start = this.chunkStarts[chunk];
      const length = this.chunkLengths[chunk];
      this.chunkSlabs[chunk].bytes.copy(slab.bytes, offset, start, start + length);
      this.chunkSlabs[chunk] = slab;
      this.chunkStarts[chunk] = offset;
      this.views[chunk] = undefined;
      offset += length;
    }
    this.chunkList = this.runList = null;
    this.retained = slab.bytes.length;
    for (const previous of previousSlabs) this.slabs.give(previous.bytes);
  }
}

interface Slab {
  bytes: Buffer;
  /** Bytes of the chunks still cut from it. */
  live: number;
}
