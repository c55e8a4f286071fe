/**
 * A day of synthetic but plausible ML-platform metrics, backfilled into a Prometheus TSDB: node_exporter, DCGM,
 * trainer, model server and platform API series at 15 s resolution, plus every recording rule of the compiled rule
 * files evaluated over that day by Prometheus itself. Used by query-bench.ts.
 *
 * Pipeline: synthetic series → OpenMetrics files, one per 2-hour block window → `promtool tsdb create-blocks-from
 * openmetrics` (staging TSDB) → a staging Prometheus evaluates the recording rules with range queries at each group's
 * interval, pass after pass when a rule reads another rule's output → the recorded samples of each window are appended
 * to its raw file → final TSDB. So the final blocks hold raw and recorded series side by side, as a Prometheus
 * that ran for a day would have them, instead of the one-block-per-rule-per-window layout of `promtool tsdb
 * create-blocks-from rules`, which would also make the server start a vertical compaction mid-benchmark.
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { load } from 'js-yaml';
import { startService, type RunningService } from '../../src/testing/alertmanager-process.ts';
import { seededRandom } from '../helpers/seeded-random.ts';

// ---------------------------------------------------------------------------------------------------------------
// Shape of the fleet and the time line

export interface DataShape {
  nodes: number;
  gpusPerNode: number;
  cpusPerNode: number;
  trainingJobs: number;
  inferenceServices: number;
  modelsPerService: number;
  replicasPerModel: number;
  tenants: number;
}

export const DEFAULT_SHAPE: DataShape = {
  nodes: 20,
  gpusPerNode: 8,
  cpusPerNode: 16,
  trainingJobs: 10,
  inferenceServices: 5,
  modelsPerService: 3,
  replicasPerModel: 3,
  tenants: 10,
};

/** BENCH_NODES, BENCH_GPUS, BENCH_CPUS, BENCH_JOBS, BENCH_SERVICES, BENCH_MODELS, BENCH_REPLICAS, BENCH_TENANTS. */
export function shapeFromEnv(env = process.env): DataShape {
  const pick = (key: string, fallback: number) => (env[key] ? Number(env[key]) : fallback);
  const d = DEFAULT_SHAPE;
  return {
    nodes: pick('BENCH_NODES', d.nodes),
    gpusPerNode: pick('BENCH_GPUS', d.gpusPerNode),
    cpusPerNode: pick('BENCH_CPUS', d.cpusPerNode),
    trainingJobs: pick('BENCH_JOBS', d.trainingJobs),
    inferenceServices: pick('BENCH_SERVICES', d.inferenceServices),
    modelsPerService: pick('BENCH_MODELS', d.modelsPerService),
    replicasPerModel: pick('BENCH_REPLICAS', d.replicasPerModel),
    tenants: pick('BENCH_TENANTS', d.tenants),
  };
}

/** Sample times in Unix seconds: start, start + step, …, end. */
export interface Timeline {
  start: number;
  end: number;
  step: number;
  count: number;
}

export function dayEndingAt(endSeconds: number, step = 15): Timeline {
  const end = Math.floor(endSeconds / step) * step;
  const start = end - 86_400;
  return { start, end, step, count: (end - start) / step + 1 };
}

const at = (tl: Timeline, i: number) => tl.start + i * tl.step;
const hoursAgo = (tl: Timeline, i: number) => (tl.end - at(tl, i)) / 3600;

// ---------------------------------------------------------------------------------------------------------------
// Small numeric helpers

type Labels = Record<string, string>;

export interface Series {
  name: string;
  labels: Labels;
  /** One value per timeline sample; NaN means "no sample" (series absent then). */
  values: Float64Array;
}

/** Deterministic PRNG (mulberry32) so two runs backfill the same data. */
function rng(seedText: string): () => number {
  let seed = 2166136261;
  for (let i = 0; i < seedText.length; i++) seed = Math.imul(seed ^ seedText.charCodeAt(i), 16777619);
  return seededRandom(seed);
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
}

/** Daily load curve around 1, peaking at `peakHourUtc`. */
function diurnal(t: number, amplitude: number, peakHourUtc = 14): number {
  const hour = (t % 86_400) / 3600;
  return 1 + amplitude * Math.cos((2 * Math.PI * (hour - peakHourUtc)) / 24);
}

const round = (x: number, decimals: number) => Math.round(x * 10 ** decimals) / 10 ** decimals;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** Standard normal CDF (Abramowitz & Stegun 7.1.26), enough for bucket shares. */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

const logNormalCdf = (x: number, median: number, sigma: number) => normalCdf(Math.log(x / median) / sigma);

function fill(tl: Timeline, f: (i: number, t: number) => number): Float64Array {
  const out = new Float64Array(tl.count);
  for (let i = 0; i < tl.count; i++) out[i] = f(i, at(tl, i));
  return out;
}

/** A counter from a per-second rate: integral over the day, restarting from 0 after each absence (a restart). */
function counter(rates: Float64Array, step: number, initial: number, decimals = 0): Float64Array {
  const out = new Float64Array(rates.length);
  let total = initial;
  let absent = false;
  for (let i = 0; i < rates.length; i++) {
    const r = rates[i]!;
    if (Number.isNaN(r)) {
      out[i] = NaN;
      absent = true;
      continue;
    }
    if (absent) total = 0;
    absent = false;
    total += Math.max(0, r) * step;
    out[i] = round(total, decimals);
  }
  return out;
}

