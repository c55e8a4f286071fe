// Reusing the slabs of chunks no scrape can still be sending. A new slab for every scrape that changes every series
// (139 MB for 100,000 histogram series) made V8 run a full garbage collection of the heap (the registry's series: ≈ 1
// million objects) once or twice a scrape, for the external memory alone: two thirds of such a scrape's time.

/** Where ChunkedLines gets the bytes of its slabs and gives back those no chunk is cut from any more. */
export interface SlabSource {
  /** A slab of at least `size` bytes (unpooled: a slab cut from Node's shared 8 KB pool would keep all of it alive). */
  take(size: number): Buffer;
  /** A slab none of the lines' chunks is cut from any more (bytes a response may still be sending). */
  give(bytes: Buffer): void;
}

/** Every slab new: the chunks handed out keep their bytes for as long as anyone holds them. */
export const freshSlabs: SlabSource = {
  take: (size) => Buffer.allocUnsafeSlow(size),
  give: () => undefined,
};

/**
 * Slabs given back are reused once every scrape that may have seen them is released: a scrape is counted from its
 * start (when it may first read chunks) to its release (when whoever it was handed to is done with its chunks — a
 * server, once the response is sent or abandoned). A scrape never released (a caller of chunks() that does not say)
 * keeps every slab given back since it started from reuse: they are dropped to the garbage collector, as if there were
 * no pool. The pool keeps at most as many bytes as the most a scrape took.
 */
export class SlabPool implements SlabSource {
  private started = 0;
  private readonly unreleased = new Set<number>();
  /** Slabs given back, each with the number of scrapes started by then; reusable once those are all released. */
  private waiting: { bytes: Buffer; stamp: number }[] = [];
  private free: Buffer[] = [];
  private pooledBytes = 0;
  /** Bytes of the slabs taken since the latest scrape began, and the most taken between two beginnings. */
  private takenThisScrape = 0;
  private mostTaken = 0;

  /** Bytes of the slabs given back and not taken again. */
  get heldBytes(): number {
    return this.pooledBytes;
  }

  /** A scrape starts: the id to release it with. */
  begin(): number {
    this.started++;
    this.unreleased.add(this.started);
    this.mostTaken = Math.max(this.mostTaken, this.takenThisScrape);
    this.takenThisScrape = 0;
    return this.started;
  }

  /** The scrape's chunks are no longer read by anyone: slabs no unreleased scrape may have seen become reusable. */
  release(scrape: number): void {
    if (!this.unreleased.delete(scrape)) return;
    this.promote();
  }

  take(size: number): Buffer {
    // The smallest free slab that fits, if it is not much larger: a large slab kept alive by a few small chunks
    // would hold more garbage than the packing of ChunkedLines allows for.
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const length = this.free[i].length;
      if (length >= size && length <= size + (size >> 2) + 4096 && (best < 0 || length < this.free[best].length)) best = i;
    }
    if (best < 0) {
      // An eighth more than asked: sizes are close upper bounds (histogram counts by their digits), and the next
      // scrape's, a digit longer here and there, must still fit this slab once it is given back.
      const bytes = Buffer.allocUnsafeSlow(size + (size >> 3));
      this.takenThisScrape += bytes.length;
      return bytes;
    }
    const bytes = this.free[best];
    this.free[best] = this.free[this.free.length - 1];
    this.free.pop();
    this.pooledBytes -= bytes.length;
    this.takenThisScrape += bytes.length;
    return bytes;
  }

  give(bytes: Buffer): void {
    this.waiting.push({ bytes, stamp: this.started });
    this.pooledBytes += bytes.length;
    this.promote();
    // Beyond what a scrape takes at most (or while scrapes stay unreleased), the slabs given back longest ago go to the
    // collector: the free ones (given back before any waiting one), then the waiting ones.
    const limit = Math.max(this.mostTaken, this.takenThisScrape);
    while (this.pooledBytes > limit && (this.waiting.length || this.free.length)) {
      const dropped = this.free.length ? this.free.shift()! : this.waiting.shift()!.bytes;
      this.pooledBytes -= dropped.length;
    }
  }

  /** Moves the waiting slabs that every scrape started before their return has released to the free ones. */
  private promote(): void {
    let oldest = Infinity;
    for (const scrape of this.unreleased) if (scrape < oldest) oldest = scrape;
    if (this.waiting.length === 0 || this.waiting[0].stamp >= oldest) return;
    const still: { bytes: Buffer; stamp: number }[] = [];
    for (const slab of this.waiting) {
      if (slab.stamp < oldest) this.free.push(slab.bytes);
      else still.push(slab);
    }
    this.waiting = still;
  }
}
