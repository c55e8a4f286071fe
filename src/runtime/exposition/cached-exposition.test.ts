import * as client from 'prom-client';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CachedExposition, type ExpositionChunks, type StreamedExposition } from './cached-exposition.ts';
import { FormatWorker } from './format-worker.ts';
import { seededRandom as random } from '../../../test/helpers/seeded-random.ts';

/** The worker thread every byte-identity case also formats its streamed scrape with (serveMetrics' formatThreads: 2). */
let worker: FormatWorker;
beforeAll(async () => {
  worker = new FormatWorker();
  await worker.ready;
});
afterAll(() => worker.close());

const tricky = ['plain', 'back\\slash', 'quote"d', 'new\nline', 'all \\"\n three', '', 'ünïcødé ✓', '{le="x"}'];
const awkwardValues = [0, -0, 1, -1.5, 0.1 + 0.2, 1e21, 1e-7, 2 ** 53 + 2, NaN, Infinity, -Infinity, Number.MAX_VALUE];

function exposition(registry: Registry, seriesPerChunk?: number) {
  return new CachedExposition(registry, client, { seriesPerChunk });
}

/**
 * The bytes of a server's scrape (scrape()) as a response gets them, and whether they were formatted as written. The
 * sink says each piece is written a turn of the event loop later (the formatting waits for pieces), and checks that
 * no piece changed before then.
 */
async function written(body: ExpositionChunks | StreamedExposition): Promise<{ bytes: Buffer; streamed: boolean }> {
  if ('chunks' in body) {
    const bytes = Buffer.concat(body.chunks);
    expect(body.byteLength).toBe(bytes.length);
    body.release();
    return { bytes, streamed: false };
  }
  const parts: Buffer[] = [];
  const untouched: Promise<boolean>[] = [];
  await body.writeTo({
    write(bytes, written) {
      const copy = Buffer.from(bytes);
      parts.push(copy);
      untouched.push(new Promise((resolve) => setImmediate(() => {
        resolve(copy.equals(bytes));
        written();
      })));
    },
  });
  body.release();
  expect(await Promise.all(untouched)).not.toContain(false);
  return { bytes: Buffer.concat(parts), streamed: true };
}

/**
 * The bytes a scrape serves: the chunks, their announced length, the one-Buffer and string forms, against prom-client's;
 * and a server's scrape, of `cached` and of a new exposition of the registry (which formats every metric that has
 * series as it writes it). Each scrape is released, as a server does once it sent it: later scrapes reuse its slabs.
 */
async function expectSameBytes(registry: Registry, cached = exposition(registry)) {
  const expected = Buffer.from(await registry.metrics());
  const fresh = await written(await exposition(registry).scrape());
  expect(fresh.bytes.toString()).toBe(expected.toString());
  expect(fresh.bytes.equals(expected)).toBe(true);
  // The same scrape with the histograms' lines written by the worker thread.
  expect(worker.usable).toBe(true);
  const threaded = await written(await exposition(registry).scrape({ worker }));
  expect(threaded.bytes.toString()).toBe(expected.toString());
  expect(threaded.bytes.equals(expected)).toBe(true);
  expect((await written(await cached.scrape())).bytes.equals(expected)).toBe(true);
  const { chunks, byteLength, release } = await cached.chunks();
  const served = Buffer.concat(chunks);
  release();
  expect(served.toString()).toBe(expected.toString());
  expect(served.equals(expected)).toBe(true);
  expect(byteLength).toBe(expected.length);
  expect(Buffer.from(await cached.bytes()).equals(expected)).toBe(true);
  expect(await cached.metrics()).toBe(await registry.metrics());
  return cached;
}

