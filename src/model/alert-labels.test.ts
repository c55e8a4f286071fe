import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compile } from '../compile.ts';
import { emitAlertmanager } from '../emit/alertmanager.ts';
import { loadYamlSources, type SourceFile } from '../load/index.ts';
import { identityLabelsOf } from '../testing/inhibition-live.ts';
import { alertRules, leveledAlert, metrics, threshold, yamlOf } from '../../test/factories/index.ts';
import type { Level } from '../spec/types.gen.ts';
import type { Model } from './types.ts';

/**
 * identityOf: the labels the automatic level inhibition puts in `equal`. Over the fixture catalogue:
 * http_requests_total counter [service, code], queue_depth gauge [service], service:http_requests:rate5m recorded
 * by (service), node_* external by prefix with labels [instance, job, mountpoint], up; plus an external `queue_*`
 * by prefix WITHOUT labels (unknown). Target labels (instance, job) come with every scraped metric.
 */
const BASE = path.join(import.meta.dirname, '../../test/fixtures/base');
const base: SourceFile[] = readdirSync(BASE)
  .sort()
  .map((f) => ({ file: f, text: readFileSync(path.join(BASE, f), 'utf8') }));
const UNKNOWN = yamlOf(metrics({ source: undefined, metrics: undefined, external: [{ source: 'queue_exporter', prefixes: ['queue_'] }] }));

/** node_exporter with labels per metric; listed before the base catalogue, whose `node_` prefix would answer first. */
const PER_METRIC: SourceFile = {
  file: 'node.yaml',
  text: yamlOf(
    metrics({
      source: undefined,
      metrics: undefined,
      external: [
        {
          source: 'node_exporter',
          prefixes: ['node_'],
          labels: ['instance', 'job', 'cpu', 'mode', 'device', 'mountpoint', 'fstype'],
          metrics: [
            { name: 'node_filesystem_avail_bytes', labels: ['instance', 'job', 'device', 'mountpoint', 'fstype'] },
            { name: 'node_cpu_seconds_total', labels: ['instance', 'job', 'cpu', 'mode'] },
          ],
        },
      ],
    }),
  ),
};

function compileAlert(expr: string, labels: Record<string, string> = {}, catalogue: SourceFile[] = []): Model {
  const probe = leveledAlert({
    name: 'Probe',
    expr,
    ...(Object.keys(labels).length ? { labels } : {}),
    thresholds: { warning: threshold('>', 1), critical: threshold('>', 2) },
    summary: 'probe',
    runbook: 'https://runbooks.example.com/probe',
  });
  const alerts = yamlOf(alertRules({ group: 'identity', alerts: [probe] }));
  const result = compile(loadYamlSources([...catalogue, ...base, { file: 'unknown.yaml', text: UNKNOWN }, { file: 'identity.yaml', text: alerts }]));
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  expect(errors.map((d) => `${d.code}: ${d.message}`)).toEqual([]);
  return result.model;
}

function identity(expr: string, labels: Record<string, string> = {}, catalogue: SourceFile[] = []): string[] | undefined {
  const model = compileAlert(expr, labels, catalogue);
  const alert = model.groups.flatMap((g) => g.alerts).find((a) => a.name === 'Probe')!;
  return identityLabelsOf(model)(alert);
}

