// What every simulator shares: a clock that advances the simulated world in small steps, and the HTTP side.
import { Registry } from 'prom-client';
import { serveMetrics, type MetricsServer, type MetricsServerOptions } from '../../src/runtime/index.ts';

/** Calls `step(dtSeconds)` every `ms` until stopped; dt is measured, so a late tick (a busy machine) catches up. */
export function ticker(ms: number, step: (dtSeconds: number) => void): { stop(): void } {
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    step((now - last) / 1000);
    last = now;
  }, ms);
  return { stop: () => clearInterval(timer) };
}

/**
 * Whole events out of a rate: each step adds rate × dt and hands out the integer part, keeping the fraction for
 * later, so 0.3 events/s over ten 1 s steps is three events. Histograms observe whole events this way; counters
 * advance by rate × dt directly (a fluid model), so that a rate below one event per rule window still reads as that
 * rate and not as zero or a burst.
 */
export class EventFlow {
  private carry = 0;
  take(perSecond: number, dtSeconds: number): number {
    this.carry += Math.max(0, perSecond) * dtSeconds;
    const n = Math.floor(this.carry);
    this.carry -= n;
    return n;
  }
}

/** A value around `value`, ± `spread` (a fraction of it): observations spread inside a histogram bucket, not on one point. */
export const jitter = (value: number, spread = 0.2) => value * (1 + spread * (2 * Math.random() - 1));

export interface SimServer {
  registry: Registry;
  /** Where Prometheus scrapes it: 127.0.0.1:<port>. */
  target: string;
  url: string;
  close(): Promise<void>;
}

/** Serves a simulator's registry on 127.0.0.1 (port 0: a free one) through the exporter runtime. */
export async function serveSim(registry: Registry, options: Omit<MetricsServerOptions, 'registry' | 'host'> = {}): Promise<SimServer> {
  const server: MetricsServer = await serveMetrics({ defaultMetrics: false, ...options, registry, host: '127.0.0.1' });
  return { registry, target: `127.0.0.1:${server.port}`, url: server.url, close: () => server.close() };
}
