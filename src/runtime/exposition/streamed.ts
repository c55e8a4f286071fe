// A metric whose series were never written (the first scrape of a registry, or one that comes before prepare() is
// done) is formatted straight into a few small pieces written to the response as they fill, and reused once written:
// writing it into the cache instead took 140 MB of new memory for 100,000 histogram series, whose first touch by the
// kernel and the two full garbage collections it made V8 run (it counts such memory towards its heap) were most of a
// cold scrape's time. The cache is filled afterwards, in idle time (prepare()).
import { MAX_VALUE_BYTES, ownLabelsMaxBytes, putBytes, putOwnLabels, putValue } from './bytes.ts';
import type { ByteSink } from './byte-sink.ts';
import { formatHeader } from './format.ts';
import { HistogramShape, putHistogramSeries, readBucketCounts, type BucketSeries, type LabelTexts, type StoredMetric, type ValueSeries } from './series.ts';

/** Bytes a piece holds, a write each: ≈ 550 writes for 139 MB (pieces of 1 MB measured no faster). */
const PIECE_BYTES = 256 * 1024;
/** Pieces in flight at most: while all are being written, formatting waits for one to be done. */
const PIECES = 4;

/** Formats into the current piece; hands it to the sink when the next bytes do not fit, and reuses pieces written. */
export class PieceWriter {
  piece: Buffer;
  /** Where the next bytes go in `piece`. */
  at = 0;
  private readonly free: Buffer[] = [];
  private made = 1;
  private wake: (() => void) | null = null;
  private failure: Error | null = null;

  constructor(private readonly out: ByteSink, private readonly signal?: AbortSignal) {
    this.piece = Buffer.allocUnsafeSlow(PIECE_BYTES);
    signal?.addEventListener('abort', () => this.wake?.(), { once: true });
  }

  /** Room for `bytes` more in `piece` at `at`: the piece is written and the next taken, waiting for one if need be. */
  async room(bytes: number): Promise<void> {
    if (this.piece.length - this.at >= bytes) return;
    this.flush();
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.signal?.aborted) throw new Error('the response closed before the exposition was written');
      if (bytes > PIECE_BYTES) {
        // A series longer than a piece (labels of hundreds of KB): a piece of its own, not kept.
        this.piece = Buffer.allocUnsafeSlow(bytes);
        return;
      }
      const piece = this.free.pop() ?? (this.made < PIECES ? (this.made++, Buffer.allocUnsafeSlow(PIECE_BYTES)) : undefined);
      if (piece) {
        this.piece = piece;
        return;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  /** Bytes already in memory and never written to (a cached metric's chunks), after what is formatted so far. */
  passOn(chunks: readonly Uint8Array[]): void {
    this.flush();
    for (const chunk of chunks) this.out.write(chunk, noop);
  }

  /** Writes what is formatted so far. */
  flush(): void {
    if (this.at === 0) return;
    const piece = this.piece;
    const pooled = piece.length === PIECE_BYTES;
    this.out.write(piece.subarray(0, this.at), (err) => {
      if (err) this.failure ??= err;
      if (pooled) this.free.push(piece);
      this.wake?.();
    });
    this.at = 0;
    // A piece handed over is never written to until its write is done: the next bytes wait for room().
    this.piece = EMPTY;
  }
}

const EMPTY = Buffer.alloc(0);
const noop = () => undefined;

/** A metric's header lines, as prom-client prints them. */
async function putHeader(metric: StoredMetric, writer: PieceWriter): Promise<void> {
  const header = `${formatHeader(metric.name, metric.help, metric.type)}\n`;
  await writer.room(3 * header.length);
  writer.at += writer.piece.write(header, writer.at, 'utf8');
}

/** A counter's or gauge's block: its header, then `<name>{…} <value>` a series. */
export async function streamValueMetric(metric: StoredMetric, series: readonly unknown[], labels: LabelTexts, writer: PieceWriter): Promise<void> {
  await putHeader(metric, writer);
  const name = Buffer.from(metric.name);
  // Without default labels a series' labels are its own, written straight as bytes.
  const own = labels.defaultLabels === null;
  for (let i = 0; i < series.length; i++) {
    const s = series[i] as ValueSeries;
    const text = own ? '' : labels.valueSeries(s.labels);
    // At most 3 bytes of UTF-8 a UTF-16 unit; a space and a newline.
    const need = name.length + (own ? ownLabelsMaxBytes(s.labels) : 3 * text.length) + MAX_VALUE_BYTES + 2;
    if (writer.piece.length - writer.at < need) await writer.room(need);
    const piece = writer.piece;
    let at = putBytes(name, piece, writer.at);
    if (own) at = putOwnLabels(s.labels, piece, at);
    else if (text !== '') at += piece.write(text, at, 'utf8');
    piece[at] = 0x20;
    at = putValue(s.value, piece, at + 1);
    piece[at] = 0x0a;
    writer.at = at + 1;
  }
}

/** Whether streamHistogramMetric writes this histogram (not when a default label `le` makes each bucket's labels whole). */
export function histogramStreams(labels: LabelTexts): boolean {
  return !labels.bucketsFormattedWhole;
}

/** A histogram's block: its header, then each series' buckets, _sum and _count. */
export async function streamHistogramMetric(metric: StoredMetric, series: readonly unknown[], labels: LabelTexts, writer: PieceWriter): Promise<void> {
  await putHeader(metric, writer);
  const histogram = new HistogramSeriesWriter(metric, labels);
  for (let next = 0; next < series.length; ) {
    next = histogram.putWhileRoom(series, next, writer);
    if (next < series.length) await writer.room(histogram.room(series[next] as BucketSeries));
  }
}

/**
 * The series of one histogram written into a piece, synchronously, as many as fit. Apart from the async function
 * that waits for pieces: V8 optimized that one while it ran the first histogram and dropped the code when it began
 * the second (an await's resumption it had no feedback for), and the series ran unoptimized until it was recompiled.
 */
class HistogramSeriesWriter {
  private readonly shape: HistogramShape;
  private readonly counts: Float64Array;
  /** Without default labels a series' labels are its own, written straight as bytes. */
  private readonly own: boolean;

  constructor(metric: StoredMetric, private readonly labels: LabelTexts) {
    this.shape = new HistogramShape(metric.name, metric.upperBounds ?? []);
    this.counts = new Float64Array(this.shape.boundKeys.length);
    this.own = labels.defaultLabels === null;
  }

  /** Writes series from `from` while they fit in the writer's piece; returns the first that did not (or the end). */
  putWhileRoom(series: readonly unknown[], from: number, writer: PieceWriter): number {
    const { shape, counts, own } = this;
    const keys = shape.boundKeys;
    for (let i = from; i < series.length; i++) {
      const s = series[i] as BucketSeries;
      const text = own ? s.labels : this.labels.sumAndCount(s.labels);
      const need = shape.maxSeriesBytes(own ? ownLabelsMaxBytes(s.labels) : 3 * (text as string).length);
      if (writer.piece.length - writer.at < need) return i;
      readBucketCounts(s.bucketValues, keys, counts, 0);
      writer.at = putHistogramSeries(shape, counts, 0, s, text, writer.piece, writer.at);
    }
    return series.length;
  }

  /** The room series `s` needs at most. */
  room(s: BucketSeries): number {
    return this.shape.maxSeriesBytes(this.own ? ownLabelsMaxBytes(s.labels) : 3 * this.labels.sumAndCount(s.labels).length);
  }
}
