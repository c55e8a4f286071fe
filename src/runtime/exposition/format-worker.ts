// A second thread that writes a streamed scrape's histogram lines (serveMetrics' `formatThreads: 2`). The main thread
// reads prom-client's stores — which live in its heap — into plain buffers, a batch of series at a time: each series'
// `{…}` as UTF-8 and its cumulative bucket counts, sum and count as doubles. The worker writes the 13 lines of each
// series from those (the bucket openings, the labels copied into every line, the values' digits: two thirds of a cold
// scrape's formatting), and hands the bytes back; the main thread sends them while the worker writes the next batch.
// Buffers go back and forth by transfer (no copy), and are reused: new memory a batch made the garbage collector run.
import { Worker } from 'node:worker_threads';
import { MAX_VALUE_BYTES, ownLabelsMaxBytes, putOwnLabels, putWholeNumber } from './bytes.ts';
import { formatValue } from './format.ts';
import { readBucketCounts, type BucketSeries, type HistogramShape, type LabelTexts } from './series.ts';

/**
 * The worker's code, plain JavaScript run as a script (`eval`): the package is bundled into one file, and a worker
 * needs code of its own. Its value writer is putValue's (bytes.ts), made from the source of putWholeNumber and
 * formatValue; the lines are putHistogramLines' (series.ts). The byte-identity tests run every case through it.
 */
export const FORMAT_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort } = require('node:worker_threads');
const MAX_VALUE_BYTES = ${MAX_VALUE_BYTES};
const shapes = new Map();
const spares = [];

// bytes.ts' putValue, from the source of the functions it calls (each self-contained).
const putWholeNumber = ${putWholeNumber.toString()};
const formatValue = ${formatValue.toString()};
function putValue(value, into, offset) {
  if (value >= 0 && value < 1e15 && Math.floor(value) === value) return putWholeNumber(value, into, offset);
  const text = formatValue(value);
  for (let i = 0; i < text.length; i++) into[offset + i] = text.charCodeAt(i);
  return offset + text.length;
}

function maxBytes(shape, n, labelEnds) {
  const samples = shape.bounds + 3;
  let total = 0;
  let start = 0;
  for (let s = 0; s < n; s++) {
    const labels = labelEnds[s] - start;
    total += shape.fixedBytes + (samples - 2) * (labels === 0 ? 1 : labels) + 2 * labels + samples * MAX_VALUE_BYTES;
    start = labelEnds[s];
  }
  return total;
}

function take(size) {
  for (let i = 0; i < spares.length; i++) {
    if (spares[i].byteLength >= size) {
      const found = spares[i];
      spares[i] = spares[spares.length - 1];
      spares.pop();
      return found;
    }
  }
  return Buffer.allocUnsafeSlow(size + (size >> 3)).buffer;
}

function format(shape, n, values, labels, labelEnds, out) {
  const openings = shape.openings;
  const nb = shape.bounds;
  const buckets = nb + 1;
  const stride = nb + 2;
  let at = 0;
  let labelStart = 0;
  for (let s = 0; s < n; s++) {
    const labelEnd = labelEnds[s];
    const labelBytes = labelEnd - labelStart;
    const base = s * stride;
    out.set(openings[0], at);
    at += openings[0].length;
    const afterLe = at;
    if (labelBytes === 0) {
      out[at++] = 0x7d;
    } else {
      out[at] = 0x2c;
      out.set(labels.subarray(labelStart + 1, labelEnd), at + 1);
      at += labelBytes;
    }
    const afterLeEnd = at;
    for (let k = 0; ; ) {
      const value = k < nb ? values[base + k] : k === buckets ? values[base + nb] : values[base + nb + 1];
      out[at] = 0x20;
      at = putValue(value, out, at + 1);
      out[at++] = 0x0a;
      if (++k === buckets + 2) break;
      if (k < buckets) {
        out.set(openings[k], at);
        at += openings[k].length;
        out.copyWithin(at, afterLe, afterLeEnd);
        at += afterLeEnd - afterLe;
      } else {
        const name = k === buckets ? shape.sumName : shape.countName;
        out.set(name, at);
        at += name.length;
        if (labelBytes > 0) {
          out[at] = 0x7b;
          out.copyWithin(at + 1, afterLe + 1, afterLe + labelBytes);
          at += labelBytes;
        }
      }
    }
    labelStart = labelEnd;
  }
  return at;
}

