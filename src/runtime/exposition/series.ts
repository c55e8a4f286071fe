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

/**
 * The label texts of one registry's series, by the series' labels object: prom-client keeps the object it was given
 * as the series' labels, and (like prom-client's own cache of a histogram's shared labels) a labels object is taken
 * not to change once handed over. Valid for one set of default labels.
 */
export class LabelTexts {
  private readonly ofValueSeries = new WeakMap<LabelSet, string>();
  private readonly ofBucketSeries = new WeakMap<LabelSet, BucketLabelTexts>();
  private static readonly noLabels: LabelSet = {};

  constructor(readonly defaultLabels: LabelSet | null) {}

  /** `{…}` of a counter's or gauge's sample, '' without labels. */
  valueSeries(labels: LabelSet): string {
    let text = this.ofValueSeries.get(labels);
    if (text === undefined) {
      text = formatSampleLabels(labels, LabelTexts.noLabels, this.defaultLabels);
      this.ofValueSeries.set(labels, text);
    }
    return text;
  }

  bucketSeries(labels: LabelSet): BucketLabelTexts {
    let texts = this.ofBucketSeries.get(labels);
    if (texts === undefined) {
      texts = this.formatBucketSeries(labels);
      this.ofBucketSeries.set(labels, texts);
    }
    return texts;
  }

  private formatBucketSeries(labels: LabelSet): BucketLabelTexts {
    const sumAndCount = formatSampleLabels(LabelTexts.noLabels, labels, this.defaultLabels);
    // A bucket's labels are `le` then the same labels as _sum's — unless a default label is itself named le, which
    // the bucket's own le replaces: then each bucket is formatted the long way.
    if (this.defaultLabels && Object.prototype.hasOwnProperty.call(this.defaultLabels, 'le')) {
      return { sumAndCount, afterLe: null };
    }
    return { sumAndCount, afterLe: sumAndCount ? `,${sumAndCount.slice(1)}` : '}' };
  }
}

interface BucketLabelTexts {
  /** `{…}` of _sum and _count, '' without labels. */
  sumAndCount: string;
  /** What follows `{le="…"` in a bucket's sample; null when each bucket must be formatted whole. */
  afterLe: string | null;
}

/** The text of one metric (prom-client's block: HELP, TYPE, one line per sample), rebuilt only where it changed. */
export interface MetricText {
  /** The metric's text now; `changed` says whether it differs from the previous call's. */
  render(metric: StoredMetric, series: readonly unknown[], labels: LabelTexts): { text: string; changed: boolean };
}

/**
 * Series are remembered by position: prom-client's store keeps insertion order, so a series found at the same place,
 * as the same object (gauge.set replaces it, histogram.zero too) and with the same value, prints what it printed.
 */
abstract class PositionalText<S, Memo> implements MetricText {
  private series: unknown[] = [];
  private memos: Memo[] = [];
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
      this.series[i] = s;
      this.memos[i] = this.memo(s);
      this.lines[i] = flatten(this.format(metric, s, labels));
      changed = true;
    }
    if (!changed) return { text: this.text, changed };
    this.series.length = this.memos.length = this.lines.length = series.length;
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
  protected abstract format(metric: StoredMetric, series: S, labels: LabelTexts): string;
}

export class ValueText extends PositionalText<ValueSeries, number> {
  protected memo(series: ValueSeries): number {
    return series.value;
  }
  protected unchanged(series: ValueSeries, value: number): boolean {
    return Object.is(series.value, value);
  }
  protected format(metric: StoredMetric, series: ValueSeries, labels: LabelTexts): string {
    return `${metric.name}${labels.valueSeries(series.labels)} ${formatValue(series.value)}`;
  }
}

/** A histogram series' count and sum: observe() adds to both, so equal ones mean no observation since. */
interface BucketMemo {
  count: number;
  sum: number;
}

export class HistogramText extends PositionalText<BucketSeries, BucketMemo> {
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
  protected format(metric: StoredMetric, series: BucketSeries, labels: LabelTexts): string {
    const texts = labels.bucketSeries(series.labels);
    const bounds = this.bounds;
    let text = '';
    let cumulative = 0;
    for (let i = 0; i <= bounds.length; i++) {
      const bound = i < bounds.length ? bounds[i] : '+Inf';
      cumulative = i < bounds.length ? cumulative + series.bucketValues[bound] : series.count;
      const sampleLabels = texts.afterLe === null
        ? formatSampleLabels({ le: bound }, series.labels, labels.defaultLabels)
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
