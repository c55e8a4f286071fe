// The exposition of a prom-client registry, byte for byte what registry.metrics() returns, built from what changed
// since the previous scrape: prom-client formats every sample anew (≈ 2 s for 100,000 histogram series).
import type { Registry } from 'prom-client';
import type * as PromClient from 'prom-client';
import { HistogramText, LabelTexts, ValueText, type MetricText, type StoredMetric } from './series.ts';
import type { LabelSet } from './format.ts';

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
  | { kind: 'prom-client'; text: Promise<string> };

export class CachedExposition {
  private readonly texts = new WeakMap<object, MetricText>();
  private labels = new LabelTexts(null);
  private defaultsSeen: [string, unknown][] = [];
  private parts: string[] = [];
  private body: string | null = null;
  private encoded: { body: string; bytes: Buffer } | null = null;

  constructor(
    private readonly registry: Registry,
    private readonly client: typeof PromClient,
  ) {}

  /** The registry's exposition, as registry.metrics() would return it. */
  async metrics(): Promise<string> {
    // OpenMetrics renames counters and prints exemplars: prom-client's own, whole.
    if (this.registry.contentType !== this.client.Registry.PROMETHEUS_CONTENT_TYPE) return this.registry.metrics();
    const registry = this.registry as unknown as RegistryInternals;
    this.refreshDefaultLabels(registry._defaultLabels);
    // Like registry.metrics(): every collect callback is called, in order, before any metric is formatted, and a
    // metric whose collect is synchronous is read at once — another metric's collect changes what it shows only by
    // changing series in place, as in prom-client.
    const parts = registry.getMetricsAsArray().map((metric) => this.start(metric as CollectableMetric));
    const texts = await Promise.all(parts.map((part) => this.finish(part)));
    let changed = this.body === null || texts.length !== this.parts.length;
    for (let i = 0; i < texts.length; i++) {
      if (texts[i] !== this.parts[i]) changed = true;
    }
    if (!changed && this.body !== null) return this.body;
    this.parts = texts;
    this.body = `${texts.join('\n\n')}\n`;
    return this.body;
  }

  /** The exposition as UTF-8, encoded again only when the text changed (encoding is most of an unchanged scrape). */
  async bytes(): Promise<Uint8Array> {
    const body = await this.metrics();
    if (this.encoded?.body !== body) this.encoded = { body, bytes: Buffer.from(body, 'utf8') };
    return this.encoded.bytes;
  }

  private start(metric: CollectableMetric): Part {
    const text = this.storedText(metric);
    if (!text) return { kind: 'prom-client', text: (this.registry as unknown as RegistryInternals).getMetricsAsString(metric) };
    let collecting: Promise<unknown> | null = null;
    try {
      const result = metric.collect?.();
      if (result instanceof Promise) collecting = result;
    } catch (err) {
      collecting = Promise.reject(err);
    }
    return { kind: 'stored', metric, text, series: collecting ? null : Object.values(metric.hashMap), collecting };
  }

  private async finish(part: Part): Promise<string> {
    if (part.kind === 'prom-client') return part.text;
    if (part.collecting) await part.collecting;
    const series = part.series ?? Object.values(part.metric.hashMap);
    return part.text.render(part.metric, series, this.labels).text;
  }

  /** The text keeper of a counter, gauge or histogram as prom-client defines them; undefined for anything else. */
  private storedText(metric: CollectableMetric): MetricText | undefined {
    const known = this.texts.get(metric);
    if (known) return known;
    const { Counter, Gauge, Histogram } = this.client;
    let text: MetricText | undefined;
    if (metric.get === Counter.prototype.get || metric.get === Gauge.prototype.get) text = new ValueText();
    else if (metric.getForPromString === (Histogram.prototype as unknown as CollectableMetric).getForPromString && !metric.enableExemplars) text = new HistogramText();
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