describe('the cached exposition gives prom-client\'s bytes', () => {
  it('for counters, gauges, histograms and summaries with and without labels, escapes and awkward values', async () => {
    const registry = new Registry();
    const bare = new Counter({ name: 'bare_total', help: 'No labels.', registers: [registry] });
    const counter = new Counter({ name: 'c_total', help: 'Help with \\ and\nnewline "quoted".', labelNames: ['a', 'b'], registers: [registry] });
    const gauge = new Gauge({ name: 'g', help: 'Gauge.', labelNames: ['v'], registers: [registry] });
    const histogram = new Histogram({ name: 'h_seconds', help: 'H.', labelNames: ['path'], buckets: [0.1, 1, 2.5], registers: [registry] });
    const defaultBuckets = new Histogram({ name: 'hd_seconds', help: 'Default buckets.', registers: [registry] });
    const summary = new Summary({ name: 's_seconds', help: 'S.', labelNames: ['k'], registers: [registry] });
    new Gauge({ name: 'empty', help: 'A labelled metric without series.', labelNames: ['x'], registers: [registry] });
    new Histogram({ name: 'empty_histogram', help: 'No series.', labelNames: ['x'], registers: [registry] });
    bare.inc(2);
    // A series without labels before labelled ones: its (empty) label text must not be given to the next series.
    histogram.observe(0.7);
    tricky.forEach((text, i) => {
      counter.inc({ b: text, a: i }, i + 1);   // label order as given, a number as a label value
      gauge.set({ v: text }, awkwardValues[i]);
      histogram.observe({ path: text }, i / 3);
      summary.observe({ k: text }, i);
    });
    awkwardValues.forEach((value, i) => gauge.set({ v: `value ${i}` }, value));
    defaultBuckets.observe(7);
    defaultBuckets.observe(0.003);
    await expectSameBytes(registry);
  });

  it('for histogram series whose labels are written as bytes: any order, values not strings, 4-byte characters, long', async () => {
    const registry = new Registry();
    const histogram = new Histogram({ name: 'hb_seconds', help: 'H.', labelNames: ['a', 'b'], buckets: [0.5, 1, 10], registers: [registry] });
    const values: unknown[] = [...tricky, '𝄞 clef', 'é'.repeat(3_000), 0, -1.5, 1e21, NaN, true];
    values.forEach((value, i) => {
      histogram.observe({ b: value as string, a: String(i) }, i / 4);
      histogram.observe({ a: `${i}${tricky[i % tricky.length]}`, b: value as string }, i * 3);
    });
    const cached = await expectSameBytes(registry, exposition(registry, 3));
    // Observed again: each series is rewritten over its previous bytes, found by the length of its labels.
    values.forEach((value, i) => histogram.observe({ b: value as string, a: String(i) }, 100 + i));
    await expectSameBytes(registry, cached);
  });

  it('for an empty registry and one with only default metrics (values aside: they move between two reads)', async () => {
    await expectSameBytes(new Registry());
    const registry = new Registry();
    client.collectDefaultMetrics({ register: registry });
    const withoutValues = (text: string) => text.replace(/ \S+$/gm, ' <value>');
    const ours = await exposition(registry).metrics();
    expect(withoutValues(ours)).toBe(withoutValues(await registry.metrics()));
    expect(ours).toMatch(/^nodejs_heap_space_size_total_bytes\{space="/m);
    expect(ours).toContain('# TYPE nodejs_gc_duration_seconds histogram');
  });

  it('with default labels, some of which a series sets itself, and when they change', async () => {
    const registry = new Registry();
    new Counter({ name: 'c_total', help: 'C.', labelNames: ['service', 'code'], registers: [registry] }).inc({ code: '200', service: 'own' });
    new Histogram({ name: 'h', help: 'H.', labelNames: ['service'], buckets: [1], registers: [registry] }).observe({ service: 'own' }, 0.5);
    new Histogram({ name: 'h_bare', help: 'H.', buckets: [1], registers: [registry] }).observe(2);
    registry.setDefaultLabels({ region: 'eu "west"', service: 'default' });
    const cached = await expectSameBytes(registry);
    registry.setDefaultLabels({ region: 'us' });
    await expectSameBytes(registry, cached);
    registry.setDefaultLabels({ le: 'odd', zone: 'a' });
    await expectSameBytes(registry, cached);
  });

  it.each([1, 2, 3, 256])('over seeded random sequences of updates, removals and resets, scrape after scrape (%i series a chunk)', async (perChunk) => {
    const names = [...tricky, ...Array.from({ length: 12 }, (_, i) => `series ${i}`)];
    for (let seed = 1; seed <= 12; seed++) {
      const next = random(seed * 31 + perChunk);
      const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)];
      const registry = new Registry();
      const make = () => ({
        counter: new Counter({ name: 'r_total', help: 'R.', labelNames: ['a', 'b'], registers: [registry] }),
        gauge: new Gauge({ name: 'r_gauge', help: 'G.', labelNames: ['a'], registers: [registry] }),
        histogram: new Histogram({ name: 'r_seconds', help: 'H.', labelNames: ['a'], buckets: [0.5, 1, 5], registers: [registry] }),
      });
      let { counter, gauge, histogram } = make();
      const cached = exposition(registry, perChunk);
      for (let scrape = 0; scrape < 15; scrape++) {
        const updates = Math.floor(next() * 8);
        for (let u = 0; u < updates; u++) {
          const a = pick(names);
          const op = Math.floor(next() * 14);
          if (op === 0) counter.inc({ a, b: pick(['x', 'y']) }, Math.floor(next() * 3));
          else if (op === 1) gauge.set({ a }, pick(awkwardValues));
          else if (op === 2) gauge.inc({ a }, next());
          else if (op === 3) histogram.observe({ a }, next() * 6);
          else if (op === 4) histogram.zero({ a });
          else if (op === 5) gauge.remove({ a });            // mid-chunk: the series after it move up
          else if (op === 6) histogram.remove({ a });
          else if (op === 7 && next() < 0.3) counter.reset(); // labels reset: every series goes
          else if (op === 8 && next() < 0.2) histogram.reset();
          else if (op === 9 && next() < 0.3) {
            // A metric removed, and later registered again: it comes back last.
            if (registry.getSingleMetric('r_gauge')) registry.removeSingleMetric('r_gauge');
            else registry.registerMetric(gauge);
          }
          else if (op === 10 && next() < 0.1) {
            registry.clear();                                // then the same names again, as new metrics
            ({ counter, gauge, histogram } = make());
          } else if (op === 11 && next() < 0.1) registry.resetMetrics();
          else if (op === 12) for (const name of names.slice(0, Math.floor(next() * names.length))) histogram.observe({ a: name }, next());
          else gauge.set({ a }, Math.round(next() * 2));     // often the value it had
        }
        await expectSameBytes(registry, cached);
      }
    }
  });

  it('a scrape\'s chunks keep their bytes while later scrapes change the series (a slow response sends what it saw)', async () => {
    const registry = new Registry();
    const histogram = new Histogram({ name: 'h', help: 'H.', labelNames: ['a'], buckets: [1], registers: [registry] });
    const gauge = new Gauge({ name: 'g', help: 'G.', labelNames: ['a'], registers: [registry] });
    for (let i = 0; i < 50; i++) {
      histogram.observe({ a: `${i}` }, i);
      gauge.set({ a: `${i}` }, i);
    }
    const cached = exposition(registry, 4);
    const first = await cached.chunks();
    const firstBytes = Buffer.concat(first.chunks);
    expect(firstBytes.equals(Buffer.from(await registry.metrics()))).toBe(true);
    for (let i = 0; i < 50; i += 3) {
      histogram.observe({ a: `${i}` }, 0.5);
      gauge.set({ a: `${i}` }, -i);
    }
    gauge.remove({ a: '7' });
    await expectSameBytes(registry, cached);
    expect(Buffer.concat(first.chunks).equals(firstBytes)).toBe(true);
  });
});

