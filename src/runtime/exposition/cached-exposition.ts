// The exposition of a prom-client registry, byte for byte what registry.metrics() returns (as UTF-8), built from what
// changed since the previous scrape: prom-client formats every sample anew (≈ 2 s for 100,000 histogram series). It
// is kept as chunks of UTF-8 a few series long, written to the socket as they are: joining and encoding the whole text
// on every scrape cost 0.4–0.7 s for 100,000 histogram series (139 MB), and 4× that is past V8's longest string.
import type { Registry } from 'prom-client';
import type * as PromClient from 'prom-client';
import { HistogramText, LabelTexts, ValueText, type MetricBytes, type MetricText, type StoredMetric } from './series.ts';
import type { LabelSet } from './format.ts';
import { SlabPool } from './slab-pool.ts';
import type { ByteSink, FormatThread } from './byte-sink.ts';
import { histogramStreams, OrderedSink, PieceWriter, streamHistogramMetric, streamHistogramThreaded, streamValueMetric } from './streamed.ts';
import type { FormatWorker } from './format-worker.ts';

/** What the exposition reads of a registry beyond its public methods (prom-client 15). */
interface RegistryInternals {
  getMetricsAsArray(): unknown[];
  getMetricsAsString(metric: unknown): Promise<string>;
  _defaultLabels: LabelSet;
}

interface CollectableMetric extends StoredMetric {
  collect?: () => unknown;
  enableExemplars?: boolean;
  get(): unknown;
  getForPromString?(): unknown;
}

/** One metric's part of a scrape: read from the store, or formatted by prom-client (kinds not read here). */
type Part =
  | { kind: 'stored'; metric: CollectableMetric; text: MetricText; series: unknown[] | null; collecting: Promise<unknown> | null }
  | { kind: 'prom-client'; metric: object; text: Promise<string> };

/** A scrape's body: UTF-8 chunks to write in order, and their total length (the Content-Length). */
export interface ExpositionChunks {
  chunks: readonly Uint8Array[];
  byteLength: number;
  /**
   * Says the chunks are no longer read (a response sent or abandoned): their bytes may then be reused by later
   * scrapes. Optional — chunks never released keep their bytes, and only cost the reuse.
   */
  release(): void;
}

/**
 * A scrape's body of which some metrics are formatted as they are written (scrape()): its length is known only once
 * written, so a server sends it chunked.
 */
export interface StreamedExposition {
  /**
   * Writes the body to `out` in order: the cached metrics' chunks as they are, the others formatted into a few reused
   * pieces, each reused once `out` says it is written — formatting waits for that (backpressure). Rejects when a write
   * fails or `signal` aborts (the response closed): stop writing then.
   */
  writeTo(out: ByteSink, signal?: AbortSignal): Promise<void>;
  release(): void;
}

/** A metric's part of a scrape's body: its bytes, or what to format as it is written. */
type Block = MetricBytes | { metric: CollectableMetric; text: MetricText; series: unknown[] };

export interface CachedExpositionOptions {
  /**
   * Series per chunk, for every kind (tests use small ones to cross chunk boundaries); by default about 3 KB a chunk:
   * 32 counter or gauge series, 2 histogram series. Smaller chunks copy less of what did not change when a series
   * changes (a 10 % change spread evenly dirties every chunk of 16 histogram series); each costs a write at a scrape.
   */
  seriesPerChunk?: number;
}

const VALUE_SERIES_PER_CHUNK = 32;
/** prepare() adds series to a metric in multiples of this many (≈ 1.5 ms of histogram series; of the chunk sizes). */
const PREPARE_STEP = 256;
const HISTOGRAM_SERIES_PER_CHUNK = 2;
/** Between two metrics' blocks (each ends with a newline): prom-client joins them with a blank line. */
const BLANK_LINE = Buffer.from('\n');
const nothingToRelease = () => undefined;

export class CachedExposition {
  private readonly texts = new WeakMap<object, MetricText>();
  /** The bytes of metrics prom-client formats (summaries, default metrics, …), encoded again only when their text changes. */
  private readonly promClientBytes = new WeakMap<object, { text: string; bytes: MetricBytes }>();
  private labels = new LabelTexts(null);
  private defaultsSeen: [string, unknown][] = [];
  /** The slabs of the chunks, reused once no scrape that may have handed them out is unreleased. */
  private readonly slabs = new SlabPool();
  /** Scrapes begun, and those not yet finished reading the registry: prepare() yields to them. */
  private scrapesBegun = 0;
  private scrapesReading = 0;

