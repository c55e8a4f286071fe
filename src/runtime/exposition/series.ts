// The samples of one counter, gauge or histogram, read from prom-client's own store of series (the metric's hashMap)
// instead of through get(), which allocates an object per sample (13 per histogram series) on every scrape. What a
// series printed last time is kept and reused while its value has not changed.
import { formatHeader, formatSampleLabels, formatValue, type LabelSet } from './format.ts';

/** A counter's or gauge's series in prom-client's store. */
export interface ValueSeries {
  value: number;
  labels: LabelSet;
}

/** A histogram's series in prom-client's store: per-bucket (not cumulative) counts keyed by upper bound. */
export interface BucketSeries {
  labels: LabelSet;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

export interface StoredMetric {
  name: string;
  help: string;
  type: string;
  hashMap: Record<string, unknown>;
  upperBounds?: readonly number[];
}

/** The label texts of a registry's series: they depend on its default labels, fixed for one LabelTexts. */
export class LabelTexts {
  private static readonly noLabels: LabelSet = {};

  constructor(readonly defaultLabels: LabelSet | null) {}

  /** `{…}` of a counter's or gauge's sample, '' without labels. */
  valueSeries(labels: LabelSet): string {
    return formatSampleLabels(labels, LabelTexts.noLabels, this.defaultLabels);
  }

  bucketSeries(labels: LabelSet): BucketLabelTexts {
    const sumAndCount = formatSampleLabels(LabelTexts.noLabels, labels, this.defaultLabels);
    // A bucket's labels are `le` then the same labels as _sum's — unless a default label is itself named le, which
    // the bucket's own le replaces: then each bucket is formatted the long way.
    if (this.defaultLabels && Object.prototype.hasOwnProperty.call(this.defaultLabels, 'le')) {
      return { sumAndCount, afterLe: null, defaultLabels: this.defaultLabels };
    }
    return { sumAndCount, afterLe: sumAndCount ? `,${sumAndCount.slice(1)}` : '}', defaultLabels: this.defaultLabels };
  }
}

export interface BucketLabelTexts {
  /** `{…}` of _sum and _count, '' without labels. */
  sumAndCount: string;
  /** What follows `{le="…"` in a bucket's sample; null when each bucket must be formatted whole. */
  afterLe: string | null;
  defaultLabels: LabelSet | null;
}

/** The text of one metric (prom-client's block: HELP, TYPE, one line per sample), rebuilt only where it changed. */
export interface MetricText {
  /** The metric's text now; `changed` says whether it differs from the previous call's. */
  render(metric: StoredMetric, series: readonly unknown[], labels: LabelTexts): { text: string; changed: boolean };
}

/**
 * Series are remembered by position: prom-client's store keeps insertion order, so a series found at the same place,
 * as the same object (gauge.set replaces it, histogram.zero too) and with the same value, prints what it printed; a
 * series replaced but with the same labels object keeps its label text. prom-client keeps the labels object it was
 * given, and (like prom-client's own cache of a histogram's labels) it is taken not to change once handed over.
 * Plain arrays rather than WeakMaps: hundreds of thousands of weak keys cost more garbage collection than they save.
 */
abstract class PositionalText<S extends { labels: LabelSet }, Memo, Labels> implements MetricText {
  private series: S[] = [];
  private memos: Memo[] = [];
  private labelObjects: LabelSet[] = [];
  private labelTexts: Labels[] = [];
  private lines: string[] = [];
  private text = '';
  private header = '';
  private labels: LabelTexts | null = null;

  render(metric: StoredMetric, series: readonly unknown[], labels: LabelTexts) {
    const header = formatHeader(metric.name, metric.help, metric.type);
    const prepared = this.prepare(metric);
    const fresh = prepared || header !== this.header || labels !== this.labels;
    let changed = fresh || series.length !== this.series.length;
    for (let i = 0; i < series.length; i++) {
      const s = series[i] as S;
      if (!fresh && s === this.series[i] && this.unchanged(s, this.memos[i])) continue;
      if (fresh || s.labels !== this.labelObjects[i]) {
        this.labelObjects[i] = s.labels;
        this.labelTexts[i] = this.formatLabels(s.labels, labels);
      }
      this.series[i] = s;
      this.memos[i] = this.memo(s);
      this.lines[i] = flatten(this.format(metric, s, this.labelTexts[i]));
      changed = true;
    }
    if (!changed) return { text: this.text, changed };
    this.series.length = this.memos.length = this.labelObjects.length = this.labelTexts.length = this.lines.length = series.length;
    this.header = header;
    this.labels = labels;
    this.text = series.length ? `${header}\n${this.lines.join('\n')}` : header;
    return { text: this.text, changed };
  }

