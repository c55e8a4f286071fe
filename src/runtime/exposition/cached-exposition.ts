// The exposition of a prom-client registry, byte for byte what registry.metrics() returns (as UTF-8), built from what
// changed since the previous scrape: prom-client formats every sample anew (≈ 2 s for 100,000 histogram series). It
// is kept as chunks of UTF-8 a few series long, written to the socket as they are: joining and encoding the whole text
// on every scrape cost 0.4–0.7 s for 100,000 histogram series (139 MB), and 4× that is past V8's longest string.
import type { Registry } from 'prom-client';
import type * as PromClient from 'prom-client';
import { HistogramText, LabelTexts, ValueText, type MetricBytes, type MetricText, type StoredMetric } from './series.ts';
import type { LabelSet } from './format.ts';
import { SlabPool } from './slab-pool.ts';

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
      return { ...(await this.read()), release };
    } catch (err) {
      release();
      throw err;
    } finally {
      this.scrapesReading--;
    }
  }

  /**
   * Writes the bytes of the registry's counters, gauges and histograms ahead of a scrape, in slices of about
   * `sliceMs` between which the event loop runs (at least 256 series a slice; a garbage collection V8 runs
   * meanwhile is not sliced). The next scrape then writes only what changed since: the first scrape of a registry
   * filled before it costs what a later one does. Collect callbacks are not called (the scrape calls them, and
   * rewrites what they change). Resolves once every metric is written, or as soon as a scrape begins — that
   * scrape writes whatever is left, as it would have without this — or `signal` aborts.
   */
  async prepare(options: { sliceMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    if (this.registry.contentType !== this.client.Registry.PROMETHEUS_CONTENT_TYPE) return;
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
          if (yieldedTo()) return;
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
  }

  private async read(): Promise<{ chunks: readonly Uint8Array[]; byteLength: number }> {
    const registry = this.registry as unknown as RegistryInternals;
    this.refreshDefaultLabels(registry._defaultLabels);
    // Like registry.metrics(): every collect callback is called, in order, before any metric is formatted, and a
    // metric whose collect is synchronous is read at once — another metric's collect changes what it shows only by
    // changing series in place, as in prom-client.
    const parts = registry.getMetricsAsArray().map((metric) => this.start(metric as CollectableMetric));
    const blocks = await Promise.all(parts.map((part) => this.finish(part)));
    // prom-client's exposition of a registry without metrics.
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

  private async finish(part: Part): Promise<MetricBytes> {
    if (part.kind === 'prom-client') return this.encoded(part.metric, await part.text);
    if (part.collecting) await part.collecting;
    const series = part.series ?? seriesOf(part.metric);
    return part.text.render(part.metric, series, this.labels);
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

/** The metric's series in its store's order, as Object.values gives them — a third of its time for 100,000 series. */
function seriesOf(metric: StoredMetric): unknown[] {
  const series: unknown[] = [];
  const store = metric.hashMap;
  for (const key in store) if (Object.hasOwn(store, key)) series.push(store[key]);
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