function addShape(message) {
  const openings = message.openings.map((text) => Buffer.from(text));
  const sumName = Buffer.from(message.sumName);
  const countName = Buffer.from(message.countName);
  const samples = message.bounds + 3;
  const fixedBytes = openings.reduce((total, opening) => total + opening.length, 0) + sumName.length + countName.length + 2 * samples;
  shapes.set(message.id, { bounds: message.bounds, openings, sumName, countName, fixedBytes });
}

function run(message) {
  const shape = shapes.get(message.shape);
  const labelEnds = new Uint32Array(message.labelEnds);
  const output = take(maxBytes(shape, message.n, labelEnds));
  const length = format(shape, message.n, new Float64Array(message.values), new Uint8Array(message.labels), labelEnds, new Uint8Array(output));
  return { id: message.id, output, length, values: message.values, labels: message.labels, labelEnds: message.labelEnds };
}

// Compiled before the first scrape: a few thousand made-up series of the usual shape, whole and fractional values.
function warm() {
  const bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
  addShape({ id: -1, bounds: bounds.length, openings: [...bounds, '+Inf'].map((b) => 'warm_seconds_bucket{le="' + b + '"'), sumName: 'warm_seconds_sum', countName: 'warm_seconds_count' });
  const n = 512;
  const stride = bounds.length + 2;
  const labels = Buffer.allocUnsafeSlow(n * 64);
  const labelEnds = new Uint32Array(n);
  const values = new Float64Array(n * stride);
  let at = 0;
  for (let s = 0; s < n; s++) {
    at += labels.write('{service="svc-' + (s % 20) + '",route="/api/v1/resource_' + s + '",code="200"}', at, 'latin1');
    labelEnds[s] = at;
    for (let b = 0; b < stride; b++) values[s * stride + b] = b === stride - 2 ? s / 113 : s + b;
  }
  for (let round = 0; round < 24; round++) {
    const result = run({ id: 0, shape: -1, n, values: values.buffer, labels: labels.buffer, labelEnds: labelEnds.buffer });
    spares.push(result.output);
  }
  shapes.delete(-1);
}

