// A GPU node running training jobs. Each job is a process of its own that pushes the trainer's metrics (the generated
// trainer module) to the Pushgateway under { instance, job_id }; the node's agent pushes how many jobs run there, and
// the node's DCGM exporter is served for Prometheus to scrape (DCGM's own metric names: no generated module).
import { Gauge, Registry } from 'prom-client';
import { deleteFromGateway, pushPeriodically, pushToGateway, type PeriodicPush } from '../../src/runtime/index.ts';
import type { Instrumentation, TrainerMetrics } from './instrumentation.ts';
import { EventFlow, jitter, serveSim, ticker, type SimServer } from './ticker.ts';

export interface TrainingJobSettings {
  model: string;
  samplesPerSecond: number;
  /** Typical optimizer step duration. */
  stepSeconds: number;
  /** Data-parallel workers, each observing its own steps (default 16). */
  workers?: number;
}

interface Job extends TrainingJobSettings {
  id: string;
  registry: Registry;
  metrics: TrainerMetrics;
  push: PeriodicPush;
  stepFlow: EventFlow;
  loss: number;
  diverged: boolean;
  stalled: boolean;
  steps: number;
}

export interface Gpu {
  /** Utilisation, 0–100 %. */
  util: number;
  /** Framebuffer memory in use, 0–1 of the card's. */
  memoryUsed: number;
  /** °C. */
  temperature: number;
}

export interface TrainingSimOptions {
  pushgatewayUrl: string;
  /** The node's host name: the instance label of pushed series, and the one Prometheus gives the DCGM target. */
  instance: string;
  gpus?: number;
  /** The model label of the node's zero running-jobs series before any job ran. */
  idleModel?: string;
  pushIntervalMs?: number;
}

const MIB_PER_GPU = 81_920;

export class TrainingSim {
  private readonly jobs = new Map<string, Job>();
  private readonly gpus: Gpu[];
  private readonly agent = new Registry();
  private readonly agentMetrics: TrainerMetrics;
  private readonly dcgm = new Registry();
  private agentPush?: PeriodicPush;
  private clock?: { stop(): void };
  /** The DCGM exporter of the node (job dcgm_exporter). */
  dcgmServer?: SimServer;