/**
 * Classic histogram series (_bucket per le, _sum, _count) from per-step observation counts whose values follow a
 * log-normal distribution with a per-step median.
 */
function histogram(name: string, labels: Labels, buckets: number[], observations: Float64Array, median: Float64Array, sigma: number): Series[] {
  const n = observations.length;
  const cumulative = buckets.map(() => new Float64Array(n));
  const count = new Float64Array(n);
  const sum = new Float64Array(n);
  const running = buckets.map(() => 0);
  let total = 0;
  let totalSum = 0;
  for (let i = 0; i < n; i++) {
    const obs = observations[i]!;
    if (Number.isNaN(obs)) {
      for (const c of cumulative) c[i] = NaN;
      count[i] = sum[i] = NaN;
      continue;
    }
    const m = median[i]!;
    buckets.forEach((le, b) => {
      running[b]! += obs * logNormalCdf(le, m, sigma);
      cumulative[b]![i] = Math.round(running[b]!);
    });
    total += obs;
    totalSum += obs * m * Math.exp((sigma * sigma) / 2);
    count[i] = Math.round(total);
    sum[i] = round(totalSum, 3);
  }
  return [
    ...buckets.map((le, b) => ({ name: `${name}_bucket`, labels: { ...labels, le: String(le) }, values: cumulative[b]! })),
    { name: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, values: count },
    { name: `${name}_sum`, labels, values: sum },
    { name: `${name}_count`, labels, values: count },
  ];
}

/** Rare events: per-step increments of 1..3 with the given per-step probability. */
function rareEvents(tl: Timeline, random: () => number, probability: number): Float64Array {
  return fill(tl, () => (random() < probability ? (1 + Math.floor(random() * 3)) / tl.step : 0));
}

// ---------------------------------------------------------------------------------------------------------------
// The fleet

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const nodeName = (n: number) => `gpu-node-${pad(n + 1)}`;

/** One node reboots: absent for 30 minutes ten hours ago (its counters restart from zero). */
function nodeIsDown(tl: Timeline, node: number, i: number): boolean {
  const h = hoursAgo(tl, i);
  return node === 6 && h <= 10 && h > 9.5;
}

function* nodeExporter(shape: DataShape, tl: Timeline): Generator<Series> {
  const modes: [string, number][] = [
    ['user', 0.7], ['system', 0.18], ['iowait', 0.04], ['irq', 0.01], ['softirq', 0.03], ['nice', 0.02], ['steal', 0.02],
  ];
  const mounts = [
    { mountpoint: '/', fstype: 'ext4', device: '/dev/nvme0n1p2', size: 1.8e12, used: 0.35, fillPerHour: 0 },
    { mountpoint: '/data', fstype: 'xfs', device: '/dev/md0', size: 14e12, used: 0.55, fillPerHour: 0.004 },
    { mountpoint: '/boot/efi', fstype: 'vfat', device: '/dev/nvme0n1p1', size: 5.36e8, used: 0.01, fillPerHour: 0 },
    { mountpoint: '/run', fstype: 'tmpfs', device: 'tmpfs', size: 5.4e10, used: 0.002, fillPerHour: 0 },
    { mountpoint: '/var/lib/docker', fstype: 'overlay', device: 'overlay', size: 1.8e12, used: 0.4, fillPerHour: 0.001 },
  ];
  const devices = [
    { device: 'lo', bytesPerSec: 2e6 },
    { device: 'eth0', bytesPerSec: 4e7 },
    { device: 'ib0', bytesPerSec: 1.2e9 },
    { device: 'ib1', bytesPerSec: 1.1e9 },
  ];
  for (let node = 0; node < shape.nodes; node++) {
    const instance = nodeName(node);
    const base = { instance, job: 'node' };
    const down = (i: number) => nodeIsDown(tl, node, i);
    yield { name: 'up', labels: base, values: fill(tl, (i) => (down(i) ? 0 : 1)) };

    const random = rng(instance);
    const load = 0.25 + 0.5 * random();
    for (let cpu = 0; cpu < shape.cpusPerNode; cpu++) {
      let walk = 0;
      const busy = fill(tl, (i, t) => {
        walk = clamp(walk + 0.02 * gaussian(random), -0.2, 0.2);
        return down(i) ? NaN : clamp(load * diurnal(t, 0.3) + walk, 0.02, 0.98);
      });
      const labels = (mode: string) => ({ ...base, cpu: String(cpu), mode });
      const idleRate = busy.map((b) => 1 - b);
      yield { name: 'node_cpu_seconds_total', labels: labels('idle'), values: counter(idleRate, tl.step, 4e5, 2) };
      for (const [mode, share] of modes) {
        yield { name: 'node_cpu_seconds_total', labels: labels(mode), values: counter(busy.map((b) => b * share), tl.step, 4e5 * share, 2) };
      }
    }

    const memTotal = 549_755_813_888;
    yield { name: 'node_memory_MemTotal_bytes', labels: base, values: fill(tl, (i) => (down(i) ? NaN : memTotal)) };
    yield {
      name: 'node_memory_MemAvailable_bytes',
      labels: base,
      values: fill(tl, (i, t) => (down(i) ? NaN : Math.round(memTotal * clamp(1 - load * diurnal(t, 0.25) - 0.05 * random(), 0.03, 0.97)))),
    };

    for (const m of mounts) {
      const labels = { ...base, device: m.device, fstype: m.fstype, mountpoint: m.mountpoint };
      yield { name: 'node_filesystem_size_bytes', labels, values: fill(tl, (i) => (down(i) ? NaN : m.size)) };
      const avail = fill(tl, (i) => {
        const used = m.used + m.fillPerHour * (24 - hoursAgo(tl, i)) + 0.002 * random();
        return down(i) ? NaN : Math.round((m.size * clamp(1 - used, 0, 1)) / 4096) * 4096;
      });
      yield { name: 'node_filesystem_avail_bytes', labels, values: avail };
    }

    for (const d of devices) {
      const labels = { ...base, device: d.device };
      const traffic = fill(tl, (i, t) => (down(i) ? NaN : d.bytesPerSec * diurnal(t, 0.4) * (0.8 + 0.4 * random())));
      yield { name: 'node_network_receive_bytes_total', labels, values: counter(traffic, tl.step, 1e12) };
      const errors = (p: number) => rareEvents(tl, random, d.device === 'lo' ? 0 : p).map((e, i) => (down(i) ? NaN : e));
      yield { name: 'node_network_receive_errs_total', labels, values: counter(errors(0.002), tl.step, 12) };
      yield { name: 'node_network_transmit_errs_total', labels, values: counter(errors(0.001), tl.step, 3) };
    }
  }
}