describe('the cached exposition reuses the bytes of released scrapes only', () => {
  /** 40 histogram series, every one changed between scrapes: each scrape rebuilds every chunk. */
  function everyChange() {
    const registry = new Registry();
    const histogram = new Histogram({ name: 'h', help: 'H.', labelNames: ['a'], buckets: [1, 10], registers: [registry] });
    let round = 0;
    const change = () => {
      round++;
      for (let i = 0; i < 40; i++) histogram.observe({ a: `series ${i}` }, (i * round) % 13);
    };
    change();
    return { registry, change, cached: exposition(registry, 2) };
  }

  it('a scrape not released keeps its bytes however many released scrapes follow', async () => {
    const { registry, change, cached } = everyChange();
    const held = await cached.chunks();
    const heldBytes = Buffer.concat(held.chunks);
    for (let i = 0; i < 6; i++) {
      change();
      await expectSameBytes(registry, cached);
    }
    expect(Buffer.concat(held.chunks).equals(heldBytes)).toBe(true);
    held.release();
    change();
    await expectSameBytes(registry, cached);
  });

  it('the bytes of a released scrape are written again by a later one (no new memory a scrape), and stay prom-client\'s', async () => {
    const { registry, change, cached } = everyChange();
    // The memory of the series' samples (the last chunk; the header's bytes are the same in every scrape).
    const seen: ArrayBufferLike[] = [];
    for (let i = 0; i < 6; i++) {
      const scrape = await cached.chunks();
      expect(Buffer.concat(scrape.chunks).equals(Buffer.from(await registry.metrics()))).toBe(true);
      seen.push(scrape.chunks.at(-1)!.buffer);
      scrape.release();
      change();
    }
    // A slab given back during scrape n is reused from scrape n + 1 on: scrape 5 writes into scrape 3's memory.
    expect(seen[4]).toBe(seen[2]);
    expect(seen[5]).toBe(seen[3]);
    expect(seen[1]).not.toBe(seen[0]);
  });
  it('histogram counts that grow a digit between scrapes still fit the memory of released scrapes, and stay prom-client\'s', async () => {
    const registry = new Registry();
    const histogram = new Histogram({ name: 'h', help: 'H.', labelNames: ['a'], buckets: [1, 10, 100], registers: [registry] });
    const bare = new Histogram({ name: 'bare', help: 'No labels.', buckets: [1], registers: [registry] });
    const cached = exposition(registry, 2);
    const seen: ArrayBufferLike[] = [];
    for (let round = 1; round <= 8; round++) {
      // Every series observed round × 7 times: counts of 7, 21, 42, 70, 105, … cross from one digit to three.
      for (let i = 0; i < 40; i++) {
        for (let k = 0; k < round * 7; k++) histogram.observe({ a: `série ${i}` }, (i + k) % 150);
      }
      bare.observe(round / 3);
      const scrape = await cached.chunks();
      expect(Buffer.concat(scrape.chunks).equals(Buffer.from(await registry.metrics()))).toBe(true);
      // The memory of the histogram's series (the chunks after its header).
      seen.push(scrape.chunks[1].buffer);
      scrape.release();
    }
    // From the third scrape on each one writes into the memory of the scrape two before it.
    for (let round = 2; round < seen.length; round++) expect(seen[round]).toBe(seen[round - 2]);
  });
});