describe('identityOf: the labels both levels of an alert really share', () => {
  it.each([
    // catalogue metrics: every label the series carry
    ['catalogue counter', 'rate(http_requests_total[5m])', ['code', 'instance', 'job', 'service']],
    ['catalogue gauge', 'queue_depth', ['instance', 'job', 'service']],
    ['histogram bucket keeps le', 'rate(request_duration_seconds_bucket[5m])', ['instance', 'job', 'le', 'service']],
    ['recording rule, resolved through its expression', 'service:http_requests:rate5m', ['service']],
    // aggregations
    ['sum by', 'sum by (service) (rate(http_requests_total[5m]))', ['service']],
    ['sum without', 'sum without (code, instance) (rate(http_requests_total[5m]))', ['job', 'service']],
    ['sum without everything', 'sum(rate(http_requests_total[5m]))', []],
    ['by a label no metric carries: absent on both levels, left out', 'sum by (service, zone) (rate(http_requests_total[5m]))', ['service']],
    ['by a label label_replace writes: kept', 'sum by (service, zone) (label_replace(rate(http_requests_total[5m]), "zone", "$1", "service", "(.*)"))', ['service', 'zone']],
    ['by a label label_join writes: kept', 'sum by (zone) (label_join(queue_depth, "zone", "-", "service", "job"))', ['zone']],
    ['count_values writes its label: kept', 'count_values by (service) ("depth", queue_depth)', ['depth', 'service']],
    ['label_replace on an unaggregated series adds its label', 'label_replace(queue_depth, "zone", "$1", "service", "(.*)")', ['instance', 'job', 'service', 'zone']],
    // binary operators: one-to-one matching keeps the on() labels, ignoring() drops its labels
    ['on() keeps only the matching labels', 'sum by (service, code) (rate(http_requests_total[5m])) / on (service) queue_depth', ['service']],
    ['ignoring() drops its labels', 'sum by (service, code, instance) (rate(http_requests_total[5m])) / ignoring (code) sum by (service, instance) (rate(http_requests_total[5m]))', ['instance', 'service']],
    ['group_left keeps the many side and adds included labels', 'rate(http_requests_total[5m]) / on (service) group_left (job) sum by (service, job) (queue_depth)', ['code', 'instance', 'job', 'service']],
    ['comparison with a scalar keeps the series', 'queue_depth > 5', ['instance', 'job', 'service']],
    ['and keeps the left side', 'sum by (service) (queue_depth) and on (service) sum by (service) (rate(http_requests_total[5m]))', ['service']],
    ['or: labels of either side', 'sum by (service) (queue_depth) or sum by (code) (rate(http_requests_total[5m]))', ['code', 'service']],
    // external metrics declared by prefix with labels: which of them a given metric lacks is unknown, so all stay
    // (mountpoint is named nowhere in the expression, yet tells two filesystems of one host apart)
    ['prefix external, unaggregated', 'node_filesystem_avail_bytes{fstype!="tmpfs"} / node_filesystem_size_bytes{fstype!="tmpfs"}', ['instance', 'job', 'mountpoint']],
    ['prefix external, aggregated by', 'max by (instance) (node_load1)', ['instance']],
    ['prefix external, by a label outside the declared ones', 'max by (instance, cpu) (node_load1)', ['instance']],
    // external metrics declared by prefix without labels: only what the expression itself fixes is known
    ['unknown labels, aggregated by', 'sum by (queue) (queue_messages_ready)', ['queue']],
    ['unknown labels, by a label outside (cannot tell: kept)', 'sum by (instance, shard) (queue_messages_ready)', ['instance', 'shard']],
    ['unknown labels, on()', 'queue_messages_ready / on (queue) sum by (queue) (queue_messages_total)', ['queue']],
    ['unknown labels, kept by the expression: no safe list', 'queue_messages_ready', undefined],
    ['unknown labels, without(): the rest unknown', 'sum without (instance) (queue_messages_ready)', undefined],
    ['unknown labels on one side of a one-to-one match', 'queue_messages_ready / ignoring (job) queue_depth', undefined],
  ] as const)('%s: %s', (_, expr, expected) => {
    expect(identity(expr)).toEqual(expected === undefined ? undefined : [...expected]);
  });

  it.each([
    // a name under `metrics:` carries its own labels; the rest of the prefix keeps the entry's
    ['per-metric labels, unaggregated', 'node_filesystem_avail_bytes < 1e9', ['device', 'fstype', 'instance', 'job', 'mountpoint']],
    ['per-metric labels of another metric', 'rate(node_cpu_seconds_total{mode="idle"}[5m]) < 0.1', ['cpu', 'instance', 'job', 'mode']],
    ['per-metric labels, by a label the metric lacks', 'max by (instance, cpu) (node_filesystem_avail_bytes)', ['instance']],
    ['a prefix metric not listed keeps the entry labels', 'node_load1', ['cpu', 'device', 'fstype', 'instance', 'job', 'mode', 'mountpoint']],
  ] as const)('%s: %s', (_, expr, expected) => {
    expect(identity(expr, {}, [PER_METRIC])).toEqual([...expected]);
  });

  it('static labels of the alert are equal on both levels by construction: left out', () => {
    expect(identity('sum by (service, team) (label_replace(queue_depth, "team", "app", "", ""))', { team: 'app' })).toEqual(['service']);
    expect(identity('queue_depth', { service: 'fixed' })).toEqual(['instance', 'job']);
  });
});