/** GPU busy share per node and GPU, shared by DCGM and the placement of training jobs. */
function gpuLoad(tl: Timeline, node: number, gpu: number): Float64Array {
  const random = rng(`gpu-${node}-${gpu}`);
  const training = (node + gpu) % 3 !== 0;
  let walk = 0;
  return fill(tl, (i, t) => {
    if (nodeIsDown(tl, node, i)) return NaN;
    walk = clamp(walk + 0.03 * gaussian(random), -0.15, 0.15);
    const base = training ? 0.9 : 0.45 * diurnal(t, 0.5);
    return clamp(base + walk, 0, 1);
  });
}

function* dcgmExporter(shape: DataShape, tl: Timeline): Generator<Series> {
  const fbTotalMib = 81_920;
  for (let node = 0; node < shape.nodes; node++) {
    const instance = nodeName(node);
    yield { name: 'up', labels: { instance, job: 'dcgm' }, values: fill(tl, (i) => (nodeIsDown(tl, node, i) ? 0 : 1)) };
    for (let gpu = 0; gpu < shape.gpusPerNode; gpu++) {
      const random = rng(`dcgm-${node}-${gpu}`);
      const uuid = `GPU-${(node * 131 + gpu * 7919).toString(16).padStart(8, '0')}-4b1e-9c2d-${pad(node)}${pad(gpu)}a1f3c5e7`;
      const labels = { instance, job: 'dcgm', gpu: String(gpu), UUID: uuid, modelName: 'NVIDIA A100-SXM4-80GB', Hostname: instance };
      const load = gpuLoad(tl, node, gpu);
      const used = load.map((l) => Math.round(fbTotalMib * clamp(0.1 + 0.8 * l + 0.02 * random(), 0, 0.99)));
      yield { name: 'DCGM_FI_DEV_GPU_UTIL', labels, values: load.map((l) => Math.round(100 * l)) };
      yield { name: 'DCGM_FI_DEV_FB_USED', labels, values: used };
      yield { name: 'DCGM_FI_DEV_FB_FREE', labels, values: used.map((u) => fbTotalMib - 407 - u) };
      yield { name: 'DCGM_FI_DEV_GPU_TEMP', labels, values: load.map((l) => Math.round(32 + 45 * l + 3 * random())) };
      yield { name: 'DCGM_FI_DEV_POWER_USAGE', labels, values: load.map((l) => round(58 + 330 * l + 10 * random(), 3)) };
    }
  }
}

interface TrainingJob {
  id: string;
  model: string;
  workers: string[];
  /** Hours ago the job started; later than 24 means it was already running when the day began. */
  startedHoursAgo: number;
  stepSeconds: number;
  batch: number;
  stalledLastMinutes: number;
}

function trainingJobs(shape: DataShape): TrainingJob[] {
  const models = ['llama-3-8b', 'resnet-152', 'bert-large', 'vit-h-14', 'whisper-large', 'mistral-7b'];
  return Array.from({ length: shape.trainingJobs }, (_, j) => ({
    id: `train-${4100 + j}`,
    model: models[j % models.length]!,
    workers: Array.from({ length: Math.min(2 + (j % 3), shape.nodes) }, (_, w) => nodeName((j * 2 + w) % shape.nodes)),
    startedHoursAgo: j < shape.trainingJobs - 3 ? 30 + j : [18, 10, 3][j - (shape.trainingJobs - 3)]!,
    stepSeconds: 0.4 + 0.15 * (j % 5),
    batch: [32, 64, 128, 256][j % 4]!,
    stalledLastMinutes: j === 4 ? 25 : 0,
  }));
}