describe('a server\'s scrape of series never written formats them as it writes them', () => {
  it('prom-client\'s bytes over many pieces, labels longer than a piece, other kinds between, and no memory kept', async () => {
    const registry = new Registry();
    const histogram = new Histogram({ name: 'h_seconds', help: 'H ✓.', labelNames: ['path', 'code'], buckets: [0.1, 1, 2.5], registers: [registry] });
    const summary = new Summary({ name: 's_seconds', help: 'S.', registers: [registry] });
    const gauge = new Gauge({ name: 'g', help: 'G.', labelNames: ['path'], registers: [registry] });
    new Counter({ name: 'empty_total', help: 'No series.', labelNames: ['x'], registers: [registry] });
    for (let i = 0; i < 4_000; i++) {
      const path = `/${tricky[i % tricky.length]}/𝄞/${i}`;
      histogram.observe({ path, code: String(200 + (i % 3)) }, ((i * 7) % 40) / 10);
      gauge.set({ path }, awkwardValues[i % awkwardValues.length]);
    }
    gauge.set({ path: `long ${'ü'.repeat(200_000)}` }, 1);
    // A histogram series longer than a piece, between others.
    histogram.observe({ path: `long ${'ü'.repeat(20_000)}`, code: '200' }, 1);
    for (let i = 0; i < 20; i++) histogram.observe({ path: `after ${i}`, code: '500' }, i / 7);
    summary.observe(3);
    const cached = exposition(registry);
    const allocate = vi.spyOn(Buffer, 'allocUnsafeSlow');
    let first: { bytes: Buffer; streamed: boolean };
    try {
      first = await written(await cached.scrape());
      // The pieces alone (four of 256 KB, one for each long series): no slab of the cache.
      const sizes = allocate.mock.calls.map(([size]) => size);
      expect(sizes.filter((size) => size === 256 * 1024)).toHaveLength(4);
      expect(sizes.filter((size) => size !== 256 * 1024)).toEqual([
        expect.toSatisfy((size: number) => size > 500_000 && size < 1_000_000),
        expect.toSatisfy((size: number) => size > 400_000 && size < 1_500_000),
      ]);
    } finally {
      allocate.mockRestore();
    }
    const expected = Buffer.from(await registry.metrics());
    expect(expected.length).toBeGreaterThan(2_000_000);
    expect(first.streamed).toBe(true);
    expect(first.bytes.equals(expected)).toBe(true);
    // Through the worker thread: the long series' labels are more than a batch's room for labels.
    const threaded = await written(await exposition(registry).scrape({ worker }));
    expect(threaded.streamed && threaded.bytes.equals(expected)).toBe(true);
    // Still not written: the next scrape streams too, until prepared (or chunks()).
    expect((await written(await cached.scrape())).streamed).toBe(true);
    expect(await cached.prepare()).toBe(true);
    const prepared = await written(await cached.scrape());
    expect(prepared).toEqual({ bytes: expected, streamed: false });
  });

  it('a metric gaining 256 series or more since written streams; one gaining fewer is written into the cache', async () => {
    const registry = new Registry();
    const counter = new Counter({ name: 'c_total', help: 'C.', labelNames: ['k'], registers: [registry] });
    const histogram = new Histogram({ name: 'h', help: 'H.', labelNames: ['k'], buckets: [1], registers: [registry] });
    const add = (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        counter.inc({ k: `${i}` });
        histogram.observe({ k: `${i}` }, i);
      }
    };
    add(0, 10);
    const cached = exposition(registry);
    (await cached.chunks()).release();
    add(10, 265);
    expect(await written(await cached.scrape())).toEqual({ bytes: Buffer.from(await registry.metrics()), streamed: false });
    add(265, 521);
    expect(await written(await cached.scrape())).toEqual({ bytes: Buffer.from(await registry.metrics()), streamed: true });
  });

  it('stops when a write fails or the response closes, and preparing waits for its release', async () => {
    const registry = new Registry();
    const histogram = new Histogram({ name: 'h', help: 'H.', labelNames: ['k'], registers: [registry] });
    for (let i = 0; i < 6_000; i++) histogram.observe({ k: `${i}` }, i);
    const cached = exposition(registry);
    const failing = await cached.scrape() as StreamedExposition;
    const failure = new Error('connection reset');
    await expect(failing.writeTo({ write: (_bytes, done) => setImmediate(() => done(failure)) })).rejects.toBe(failure);
    // Unreleased, the scrape keeps preparing from running.
    expect(await cached.prepare()).toBe(false);
    failing.release();
    const closed = new AbortController();
    const abandoned = await cached.scrape() as StreamedExposition;
    const pieces: Uint8Array[] = [];
    const writing = abandoned.writeTo({ write: (bytes) => pieces.push(bytes) }, closed.signal);
    await new Promise((resolve) => setImmediate(resolve));
    closed.abort();
    await expect(writing).rejects.toThrow(/closed/);
    // Four pieces in flight, then formatting waited for one of them.
    expect(pieces).toHaveLength(4);
    abandoned.release();
    expect(await cached.prepare()).toBe(true);
  });
});