  constructor(
    private readonly registry: Registry,
    private readonly client: typeof PromClient,
    private readonly options: CachedExpositionOptions = {},
  ) {}

  /**
   * The registry's exposition as the UTF-8 chunks of registry.metrics(). Chunks are never written to once returned:
   * a response still sending them sends what this scrape saw.
   */
  async chunks(): Promise<ExpositionChunks> {
    // OpenMetrics renames counters and prints exemplars: prom-client's own, whole.
    if (this.registry.contentType !== this.client.Registry.PROMETHEUS_CONTENT_TYPE) {
      const bytes = Buffer.from(await this.registry.metrics());
      return { chunks: [bytes], byteLength: bytes.length, release: nothingToRelease };
    }
    const scrape = this.slabs.begin();
    const release = () => this.slabs.release(scrape);
    this.scrapesBegun++;
    this.scrapesReading++;
    try {
      return { ...joined(await this.read(false) as MetricBytes[]), release };
    } catch (err) {
      release();
      throw err;
    } finally {
      this.scrapesReading--;
    }
  }

  /**
   * A scrape as a server writes it: the chunks of chunks(), or, when a metric has series never written (the first
   * scrape of a registry, one that comes before prepare() is done), a body that formats those metrics as it is
   * written — no copy of them kept, no memory taken for them but a few pieces of 256 KB. The same bytes either way.
   * Their cache is filled by a later chunks() or prepare() (serveMetrics prepares again after such a scrape). Collect
   * callbacks run before this resolves: one that throws rejects it, before any byte is written. With `worker` (compiled
   * and not failed when the body begins), the histograms' lines are written on that thread while this one reads the
   * series and sends what it wrote (serveMetrics' `formatThreads: 2`); the same bytes.
   */
  async scrape(options: { worker?: FormatThread } = {}): Promise<ExpositionChunks | StreamedExposition> {
    if (this.registry.contentType !== this.client.Registry.PROMETHEUS_CONTENT_TYPE) return this.chunks();
    const scrape = this.slabs.begin();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.slabs.release(scrape);
      if (streaming) this.scrapesReading--;
    };
    let streaming = false;
    this.scrapesBegun++;
    this.scrapesReading++;
    let blocks: Block[];
    try {
      blocks = await this.read(true);
    } catch (err) {
      this.scrapesReading--;
      release();
      throw err;
    }
    if (blocks.every((block) => 'chunks' in block)) {
      this.scrapesReading--;
      return { ...joined(blocks as MetricBytes[]), release };
    }
    // Preparing stays stopped while the body is formatted: a scrape is read until released.
    streaming = true;
    const labels = this.labels;
    return {
      release,
      writeTo: async (out, signal) => {
        // A FormatWorker (format-worker.ts) is the only FormatThread there is.
        const worker = options.worker && !options.worker.failed ? options.worker as FormatWorker : null;
        const sink = worker ? new OrderedSink(out, signal) : null;
        const writer = new PieceWriter(sink ?? out, signal);
        for (let i = 0; i < blocks.length; i++) {
          const block = blocks[i];
          if (i > 0) {
            await writer.room(1);
            writer.piece[writer.at++] = 0x0a;
          }
          if ('chunks' in block) writer.passOn(block.chunks);
          else if (!(block.text instanceof HistogramText)) await streamValueMetric(block.metric, block.series, labels, writer);
          else if (sink) await streamHistogramThreaded(block.metric, block.series, labels, writer, sink, worker!, signal);
          else await streamHistogramMetric(block.metric, block.series, labels, writer);
        }
        writer.flush();
        if (sink) await sink.drained();
      },
    };
  }

  /**
   * Writes the bytes of the registry's counters, gauges and histograms ahead of a scrape, in slices of about
   * `sliceMs` between which the event loop runs (at least 256 series a slice; a garbage collection V8 runs
   * meanwhile is not sliced). The next scrape then writes only what changed since: the first scrape of a registry
   * filled before it costs what a later one does. Collect callbacks are not called (the scrape calls them, and
   * rewrites what they change). Resolves true once every metric is written; false as soon as a scrape begins — that
   * scrape writes or streams whatever is left, as it would have without this; prepare again once it is released —
   * or `signal` aborts.
   */
  async prepare(options: { sliceMs?: number; signal?: AbortSignal } = {}): Promise<boolean> {
    if (this.registry.contentType !== this.client.Registry.PROMETHEUS_CONTENT_TYPE) return true;
    const sliceMs = options.sliceMs ?? 5;
    const begun = this.scrapesBegun;
    const yieldedTo = () => this.scrapesBegun !== begun || this.scrapesReading > 0 || options.signal?.aborted === true;
    const registry = this.registry as unknown as RegistryInternals;
    let sliceEnd = 0;
    /** Milliseconds a series took in the latest render, to size the next to what is left of the slice. */
    let perSeries = 0;
    for (const metric of registry.getMetricsAsArray() as CollectableMetric[]) {
      const text = this.storedText(metric);
      if (!text) continue;
      const series = seriesOf(metric);
      // Series already written (by a scrape, or an earlier prepare) are left to the scrape: it sees what changed.
      let written = text.renderedSeries;
      while (written < series.length) {
        let now = performance.now();
        if (now >= sliceEnd) {
          await new Promise((resolve) => setImmediate(resolve));
          if (yieldedTo()) return false;
          this.refreshDefaultLabels(registry._defaultLabels);
          now = performance.now();
          sliceEnd = now + sliceMs;
        }
        // Each render walks the series written before too: one render a slice, as many series as fit in it, in
        // steps that are a multiple of the chunk sizes (a render then rewrites no chunk the one before wrote).
        const fit = perSeries > 0 ? Math.floor((sliceEnd - now) / perSeries) : 0;
        const step = Math.max(1, Math.floor(fit / PREPARE_STEP)) * PREPARE_STEP;
        const from = written;
        written = Math.min(series.length, written - (written % PREPARE_STEP) + step);
        text.render(metric, written === series.length ? series : series.slice(0, written), this.labels);
        perSeries = (performance.now() - now) / (written - from);
      }
    }
    return true;
  }

  /** Each metric's block, in order; with `streamNew`, those of metrics with series never written are left to stream. */
  private async read(streamNew: boolean): Promise<Block[]> {
    const registry = this.registry as unknown as RegistryInternals;
    this.refreshDefaultLabels(registry._defaultLabels);
    // Like registry.metrics(): every collect callback is called, in order, before any metric is formatted, and a
    // metric whose collect is synchronous is read at once — another metric's collect changes what it shows only by
    // changing series in place, as in prom-client.
    const parts = registry.getMetricsAsArray().map((metric) => this.start(metric as CollectableMetric));
    return Promise.all(parts.map((part) => this.finish(part, streamNew)));
  }

  /** The exposition in one piece (a copy of every chunk: chunks() is what a server should write). */
  async bytes(): Promise<Uint8Array> {
    const { chunks, byteLength, release } = await this.chunks();
    const bytes = Buffer.concat(chunks, byteLength);
    release();
    return bytes;
  }

  /** The registry's exposition, as registry.metrics() would return it (a string of it: up to V8's longest, ≈ 512 MB). */
  async metrics(): Promise<string> {
    if (this.registry.contentType !== this.client.Registry.PROMETHEUS_CONTENT_TYPE) return this.registry.metrics();
    return Buffer.from(await this.bytes()).toString('utf8');
  }

  private start(metric: CollectableMetric): Part {
    const text = this.storedText(metric);
    if (!text) return { kind: 'prom-client', metric, text: (this.registry as unknown as RegistryInternals).getMetricsAsString(metric) };
    let collecting: Promise<unknown> | null = null;
    try {
      const result = metric.collect?.();
      if (result instanceof Promise) collecting = result;
    } catch (err) {
      collecting = Promise.reject(err);
    }
    return { kind: 'stored', metric, text, series: collecting ? null : seriesOf(metric), collecting };
  }

  private async finish(part: Part, streamNew: boolean): Promise<Block> {
    if (part.kind === 'prom-client') return this.encoded(part.metric, await part.text);
    if (part.collecting) await part.collecting;
    const series = part.series ?? seriesOf(part.metric);
    if (streamNew && this.streams(part.text, series.length)) return { metric: part.metric, text: part.text, series };
    return part.text.render(part.metric, series, this.labels);
  }

  /**
   * Whether a metric is formatted as the body is written rather than into the cache: when it was never written, or
   * has PREPARE_STEP series or more never written (a metric gaining a few series between scrapes is rendered, and
   * the cache keeps up with it).
   */
  private streams(text: MetricText, seriesCount: number): boolean {
    const written = text.renderedSeries;
    if (seriesCount <= written || (written > 0 && seriesCount - written < PREPARE_STEP)) return false;
    return !(text instanceof HistogramText) || histogramStreams(this.labels);
  }

  /** prom-client's text of a metric as a block: the text and the newline that ends its last line. */
  private encoded(metric: object, text: string): MetricBytes {
    const known = this.promClientBytes.get(metric);
    if (known?.text === text) return known.bytes;
    const bytes = Buffer.from(`${text}\n`);
    const block = { chunks: [bytes], byteLength: bytes.length };
    this.promClientBytes.set(metric, { text, bytes: block });
    return block;
  }

  /** The text keeper of a counter, gauge or histogram as prom-client defines them; undefined for anything else. */
  private storedText(metric: CollectableMetric): MetricText | undefined {
    const known = this.texts.get(metric);
    if (known) return known;
    const { Counter, Gauge, Histogram } = this.client;
    let text: MetricText | undefined;
    const perChunk = this.options.seriesPerChunk;
    if (metric.get === Counter.prototype.get || metric.get === Gauge.prototype.get) text = new ValueText(perChunk ?? VALUE_SERIES_PER_CHUNK, this.slabs);
    else if (metric.getForPromString === (Histogram.prototype as unknown as CollectableMetric).getForPromString && !metric.enableExemplars) {
      text = new HistogramText(perChunk ?? HISTOGRAM_SERIES_PER_CHUNK, this.slabs);
    }
    if (text) this.texts.set(metric, text);
    return text;
  }

  /** Label texts depend on the registry's default labels: a change (even in place) starts them anew. */
  private refreshDefaultLabels(defaults: LabelSet): void {
    const entries = Object.entries(defaults);
    const same = entries.length === this.defaultsSeen.length
      && entries.every(([name, value], i) => name === this.defaultsSeen[i][0] && Object.is(value, this.defaultsSeen[i][1]));
    if (same) return;
    this.defaultsSeen = entries;
    this.labels = new LabelTexts(entries.length ? { ...defaults } : null);
  }
}