function* trainer(shape: DataShape, tl: Timeline): Generator<Series> {
  const jobs = trainingJobs(shape);
  const running = new Map<string, Float64Array>(); // "model|instance" → jobs running there
  for (const job of jobs) {
    const live = (i: number) => hoursAgo(tl, i) <= job.startedHoursAgo;
    const stalled = (i: number) => hoursAgo(tl, i) * 60 <= job.stalledLastMinutes;
    for (const instance of job.workers) {
      const random = rng(`${job.id}-${instance}`);
      const labels = { job_id: job.id, model: job.model, instance, job: 'trainer' };
      const stepSeconds = fill(tl, (i) => (live(i) ? job.stepSeconds * (1 + 0.05 * gaussian(random)) : NaN));
      const stepRate = stepSeconds.map((s, i) => (stalled(i) ? 0 : 1 / s));
      const alreadyDone = Math.max(0, job.startedHoursAgo - 24) * 3600;
      const steps = counter(stepRate, tl.step, alreadyDone / job.stepSeconds);
      const samples = steps.map((s) => s * job.batch);
      const elapsedHours = (i: number) => job.startedHoursAgo - hoursAgo(tl, i);
      yield { name: 'training_steps_total', labels, values: steps };
      yield { name: 'training_samples_processed_total', labels, values: samples };
      yield {
        name: 'training_loss',
        labels,
        values: fill(tl, (i) => (live(i) ? round(0.35 + 2.2 * Math.exp(-elapsedHours(i) / 6) + 0.03 * gaussian(random), 4) : NaN)),
      };
      yield {
        name: 'training_learning_rate',
        labels,
        values: fill(tl, (i) => (live(i) ? round(3e-4 * (0.55 + 0.45 * Math.cos((Math.PI * elapsedHours(i)) / 72)), 9) : NaN)),
      };
      yield { name: 'training_epoch', labels, values: samples.map((s) => Math.floor(s / 5e6)) };
      let lastStep = 0;
      yield {
        name: 'training_last_step_timestamp_seconds',
        labels,
        values: fill(tl, (i, t) => {
          if (!live(i)) return NaN;
          if (!stalled(i)) lastStep = round(t - random() * job.stepSeconds, 3);
          return lastStep;
        }),
      };
      const observations = stepRate.map((r) => r * tl.step);
      yield* histogram('training_step_duration_seconds', labels, [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2.5, 5, 10], observations, stepSeconds, 0.12);
      addRunning(running, `${job.model}|${instance}`, tl, live);
    }
  }
  for (const [key, counts] of running) {
    const [model, instance] = key.split('|') as [string, string];
    yield { name: 'training_jobs_running', labels: { model, instance, job: 'trainer' }, values: counts };
  }
}

function addRunning(running: Map<string, Float64Array>, key: string, tl: Timeline, live: (i: number) => boolean): void {
  const counts = running.get(key) ?? new Float64Array(tl.count);
  running.set(key, counts);
  for (let i = 0; i < tl.count; i++) if (live(i)) counts[i]! += 1;
}

const SERVICES = [
  { service: 'llm-gateway', rps: 60, latency: 0.9, models: ['llama-3-8b-int4', 'mistral-7b-awq', 'llama-3-70b-fp8'] },
  { service: 'vision-api', rps: 180, latency: 0.045, models: ['resnet-152-int8', 'vit-h-14-fp16', 'yolo-v8-int8'] },
  { service: 'speech-api', rps: 35, latency: 0.35, models: ['whisper-large-v3', 'whisper-small', 'parakeet-ctc'] },
  { service: 'embedding-api', rps: 400, latency: 0.018, models: ['bge-large', 'e5-mistral-int8', 'minilm-l6'] },
  { service: 'rerank-api', rps: 90, latency: 0.06, models: ['bge-reranker', 'colbert-v2', 'mxbai-rerank'] },
];

const CODES: [string, number][] = [['200', 0.94], ['400', 0.03], ['429', 0.02], ['500', 0.007], ['503', 0.003]];

function* modelServer(shape: DataShape, tl: Timeline): Generator<Series> {
  const loaded = new Map<string, Float64Array>(); // "service|instance" → models loaded there
  for (let s = 0; s < shape.inferenceServices; s++) {
    const spec = SERVICES[s % SERVICES.length]!;
    const service = s < SERVICES.length ? spec.service : `${spec.service}-${s}`;
    for (let m = 0; m < shape.modelsPerService; m++) {
      const model = spec.models[m % spec.models.length]! + (m >= spec.models.length ? `-${m}` : '');
      // Replicas of one model on distinct nodes: `instance` is what tells their series apart.
      for (let r = 0; r < Math.min(shape.replicasPerModel, shape.nodes); r++) {
        const instance = nodeName((s * 7 + m * 3 + r + 1) % shape.nodes);
        yield* replica(tl, service, model, instance, spec, s, m, r);
        addRunning(loaded, `${service}|${instance}`, tl, () => true);
      }
    }
  }
  for (const [key, counts] of loaded) {
    const [service, instance] = key.split('|') as [string, string];
    yield { name: 'inference_models_loaded', labels: { service, instance, job: 'model-server' }, values: counts };
  }
}