describe('the cached exposition prepared ahead of a scrape', () => {
  /** Histograms, counters and gauges of `count` series each, labels with escapes and multi-byte characters. */
  function filled(count: number) {
    const registry = new Registry();
    const histogram = new Histogram({ name: 'h_seconds', help: 'H.', labelNames: ['path', 'code'], buckets: [0.1, 1, 2.5], registers: [registry] });
    const counter = new Counter({ name: 'c_total', help: 'C.', labelNames: ['path'], registers: [registry] });
    const gauge = new Gauge({ name: 'g', help: 'G.', labelNames: ['path'], registers: [registry] });
    const bare = new Histogram({ name: 'bare', help: 'No labels.', registers: [registry] });
    const observe = (round: number, every: number) => {
      for (let i = round % every; i < count; i += every) {
        const path = `${tricky[i % tricky.length]} ${i}`;
        histogram.observe({ path, code: String(200 + (i % 3)) }, ((i * 7 + round) % 40) / 10);
        counter.inc({ path }, i % 5);
        gauge.set({ path }, awkwardValues[(i + round) % awkwardValues.length]);
      }
      bare.observe(round);
    };
    observe(0, 1);
    return { registry, histogram, counter, gauge, observe };
  }

  it('writes every series ahead: the scrape that follows takes no new memory and gives prom-client\'s bytes', async () => {
    const { registry } = filled(1_000);
    const cached = exposition(registry);
    await cached.prepare();
    const allocate = vi.spyOn(Buffer, 'allocUnsafeSlow');
    try {
      const { chunks, release } = await cached.chunks();
      expect(allocate).not.toHaveBeenCalled();
      expect(Buffer.concat(chunks).equals(Buffer.from(await registry.metrics()))).toBe(true);
      release();
    } finally {
      allocate.mockRestore();
    }
    // Without prepare the first scrape writes them (the spy sees it: it can fail).
    const cold = exposition(filled(1_000).registry);
    const coldAllocate = vi.spyOn(Buffer, 'allocUnsafeSlow');
    try {
      (await cold.chunks()).release();
      expect(coldAllocate).toHaveBeenCalled();
    } finally {
      coldAllocate.mockRestore();
    }
  });

  it('in slices between which the event loop runs', async () => {
    const { registry } = filled(3_000);
    const cached = exposition(registry);
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    await cached.prepare({ sliceMs: 0 });
    ticking = false;
    // At least one slice a metric's 256 series: 12 for each of the three metrics of 3,000 series.
    expect(turns).toBeGreaterThanOrEqual(36);
    await expectSameBytes(registry, cached);
  });

  it('what changes after or while it runs (values, series added and removed, default labels) shows in the scrape', async () => {
    for (const seriesPerChunk of [undefined, 3]) {
      const { registry, gauge, observe } = filled(1_500);
      const cached = exposition(registry, seriesPerChunk);
      const preparing = cached.prepare({ sliceMs: 0 });
      for (let turn = 0; turn < 6; turn++) await new Promise((resolve) => setImmediate(resolve));
      observe(1, 7);
      gauge.remove({ path: `${tricky[3]} 3` });
      gauge.set({ path: 'added while preparing' }, 1);
      for (let turn = 0; turn < 6; turn++) await new Promise((resolve) => setImmediate(resolve));
      registry.setDefaultLabels({ zone: 'z1' });
      await preparing;
      observe(2, 3);
      await expectSameBytes(registry, cached);
      observe(3, 1);
      await expectSameBytes(registry, cached);
    }
  });

  it('stops when a scrape begins (the scrape writes the rest), or when aborted', async () => {
    const { registry } = filled(3_000);
    const cached = exposition(registry);
    const preparing = cached.prepare({ sliceMs: 0 });
    await new Promise((resolve) => setImmediate(resolve));
    const scrape = cached.chunks();
    await preparing;
    const { chunks, release } = await scrape;
    expect(Buffer.concat(chunks).equals(Buffer.from(await registry.metrics()))).toBe(true);
    release();

    const other = exposition(filled(3_000).registry);
    const controller = new AbortController();
    controller.abort();
    const allocate = vi.spyOn(Buffer, 'allocUnsafeSlow');
    try {
      await other.prepare({ signal: controller.signal });
      expect(allocate).not.toHaveBeenCalled();
    } finally {
      allocate.mockRestore();
    }
  });
});

