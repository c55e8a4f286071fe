// The platform API (the generated platform-api module): tenants calling the API, optimization jobs submitted and
// finishing per technique, models deployed.
import { Registry } from 'prom-client';
import type { Instrumentation, PlatformApiMetrics } from './instrumentation.ts';
import { EventFlow, jitter, serveSim, ticker, type SimServer } from './ticker.ts';

export const TECHNIQUES = ['quantization', 'pruning', 'distillation', 'compilation'] as const;
export type Technique = (typeof TECHNIQUES)[number];

export interface TenantTraffic {
  /** Mean API calls per second. */
  callsPerSecond: number;
  /**
   * The call rate swings between mean × (1 − swing) and mean × (1 + swing), switching every `swingPeriodSeconds`: a
   * baseline with a spread, so a z-score against it means something.
   */
  swing: number;
  swingPeriodSeconds: number;
}

export interface JobFlow {
  submittedPerSecond: number;
  finishedPerSecond: number;
  /** Share of finished jobs that failed. */
  failureRatio: number;
  /** Typical submission-to-completion time. */
  durationSeconds: number;
}

const ENDPOINTS = [
  { endpoint: '/v1/jobs', method: 'POST', share: 0.2 },
  { endpoint: '/v1/jobs/{id}', method: 'GET', share: 0.7 },
  { endpoint: '/v1/models', method: 'GET', share: 0.1 },
];

export class BusinessSim {
  private readonly registry = new Registry();
  private readonly metrics: PlatformApiMetrics;
  private readonly tenants = new Map<string, TenantTraffic>();
  private readonly jobs = new Map<Technique, JobFlow & { finished: EventFlow }>();
  private clock?: { stop(): void };
  private elapsed = 0;
  server?: SimServer;

  constructor(createMetrics: Instrumentation['platform-api'], private readonly tenantOfJobs = 'acme') {
    this.metrics = createMetrics(this.registry);
  }

  async start(): Promise<SimServer> {
    this.server = await serveSim(this.registry);
    this.clock = ticker(200, (dt) => this.step(dt));
    return this.server;
  }

  async stop(): Promise<void> {
    this.clock?.stop();
    await this.server?.close();
  }

  /** A tenant's API traffic; call again to change it (a surge, a collapse). */
  tenant(name: string, traffic: Partial<TenantTraffic>): void {
    this.tenants.set(name, { callsPerSecond: 1, swing: 0, swingPeriodSeconds: 5, ...this.tenants.get(name), ...traffic });
  }

  /** Job submissions and outcomes of a technique. Nothing is submitted until a flow says so. */
  jobFlow(technique: Technique, flow: Partial<JobFlow>): void {
    const current = this.jobs.get(technique) ?? { submittedPerSecond: 0, finishedPerSecond: 0, failureRatio: 0, durationSeconds: 120, finished: new EventFlow() };
    this.jobs.set(technique, { ...current, ...flow });
  }

  modelsDeployed(tenant: string, environment: string, count: number): void {
    this.metrics.models_deployed.set({ tenant, environment }, count);
  }

  private step(dt: number): void {
    this.elapsed += dt;
    for (const [tenant, t] of this.tenants) {
      const high = Math.floor(this.elapsed / t.swingPeriodSeconds) % 2 === 0;
      const rate = t.callsPerSecond * (1 + (high ? t.swing : -t.swing));
      for (const e of ENDPOINTS) {
        this.metrics.api_calls_total.inc({ tenant, endpoint: e.endpoint, method: e.method, code: '200' }, rate * e.share * dt * 0.98);
        this.metrics.api_calls_total.inc({ tenant, endpoint: e.endpoint, method: e.method, code: '429' }, rate * e.share * dt * 0.02);
      }
    }
    for (const [technique, j] of this.jobs) {
      const tenant = this.tenantOfJobs;
      if (j.submittedPerSecond > 0) this.metrics.optimization_jobs_submitted_total.inc({ tenant, technique }, j.submittedPerSecond * dt);
      this.metrics.optimization_jobs_succeeded_total.inc({ tenant, technique }, j.finishedPerSecond * (1 - j.failureRatio) * dt);
      this.metrics.optimization_jobs_failed_total.inc({ tenant, technique, reason: 'calibration_diverged' }, j.finishedPerSecond * j.failureRatio * dt);
      const finished = j.finished.take(j.finishedPerSecond, dt);
      for (let i = 0; i < finished; i++) this.metrics.optimization_job_duration_seconds.observe({ technique }, jitter(j.durationSeconds));
    }
  }
}
