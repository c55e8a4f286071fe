import { describe, expect, it } from 'vitest';
import { SlabPool } from './slab-pool.ts';

describe('SlabPool reuses a slab only once no scrape that may have seen it is unreleased', () => {
  it('gives a slab back to a later scrape once every scrape started before its return is released', () => {
    const pool = new SlabPool();
    const first = pool.begin();
    const slab = pool.take(1000);
    const second = pool.begin();
    pool.give(slab);
    const third = pool.begin();
    expect(pool.take(1000)).not.toBe(slab);
    pool.release(second);
    expect(pool.take(1000)).not.toBe(slab); // the first scrape may still be sending it
    pool.release(first);
    expect(pool.take(1000)).toBe(slab);
    pool.release(third);
  });

  it('never reuses a slab given back during a scrape still unreleased, even by that scrape', () => {
    const pool = new SlabPool();
    pool.begin();
    const slab = pool.take(500);
    pool.give(slab);
    expect(pool.take(500)).not.toBe(slab);
  });

  it('fits slabs: none smaller than asked, none much larger (it would keep garbage alive)', () => {
    const pool = new SlabPool();
    const scrape = pool.begin();
    const small = pool.take(100);
    const large = pool.take(1_000_000);
    pool.release(scrape);
    pool.give(small);
    pool.give(large);
    pool.begin();
    expect(pool.take(200)).not.toBe(small);
    expect(pool.take(10_000)).not.toBe(large);
    expect(pool.take(900_000)).toBe(large);
    expect(pool.take(100)).toBe(small);
  });

  it('releasing twice, or a scrape it never began, changes nothing', () => {
    const pool = new SlabPool();
    const held = pool.begin();
    const slab = pool.take(64);
    pool.give(slab);
    pool.release(held + 1);
    pool.release(42);
    expect(pool.take(64)).not.toBe(slab);
  });

  it('holds no more bytes than a scrape takes while a scrape stays unreleased: the rest go to the garbage collector', () => {
    const pool = new SlabPool();
    pool.begin(); // never released
    const slabs: Buffer[] = [];
    for (let scrape = 0; scrape < 10; scrape++) {
      const id = pool.begin();
      const slab = pool.take(1000);
      for (const previous of slabs.splice(0)) pool.give(previous);
      slabs.push(slab);
      pool.release(id);
      // What one scrape took: its slab, allocated a little larger than asked.
      expect(pool.heldBytes).toBeLessThanOrEqual(slab.length);
    }
  });

  it('over its limit, lets go of the slabs given back longest ago and keeps the latest', () => {
    const pool = new SlabPool();
    const first = pool.begin();
    const older = pool.take(1000);
    const newer = Buffer.allocUnsafeSlow(1000);
    pool.release(first);
    const second = pool.begin();
    pool.give(older);
    pool.release(second);
    const third = pool.begin();
    pool.give(newer); // 2,000 bytes held: over the 1,000 a scrape took
    pool.release(third);
    pool.begin();
    expect(pool.heldBytes).toBe(1000);
    expect(pool.take(1000)).toBe(newer);
  });
});