warm();
parentPort.on('message', (message) => {
  if (message.kind === 'shape') return addShape(message);
  if (message.kind === 'spare') return void spares.push(message.buffer);
  if (message.kind === 'fail') throw new Error('format worker: failing as asked (a test)');
  const result = run(message);
  parentPort.postMessage(result, [result.output, result.values, result.labels, result.labelEnds]);
});
parentPort.postMessage({ kind: 'ready' });
`;

/** A batch's input: the series' label bytes, where each ends, and their values (counts, sum, count) as doubles. */
export interface FormatBatch {
  labels: Buffer;
  labelEnds: Uint32Array;
  values: Float64Array;
}

/** Series a batch holds at most (≈ 0.7 MB of lines for the bench's series). */
export const BATCH_SERIES = 512;

interface Pending {
  resolve(bytes: Buffer): void;
  reject(err: Error): void;
}

/**
 * The worker thread, from the main thread's side. It never keeps the process alive (unref), ends with close(), and
 * once it fails (an error, an exit) it is not used again: formatting falls back to the main thread.
 */
export class FormatWorker {
  private readonly worker: Worker;
  private failure: Error | null = null;
  private isReady = false;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly shapeIds = new WeakMap<HistogramShape, number>();
  private nextShape = 1;
  private readonly batches: FormatBatch[] = [];
  /** Settles when the worker has compiled its code, or failed. */
  readonly ready: Promise<void>;

  constructor(source = FORMAT_WORKER_SOURCE) {
    // No loader hooks (tsx in development): the worker's code is plain JavaScript.
    this.worker = new Worker(source, { eval: true, execArgv: [] });
    this.worker.unref();
    let settle = () => undefined as void;
    this.ready = new Promise<void>((resolve) => (settle = resolve));
    this.worker.on('message', (message: { kind?: 'ready'; id: number; output: ArrayBuffer; length: number; values: ArrayBuffer; labels: ArrayBuffer; labelEnds: ArrayBuffer }) => {
      if (message.kind === 'ready') {
        this.isReady = true;
        settle();
        return;
      }
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      this.batches.push({ labels: Buffer.from(message.labels), labelEnds: new Uint32Array(message.labelEnds), values: new Float64Array(message.values) });
      waiting?.resolve(Buffer.from(message.output, 0, message.length));
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      settle();
      for (const waiting of this.pending.values()) waiting.reject(this.failure);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`format worker exited (code ${code})`)));
  }

  /** Whether it failed (or was closed): it is not used again. */
  get failed(): boolean {
    return this.failure !== null;
  }

  /** Whether batches should go to it: compiled, and not failed. */
  get usable(): boolean {
    return this.isReady && this.failure === null;
  }

  /** An input to fill (reused once the worker gave it back). */
  takeBatch(): FormatBatch {
    return this.batches.pop() ?? { labels: Buffer.allocUnsafeSlow(64 * 1024), labelEnds: new Uint32Array(BATCH_SERIES), values: new Float64Array(BATCH_SERIES * 14) };
  }

  /** The lines of the first `n` series of `batch`, of histograms of `shape`; rejects if the worker fails first. */
  format(shape: HistogramShape, batch: FormatBatch, n: number): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    let shapeId = this.shapeIds.get(shape);
    if (shapeId === undefined) {
      shapeId = this.nextShape++;
      this.shapeIds.set(shape, shapeId);
      this.worker.postMessage({
        kind: 'shape', id: shapeId, bounds: shape.boundKeys.length, openings: shape.bucketOpenings,
        sumName: shape.sumName.toString(), countName: shape.countName.toString(),
      });
    }
    const id = this.nextId++;
    const values = batch.values.buffer as ArrayBuffer;
    const labels = batch.labels.buffer as ArrayBuffer;
    const labelEnds = batch.labelEnds.buffer as ArrayBuffer;
    const done = new Promise<Buffer>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.worker.postMessage({ id, shape: shapeId, n, values, labels, labelEnds }, [values, labels, labelEnds]);
    return done;
  }

  /** Bytes `format` gave, once written: the worker writes into them again. */
  giveBack(bytes: Buffer): void {
    if (this.failure || bytes.byteOffset !== 0 || bytes.buffer.byteLength === 0) return;
    const buffer = bytes.buffer as ArrayBuffer;
    this.worker.postMessage({ kind: 'spare', buffer }, [buffer]);
  }

  /** Makes the worker throw (tests of the fallback). */
  failForTest(): void {
    this.worker.postMessage({ kind: 'fail' });
  }

  async close(): Promise<void> {
    this.failure ??= new Error('format worker closed');
    await this.worker.terminate();
  }
}

/**
 * Fills `batch` with the series from `from` (at most BATCH_SERIES, and as many as its label room holds; one at least,
 * the room grown for it): their `{…}` of _sum and _count — the series' own labels as bytes without default labels,
 * else LabelTexts' text — and their cumulative counts, sum and count. Returns how many it took.
 */
export function fillBatch(series: readonly unknown[], from: number, shape: HistogramShape, texts: LabelTexts, batch: FormatBatch): number {
  const keys = shape.boundKeys;
  const stride = keys.length + 2;
  if (batch.values.length < BATCH_SERIES * stride) batch.values = new Float64Array(BATCH_SERIES * stride);
  const own = texts.defaultLabels === null;
  const values = batch.values;
  const ends = batch.labelEnds;
  let labels = batch.labels;
  let at = 0;
  let n = 0;
  for (let i = from; i < series.length && n < BATCH_SERIES; i++) {
    const s = series[i] as BucketSeries;
    const text = own ? '' : texts.sumAndCount(s.labels);
    const need = own ? ownLabelsMaxBytes(s.labels) : 3 * text.length;
    if (labels.length - at < need) {
      if (n > 0) break;
      labels = batch.labels = Buffer.allocUnsafeSlow(need);
    }
    at = own ? putOwnLabels(s.labels, labels, at) : at + labels.write(text, at, 'utf8');
    ends[n] = at;
    const base = n * stride;
    readBucketCounts(s.bucketValues, keys, values, base);
    values[base + stride - 2] = s.sum;
    values[base + stride - 1] = s.count;
    n++;
  }
  return n;
}