function* replica(
  tl: Timeline,
  service: string,
  model: string,
  instance: string,
  spec: (typeof SERVICES)[number],
  s: number,
  m: number,
  r: number,
): Generator<Series> {
  const random = rng(`${service}-${model}-${instance}`);
  const labels = { service, model, instance, job: 'model-server' };
  const share = (1 / (m + 1.5)) / 3;
  const rps = fill(tl, (_, t) => spec.rps * share * diurnal(t, 0.45) * (0.9 + 0.2 * random()));
  // A bad rollout: one service answers 5xx for an hour six hours ago.
  const incident = (i: number) => s === 2 && m === 0 && hoursAgo(tl, i) <= 6 && hoursAgo(tl, i) > 5;
  for (const [code, p] of CODES) {
    const errorBoost = (i: number) => (incident(i) && code === '503' ? 40 : 1);
    yield { name: 'inference_requests_total', labels: { ...labels, code }, values: counter(rps.map((x, i) => x * p * errorBoost(i)), tl.step, 1e5 * p) };
  }
  const median = rps.map((x) => spec.latency * (0.8 + (0.4 * x) / (spec.rps * share)));
  const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  yield* histogram('inference_request_duration_seconds', labels, buckets, rps.map((x) => x * tl.step), median, 0.55);
  yield { name: 'inference_queue_depth', labels, values: rps.map((x) => Math.max(0, Math.round(x * spec.latency * 0.3 + 2 * gaussian(random)))) };
  const batches = rps.map((x) => (x * tl.step) / 6);
  yield* histogram('inference_batch_size', labels, [1, 2, 4, 8, 16, 32, 64], batches, rps.map((x) => 2 + x / 10), 0.6);
  for (const reason of ['oom', 'timeout', 'corrupt_artifact']) {
    const failureAt = failureHoursAgo(s, m, r, reason);
    const failures = fill(tl, (i) => (failureAt !== undefined && Math.abs(hoursAgo(tl, i) - failureAt) < tl.step / 7200 ? 2 / tl.step : 0));
    yield { name: 'inference_model_load_failures_total', labels: { ...labels, reason }, values: counter(failures, tl.step, 0) };
  }
}

/** A few model loads fail during the day; everything else stays at the initial 0. */
function failureHoursAgo(s: number, m: number, r: number, reason: string): number | undefined {
  if (s === 0 && m === 2 && r === 1 && reason === 'oom') return 5;
  if (s === 2 && m === 0 && r === 0 && reason === 'timeout') return 5.5;
  if (s === 3 && m === 1 && r === 2 && reason === 'corrupt_artifact') return 14;
  return undefined;
}

const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'wonka', 'tyrell', 'soylent'];
const TECHNIQUES = [
  { technique: 'quantization', minutes: 12 },
  { technique: 'pruning', minutes: 35 },
  { technique: 'distillation', minutes: 150 },
  { technique: 'compilation', minutes: 6 },
];
const ENDPOINTS = [
  ['GET', '/v1/models'], ['POST', '/v1/jobs'], ['GET', '/v1/jobs/{id}'], ['POST', '/v1/deployments'], ['GET', '/v1/metrics'], ['DELETE', '/v1/deployments/{id}'],
] as const;

function* platformApi(shape: DataShape, tl: Timeline): Generator<Series> {
  const instances = ['api-01', 'api-02'];
  const tenants = Array.from({ length: shape.tenants }, (_, i) => TENANTS[i % TENANTS.length]! + (i >= TENANTS.length ? `-${i}` : ''));
  for (const instance of instances) {
    const job = 'platform-api';
    for (const [t, tenant] of tenants.entries()) {
      const weight = 1 / (t + 1);
      for (const { technique } of TECHNIQUES) {
        const random = rng(`${instance}-${tenant}-${technique}`);
        const labels = { tenant, technique, instance, job };
        const submitted = fill(tl, (_, time) => 0.004 * weight * diurnal(time, 0.6) * (0.5 + random()));
        yield { name: 'optimization_jobs_submitted_total', labels, values: counter(submitted, tl.step, 300 * weight) };
        yield { name: 'optimization_jobs_succeeded_total', labels, values: counter(submitted.map((x) => x * 0.9), tl.step, 270 * weight) };
        for (const [reason, p] of [['oom', 0.05], ['timeout', 0.03], ['invalid_model', 0.02]] as const) {
          yield { name: 'optimization_jobs_failed_total', labels: { ...labels, reason }, values: counter(submitted.map((x) => x * p), tl.step, 30 * weight * p) };
        }
      }
      for (const [method, endpoint] of ENDPOINTS) {
        const random = rng(`${instance}-${tenant}-${endpoint}`);
        const rate = fill(tl, (_, time) => 25 * weight * diurnal(time, 0.5) * (0.85 + 0.3 * random()));
        for (const [code, p] of [['200', 0.97], ['400', 0.025], ['500', 0.005]] as const) {
          yield { name: 'api_calls_total', labels: { tenant, endpoint, method, code, instance, job }, values: counter(rate.map((x) => x * p), tl.step, 1e6 * weight * p) };
        }
      }
      if (instance === instances[0]) {
        for (const environment of ['production', 'staging']) {
          const random = rng(`${tenant}-${environment}`);
          const base = Math.max(1, Math.round((environment === 'production' ? 12 : 5) * weight));
          yield { name: 'models_deployed', labels: { tenant, environment, instance, job }, values: fill(tl, () => base + (random() < 0.5 ? 0 : 1)) };
        }
      }
    }
    for (const { technique, minutes } of TECHNIQUES) {
      const random = rng(`${instance}-${technique}-duration`);
      const finished = fill(tl, (_, time) => 0.01 * diurnal(time, 0.6) * (0.5 + random()) * tl.step);
      const median = fill(tl, () => minutes * 60 * (0.9 + 0.2 * random()));
      yield* histogram('optimization_job_duration_seconds', { technique, instance, job }, [60, 300, 900, 1800, 3600, 7200, 14400, 28800], finished, median, 0.7);
    }
  }
}

