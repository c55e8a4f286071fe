// The automatic level inhibition's `equal`, checked against a real Alertmanager (prometheus-alertmanager 0.25): the
// alerts are pushed with the labels their series would really carry, independent of what Vigil inferred. An `equal`
// that misses a label telling two firings apart mutes the wrong alert (must never happen); an `equal` naming labels
// the series never carry is harmless (absent on both sides counts as equal) and must still inhibit.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.ts';
import { loadYamlSources } from '../../src/load/index.ts';
import { prepareLiveConfig, runInhibitionRounds, type Labels, type Round } from '../../src/testing/inhibition-live.ts';
import { findAlertmanager, serviceScope } from '../helpers/services.ts';

const installed = findAlertmanager();
if (!installed) console.warn('test/integration/inhibition-identity.test.ts: SKIPPED — prometheus-alertmanager is not installed');

const BASE = path.join(import.meta.dirname, '../fixtures/base');
// node_* by prefix with labels [instance, job, mountpoint]; queue_* by prefix with no labels (unknown)
const UNKNOWN = 'apiVersion: vigil/v1\nkind: Metrics\nexternal:\n  - source: queue_exporter\n    prefixes: [queue_]\n';
const ALERTS: Record<string, string> = {
  DiskLow: 'node_filesystem_avail_bytes{fstype!="tmpfs"} / node_filesystem_size_bytes{fstype!="tmpfs"}',
  LoadHigh: 'node_load1',
  QueueBacklog: 'queue_messages_ready',
  QueueBacklogByQueue: 'sum by (queue) (queue_messages_ready)',
  ZoneErrors: 'sum by (service, zone) (rate(http_requests_total[5m]))',
};
const alertsYaml = `apiVersion: vigil/v1\nkind: AlertRules\ngroup: identity\nlabels: { team: app }\nalerts:\n${Object.entries(ALERTS)
  .map(
    ([name, expr]) =>
      `  - name: ${name}\n    expr: '${expr}'\n    thresholds:\n      warning: { op: ">", value: 1 }\n      critical: { op: ">", value: 2 }\n    summary: probe\n    runbook: https://runbooks.example.com/probe\n`,
  )
  .join('')}`;

const scope = serviceScope();
let url = '';

beforeAll(async () => {
  if (!installed) return;
  const base = await Promise.all((await readdir(BASE)).sort().map(async (f) => ({ file: f, text: await readFile(path.join(BASE, f), 'utf8') })));
  const result = compile(loadYamlSources([...base, { file: 'unknown.yaml', text: UNKNOWN }, { file: 'identity.yaml', text: alertsYaml }]));
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const dir = await scope.tempDir('vigil-identity-');
  for (const a of result.artifacts.filter((x) => x.path.startsWith('alertmanager/'))) {
    await mkdir(path.dirname(path.join(dir, a.path)), { recursive: true });
    await writeFile(path.join(dir, a.path), a.content);
  }
  const config = await prepareLiveConfig(path.join(dir, 'alertmanager'), path.join(dir, 'live'));
  url = (await scope.startAlertmanager({ configFile: config, binary: installed.binary })).url;
});

// Two firings of one alert: critical with `critical` labels, warning with `warning` labels (the series' own labels).
const CASES: { alert: string; why: string; critical: Labels; warning: Labels; inhibited: boolean }[] = [
  // under-wide would be wrong: mountpoint is named nowhere in the expression, yet tells two filesystems apart
  { alert: 'DiskLow', why: 'same filesystem', critical: { instance: 'h1', job: 'node', mountpoint: '/' }, warning: { instance: 'h1', job: 'node', mountpoint: '/' }, inhibited: true },
  { alert: 'DiskLow', why: 'another filesystem of the host', critical: { instance: 'h1', job: 'node', mountpoint: '/' }, warning: { instance: 'h1', job: 'node', mountpoint: '/data' }, inhibited: false },
  { alert: 'DiskLow', why: 'another host', critical: { instance: 'h1', job: 'node', mountpoint: '/' }, warning: { instance: 'h2', job: 'node', mountpoint: '/' }, inhibited: false },
  // over-wide is harmless: equal names mountpoint, which node_load1 never carries; both sides lack it
  { alert: 'LoadHigh', why: 'same host, no mountpoint on either side', critical: { instance: 'h1', job: 'node' }, warning: { instance: 'h1', job: 'node' }, inhibited: true },
  { alert: 'LoadHigh', why: 'another host', critical: { instance: 'h1', job: 'node' }, warning: { instance: 'h2', job: 'node' }, inhibited: false },
  // labels unknown and kept by the expression: no list is safe, so no automatic inhibition at all
  { alert: 'QueueBacklog', why: 'another queue of the same target', critical: { instance: 'mq', job: 'mq', queue: 'a' }, warning: { instance: 'mq', job: 'mq', queue: 'b' }, inhibited: false },
  { alert: 'QueueBacklogByQueue', why: 'same queue', critical: { queue: 'a' }, warning: { queue: 'a' }, inhibited: true },
  { alert: 'QueueBacklogByQueue', why: 'another queue', critical: { queue: 'a' }, warning: { queue: 'b' }, inhibited: false },
  // zone is not a label the catalogue lets http_requests_total carry: by(zone) yields none, so equal leaves it out
  { alert: 'ZoneErrors', why: 'same service', critical: { service: 'api' }, warning: { service: 'api' }, inhibited: true },
  { alert: 'ZoneErrors', why: 'another service', critical: { service: 'api' }, warning: { service: 'web' }, inhibited: false },
];

describe.skipIf(!installed)('the automatic inhibition against a real Alertmanager, with the labels the series carry', () => {
  it.each(CASES.map((c) => [`${c.alert} critical ${c.inhibited ? 'inhibits' : 'does not inhibit'} warning: ${c.why}`, c] as const))('%s', async (description, c) => {
    const source = { ...c.critical, alertname: c.alert, severity: 'critical' };
    const target = { ...c.warning, alertname: c.alert, severity: 'warning' };
    const round: Round = { alerts: [source, target], observations: [{ kind: 'expectation', description, source, target, expected: c.inhibited }] };
    const [result] = await runInhibitionRounds(url, [round]);
    expect({ ok: result!.ok, inhibited: result!.inhibited, error: result!.error }).toEqual({ ok: true, inhibited: c.inhibited, error: undefined });
  });
});