describe('the cached exposition shows what changed since the previous scrape', () => {
  it('a value set, counted or observed after a scrape appears in the next one, and only that changes', async () => {
    const registry = new Registry();
    const gauge = new Gauge({ name: 'g', help: 'G.', labelNames: ['k'], registers: [registry] });
    const counter = new Counter({ name: 'c_total', help: 'C.', registers: [registry] });
    const histogram = new Histogram({ name: 'h', help: 'H.', buckets: [1], labelNames: ['k'], registers: [registry] });
    const labels = { k: 'one' };
    gauge.set(labels, 1);
    histogram.observe(labels, 0.5);
    const cached = exposition(registry);
    const first = await cached.metrics();
    expect(await cached.metrics()).toBe(first);

    gauge.set(labels, 2);                    // same labels object, new value
    counter.inc();
    histogram.observe(labels, 0.5);          // a sum that another observation could leave equal: the count moves
    const second = await cached.metrics();
    expect(second).toContain('g{k="one"} 2\n');
    expect(second).toContain('c_total 1\n');
    expect(second).toContain('h_count{k="one"} 2\n');
    expect(second).toBe(await registry.metrics());

    gauge.set(labels, 2);                    // set again to the same value: same text
    expect(await cached.metrics()).toBe(second);
    histogram.observe(labels, 0);            // the sum stays 1, the count moves
    gauge.set({ k: 'two' }, 3);              // a new series
    const third = await cached.metrics();
    expect(third).toContain('h_bucket{le="1",k="one"} 3\n');
    expect(third).toContain('g{k="two"} 3\n');
    expect(third).toBe(await registry.metrics());
  });

  it('collect callbacks run on every scrape and what they set is shown by that scrape', async () => {
    const registry = new Registry();
    let reading = 0;
    const polled: Gauge = new Gauge({ name: 'polled', help: 'P.', registers: [registry], collect() { polled.set(++reading); } });
    const later: Gauge = new Gauge({
      name: 'polled_async', help: 'P.', registers: [registry], async collect() { await Promise.resolve(); later.set(reading * 10); },
    });
    const cached = exposition(registry);
    expect(await cached.metrics()).toContain('polled 1\n');
    const second = await cached.metrics();
    expect(second).toContain('polled 2\n');
    expect(second).toContain('polled_async 20\n');
  });

  it('a collect callback that throws fails the scrape, as with prom-client', async () => {
    const registry = new Registry();
    new Counter({ name: 'broken_total', help: 'B.', registers: [registry], collect() { throw new Error('store unavailable'); } });
    await expect(exposition(registry).metrics()).rejects.toThrow('store unavailable');
  });

  it('leaves an OpenMetrics registry to prom-client', async () => {
    // prom-client's types take the content type only through the registry's type parameter.
    const registry = new (Registry as unknown as new (type: string) => Registry)(Registry.OPENMETRICS_CONTENT_TYPE);
    expect(registry.contentType).toBe(Registry.OPENMETRICS_CONTENT_TYPE);
    new Counter({ name: 'om_total', help: 'O.', registers: [registry] }).inc();
    await expectSameBytes(registry);
  });
});