export function* syntheticSeries(shape: DataShape, tl: Timeline): Generator<Series> {
  yield* nodeExporter(shape, tl);
  yield* dcgmExporter(shape, tl);
  yield* trainer(shape, tl);
  yield* modelServer(shape, tl);
  yield* platformApi(shape, tl);
}

// ---------------------------------------------------------------------------------------------------------------
// OpenMetrics, one file per TSDB block window

const BLOCK_SECONDS = 7200;
const FLUSH_CHARS = 1 << 20;

interface Window {
  start: number;
  file: string;
  stream: WriteStream;
  parts: string[];
  chars: number;
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function seriesPrefix(name: string, labels: Labels): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return `${name}{${pairs.join(',')}} `;
}

/**
 * Writes samples into one OpenMetrics file per 2-hour window aligned like TSDB blocks, because promtool re-reads its
 * whole input once per block window: one file per window makes it read every sample once instead of thirteen times.
 */
export class WindowedOpenMetrics {
  private readonly windows = new Map<number, Window>();
  private readonly seen = new Set<string>();
  samples = 0;
  series = 0;

  constructor(
    private readonly dir: string,
    private readonly prefix: string,
  ) {}

  async writeSeries(series: Series, tl: Timeline, timestamps: string[]): Promise<void> {
    const prefix = seriesPrefix(series.name, series.labels);
    if (this.seen.has(prefix)) throw new Error(`series generated twice: ${prefix}`);
    this.seen.add(prefix);
    let window: Window | undefined;
    let written = 0;
    for (let i = 0; i < tl.count; i++) {
      const v = series.values[i]!;
      if (Number.isNaN(v)) continue;
      const t = at(tl, i);
      if (!window || t >= window.start + BLOCK_SECONDS) window = this.window(t);
      const line = prefix + v + ' ' + timestamps[i] + '\n';
      window.parts.push(line);
      window.chars += line.length;
      written++;
    }
    this.count(written);
    await this.flushFull();
  }

  /** Samples as Prometheus' HTTP API returns them: [unix seconds, "value"]. */
  async writeSamples(name: string, labels: Labels, samples: [number, string][]): Promise<void> {
    const prefix = seriesPrefix(name, labels);
    for (const [t, v] of samples) {
      const window = this.window(t);
      const line = `${prefix}${v} ${t}\n`;
      window.parts.push(line);
      window.chars += line.length;
    }
    this.count(samples.length);
    await this.flushFull();
  }

  /** Ends every file with `# EOF` and returns them keyed by window start. */
  async close(): Promise<Map<number, string>> {
    const files = new Map<number, string>();
    for (const w of this.windows.values()) {
      w.parts.push('# EOF\n');
      await flush(w);
      await new Promise<void>((resolve, reject) => w.stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
      files.set(w.start, w.file);
    }
    return files;
  }

  private count(samples: number): void {
    if (samples === 0) return;
    this.series++;
    this.samples += samples;
  }

  private window(t: number): Window {
    const start = Math.floor(t / BLOCK_SECONDS) * BLOCK_SECONDS;
    let w = this.windows.get(start);
    if (!w) {
      const file = path.join(this.dir, `${this.prefix}-${start}.om`);
      w = { start, file, stream: createWriteStream(file), parts: [], chars: 0 };
      this.windows.set(start, w);
    }
    return w;
  }

  private async flushFull(): Promise<void> {
    for (const w of this.windows.values()) if (w.chars > FLUSH_CHARS) await flush(w);
  }
}

async function flush(w: Window): Promise<void> {
  if (w.parts.length === 0) return;
  const ok = w.stream.write(w.parts.join(''));
  w.parts = [];
  w.chars = 0;
  if (!ok) await new Promise<void>((resolve) => w.stream.once('drain', () => resolve()));
}

// ---------------------------------------------------------------------------------------------------------------
// promtool and Prometheus

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-8000)));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${stderr}`))));
  });
}

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** One promtool per file (each file is one block window), as many at a time as there are cores. */
export async function createBlocks(files: string[], tsdbDir: string): Promise<void> {
  await mkdir(tsdbDir, { recursive: true });
  await inParallel(files, os.availableParallelism(), (file) => run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', file, tsdbDir]));
}

export interface PrometheusOptions {
  dataDir: string;
  configDir: string;
}

/**
 * No scrape jobs and no rule files: the TSDB holds everything, and nothing is appended while we query.
 * `--storage.tsdb.max-block-duration=2h` (a hidden flag) keeps the backfilled 2-hour blocks as they are; otherwise the
 * first compaction, a minute after start, would merge them into 6h/18h blocks while queries are being timed.
 */
export async function startPrometheus({ dataDir, configDir }: PrometheusOptions): Promise<RunningService> {
  const config = path.join(configDir, 'prometheus.yml');
  await writeFile(config, 'global:\n  scrape_interval: 15s\n  evaluation_interval: 30s\n');
  return startService({
    name: 'prometheus',
    command: 'prometheus',
    args: (port) => [
      `--config.file=${config}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=30d',
      '--storage.tsdb.max-block-duration=2h',
    ],
    readyPath: '/-/ready',
    readyTimeoutMs: 120_000,
    stopTimeoutMs: 10_000,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Recording rules

