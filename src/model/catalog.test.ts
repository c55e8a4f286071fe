import { describe, expect, it } from 'vitest';
import { loadYamlSources } from '../load/index.ts';
import { validateDefinitions } from '../spec/validate.ts';
import { buildModel } from './build.ts';
import { Catalog } from './catalog.ts';
import type { Model, Origin } from './types.ts';

const ORIGIN = {} as Origin;

function catalogOf(...texts: string[]): Catalog {
  const loaded = loadYamlSources(texts.map((text, i) => ({ file: `m${i}.yaml`, text: `apiVersion: vigil/v1\nkind: Metrics\n${text}` })));
  const { valid, diagnostics } = validateDefinitions(loaded.definitions);
  expect(diagnostics).toEqual([]);
  return new Catalog(buildModel(valid).model);
}

const NODE = `external:
  - source: node_exporter
    prefixes: [node_]
    labels: [instance, job, cpu, mode, device, mountpoint, fstype]
    metrics:
      - { name: node_filesystem_avail_bytes, labels: [device, mountpoint, fstype] }
      - { name: node_boot_time_seconds, labels: [] }
`;

describe('Catalog: external metrics with labels of their own', () => {
  it('gives a name under `metrics:` its own labels plus the target labels', () => {
    expect([...(catalogOf(NODE).labelsOf('node_filesystem_avail_bytes') ?? [])].sort()).toEqual(['device', 'fstype', 'instance', 'job', 'mountpoint']);
  });

  it('gives the other names of the prefix the entry labels', () => {
    expect([...(catalogOf(NODE).labelsOf('node_load1') ?? [])].sort()).toEqual(['cpu', 'device', 'fstype', 'instance', 'job', 'mode', 'mountpoint']);
  });

  it('knows empty per-metric labels as "only the target labels", not as undeclared', () => {
    expect([...(catalogOf(NODE).labelsOf('node_boot_time_seconds') ?? [])].sort()).toEqual(['instance', 'job']);
  });

  it('knows a `metrics:` name exactly, without a prefix, and offers it in "did you mean"', () => {
    const catalog = catalogOf('external:\n  - source: gpu\n    metrics: [{ name: DCGM_FI_DEV_GPU_UTIL, labels: [gpu, UUID] }]\n');
    expect(catalog.resolve('DCGM_FI_DEV_GPU_UTIL')).toMatchObject({ kind: 'external', external: { source: 'gpu' }, metric: { labels: ['gpu', 'UUID'] } });
    expect(catalog.resolve('DCGM_FI_DEV_GPU_TEMP')).toBeUndefined();
    expect(catalog.knownNames()).toContain('DCGM_FI_DEV_GPU_UTIL');
  });

  it('follows the first source that lists a name, as for `names:`: a later per-metric entry does not override it', () => {
    const later = 'external:\n  - source: other\n    metrics: [{ name: node_filesystem_avail_bytes, labels: [volume] }]\n';
    expect(catalogOf(NODE, later).labelsOf('node_filesystem_avail_bytes')).not.toContain('volume');
    const byName = 'external:\n  - source: prometheus\n    names: [up]\n    labels: [instance, job]\n';
    const perMetric = 'external:\n  - source: blackbox\n    metrics: [{ name: up, labels: [target] }]\n';
    expect(catalogOf(byName, perMetric).resolve('up')).toMatchObject({ kind: 'external', external: { source: 'prometheus' }, metric: undefined });
    expect([...(catalogOf(perMetric, byName).labelsOf('up') ?? [])].sort()).toEqual(['instance', 'job', 'target']);
  });

  it('prefers the per-metric labels when one entry lists a name under both `names:` and `metrics:`', () => {
    const both = 'external:\n  - source: gpu\n    names: [gpu_util]\n    labels: [a]\n    metrics: [{ name: gpu_util, labels: [b] }]\n';
    expect([...(catalogOf(both).labelsOf('gpu_util') ?? [])].sort()).toEqual(['b', 'instance', 'job']);
  });

  it('looks each of 100 000 per-metric names up without scanning the list', () => {
    const metrics = Array.from({ length: 100_000 }, (_, i) => ({ name: `m_${i}`, labels: [`l${i}`], origin: ORIGIN }));
    const external = { source: 'big', prefixes: [], names: metrics.map((m) => m.name), labels: [], metrics, origin: ORIGIN };
    const catalog = new Catalog({ metrics: [], groups: [], external: [external] } as unknown as Model);
    const started = performance.now();
    const missing = metrics.filter((m, i) => catalog.labelsOf(m.name)?.[0] !== `l${i}`);
    expect(missing).toEqual([]);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('Catalog: built-in exporter catalogues', () => {
  it('knows every metric of a referenced catalogue with its type and labels, histogram series included', () => {
    const catalog = catalogOf('external:\n  - catalogue: node_exporter\n  - catalogue: prometheus\n');
    expect(catalog.resolve('node_cpu_seconds_total')).toMatchObject({ kind: 'catalog', metric: { type: 'counter', source: 'node_exporter' }, external: { catalogue: 'node_exporter' } });
    expect([...(catalog.labelsOf('node_cpu_seconds_total') ?? [])].sort()).toEqual(['cpu', 'instance', 'job', 'mode']);
    expect(catalog.resolve('prometheus_http_request_duration_seconds_bucket')).toMatchObject({ kind: 'catalog', series: 'prometheus_http_request_duration_seconds_bucket', metric: { type: 'histogram' } });
    expect(catalog.labelsOf('prometheus_http_request_duration_seconds_bucket')).toContain('le');
  });

  it('leaves a name under its prefixes that it does not list unknown, naming the catalogue', () => {
    const catalog = catalogOf('external:\n  - catalogue: node_exporter\n');
    expect(catalog.resolve('node_cpu_seconds_totl')).toBeUndefined();
    expect(catalog.exhaustiveEntryOf('node_cpu_seconds_totl')?.catalogue).toBe('node_exporter');
    expect(catalog.exhaustiveEntryOf('redis_up')).toBeUndefined();
  });

  it('series whose labels belong to their target or rule (up, ALERTS) are known without declared labels', () => {
    const catalog = catalogOf('external:\n  - catalogue: prometheus\n');
    expect(catalog.resolve('ALERTS')).toMatchObject({ kind: 'external', metric: undefined });
    expect(catalog.labelsOf('up')).toBeUndefined();
  });

  it('adds the entry’s own names and metrics, which win over the catalogue’s, and exhaustive: false opens the prefixes', () => {
    const own = 'external:\n  - catalogue: node_exporter\n    source: node\n    names: [node_backup_ok]\n    metrics: [{ name: node_cpu_seconds_total, labels: [cpu, mode, core] }]\n';
    const catalog = catalogOf(own);
    expect(catalog.resolve('node_backup_ok')).toMatchObject({ kind: 'external', external: { source: 'node' } });
    expect(catalog.labelsOf('node_cpu_seconds_total')).toContain('core');
    expect(catalogOf('external:\n  - catalogue: node_exporter\n    exhaustive: false\n').resolve('node_anything')).toMatchObject({ kind: 'external' });
  });

  it('an earlier open prefix of another source still claims the name', () => {
    const catalog = catalogOf('external:\n  - source: textfile\n    prefixes: [node_textfile_custom_]\n  - catalogue: node_exporter\n');
    expect(catalog.resolve('node_textfile_custom_ok')).toMatchObject({ kind: 'external', external: { source: 'textfile' } });
  });
});