describe('a streamed scrape with a format worker thread (serveMetrics\' formatThreads: 2)', () => {
  const finiteValues = awkwardValues.filter(Number.isFinite);
  /** Whether a scrape was streamed and gave `expected` (compared as bytes: toEqual over megabytes takes seconds). */
  const sameStreamed = (scrape: { bytes: Buffer; streamed: boolean }, expected: Buffer) => scrape.streamed && scrape.bytes.equals(expected);

  /** Histograms of many batches (512 series each) between a counter and a gauge, awkward sums, labels with escapes. */
  function histograms(count: number) {
    const registry = new Registry();
    const counter = new Counter({ name: 'c_total', help: 'C.', labelNames: ['k'], registers: [registry] });
    const histogram = new Histogram({ name: 'h_seconds', help: 'H ✓.', labelNames: ['path', 'code'], buckets: [0.1, 1, 2.5, 5], registers: [registry] });
    const bare = new Histogram({ name: 'h_bare', help: 'No labels.', buckets: [1], registers: [registry] });
    const gauge = new Gauge({ name: 'g', help: 'G.', labelNames: ['k'], registers: [registry] });
    for (let i = 0; i < count; i++) {
      const path = `/${tricky[i % tricky.length]}/𝄞/${i}`;
      histogram.observe({ path, code: String(200 + (i % 3)) }, ((i * 7) % 40) / 10);
      if (i % 97 === 0) histogram.observe({ path, code: String(200 + (i % 3)) }, finiteValues[i % finiteValues.length]);
      counter.inc({ k: path }, i);
      gauge.set({ k: path }, awkwardValues[i % awkwardValues.length]);
    }
    bare.observe(0.5);
    // Sums no observation makes, but the store may hold (and prom-client prints): NaN, ±Inf.
    const stored = Object.values((histogram as unknown as { hashMap: Record<string, { sum: number }> }).hashMap);
    [NaN, Infinity, -Infinity].forEach((sum, i) => (stored[(i * 211) % stored.length].sum = sum));
    return { registry, histogram };
  }

  it('gives prom-client\'s bytes over many batches, series changing between scrapes, and with default labels', async () => {
    const { registry, histogram } = histograms(3_000);
    for (let round = 0; round < 3; round++) {
      const expected = Buffer.from(await registry.metrics());
      expect(sameStreamed(await written(await exposition(registry).scrape({ worker })), expected)).toBe(true);
      for (let i = round; i < 3_000; i += 5) histogram.observe({ path: `/${tricky[i % tricky.length]}/𝄞/${i}`, code: String(200 + (i % 3)) }, round);
      histogram.observe({ path: `new ${round}`, code: '500' }, -1e21);
      if (round === 1) registry.setDefaultLabels({ region: 'eu "west"', code: 'default' });
    }
  });

  it('a slow sink: formatting waits for the batches written, and the bytes stay the scrape\'s', async () => {
    const { registry, histogram } = histograms(6_000);
    const expected = Buffer.from(await registry.metrics());
    const body = await exposition(registry).scrape({ worker }) as StreamedExposition;
    const parts: Buffer[] = [];
    let unwritten = 0;
    let most = 0;
    const writing = body.writeTo({
      write(bytes, done) {
        const copy = Buffer.from(bytes);
        parts.push(copy);
        most = Math.max(most, ++unwritten);
        setTimeout(() => {
          expect(copy.equals(bytes)).toBe(true);
          unwritten--;
          done();
        }, 2);
      },
    });
    await writing;
    body.release();
    // Bounded: a few batches and pieces in flight, not the whole exposition.
    expect(most).toBeLessThan(20);
    expect(Buffer.concat(parts).equals(expected)).toBe(true);
    histogram.reset();
  });

  it('falls back to the main thread when the worker fails mid-scrape, and does not use it again', async () => {
    const failing = new FormatWorker();
    await failing.ready;
    const { registry } = histograms(4_000);
    const expected = Buffer.from(await registry.metrics());
    const body = await exposition(registry).scrape({ worker: failing }) as StreamedExposition;
    const parts: Buffer[] = [];
    let writes = 0;
    await body.writeTo({
      write(bytes, done) {
        parts.push(Buffer.from(bytes));
        if (++writes === 3) failing.failForTest();
        setImmediate(done);
      },
    });
    body.release();
    expect(Buffer.concat(parts).equals(expected)).toBe(true);
    expect(failing.failed).toBe(true);
    expect(sameStreamed(await written(await exposition(registry).scrape({ worker: failing })), expected)).toBe(true);
    await failing.close();
  });

  it('a worker that cannot start is never used: the main thread formats', async () => {
    const broken = new FormatWorker('throw new Error("no worker here")');
    await broken.ready;
    expect(broken.failed).toBe(true);
    expect(broken.usable).toBe(false);
    const { registry } = histograms(600);
    expect(sameStreamed(await written(await exposition(registry).scrape({ worker: broken })), Buffer.from(await registry.metrics()))).toBe(true);
    await broken.close();
  });

  it('a scrape before the worker is ready starts on the main thread and hands over to it', async () => {
    const starting = new FormatWorker();
    expect(starting.usable).toBe(false);
    const { registry } = histograms(20_000);
    const expected = Buffer.from(await registry.metrics());
    expect(sameStreamed(await written(await exposition(registry).scrape({ worker: starting })), expected)).toBe(true);
    expect(starting.usable).toBe(true);
    await starting.close();
  });

  it('stops when a write fails or the response closes', async () => {
    const { registry } = histograms(6_000);
    const cached = exposition(registry);
    const failing = await cached.scrape({ worker }) as StreamedExposition;
    const failure = new Error('connection reset');
    await expect(failing.writeTo({ write: (_bytes, done) => setImmediate(() => done(failure)) })).rejects.toBe(failure);
    failing.release();
    const closed = new AbortController();
    const abandoned = await cached.scrape({ worker }) as StreamedExposition;
    const writing = abandoned.writeTo({ write: () => undefined }, closed.signal);
    await new Promise((resolve) => setTimeout(resolve, 20));
    closed.abort();
    await expect(writing).rejects.toThrow(/closed/);
    abandoned.release();
    // The worker is still good for the next scrape.
    expect(sameStreamed(await written(await cached.scrape({ worker })), Buffer.from(await registry.metrics()))).toBe(true);
  });

  it('drops the places of batches the worker has not answered when the response closes, and takes their bytes back later', async () => {
    // A worker that says it is ready and answers a batch only when told: the response closes with every batch pending.
    const holding = new FormatWorker(String.raw`
      const { parentPort } = require('node:worker_threads');
      const held = [];
      parentPort.on('message', (m) => {
        if (m.kind === 'answer') for (const b of held.splice(0)) parentPort.postMessage({ id: b.id, output: new ArrayBuffer(8), length: 0, values: b.values, labels: b.labels, labelEnds: b.labelEnds }, [b.values, b.labels, b.labelEnds]);
        else if (m.kind === undefined) held.push(m);
      });
      parentPort.postMessage({ kind: 'ready' });
    `);
    await holding.ready;
    const { registry } = histograms(4_000);
    const body = await exposition(registry).scrape({ worker: holding }) as StreamedExposition;
    const closed = new AbortController();
    const writing = body.writeTo({ write: (_bytes, done) => setImmediate(done) }, closed.signal);
    await new Promise((resolve) => setTimeout(resolve, 50));
    closed.abort();
    await expect(writing).rejects.toThrow(/closed/);
    // The held batches come back after the response closed: their bytes go back to the worker, nothing is written.
    (holding as unknown as { worker: { postMessage(m: unknown): void } }).worker.postMessage({ kind: 'answer' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    body.release();
    await holding.close();
  });
});