export interface RecordingRule {
  record: string;
  expr: string;
  labels: Labels;
  group: string;
  intervalSeconds: number;
}

interface RuleFile {
  groups?: { name: string; interval?: string; rules?: { record?: string; expr: string; labels?: Labels }[] }[];
}

export function parseDurationSeconds(text: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g)) total += Number(n) * units[unit!]!;
  if (total === 0 && !/^0/.test(text)) throw new Error(`not a duration: ${text}`);
  return total;
}

/** Every recording rule of the rule files in `dir`; alerting rules are left out (dashboards do not read ALERTS). */
export async function loadRecordingRules(dir: string, defaultInterval = 30): Promise<RecordingRule[]> {
  const rules: RecordingRule[] = [];
  for (const file of (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const doc = load(await readFile(path.join(dir, file), 'utf8')) as RuleFile | null;
    for (const g of doc?.groups ?? []) {
      const intervalSeconds = g.interval ? parseDurationSeconds(g.interval) : defaultInterval;
      for (const r of g.rules ?? []) {
        if (r.record) rules.push({ record: r.record, expr: r.expr, labels: r.labels ?? {}, group: g.name, intervalSeconds });
      }
    }
  }
  return rules;
}

const mentions = (expr: string, name: string) => new RegExp(`(^|[^A-Za-z0-9_:])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z0-9_:])`).test(expr);

/** Rules in evaluation passes: a rule that reads another rule's output waits for the pass after that rule's. */
export function planRulePasses(rules: RecordingRule[]): RecordingRule[][] {
  const passes: RecordingRule[][] = [];
  let pending = [...rules];
  while (pending.length > 0) {
    const ready = pending.filter((r) => !pending.some((other) => other !== r && other.record !== r.record && mentions(r.expr, other.record)));
    if (ready.length === 0) throw new Error(`recording rules depend on each other in a cycle: ${pending.map((r) => r.record).join(', ')}`);
    passes.push(ready);
    pending = pending.filter((r) => !ready.includes(r));
  }
  return passes;
}

interface Matrix {
  status: string;
  error?: string;
  data: { resultType: string; result: { metric: Labels; values: [number, string][] }[] };
}

export async function promQuery(url: string, apiPath: string, params: Record<string, string>): Promise<unknown> {
  const res = await fetch(`${url}${apiPath}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  const body = (await res.json()) as { status: string; error?: string };
  if (body.status !== 'success') throw new Error(`${apiPath} ${JSON.stringify(params)}: ${body.error ?? res.status}`);
  return body;
}

/**
 * Evaluates a rule the way a Prometheus evaluating it every `interval` would have: one range query per block window
 * (as `promtool tsdb create-blocks-from rules` does), steps aligned to the interval.
 */
async function evaluateRule(url: string, rule: RecordingRule, tl: Timeline, out: WindowedOpenMetrics): Promise<void> {
  const step = rule.intervalSeconds;
  const first = Math.ceil(tl.start / step) * step;
  const bySeries = new Map<string, { labels: Labels; samples: [number, string][] }>();
  for (let windowStart = Math.floor(first / BLOCK_SECONDS) * BLOCK_SECONDS; windowStart <= tl.end; windowStart += BLOCK_SECONDS) {
    const start = Math.max(first, Math.ceil(windowStart / step) * step);
    const end = Math.min(tl.end, windowStart + BLOCK_SECONDS - step);
    if (end < start) continue;
    const body = (await promQuery(url, '/api/v1/query_range', { query: rule.expr, start: String(start), end: String(end), step: `${step}s` })) as Matrix;
    for (const { metric, values } of body.data.result) {
      const { __name__: _, ...rest } = metric;
      const labels = { ...rest, ...rule.labels };
      const key = JSON.stringify(labels);
      const entry = bySeries.get(key) ?? { labels, samples: [] };
      entry.samples.push(...values);
      bySeries.set(key, entry);
    }
  }
  for (const { labels, samples } of bySeries.values()) await out.writeSamples(rule.record, labels, samples);
}

// ---------------------------------------------------------------------------------------------------------------
// The whole backfill

export interface BackfillResult {
  dataDir: string;
  timeline: Timeline;
  rawSeries: number;
  rawSamples: number;
  recordedSeries: number;
  recordedSamples: number;
  rulePasses: number;
  openMetricsBytes: number;
  tsdbBytes: number;
  seconds: { generate: number; rawBlocks: number; rules: number; finalBlocks: number };
}

export interface BackfillOptions {
  workDir: string;
  shape: DataShape;
  ruleDir: string;
  endSeconds: number;
  log?: (message: string) => void;
}

const since = (t0: number) => (performance.now() - t0) / 1000;

async function generateRaw(dir: string, shape: DataShape, tl: Timeline): Promise<{ files: Map<number, string>; writer: WindowedOpenMetrics }> {
  const writer = new WindowedOpenMetrics(dir, 'raw');
  const timestamps = Array.from({ length: tl.count }, (_, i) => String(at(tl, i)));
  for (const series of syntheticSeries(shape, tl)) await writer.writeSeries(series, tl, timestamps);
  return { files: await writer.close(), writer };
}

/** Evaluates the rules pass by pass; each pass's output is loaded into the staging TSDB before the next pass. */
async function evaluateRules(
  rules: RecordingRule[],
  tl: Timeline,
  dirs: { workDir: string; omDir: string; stageDir: string },
  log: (m: string) => void,
): Promise<{ files: Map<number, string>[]; series: number; samples: number; passes: number }> {
  const passes = planRulePasses(rules);
  const files: Map<number, string>[] = [];
  let series = 0;
  let samples = 0;
  for (const [n, pass] of passes.entries()) {
    log(`recording rules, pass ${n + 1}/${passes.length}: ${pass.map((r) => r.record).join(', ')}`);
    const writer = new WindowedOpenMetrics(dirs.omDir, `rules${n + 1}`);
    const prometheus = await startPrometheus({ dataDir: dirs.stageDir, configDir: dirs.workDir });
    try {
      for (const rule of pass) await evaluateRule(prometheus.url, rule, tl, writer);
    } finally {
      await prometheus.stop();
    }
    const passFiles = await writer.close();
    files.push(passFiles);
    series += writer.series;
    samples += writer.samples;
    if (n < passes.length - 1) await createBlocks([...passFiles.values()], dirs.stageDir);
  }
  return { files, series, samples, passes: passes.length };
}

/**
 * Appends the recorded samples of one window to its raw file (over the raw file's `# EOF`), so each block window is
 * one promtool input with raw and recorded series together.
 */
async function appendToWindow(rawFile: string, recordedFiles: string[]): Promise<void> {
  const eof = Buffer.byteLength('# EOF\n');
  const out = createWriteStream(rawFile, { flags: 'r+', start: (await stat(rawFile)).size - eof });
  for (const file of recordedFiles) {
    const size = (await stat(file)).size;
    if (size <= eof) continue;
    await new Promise<void>((resolve, reject) => {
      const input = createReadStream(file, { end: size - eof - 1 });
      input.on('error', reject);
      input.on('end', resolve);
      input.pipe(out, { end: false });
    });
  }
  await new Promise<void>((resolve, reject) => out.end('# EOF\n', (err?: Error | null) => (err ? reject(err) : resolve())));
}

async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

export async function backfillDay({ workDir, shape, ruleDir, endSeconds, log = () => {} }: BackfillOptions): Promise<BackfillResult> {
  const tl = dayEndingAt(endSeconds);
  const omDir = path.join(workDir, 'openmetrics');
  const stageDir = path.join(workDir, 'stage');
  const dataDir = path.join(workDir, 'data');
  await mkdir(omDir, { recursive: true });

  let t0 = performance.now();
  log('generating a day of raw series');
  const raw = await generateRaw(omDir, shape, tl);
  const generate = since(t0);
  log(`  ${raw.writer.series} series, ${raw.writer.samples} samples in ${generate.toFixed(1)} s`);

  t0 = performance.now();
  await createBlocks([...raw.files.values()], stageDir);
  const rawBlocks = since(t0);
  log(`  staging blocks in ${rawBlocks.toFixed(1)} s`);

  t0 = performance.now();
  const rules = await loadRecordingRules(ruleDir);
  const recorded = await evaluateRules(rules, tl, { workDir, omDir, stageDir }, log);
  const rulesSeconds = since(t0);
  log(`  ${recorded.series} recorded series, ${recorded.samples} samples in ${rulesSeconds.toFixed(1)} s`);
  await rm(stageDir, { recursive: true, force: true });

  t0 = performance.now();
  for (const [start, rawFile] of raw.files) {
    await appendToWindow(rawFile, recorded.files.map((f) => f.get(start)).filter((f): f is string => f !== undefined));
  }
  const joined = [...raw.files.values()];
  const openMetricsBytes = (await Promise.all(joined.map((f) => stat(f)))).reduce((sum, s) => sum + s.size, 0);
  await createBlocks(joined, dataDir);
  const finalBlocks = since(t0);
  log(`  final blocks in ${finalBlocks.toFixed(1)} s`);
  await rm(omDir, { recursive: true, force: true });

  return {
    dataDir,
    timeline: tl,
    rawSeries: raw.writer.series,
    rawSamples: raw.writer.samples,
    recordedSeries: recorded.series,
    recordedSamples: recorded.samples,
    rulePasses: recorded.passes,
    openMetricsBytes,
    tsdbBytes: await directoryBytes(dataDir),
    seconds: { generate, rawBlocks, rules: rulesSeconds, finalBlocks },
  };
}
