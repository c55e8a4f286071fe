/**
 * Sample age: from a value set in a service to the sample queryable in Prometheus. A gauge served by serveMetrics is
 * set to a value never used before, and Prometheus' query API is polled until it answers that value; trials start at
 * random moments so they fall evenly across the scrape cycle. Shared by the collection bench and its integration test.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Gauge, Registry } from 'prom-client';
import { serveMetrics, type MetricsServer, type MetricsServerOptions } from '../../src/runtime/index.ts';
import type { RunningService, ServiceScope } from '../helpers/services.ts';

export interface SampleAgeRig {
  prometheus: RunningService;
  server: MetricsServer;
  gauge: Gauge;
  scrapeIntervalS: number;
}

/** Prometheus scraping one serveMetrics server (of `registry`, with a probe gauge added) every `scrapeIntervalS`. */
export async function startSampleAgeRig(
  scope: ServiceScope, registry = new Registry(), scrapeIntervalS = 1, serverOptions: Pick<MetricsServerOptions, 'formatThreads'> = {},
): Promise<SampleAgeRig> {
  const gauge = new Gauge({ name: 'vigil_probe_value', help: 'A value set by the sample-age probe.', registers: [registry] });
  const server = await serveMetrics({ registry, host: '127.0.0.1', defaultMetrics: false, ...serverOptions });
  scope.onCleanup(() => server.close());
  const dir = await scope.tempDir('vigil-sample-age-');
  const config = path.join(dir, 'prometheus.yml');
  await writeFile(config, [
    `global: { scrape_interval: ${scrapeIntervalS}s, scrape_timeout: ${scrapeIntervalS}s }`,
    'scrape_configs:',
    '  - job_name: probe',
    `    static_configs: [{ targets: ["127.0.0.1:${server.port}"] }]`,
    '',
  ].join('\n'));
  const prometheus = await scope.start({
    name: 'prometheus',
    command: 'prometheus',
    args: (port) => [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    readyPath: '/-/ready',
    readyTimeoutMs: 30_000,
  });
  return { prometheus, server, gauge, scrapeIntervalS };
}

/** The probe's current value in Prometheus, undefined while it has none. */
export async function queryValue(prometheus: RunningService, query: string): Promise<number | undefined> {
  const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}`);
  const answer = (await response.json()) as { data: { result: { value: [number, string] }[] } };
  const first = answer.data.result[0];
  return first ? Number(first.value[1]) : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Milliseconds from gauge.set to Prometheus answering the value, per trial. Polls every `pollMs` (the figures are
 * late by at most that); gives up on a trial after `timeoutMs`.
 */
export async function measureSampleAges(rig: SampleAgeRig, trials: number, pollMs = 10, timeoutMs = 10_000): Promise<number[]> {
  // The first scrape comes a moment after Prometheus is ready: wait for any value before timing anything.
  rig.gauge.set(-1);
  for (const deadline = Date.now() + 30_000; (await queryValue(rig.prometheus, 'vigil_probe_value')) !== -1;) {
    if (Date.now() > deadline) throw new Error(`Prometheus did not scrape the probe within 30 s:\n${rig.prometheus.log()}`);
    await sleep(100);
  }
  const ages: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    await sleep(Math.random() * rig.scrapeIntervalS * 1000);
    const value = trial + 1;
    const setAt = performance.now();
    rig.gauge.set(value);
    for (;;) {
      if ((await queryValue(rig.prometheus, 'vigil_probe_value')) === value) break;
      if (performance.now() - setAt > timeoutMs) throw new Error(`value ${value} not queryable after ${timeoutMs} ms`);
      await sleep(pollMs);
    }
    ages.push(performance.now() - setAt);
  }
  return ages;
}

/** The q-quantile (0…1) of a list, by nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