  constructor(private readonly createMetrics: Instrumentation['trainer'], private readonly options: TrainingSimOptions) {
    this.gpus = Array.from({ length: options.gpus ?? 4 }, () => ({ util: 70, memoryUsed: 0.5, temperature: 60 }));
    this.agentMetrics = createMetrics(this.agent);
    const gpuGauge = (name: string, help: string, value: (g: Gpu) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['gpu', 'UUID', 'modelName', 'Hostname'],
        registers: [this.dcgm],
        collect: () => this.gpus.forEach((g, i) => this.dcgmGauge(name).set(this.gpuLabels(i), value(g))),
      });
    gpuGauge('DCGM_FI_DEV_GPU_UTIL', 'GPU utilization (in %).', (g) => g.util);
    gpuGauge('DCGM_FI_DEV_FB_USED', 'Framebuffer memory used (in MiB).', (g) => Math.round(g.memoryUsed * MIB_PER_GPU));
    gpuGauge('DCGM_FI_DEV_FB_FREE', 'Framebuffer memory free (in MiB).', (g) => MIB_PER_GPU - Math.round(g.memoryUsed * MIB_PER_GPU));
    gpuGauge('DCGM_FI_DEV_GPU_TEMP', 'GPU temperature (in C).', (g) => g.temperature);
    gpuGauge('DCGM_FI_DEV_POWER_USAGE', 'Power draw (in W).', (g) => 80 + 3.2 * g.util);
  }

  private dcgmGauge(name: string): Gauge {
    return this.dcgm.getSingleMetric(name) as Gauge;
  }

  private gpuLabels(i: number) {
    return { gpu: String(i), UUID: `GPU-${this.options.instance}-${i}`, modelName: 'NVIDIA A100-SXM4-80GB', Hostname: this.options.instance };
  }

  async start(): Promise<void> {
    this.dcgmServer = await serveSim(this.dcgm);
    this.publishRunning();
    this.agentPush = this.pushLoop(this.agent, {});
    this.clock = ticker(200, (dt) => this.step(dt));
  }

  async stop(): Promise<void> {
    this.clock?.stop();
    await Promise.allSettled([...this.jobs.values()].map((j) => j.push.stop()));
    await this.agentPush?.stop().catch(() => undefined);
    await this.dcgmServer?.close();
  }

  /** The job starts stepping and pushing; the node's running-jobs gauge counts it. */
  startJob(id: string, settings: TrainingJobSettings): void {
    const registry = new Registry();
    const metrics = this.createMetrics(registry);
    const job: Job = { ...settings, id, registry, metrics, stepFlow: new EventFlow(), loss: 2.5, diverged: false, stalled: false, steps: 0, push: this.pushLoop(registry, { job_id: id }) };
    metrics.training_learning_rate.set(this.labels(job), 3e-4);
    metrics.training_epoch.set(this.labels(job), 0);
    metrics.training_last_step_timestamp_seconds.set(this.labels(job), Date.now() / 1000);
    this.jobs.set(id, job);
    this.publishRunning();
  }

  /** The job ends: its last state is pushed, then its group deleted, so no finished job can look stalled. */
  async endJob(id: string): Promise<void> {
    const job = this.jobs.get(id);
    if (!job) return;
    this.jobs.delete(id);
    await job.push.stop();
    await deleteFromGateway({ url: this.options.pushgatewayUrl, job: 'trainer', groupingKey: { instance: this.options.instance, job_id: id } });
    this.publishRunning();
  }

  /** Loss becomes NaN (a diverged job) and stays so; the job keeps stepping, wasting GPU time. */
  diverge(id: string): void {
    this.job(id).diverged = true;
  }

  /**
   * The job stops stepping. Its last step is dated `sinceSeconds` ago, so the test need not wait a quarter of an
   * hour of real time for a stall of that length.
   */
  stall(id: string, sinceSeconds: number): void {
    const job = this.job(id);
    job.stalled = true;
    job.metrics.training_last_step_timestamp_seconds.set(this.labels(job), Date.now() / 1000 - sinceSeconds);
  }

  /** Changes a running job's throughput or step time (a slower node, a starving data pipeline). */
  adjust(id: string, settings: Partial<Pick<TrainingJobSettings, 'samplesPerSecond' | 'stepSeconds'>>): void {
    Object.assign(this.job(id), settings);
  }

  gpu(index: number, settings: Partial<Gpu>): void {
    Object.assign(this.gpus[index]!, settings);
  }

  get runningJobs(): number {
    return this.jobs.size;
  }

  private job(id: string): Job {
    const job = this.jobs.get(id);
    if (!job) throw new Error(`no training job ${id} on ${this.options.instance}`);
    return job;
  }

  private labels(job: Job) {
    return { job_id: job.id, model: job.model };
  }

  private pushLoop(registry: Registry, key: Record<string, string>): PeriodicPush {
    return pushPeriodically({
      url: this.options.pushgatewayUrl,
      job: 'trainer',
      groupingKey: { instance: this.options.instance, ...key },
      registry,
      intervalMs: this.options.pushIntervalMs ?? 1000,
    });
  }

  /** Jobs per model on this node, zero for a model whose jobs all ended (so sum() reads 0, not nothing). */
  private readonly modelsSeen = new Set<string>();
  private publishRunning(): void {
    const perModel = new Map<string, number>();
    for (const j of this.jobs.values()) {
      this.modelsSeen.add(j.model);
      perModel.set(j.model, (perModel.get(j.model) ?? 0) + 1);
    }
    if (this.modelsSeen.size === 0) this.modelsSeen.add(this.options.idleModel ?? 'none');
    for (const model of this.modelsSeen) this.agentMetrics.training_jobs_running.set({ model }, perModel.get(model) ?? 0);
    // Pushed at once rather than at the next period: "no job running" must end when the first job starts.
    void pushToGateway({ url: this.options.pushgatewayUrl, job: 'trainer', groupingKey: { instance: this.options.instance }, registry: this.agent }).catch(() => undefined);
  }

  private step(dt: number): void {
    for (const job of this.jobs.values()) {
      if (job.stalled) continue;
      const labels = this.labels(job);
      job.metrics.training_samples_processed_total.inc(labels, job.samplesPerSecond * dt);
      const workerSteps = job.stepFlow.take((job.workers ?? 16) / job.stepSeconds, dt);
      for (let i = 0; i < workerSteps; i++) job.metrics.training_step_duration_seconds.observe(labels, jitter(job.stepSeconds, 0.1));
      const steps = workerSteps / (job.workers ?? 16);
      if (steps > 0) {
        job.steps += steps;
        job.metrics.training_steps_total.inc(labels, steps);
        job.loss = job.loss * 0.999 + 0.0005;
        job.metrics.training_loss.set(labels, job.diverged ? NaN : job.loss);
        job.metrics.training_last_step_timestamp_seconds.set(labels, Date.now() / 1000);
        job.metrics.training_epoch.set(labels, Math.floor(job.steps / 1000));
      }
      if (job.diverged) job.metrics.training_loss.set(labels, NaN);
    }
  }
}