/** The blocks as one body: prom-client joins them with a blank line (and a registry without metrics is one). */
function joined(blocks: readonly MetricBytes[]): { chunks: readonly Uint8Array[]; byteLength: number } {
  if (blocks.length === 0) return { chunks: [BLANK_LINE], byteLength: 1 };
  const chunks: Buffer[] = [];
  let byteLength = blocks.length - 1;
  for (let i = 0; i < blocks.length; i++) {
    if (i > 0) chunks.push(BLANK_LINE);
    for (const chunk of blocks[i].chunks) chunks.push(chunk);
    byteLength += blocks[i].byteLength;
  }
  return { chunks, byteLength };
}

/**
 * The metric's series in its store's order, as Object.values gives them: through Object.keys, 11–14 ms for 100,000
 * series in ten stores, against 16–18 ms for a for-in loop (three lookups a key in a store of that size) and 22–38 ms
 * for Object.values itself.
 */
function seriesOf(metric: StoredMetric): unknown[] {
  const store = metric.hashMap;
  const keys = Object.keys(store);
  const series: unknown[] = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) series[i] = store[keys[i]];
  return series;
}

const expositions = new WeakMap<Registry, CachedExposition>();

/** The cached exposition of a registry, shared by every server of that registry. */
export function cachedExposition(registry: Registry, client: typeof PromClient): CachedExposition {
  let exposition = expositions.get(registry);
  if (!exposition) {
    exposition = new CachedExposition(registry, client);
    expositions.set(registry, exposition);
  }
  return exposition;
}
