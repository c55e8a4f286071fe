// The samples of one counter, gauge or histogram, read from prom-client's own store of series (the metric's hashMap)
// instead of through get(), which allocates an object per sample (13 per histogram series) on every scrape. The bytes a
// series printed last time are kept and reused while its value has not changed.
import { MAX_VALUE_BYTES, ownLabelsBytes, putBytes, putOwnLabels, putValue } from './bytes.ts';
import { ChunkedLines, type LineSource } from './chunked-lines.ts';
import { freshSlabs, type SlabSource } from './slab-pool.ts';
import { formatHeader, formatOwnLabels, formatSampleLabels, formatValue, type LabelSet } from './format.ts';

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
    if (!this.defaultLabels) return formatOwnLabels(labels);
    return formatSampleLabels(labels, LabelTexts.noLabels, this.defaultLabels);
  }

  /**
   * Whether a histogram's bucket labels must be formatted whole (bucketSeries): a default label named le, which each
   * bucket's own le replaces. Otherwise a bucket's labels are `le` then the same labels as _sum's (sumAndCount).
   */
  get bucketsFormattedWhole(): boolean {
    return this.defaultLabels !== null && Object.prototype.hasOwnProperty.call(this.defaultLabels, 'le');
  }

  /** `{…}` of a histogram series' _sum and _count samples, '' without labels. */
  sumAndCount(labels: LabelSet): string {
    return this.defaultLabels ? formatSampleLabels(LabelTexts.noLabels, labels, this.defaultLabels) : formatOwnLabels(labels);
  }

  bucketSeries(labels: LabelSet): BucketLabelTexts {
    const sumAndCount = this.sumAndCount(labels);
    if (this.bucketsFormattedWhole) return { sumAndCount, afterLe: null, defaultLabels: this.defaultLabels };
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

/**
 * A histogram series' labels as kept between scrapes: the UTF-8 length of its `{…}` (of _sum and _count) when its
 * samples are written as bytes — the text itself is kept only until the series is written (its bytes then hold it) —
 * or, when each bucket's labels are formatted whole, its texts.
 */
type HistogramLabels = number | BucketLabelTexts;

/** One metric's block of the exposition as UTF-8: its header line pair, then its samples, each line ended by a newline. */
export interface MetricBytes {
  readonly chunks: readonly Buffer[];
  readonly byteLength: number;
}

/** The bytes of one metric (prom-client's block: HELP, TYPE, one line per sample), re-encoded only where they changed. */
export interface MetricText {
  render(metric: StoredMetric, series: readonly unknown[], labels: LabelTexts): MetricBytes;
  /** How many series the latest render wrote (its store's series then). */
  readonly renderedSeries: number;
}

/**
 * Series are remembered by position: prom-client's store keeps insertion order, so a series found at the same place,
 * as the same object (gauge.set replaces it, histogram.zero too) and with the same value, prints what it printed; a
 * series replaced but with the same labels object keeps its label text. prom-client keeps the labels object it was
 * given, and (like prom-client's own cache of a histogram's labels) it is taken not to change once handed over.
 * Plain arrays rather than WeakMaps: hundreds of thousands of weak keys cost more garbage collection than they save.
 * The text of a series is not kept: only its bytes, in chunks of `seriesPerChunk` series (ChunkedLines).
 */
abstract class PositionalText<S extends { labels: LabelSet }, Labels> implements MetricText, LineSource {
  protected series: S[] = [];
  private labelObjects: LabelSet[] = [];
  protected labelTexts: Labels[] = [];
  /** During render: the series read from the store, the metric, its label texts. */
  private current: readonly unknown[] = [];
  protected metric: StoredMetric | null = null;
  protected labelsNow: LabelTexts | null = null;
  /**
   * During render, in the order of the changed series (that of maxBytes and write, each called once for each of them):
   * their texts (formatted by the default maxBytes), and whether each has the labels object of the series written at
   * its position before. Lists rather than arrays by position: a render of series 5,000 on (prepare() renders a
   * growing prefix) would make those sparse, and V8 makes a sparse array a dictionary.
   */
  private texts: string[] = [];
  private textsRead = 0;
  private sameLabels: boolean[] = [];
  private sameLabelsRead = 0;
  private lines: ChunkedLines;
  private header = '';
  private headerBytes: Buffer = Buffer.alloc(0);
  private labels: LabelTexts | null = null;
  private bytes: MetricBytes | null = null;

  constructor(private readonly seriesPerChunk: number, private readonly slabs: SlabSource = freshSlabs) {
    this.lines = new ChunkedLines(seriesPerChunk, slabs);
  }

  get renderedSeries(): number {
    return this.series.length;
  }

  render(metric: StoredMetric, series: readonly unknown[], labels: LabelTexts): MetricBytes {
    const header = formatHeader(metric.name, metric.help, metric.type);
    const prepared = this.prepare(metric);
    const fresh = prepared || header !== this.header || labels !== this.labels || this.bytes === null;
    if (fresh) {
      this.series = [];
      this.forget(0);
      this.labelObjects = [];
      this.labelTexts = [];
      this.lines = new ChunkedLines(this.seriesPerChunk, this.slabs);
      this.header = header;
      this.headerBytes = Buffer.from(`${header}\n`);
      this.labels = labels;
    }
    this.current = series;
    this.metric = metric;
    this.labelsNow = labels;
    const changed = this.lines.update(series.length, this);
    this.current = [];
    this.texts.length = this.sameLabels.length = this.textsRead = this.sameLabelsRead = 0;
    this.series.length = this.labelObjects.length = this.labelTexts.length = series.length;
    this.forget(series.length);
    if (changed || fresh || !this.bytes) {
      this.bytes = { chunks: [this.headerBytes, ...this.lines.runs], byteLength: this.headerBytes.length + this.lines.byteLength };
    }
    return this.bytes;
  }

  changed(i: number): boolean {
    const s = this.current[i] as S;
    if (s === this.series[i] && this.unchanged(i, s)) return false;
    const sameLabels = s.labels === this.labelObjects[i];
    this.sameLabels.push(sameLabels);
    if (!sameLabels) {
      this.labelObjects[i] = s.labels;
      this.labelTexts[i] = this.formatLabels(s.labels, this.labelsNow!);
    }
    this.series[i] = s;
    this.remember(i, s);
    return true;
  }

  /** By default the series' text is formatted as a string, then encoded. */
  maxBytes(i: number): number {
    const text = this.format(this.metric!, this.series[i], this.labelTexts[i]);
    this.texts.push(text);
    return Buffer.byteLength(text) + 1;
  }

  write(i: number, into: Buffer, offset: number, previous: Buffer | null, previousStart: number, previousEnd: number): number {
    return this.writeSeries(i, this.sameLabels[this.sameLabelsRead++], into, offset, previous, previousStart, previousEnd);
  }

  /** write() of a series that kept its labels object (sameLabels) or not; by default its text from maxBytes. */
  protected writeSeries(_i: number, _sameLabels: boolean, into: Buffer, offset: number, _previous: Buffer | null, _previousStart: number, _previousEnd: number): number {
    const end = offset + into.write(this.texts[this.textsRead++], offset, 'utf8');
    into[end] = 0x0a;
    return end + 1;
  }

  /** Whether what the metric's samples are formatted from (beyond header and labels) changed; false by default. */
  protected prepare(_metric: StoredMetric): boolean {
    return false;
  }
  /** Keeps what `unchanged` compares of the series at position i (in plain number arrays: no object per series). */
  protected abstract remember(i: number, series: S): void;
  protected abstract unchanged(i: number, series: S): boolean;
  /** Drops what was remembered of positions from `count` on. */
  protected abstract forget(count: number): void;
  /** The label texts of a series (kept while its labels object is). */
  protected abstract formatLabels(labels: LabelSet, texts: LabelTexts): Labels;
  protected abstract format(metric: StoredMetric, series: S, labels: Labels): string;
}

/** Whether a[aStart, aEnd) and b[bStart, bEnd) hold the same bytes (a few: one value). */
function sameBytes(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array, bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false;
  for (let i = 0; i < aEnd - aStart; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}

export class ValueText extends PositionalText<ValueSeries, string> {
  private values: number[] = [];

  protected remember(i: number, series: ValueSeries): void {
    this.values[i] = series.value;
  }
  protected unchanged(i: number, series: ValueSeries): boolean {
    return Object.is(series.value, this.values[i]);
  }
  protected forget(count: number): void {
    this.values.length = count;
  }
  protected formatLabels(labels: LabelSet, texts: LabelTexts): string {
    return texts.valueSeries(labels);
  }
  protected format(metric: StoredMetric, series: ValueSeries, labelText: string): string {
    return `${metric.name}${labelText} ${formatValue(series.value)}`;
  }
}

/** How many bytes putValue(value) writes at most: a whole number's digits, MAX_VALUE_BYTES for any other. */
function valueLength(value: number): number {
  if (!(value >= 0 && value < 1e15 && Math.floor(value) === value)) return MAX_VALUE_BYTES;
  let digits = 1;
  for (let power = 10; power <= value; power *= 10) digits++;
  return digits;
}

/**
 * The cumulative bucket counts of the changed histogram series of one render, read once (by maxBytes, which sizes
 * their digits) and written from (by write, in the same order). Shared: a render runs start to end synchronously.
 */
let bucketCounts = new Float64Array(4096);
/** Beyond this many counts (8 MB) the room is let go after a render rather than kept for the next. */
const BUCKET_COUNTS_KEPT = 1 << 20;

function bucketCountsRoom(size: number): Float64Array {
  if (size > bucketCounts.length) {
    const larger = new Float64Array(Math.max(size, 2 * bucketCounts.length));
    larger.set(bucketCounts);
    bucketCounts = larger;
  }
  return bucketCounts;
}

/** A histogram series' count and sum are remembered: observe() adds to both, so equal ones mean no observation since. */
export class HistogramText extends PositionalText<BucketSeries, HistogramLabels> {
  private counts: number[] = [];
  private sums: number[] = [];
  private shape = new HistogramShape('', []);
  /** During render: the `{…}` of the changed series whose labels object is new, in their order, until written. */
  private newLabels: string[] = [];
  private newLabelsRead = 0;
  /** During render: where in bucketCounts maxBytes puts the next changed series' counts, and write reads them. */
  private countsIn = 0;
  private countsOut = 0;

  render(metric: StoredMetric, series: readonly unknown[], labels: LabelTexts): MetricBytes {
    this.countsIn = this.countsOut = 0;
    try {
      return super.render(metric, series, labels);
    } finally {
      this.newLabels.length = this.newLabelsRead = 0;
      if (bucketCounts.length > BUCKET_COUNTS_KEPT) bucketCounts = new Float64Array(4096);
    }
  }

  protected prepare(metric: StoredMetric): boolean {
    const bounds = metric.upperBounds ?? [];
    if (bounds === this.shape.bounds && metric.name === this.shape.name) return false;
    this.shape = new HistogramShape(metric.name, bounds);
    return true;
  }
  protected remember(i: number, series: BucketSeries): void {
    this.counts[i] = series.count;
    this.sums[i] = series.sum;
  }
  protected unchanged(i: number, series: BucketSeries): boolean {
    return series.count === this.counts[i] && Object.is(series.sum, this.sums[i]);
  }
  protected forget(count: number): void {
    this.counts.length = this.sums.length = count;
  }
  /**
   * Only the length of the `{…}` is kept (a number, not a string and buffers per series: 100,000 of them grew the heap
   * a first scrape collects garbage from). Without default labels no text is made: the series' own labels are written
   * as bytes when it is written (putOwnLabels, as the streamed scrape does); with them the text waits in newLabels.
   */
  protected formatLabels(labels: LabelSet, texts: LabelTexts): HistogramLabels {
    if (texts.defaultLabels === null) return ownLabelsBytes(labels);
    if (texts.bucketsFormattedWhole) return texts.bucketSeries(labels);
    const text = texts.sumAndCount(labels);
    this.newLabels.push(text);
    return Buffer.byteLength(text);
  }

  /** Exact but for the sum (and any count that is not a whole number): MAX_VALUE_BYTES for it. */
  maxBytes(i: number): number {
    const labels = this.labelTexts[i];
    if (typeof labels !== 'number') return super.maxBytes(i);
    const series = this.series[i];
    const keys = this.shape.boundKeys;
    const first = this.countsIn;
    const counts = bucketCountsRoom(first + keys.length);
    readBucketCounts(series.bucketValues, keys, counts, first);
    let valueBytes = 0;
    for (let b = 0; b < keys.length; b++) valueBytes += valueLength(counts[first + b]);
    this.countsIn = first + keys.length;
    // The +Inf bucket and _count print the count.
    valueBytes += 2 * valueLength(series.count) + valueLength(series.sum);
    return this.shape.fixedBytes + (keys.length + 1) * afterLeLength(labels) + 2 * labels + valueBytes;
  }

  /**
   * The series' samples as format() prints them. A series written before with the same labels keeps the name and
   * labels of each sample (they never change for a series) from its previous bytes, and the samples whose value did
   * not change whole: only the values are written anew. Otherwise it is written piece by piece, its labels encoded
   * once (in its first bucket) and copied from there into the other samples.
   */
  protected writeSeries(i: number, sameLabels: boolean, into: Buffer, offset: number, previous: Buffer | null, previousStart: number, previousEnd: number): number {
    const labels = this.labelTexts[i];
    if (typeof labels !== 'number') return super.writeSeries(i, sameLabels, into, offset, previous, previousStart, previousEnd);
    const first = this.countsOut;
    this.countsOut = first + this.shape.boundKeys.length;
    if (previous && sameLabels) return this.rewrite(i, afterLeLength(labels), labels, first, into, offset, previous, previousStart);
    const series = this.series[i];
    if (this.labelsNow!.defaultLabels === null) return putHistogramSeries(this.shape, bucketCounts, first, series, series.labels, into, offset);
    // Formatted by changed() when its labels object was new (it always is, but for a series with no previous bytes).
    const text = !sameLabels ? this.newLabels[this.newLabelsRead++] : labels === 0 ? '' : this.labelsNow!.sumAndCount(series.labels);
    return putHistogramSeries(this.shape, bucketCounts, first, series, text, into, offset);
  }

  /**
   * Series i over its previous bytes (from `from` in `previous`), whose samples have the same names and labels: the
   * previous bytes are copied in runs that end where a value changed, and each changed value is written in its place.
   * Its cumulative bucket counts are in bucketCounts from `first`.
   */
  private rewrite(i: number, afterLeLength: number, sumAndCountLength: number, first: number, into: Buffer, offset: number, previous: Buffer, from: number): number {
    const series = this.series[i];
    const { boundKeys: keys, openingBytes: openings, sumName, countName } = this.shape;
    const counts = bucketCounts;
    const samples = keys.length + 3;
    // The previous bytes [runFrom, at) are still to be copied, to runTo.
    let runFrom = from;
    let runTo = offset;
    let at = from;
    for (let k = 0; k < samples; k++) {
      let value: number;
      let prefix: number;
      if (k < keys.length) {
        value = counts[first + k];
        prefix = openings[k].length + afterLeLength;
      } else if (k === keys.length) {
        value = series.count;
        prefix = openings[k].length + afterLeLength;
      } else {
        value = k === keys.length + 1 ? series.sum : series.count;
        prefix = (k === keys.length + 1 ? sumName.length : countName.length) + sumAndCountLength;
      }
      // The value follows the name, the labels and a space; the line ends at the newline after it.
      const oldValue = at + prefix + 1;
      let oldEnd = oldValue;
      while (previous[oldEnd] !== 0x0a) oldEnd++;
      const valueAt = runTo + (oldValue - runFrom);
      const end = putValue(value, into, valueAt);
      if (!sameBytes(into, valueAt, end, previous, oldValue, oldEnd)) {
        previous.copy(into, runTo, runFrom, oldValue);
        into[end] = 0x0a;
        runTo = end + 1;
        runFrom = oldEnd + 1;
      }
      at = oldEnd + 1;
    }
    if (at > runFrom) previous.copy(into, runTo, runFrom, at);
    return runTo + (at - runFrom);
  }

  protected format(metric: StoredMetric, series: BucketSeries, labels: HistogramLabels): string {
    const texts = typeof labels === 'number' ? this.labelsNow!.bucketSeries(series.labels) : labels;
    const bounds = this.shape.bounds;
    let text = '';
    let cumulative = 0;
    for (let i = 0; i <= bounds.length; i++) {
      const bound = i < bounds.length ? bounds[i] : '+Inf';
      cumulative = i < bounds.length ? cumulative + series.bucketValues[bound] : series.count;
      const sampleLabels = texts.afterLe === null
        ? formatSampleLabels({ le: bound }, series.labels, texts.defaultLabels)
        : this.shape.bucketOpenings[i] + texts.afterLe;
      text += `${texts.afterLe === null ? `${metric.name}_bucket` : ''}${sampleLabels} ${formatValue(cumulative)}\n`;
    }
    return `${text}${metric.name}_sum${texts.sumAndCount} ${formatValue(series.sum)}\n${metric.name}_count${texts.sumAndCount} ${formatValue(series.count)}`;
  }
}

/**
 * A histogram series' cumulative bucket counts, in bound order, into counts[first, first + keys.length): read by key
 * from prom-client's store (its keys do not enumerate in bound order: whole bounds first). The first twelve each at a
 * load of its own: a load that only ever sees one key (the same bounds in every histogram, as with prom-client's
 * defaults) is compiled to a direct read of that property, where one load for every bound looks each up by name
 * (26–30 ms against 17–20 ms for 100,000 series of 10 buckets; beyond twelve bounds, or with several sets of bounds,
 * the loads look up by name as the loop does). Shared by the cache and the streamed scrape: preparing compiles it.
 */
export function readBucketCounts(values: Record<string, number>, keys: readonly string[], counts: Float64Array, first: number): void {
  const n = keys.length;
  let c = 0;
  if (n > 0) counts[first] = c += values[keys[0]]; else return;
  if (n > 1) counts[first + 1] = c += values[keys[1]]; else return;
  if (n > 2) counts[first + 2] = c += values[keys[2]]; else return;
  if (n > 3) counts[first + 3] = c += values[keys[3]]; else return;
  if (n > 4) counts[first + 4] = c += values[keys[4]]; else return;
  if (n > 5) counts[first + 5] = c += values[keys[5]]; else return;
  if (n > 6) counts[first + 6] = c += values[keys[6]]; else return;
  if (n > 7) counts[first + 7] = c += values[keys[7]]; else return;
  if (n > 8) counts[first + 8] = c += values[keys[8]]; else return;
  if (n > 9) counts[first + 9] = c += values[keys[9]]; else return;
  if (n > 10) counts[first + 10] = c += values[keys[10]]; else return;
  if (n > 11) counts[first + 11] = c += values[keys[11]]; else return;
  for (let b = 12; b < n; b++) counts[first + b] = c += values[keys[b]];
}

/** Bytes after a bucket's `le="…"`: the labels' `{…}` with `,` for `{` — the same length — or `}` alone. */
function afterLeLength(sumAndCountLength: number): number {
  return sumAndCountLength === 0 ? 1 : sumAndCountLength;
}

/** What a histogram's samples take from its name and bounds alone. */
export class HistogramShape {
  /** The keys of a series' bucketValues, by bound. */
  readonly boundKeys: readonly string[];
  /** `<name>_bucket{le="<bound>"` per bound, +Inf last; as UTF-8 too, with `<name>_sum` and `<name>_count`. */
  readonly bucketOpenings: readonly string[];
  readonly openingBytes: readonly Buffer[];
  readonly sumName: Buffer;
  readonly countName: Buffer;
  /** Bytes of a series' samples beside its labels and values: names, openings, a space and a newline each. */
  readonly fixedBytes: number;

  constructor(readonly name: string, readonly bounds: readonly number[]) {
    this.boundKeys = bounds.map(String);
    this.bucketOpenings = [...bounds, '+Inf'].map((bound) => `${name}_bucket{le="${bound}"`);
    this.openingBytes = this.bucketOpenings.map((opening) => Buffer.from(opening));
    this.sumName = Buffer.from(`${name}_sum`);
    this.countName = Buffer.from(`${name}_count`);
    // Per sample: a space before the value and a newline after it.
    const samples = bounds.length + 3;
    this.fixedBytes = this.openingBytes.reduce((total, opening) => total + opening.length, 0) + this.sumName.length
      + this.countName.length + samples * 2;
  }

  /** The most bytes a series whose `{…}` takes `labelBytes` writes (a value at most MAX_VALUE_BYTES). */
  maxSeriesBytes(labelBytes: number): number {
    const samples = this.boundKeys.length + 3;
    return this.fixedBytes + (samples - 2) * afterLeLength(labelBytes) + 2 * labelBytes + samples * MAX_VALUE_BYTES;
  }
}

/**
 * A histogram series' samples as prom-client prints them (its labels not formatted whole: no default label `le`),
 * written piece by piece into room enough for them (maxSeriesBytes): its `{…}` — `labels`, the text ('' without
 * labels) or, without default labels, the series' own labels — is written once into the first bucket and copied from
 * there into the other samples. Its cumulative bucket counts are counts[first, first + bounds). Returns the offset
 * after its last newline.
 */
export function putHistogramSeries(
  shape: HistogramShape, counts: ArrayLike<number>, first: number, series: { sum: number; count: number },
  labels: string | LabelSet, into: Buffer, offset: number,
): number {
  const afterLe = putBytes(shape.openingBytes[0], into, offset);
  const labelBytes = typeof labels !== 'string' ? putOwnLabels(labels, into, afterLe) - afterLe : labels === '' ? 0 : into.write(labels, afterLe, 'utf8');
  return putHistogramLines(shape, counts, first, series, labelBytes, into, afterLe);
}

/**
 * putHistogramSeries once the `{…}` (`labelBytes` of it) is written after the first bucket's `le="…"`, at afterLe.
 * Apart because with default labels a server's first scrape calls putHistogramSeries with label texts (preparing)
 * and then with label sets (streaming): V8 then drops the optimized code of the function that calls putOwnLabels for
 * the first time, and ran the whole series unoptimized again until it was recompiled (≈ 30 ms on the other core).
 * (Without default labels both write label sets.)
 */
function putHistogramLines(
  shape: HistogramShape, counts: ArrayLike<number>, first: number, series: { sum: number; count: number },
  labelBytes: number, into: Buffer, afterLe: number,
): number {
  const keys = shape.boundKeys;
  const openings = shape.openingBytes;
  // After `le="…"`: the `{…}` with its `{` turned `,`, or `}` alone when the series has no labels.
  let at = afterLe;
  if (labelBytes === 0) {
    into[at++] = 0x7d;
  } else {
    into[at] = 0x2c;
    at += labelBytes;
  }
  const afterLeEnd = at;
  // One loop for every sample, one call of each writer in it: V8 then compiles a smaller function, sooner.
  const buckets = keys.length + 1;
  for (let k = 0; ; ) {
    const value = k < keys.length ? counts[first + k] : k === buckets ? series.sum : series.count;
    into[at] = 0x20;
    at = putValue(value, into, at + 1);
    into[at++] = 0x0a;
    if (++k === buckets + 2) return at;
    if (k < buckets) {
      at = putBytes(openings[k], into, at);
      into.copyWithin(at, afterLe, afterLeEnd);
      at += afterLeEnd - afterLe;
    } else {
      // _sum and _count: `{` and the labels copied from the first bucket's (at afterLe, `,` in place of `{`).
      at = putBytes(k === buckets ? shape.sumName : shape.countName, into, at);
      if (labelBytes > 0) {
        into[at] = 0x7b;
        into.copyWithin(at + 1, afterLe + 1, afterLe + labelBytes);
        at += labelBytes;
      }
    }
  }
}