describe('the emitted automatic inhibition', () => {
  const equalOf = (expr: string, catalogue: SourceFile[] = []) => {
    const model = compileAlert(expr, {}, catalogue);
    const yml = emitAlertmanager(model, { identityLabels: identityLabelsOf(model) }).artifacts.find((a) => a.path.endsWith('alertmanager.yml'))!.content;
    const rules = (parse(yml) as { inhibit_rules?: { source_matchers: string[]; equal?: string[] }[] }).inhibit_rules ?? [];
    const rule = rules.find((r) => r.source_matchers.includes('alertname="Probe"'));
    return rule && (rule.equal ?? []);
  };

  it('lists the identity in `equal`', () => {
    expect(equalOf('sum by (service) (queue_depth)')).toEqual(['service']);
    expect(equalOf('node_filesystem_avail_bytes')).toEqual(['instance', 'job', 'mountpoint']);
  });

  it('lists only the labels a metric declared under `metrics:` carries', () => {
    expect(equalOf('node_filesystem_avail_bytes < 1e9', [PER_METRIC])).toEqual(['device', 'fstype', 'instance', 'job', 'mountpoint']);
  });

  it('writes no automatic inhibition when the identity is unknown', () => {
    expect(equalOf('queue_messages_ready')).toBeUndefined();
    expect(equalOf('sum by (queue) (queue_messages_ready)')).toEqual(['queue']);
  });
});

describe('identityOf with levels of their own expressions (`rules:`)', () => {
  function identityOfLevels(levels: { expr: string; labels?: Record<string, string> }[]): string[] | undefined {
    const rules = levels.map((l, i) => ({ severity: i === 0 ? 'critical' : 'warning', expr: l.expr, ...(l.labels ? { labels: l.labels } : {}) }));
    const probe = { name: 'Probe', summary: 'probe', runbook: 'https://runbooks.example.com/probe', rules: rules as [Level, ...Level[]] };
    const alerts = yamlOf(alertRules({ group: 'identity', alerts: [probe] }));
    const result = compile(loadYamlSources([...base, { file: 'unknown.yaml', text: UNKNOWN }, { file: 'identity.yaml', text: alerts }]));
    expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`)).toEqual([]);
    const alert = result.model.groups.flatMap((g) => g.alerts).find((a) => a.name === 'Probe')!;
    return identityLabelsOf(result.model)(alert);
  }

  it('a label one level keeps and the other drops is listed: the levels then differ in it, and nothing is muted', () => {
    expect(identityOfLevels([{ expr: 'sum by (service, code) (rate(http_requests_total[5m])) > 2' }, { expr: 'sum by (service) (rate(http_requests_total[5m])) > 1' }])).toEqual(['code', 'service']);
  });

  it("a level's static labels are fixed, not identity", () => {
    expect(identityOfLevels([{ expr: 'sum by (service) (queue_depth) > 2', labels: { window: '1h' } }, { expr: 'sum by (service) (queue_depth) > 1', labels: { window: '6h' } }])).toEqual(['service']);
  });

  it('one level reading labels nobody declared: no safe list at all', () => {
    expect(identityOfLevels([{ expr: 'sum by (service) (queue_depth) > 2' }, { expr: 'queue_messages_ready > 1' }])).toBeUndefined();
  });
});
