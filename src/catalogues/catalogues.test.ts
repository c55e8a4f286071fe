import { describe, expect, it } from 'vitest';
import { BUILT_IN_CATALOGUES } from './index.ts';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

describe('built-in catalogues', () => {
  it.each([...BUILT_IN_CATALOGUES.values()].map((c) => [c.catalogue, c] as const))('%s is well formed and says where it was recorded from', (_, c) => {
    expect(c.recordedFrom).toMatch(/\d+\.\d+/);
    expect(c.metrics.length).toBeGreaterThan(10);
    expect(new Set(c.metrics.map((m) => m.name)).size).toBe(c.metrics.length);
    for (const m of c.metrics) {
      expect(m.name).toMatch(NAME);
      expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(m.type);
      for (const label of m.labels ?? []) expect(['instance', 'job', 'le', 'quantile']).not.toContain(label);
    }
    // Every prefix that makes an unlisted name a typo has metrics under it.
    for (const p of c.prefixes) expect(c.metrics.some((m) => m.name.startsWith(p))).toBe(true);
  });

  it('holds the series the example platform and the issue name', () => {
    const has = (catalogue: string, name: string) => BUILT_IN_CATALOGUES.get(catalogue)!.metrics.find((m) => m.name === name);
    expect(has('node_exporter', 'node_cpu_seconds_total')).toMatchObject({ type: 'counter', labels: ['cpu', 'mode'] });
    expect(has('node_exporter', 'node_hwmon_temp_celsius')).toBeDefined();
    for (const name of ['up', 'ALERTS', 'ALERTS_FOR_STATE', 'scrape_duration_seconds', 'scrape_series_added']) expect(has('prometheus', name)).toMatchObject({ type: 'gauge' });
    expect(has('dcgm_exporter', 'DCGM_FI_DEV_GPU_UTIL')?.labels).toEqual(expect.arrayContaining(['gpu', 'UUID', 'modelName', 'Hostname']));
    expect(has('prom_client', 'nodejs_eventloop_lag_p99_seconds')).toBeDefined();
    expect(has('client_golang', 'go_goroutines')).toBeDefined();
    expect(has('pushgateway', 'push_time_seconds')).toBeDefined();
    expect(has('alertmanager', 'alertmanager_notifications_failed_total')?.labels).toContain('integration');
  });
});
