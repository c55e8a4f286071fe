// The Vigil relay's metrics as the relay exposes them (the generated vigil_relay module, and prom-client's default
// process metrics under the relay's prefix): channels delivering, failing and slowing down, a store failing, a queue
// growing, escalations overdue, posts without the token.
import { Registry } from 'prom-client';
import type { Instrumentation, RelayMetrics } from './instrumentation.ts';
import { EventFlow, jitter, serveSim, ticker, type SimServer } from './ticker.ts';

export interface ChannelTraffic {
  messagesPerSecond: number;
  failedRatio: number;
  /** Typical time a provider takes to answer. */
  deliverySeconds: number;
  /** Share of notices a robot's rate limit holds back (five merge into one digest). */
  throttledRatio: number;
}

export class RelaySim {
  private readonly registry = new Registry();
  private readonly metrics: RelayMetrics;
  private readonly channels = new Map<string, ChannelTraffic & { flow: EventFlow }>();
  private readonly storeErrors = new Map<string, number>();
  private unauthorizedPerSecond = 0;
  private escalationsPerSecond = 0;
  private clock?: { stop(): void };
  server?: SimServer;

  constructor(createMetrics: Instrumentation['vigil_relay']) {
    this.metrics = createMetrics(this.registry);
    this.queue(0);
    this.escalationsDue(0);
    this.metrics.vigil_relay_dead_letters.set(0);
  }

  async start(): Promise<SimServer> {
    this.server = await serveSim(this.registry, { defaultMetrics: { prefix: 'vigil_relay_' } });
    this.clock = ticker(200, (dt) => this.step(dt));
    return this.server;
  }

  /** The relay goes away: its target stops answering. */
  async stop(): Promise<void> {
    this.clock?.stop();
    await this.server?.close();
  }

  channel(name: string, traffic: Partial<ChannelTraffic>): void {
    const current = this.channels.get(name) ?? { messagesPerSecond: 1, failedRatio: 0, deliverySeconds: 0.3, throttledRatio: 0, flow: new EventFlow() };
    this.channels.set(name, { ...current, ...traffic });
  }

  /** `count` notices given up on a channel after their last retry. */
  deadLetters(channel: string, count: number): void {
    this.metrics.vigil_relay_dead_letters_total.inc({ channel }, count);
  }

  storeFailing(operation: 'ingest' | 'worker', perSecond: number): void {
    this.storeErrors.set(operation, perSecond);
  }

  queue(depth: number): void {
    this.metrics.vigil_relay_queue_depth.set(depth);
  }

  escalationsDue(count: number): void {
    this.metrics.vigil_relay_escalations_due.set(count);
  }

  /** Escalation steps firing (critical alerts nobody confirmed), per second. */
  escalating(perSecond: number): void {
    this.escalationsPerSecond = perSecond;
  }

  unauthorizedPosts(perSecond: number): void {
    this.unauthorizedPerSecond = perSecond;
  }

  private step(dt: number): void {
    for (const [channel, c] of this.channels) {
      this.metrics.vigil_relay_notifications_received_total.inc({ channel, result: 'ok' }, c.messagesPerSecond * dt);
      this.metrics.vigil_relay_notifications_total.inc({ channel, result: 'ok' }, c.messagesPerSecond * (1 - c.failedRatio) * dt);
      this.metrics.vigil_relay_notifications_total.inc({ channel, result: 'failed' }, c.messagesPerSecond * c.failedRatio * dt);
      const sent = c.flow.take(c.messagesPerSecond, dt);
      for (let i = 0; i < sent; i++) this.metrics.vigil_relay_delivery_duration_seconds.observe({ channel }, jitter(c.deliverySeconds));
      this.metrics.vigil_relay_dead_letters_total.inc({ channel }, 0);
      this.metrics.vigil_relay_throttled_total.inc({ channel }, c.messagesPerSecond * c.throttledRatio * dt);
      this.metrics.vigil_relay_digests_total.inc({ channel }, (c.messagesPerSecond * c.throttledRatio * dt) / 5);
    }
    for (const [operation, perSecond] of this.storeErrors) this.metrics.vigil_relay_store_errors_total.inc({ operation }, perSecond * dt);
    this.metrics.vigil_relay_escalations_total.inc({ severity: 'critical' }, this.escalationsPerSecond * dt);
    if (this.unauthorizedPerSecond > 0) {
      this.metrics.vigil_relay_notifications_received_total.inc({ channel: 'dingtalk', result: 'unauthorized' }, this.unauthorizedPerSecond * dt);
    }
  }
}
