// A metric whose series were never written (the first scrape of a registry, or one that comes before prepare() is
// done) is formatted straight into a few small pieces written to the response as they fill, and reused once written:
// writing it into the cache instead took 140 MB of new memory for 100,000 histogram series, whose first touch by the
// kernel and the two full garbage collections it made V8 run (it counts such memory towards its heap) were most of a
// cold scrape's time. The cache is filled afterwards, in idle time (prepare()).
import { MAX_VALUE_BYTES, ownLabelsMaxBytes, putBytes, putOwnLabels, putValue } from './bytes.ts';
import type { ByteSink } from './byte-sink.ts';
import { formatHeader } from './format.ts';
import { fillBatch, type FormatWorker } from './format-worker.ts';
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
  readonly shape: HistogramShape;
  private readonly counts: Float64Array;
  /** Without default labels a series' labels are its own, written straight as bytes. */
  private readonly own: boolean;

  constructor(metric: StoredMetric, private readonly labels: LabelTexts) {
    this.shape = new HistogramShape(metric.name, metric.upperBounds ?? []);
    this.counts = new Float64Array(this.shape.boundKeys.length);
    this.own = labels.defaultLabels === null;
  }

  /** Writes series from `from` (to `to`) while they fit in the writer's piece; returns the first that did not (or `to`). */
  putWhileRoom(series: readonly unknown[], from: number, writer: Pick<PieceWriter, 'piece' | 'at'>, to = series.length): number {
    const { shape, counts, own } = this;
    const keys = shape.boundKeys;
    for (let i = from; i < to; i++) {
      const s = series[i] as BucketSeries;
      const text = own ? s.labels : this.labels.sumAndCount(s.labels);
      const need = shape.maxSeriesBytes(own ? ownLabelsMaxBytes(s.labels) : 3 * (text as string).length);
      if (writer.piece.length - writer.at < need) return i;
      readBucketCounts(s.bucketValues, keys, counts, 0);
      writer.at = putHistogramSeries(shape, counts, 0, s, text, writer.piece, writer.at);
    }
    return to;
  }

  /** Series [from, to) in a buffer of their own (a batch the worker did not format). */
  formatRange(series: readonly unknown[], from: number, to: number): Buffer {
    let size = 0;
    for (let i = from; i < to; i++) size += this.room(series[i] as BucketSeries);
    const into = { piece: Buffer.allocUnsafeSlow(size), at: 0 };
    this.putWhileRoom(series, from, into, to);
    return into.piece.subarray(0, into.at);
  }

  /** The room series `s` needs at most. */
  room(s: BucketSeries): number {
    return this.shape.maxSeriesBytes(this.own ? ownLabelsMaxBytes(s.labels) : 3 * this.labels.sumAndCount(s.labels).length);
  }
}

/**
 * Writes to `out` in the order of the calls, bytes given now (write) or later (later: a worker's batch): whatever
 * follows a batch not yet formatted waits for it. Once `signal` aborts nothing more is written: bytes still to come
 * are dropped (their `written` called with an error).
 */
export class OrderedSink implements ByteSink {
  private readonly queue: { bytes: Uint8Array | null; written: (err?: Error | null) => void }[] = [];
  private idle: (() => void) | null = null;

  constructor(private readonly out: ByteSink, private readonly signal?: AbortSignal) {
    signal?.addEventListener('abort', () => this.pump(), { once: true });
  }

  write(bytes: Uint8Array, written: (err?: Error | null) => void): void {
    if (this.queue.length === 0 && !this.signal?.aborted) this.out.write(bytes, written);
    else this.queue.push({ bytes, written });
    if (this.signal?.aborted) this.pump();
  }

  /** A place in the order for bytes that come later: call the result with them. */
  later(written: (err?: Error | null) => void): (bytes: Uint8Array) => void {
    const entry: { bytes: Uint8Array | null; written: (err?: Error | null) => void } = { bytes: null, written };
    this.queue.push(entry);
    return (bytes) => {
      entry.bytes = bytes;
      this.pump();
    };
  }

  /** Settles once every place is filled and handed to `out` (or dropped). */
  async drained(): Promise<void> {
    while (this.queue.length > 0) await new Promise<void>((resolve) => (this.idle = resolve));
  }

  private pump(): void {
    const aborted = this.signal?.aborted === true;
    while (this.queue.length > 0 && (this.queue[0].bytes !== null || aborted)) {
      const entry = this.queue.shift()!;
      if (aborted) entry.written(new Error('the response closed before the exposition was written'));
      else this.out.write(entry.bytes!, entry.written);
    }
    if (this.queue.length === 0) this.idle?.();
  }
}

/** Batches of a histogram formatted or being formatted by the worker and not yet written: formatting waits beyond. */
const BATCHES_IN_FLIGHT = 6;
/** Series formatted on the main thread between two looks at whether the worker is ready. */
const LOCAL_SERIES = 256;

/**
 * A histogram's block with its lines written by the worker: the header through the writer, then batches of series read
 * here (fillBatch) and formatted there, each written in its place once back. A batch the worker fails on (or every
 * batch once it has failed) is formatted here instead, from the same series.
 */
export async function streamHistogramThreaded(
  metric: StoredMetric, series: readonly unknown[], labels: LabelTexts, writer: PieceWriter, sink: OrderedSink,
  worker: FormatWorker, signal?: AbortSignal,
): Promise<void> {
  await putHeader(metric, writer);
  writer.flush();
  const histogram = new HistogramSeriesWriter(metric, labels);
  const shape = histogram.shape;
  let inFlight = 0;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (let from = 0; from < series.length;) {
      while (inFlight >= BATCHES_IN_FLIGHT && !failure && !signal?.aborted) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
      if (failure) throw failure;
      if (signal?.aborted) throw new Error('the response closed before the exposition was written');
      if (!worker.usable) {
        // The worker still starting (or failed): a few hundred series here, through the writer's pieces, then a turn
        // of the event loop (in which the worker's word that it is ready arrives).
        const end = Math.min(series.length, from + LOCAL_SERIES);
        while (from < end) {
          from = histogram.putWhileRoom(series, from, writer, end);
          if (from < end) await writer.room(histogram.room(series[from] as BucketSeries));
        }
        writer.flush();
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      const start = from;
      let fromWorker = true;
      let bytes: Uint8Array | null = null;
      // Whether the sink is done with this batch's place: written, or dropped because the response closed — which
      // may come before the worker's bytes do (those then go straight back to it).
      let settled = false;
      inFlight++;
      const place = sink.later((err) => {
        settled = true;
        if (err && !signal?.aborted) failure ??= err;
        if (fromWorker && bytes) worker.giveBack(bytes as Buffer);
        inFlight--;
        wake?.();
      });
      const here = (end: number) => {
        fromWorker = false;
        bytes = histogram.formatRange(series, start, end);
        place(bytes);
      };
      const batch = worker.takeBatch();
      const n = fillBatch(series, start, shape, labels, batch);
      from = start + n;
      const end = from;
      worker.format(shape, batch, n).then((formatted) => {
        if (settled) return worker.giveBack(formatted);
        bytes = formatted;
        place(formatted);
      }, () => {
        if (!settled) here(end);
      });
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
