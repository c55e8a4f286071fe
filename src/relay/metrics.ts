import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RelayStore } from './types.ts';

/** The relay's own metrics, on its own registry (GET /metrics): the monitor is monitored too. */
export interface RelayMetrics {
  registry: Registry;
  received: Counter<'channel' | 'result'>;
  notifications: Counter<'channel' | 'result'>;
  deliveryLatency: Histogram<'channel'>;
  throttled: Counter<'channel'>;
  digests: Counter<'channel'>;
  escalations: Counter<'severity'>;
  deadLetters: Counter<'channel'>;
  fallbacks: Counter<'channel'>;
  storeErrors: Counter<'operation'>;
}

/**
 * Every labelled series starts at 0 for the channels the relay delivers, so rate() and increase() see the first
 * failure after a start instead of a series that appears with it.
 */
export function zeroSeries(metrics: RelayMetrics, channels: readonly string[], severities: readonly string[]): void {
  for (const channel of channels) {
    for (const result of ['ok', 'rejected', 'unknown_receiver', 'store_error', 'unauthorized']) metrics.received.inc({ channel, result }, 0);
    for (const result of ['ok', 'failed', 'throttled']) metrics.notifications.inc({ channel, result }, 0);
    metrics.throttled.inc({ channel }, 0);
    metrics.digests.inc({ channel }, 0);
    metrics.deadLetters.inc({ channel }, 0);
    metrics.fallbacks.inc({ channel }, 0);
  }
  for (const severity of severities) metrics.escalations.inc({ severity }, 0);
  for (const operation of ['ingest', 'worker']) metrics.storeErrors.inc({ operation }, 0);
}

export function relayMetrics(store: () => RelayStore): RelayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vigil_relay_' });
  const now = () => Date.now();
  let gauges: Promise<{ pendingJobs: number; dueTimers: number; deadLetters: number }> | undefined;
  // One store query per scrape, shared by the three gauges.
  const read = () => (gauges ??= store().gauges(now()).finally(() => setTimeout(() => (gauges = undefined), 0)));
  new Gauge({ name: 'vigil_relay_queue_depth', help: 'Notices waiting to be delivered (due or retrying).', registers: [registry], async collect() { this.set((await read()).pendingJobs); } });
  new Gauge({ name: 'vigil_relay_escalations_due', help: 'Escalation steps due and not yet fired.', registers: [registry], async collect() { this.set((await read()).dueTimers); } });
  new Gauge({ name: 'vigil_relay_dead_letters', help: 'Notices that finally failed, kept for inspection.', registers: [registry], async collect() { this.set((await read()).deadLetters); } });
  return {
    registry,
    received: new Counter({ name: 'vigil_relay_notifications_received_total', help: 'Webhook posts from Alertmanager, by channel and result (ok, rejected, unknown_receiver, store_error, unauthorized).', labelNames: ['channel', 'result'], registers: [registry] }),
    notifications: new Counter({ name: 'vigil_relay_notifications_total', help: 'Messages sent to providers, by channel and result (ok, failed, throttled).', labelNames: ['channel', 'result'], registers: [registry] }),
    deliveryLatency: new Histogram({ name: 'vigil_relay_delivery_duration_seconds', help: 'Time a provider took to answer one message.', labelNames: ['channel'], buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] }),
    throttled: new Counter({ name: 'vigil_relay_throttled_total', help: 'Notices held back by a robot’s rate limit (sent later, merged into a digest).', labelNames: ['channel'], registers: [registry] }),
    digests: new Counter({ name: 'vigil_relay_digests_total', help: 'Messages that merged several notices for a rate-limited robot.', labelNames: ['channel'], registers: [registry] }),
    escalations: new Counter({ name: 'vigil_relay_escalations_total', help: 'Escalation steps fired, by severity.', labelNames: ['severity'], registers: [registry] }),
    deadLetters: new Counter({ name: 'vigil_relay_dead_letters_total', help: 'Notices given up after their last retry.', labelNames: ['channel'], registers: [registry] }),
    fallbacks: new Counter({ name: 'vigil_relay_fallbacks_total', help: 'Dead letters whose alerts were handed to the receiver’s fallback receiver, by the channel that failed.', labelNames: ['channel'], registers: [registry] }),
    storeErrors: new Counter({ name: 'vigil_relay_store_errors_total', help: 'Store operations that failed, by operation.', labelNames: ['operation'], registers: [registry] }),
  };
}
