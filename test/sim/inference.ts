// A model server replica (the generated model_server module): deployments of (service, model) taking requests.
import { Registry } from 'prom-client';
import type { Instrumentation, ModelServerMetrics } from './instrumentation.ts';
import { EventFlow, jitter, serveSim, ticker, type SimServer } from './ticker.ts';

export interface Deployment {
  requestsPerSecond: number;
  /** Share of requests answered 5xx (the server's fault). */
  serverErrorRatio: number;
  /** Share answered 4xx (the caller's): not errors for the alerts. */
  clientErrorRatio: number;
  /** Typical end-to-end latency; observations spread ±20 % around it. */
  latencySeconds: number;
  queueDepth: number;
  batchSize: number;
}

const DEFAULTS: Deployment = { requestsPerSecond: 20, serverErrorRatio: 0.001, clientErrorRatio: 0.02, latencySeconds: 0.08, queueDepth: 2, batchSize: 8 };
/** Failure reasons initialised to 0 for every model, so increase() sees the first failure (the catalogue's help says so). */
export const LOAD_FAILURE_REASONS = ['artifact_missing', 'incompatible_format', 'out_of_memory'] as const;

interface Running extends Deployment {
  service: string;
  model: string;
  flow: EventFlow;
  batches: EventFlow;
}

export class InferenceSim {
  private readonly registry = new Registry();
  private readonly metrics: ModelServerMetrics;
  private readonly deployments = new Map<string, Running>();
  private clock?: { stop(): void };
  server?: SimServer;

  constructor(createMetrics: Instrumentation['model_server']) {
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

  /** Loads a model for a service (or changes how its traffic behaves). */
  deploy(service: string, model: string, settings: Partial<Deployment> = {}): void {
    const key = `${service}\0${model}`;
    const existing = this.deployments.get(key);
    if (existing) return void Object.assign(existing, settings);
    this.deployments.set(key, { ...DEFAULTS, ...settings, service, model, flow: new EventFlow(), batches: new EventFlow() });
    for (const reason of LOAD_FAILURE_REASONS) this.metrics.inference_model_load_failures_total.inc({ service, model, reason }, 0);
    this.publishLoaded(service);
  }

  /** `times` failed attempts to load the model into this replica. */
  failLoads(service: string, model: string, times: number, reason: (typeof LOAD_FAILURE_REASONS)[number] = 'out_of_memory'): void {
    this.metrics.inference_model_load_failures_total.inc({ service, model, reason }, times);
  }

  private publishLoaded(service: string): void {
    const loaded = [...this.deployments.values()].filter((d) => d.service === service).length;
    this.metrics.inference_models_loaded.set({ service }, loaded);
  }

  private step(dt: number): void {
    for (const d of this.deployments.values()) {
      const labels = { service: d.service, model: d.model };
      const requests = d.flow.take(d.requestsPerSecond, dt);
      // Counters advance by the exact share (fluid); latencies are observed per whole request.
      const serverErrors = d.requestsPerSecond * dt * d.serverErrorRatio;
      const clientErrors = d.requestsPerSecond * dt * d.clientErrorRatio;
      this.metrics.inference_requests_total.inc({ ...labels, code: '200' }, d.requestsPerSecond * dt - serverErrors - clientErrors);
      this.metrics.inference_requests_total.inc({ ...labels, code: '503' }, serverErrors);
      this.metrics.inference_requests_total.inc({ ...labels, code: '400' }, clientErrors);
      for (let i = 0; i < requests; i++) this.metrics.inference_request_duration_seconds.observe(labels, jitter(d.latencySeconds));
      const batches = d.batches.take(d.requestsPerSecond / d.batchSize, dt);
      for (let i = 0; i < batches; i++) this.metrics.inference_batch_size.observe(labels, Math.max(1, Math.round(jitter(d.batchSize, 0.25))));
      this.metrics.inference_queue_depth.set(labels, d.queueDepth);
    }
  }
}
