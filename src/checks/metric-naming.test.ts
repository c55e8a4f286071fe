import { describe, expect, it } from 'vitest';
import { compileProject } from '../compile-project.ts';
import { loadYamlSources } from '../load/index.ts';

/** metric/naming's findings for one catalogued metric or one recording rule, as "severity: message". */
function naming(yaml: { metric?: string; record?: string }): string[] {
  const sources = [
    { file: 'metrics.yaml', text: `apiVersion: vigil/v1\nkind: Metrics\nsource: app\nmetrics:\n${yaml.metric ?? '  - { name: jobs_total, type: counter, help: Jobs. }\n'}` },
    ...(yaml.record ? [{ file: 'recording.yaml', text: `apiVersion: vigil/v1\nkind: RecordingRules\ngroup: g\nrules:\n  - record: '${yaml.record}'\n    expr: sum(rate(jobs_total[5m]))\n` }] : []),
  ];
  return compileProject(loadYamlSources(sources))
    .diagnostics.filter((d) => d.code === 'metric/naming')
    .map((d) => `${d.severity}: ${d.message}`);
}

describe('metric/naming: units', () => {
  it.each([
    ['  - { name: step_duration_seconds, type: gauge, help: Last step., unit: seconds }\n'],
    ['  - { name: cpu_seconds_total, type: counter, help: CPU time in seconds., unit: s }\n'],
    ['  - { name: gpu_memory_used_bytes, type: gauge, help: "Framebuffer used (bytes)." }\n'],
    ['  - { name: queue_depth, type: gauge, help: Items waiting in each queue., unit: items }\n'],
    ['  - { name: DCGM_FI_DEV_FB_USED, type: gauge, help: Framebuffer memory used (in MiB). }\n'],
    ['  - { name: node_memory_MemAvailable_bytes, type: gauge, help: Memory information field MemAvailable_bytes. }\n'],
  ])('accepts %s', (metric) => {
    expect(naming({ metric })).toEqual([]);
  });

  it.each([
    ['  - { name: request_latency_ms, type: gauge, help: Latency. }\n', 'warning: metric "request_latency_ms" uses the unit "ms"'],
    ['  - { name: upload_size, type: gauge, help: Size., unit: bytes }\n', 'error: metric "upload_size" is in bytes (its unit) but its name does not say so'],
    ['  - { name: load_time_seconds_total, type: counter, help: Load time (ms). }\n', 'error: metric "load_time_seconds_total" is in seconds by its name, but its help says "(ms)"'],
    ['  - { name: used_ratio, type: gauge, help: Used., unit: bytes }\n', 'error: metric "used_ratio" is in ratio by its name, but its unit is "bytes"'],
  ])('reports %s', (metric, expected) => {
    expect(naming({ metric })).toContain(expected);
  });
});

describe('metric/naming: recording rules', () => {
  it.each(['service:jobs:rate5m', ':jobs:sum_rate5m', 'apiserver_request:burnrate1h', 'instance_gpu:dcgm_fb_used:ratio'])('accepts %s', (record) => {
    expect(naming({ record })).toEqual([]);
  });

  it.each([
    ['jobs_rate5m', 'error: recording rule "jobs_rate5m" does not follow level:metric:operation'],
    ['service:jobs_total:rate5m', 'warning: recording rule "service:jobs_total:rate5m" keeps _total in its metric part although it records a rate'],
    ['a:b:c:d', 'warning: recording rule "a:b:c:d" has 3 colons: level:metric:operations has two'],
    ['service:jobs:', 'warning: recording rule "service:jobs:" leaves its operations part empty: only the level of level:metric:operations may be'],
  ])('reports %s', (record, expected) => {
    expect(naming({ record })).toEqual([expected]);
  });
});