  /** Whether what the metric's samples are formatted from (beyond header and labels) changed; false by default. */
  protected prepare(_metric: StoredMetric): boolean {
    return false;
  }
  protected abstract memo(series: S): Memo;
  protected abstract unchanged(series: S, memo: Memo): boolean;
  protected abstract formatLabels(labels: LabelSet, texts: LabelTexts): Labels;
  protected abstract format(metric: StoredMetric, series: S, labels: Labels): string;
}

export class ValueText extends PositionalText<ValueSeries, number, string> {
  protected memo(series: ValueSeries): number {
    return series.value;
  }
  protected unchanged(series: ValueSeries, value: number): boolean {
    return Object.is(series.value, value);
  }
  protected formatLabels(labels: LabelSet, texts: LabelTexts): string {
    return texts.valueSeries(labels);
  }
  protected format(metric: StoredMetric, series: ValueSeries, labelText: string): string {
    return `${metric.name}${labelText} ${formatValue(series.value)}`;
  }
}

/** A histogram series' count and sum: observe() adds to both, so equal ones mean no observation since. */
interface BucketMemo {
  count: number;
  sum: number;
}

export class HistogramText extends PositionalText<BucketSeries, BucketMemo, BucketLabelTexts> {
  private bounds: readonly number[] = [];
  private name = '';
  /** `<name>_bucket{le="<bound>"` per bound, +Inf last. */
  private bucketOpenings: string[] = [];

  protected prepare(metric: StoredMetric): boolean {
    const bounds = metric.upperBounds ?? [];
    if (bounds === this.bounds && metric.name === this.name) return false;
    this.bounds = bounds;
    this.name = metric.name;
    this.bucketOpenings = [...bounds, '+Inf'].map((bound) => `${metric.name}_bucket{le="${bound}"`);
    return true;
  }
  protected memo(series: BucketSeries): BucketMemo {
    return { count: series.count, sum: series.sum };
  }
  protected unchanged(series: BucketSeries, memo: BucketMemo): boolean {
    return series.count === memo.count && Object.is(series.sum, memo.sum);
  }
  protected formatLabels(labels: LabelSet, texts: LabelTexts): BucketLabelTexts {
    return texts.bucketSeries(labels);
  }
  protected format(metric: StoredMetric, series: BucketSeries, texts: BucketLabelTexts): string {
    const bounds = this.bounds;
    let text = '';
    let cumulative = 0;
    for (let i = 0; i <= bounds.length; i++) {
      const bound = i < bounds.length ? bounds[i] : '+Inf';
      cumulative = i < bounds.length ? cumulative + series.bucketValues[bound] : series.count;
      const sampleLabels = texts.afterLe === null
        ? formatSampleLabels({ le: bound }, series.labels, texts.defaultLabels)
        : this.bucketOpenings[i] + texts.afterLe;
      text += `${texts.afterLe === null ? `${metric.name}_bucket` : ''}${sampleLabels} ${formatValue(cumulative)}\n`;
    }
    return `${text}${metric.name}_sum${texts.sumAndCount} ${formatValue(series.sum)}\n${metric.name}_count${texts.sumAndCount} ${formatValue(series.count)}`;
  }
}

/**
 * A string built by concatenation is a tree of pieces in V8 (dozens per histogram series); kept until the next
 * scrape, the trees are promoted to the old generation and cost far more garbage collection than the text itself.
 * Converting a string to a number makes V8 flatten it in place — one copy, and the pieces die young.
 */
function flatten(text: string): string {
  void ((text as unknown as number) | 0);
  return text;
}
