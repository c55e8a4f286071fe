// The example project's inhibition, checked against one real Alertmanager (prometheus-alertmanager 0.25) started for
// this file: the automatic level inhibition of every multi-level alert, the declared NodeDown and TrainingStalled
// rules, and cases that must fail. Alerts go in through POST /api/v2/alerts; inhibition is read back from
// GET /api/v2/alerts (status.inhibitedBy), settled by the sentinel protocol of src/testing/inhibition-live.ts.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.ts';
import { loadDirectory } from '../../src/load/index.ts';
import type { Model } from '../../src/model/types.ts';
import { routeAlert } from '../../src/routing/route.ts';
import {
  expectationRound,
  identityLabelsOf,
  levelRounds,
  prepareLiveConfig,
  runInhibitionRounds,
  type InhibitionExpectation,
  type InhibitionResult,
  type Round,
} from '../../src/testing/inhibition-live.ts';
import { EXAMPLE } from '../helpers/example.ts';
import { findAlertmanager, serviceScope } from '../helpers/services.ts';

const installed = findAlertmanager();
if (!installed) console.warn('test/integration/inhibition.test.ts: SKIPPED — prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)');

const scope = serviceScope();
let model: Model;
let url = '';

beforeAll(async () => {
  if (!installed) return;
  const result = compile(await loadDirectory(EXAMPLE));
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  model = result.model;
  const dir = await scope.tempDir('vigil-inhibition-');
  for (const a of result.artifacts.filter((x) => x.path.startsWith('alertmanager/'))) {
    await mkdir(path.dirname(path.join(dir, a.path)), { recursive: true });
    await writeFile(path.join(dir, a.path), a.content);
  }
  const config = await prepareLiveConfig(path.join(dir, 'alertmanager'), path.join(dir, 'live'));
  url = (await scope.startAlertmanager({ configFile: config, binary: installed.binary })).url;
});

async function expectations(list: InhibitionExpectation[]): Promise<InhibitionResult[]> {
  const rounds = list.map((e) => expectationRound(model, e));
  for (const r of rounds) expect(r, JSON.stringify(r)).not.toHaveProperty('error');
  return runInhibitionRounds(url, rounds as Round[]);
}

const bad = (results: InhibitionResult[]) => results.filter((r) => !r.ok).map((r) => ({ description: r.description, inhibited: r.inhibited, inhibitedBy: r.inhibitedBy, error: r.error }));

describe.skipIf(!installed)('inhibition against a real Alertmanager', () => {
  it('the automatic level inhibition holds for every multi-level alert, and only for the same identity', async () => {
    const results = await runInhibitionRounds(url, levelRounds(model, identityLabelsOf(model)));
    expect(bad(results)).toEqual([]);
    const rank = new Map(model.severities.map((s) => [s.name, s.rank]));
    const multiLevel = model.groups
      .flatMap((g) => g.alerts)
      .filter((a) => a.enabled && new Set(a.levels.map((l) => l.severity).filter((s) => rank.has(s))).size >= 2)
      .map((a) => a.name)
      .sort();
    expect(multiLevel.length).toBeGreaterThanOrEqual(10);
    const proved = (kind: InhibitionResult['kind']) => [...new Set(results.filter((r) => r.kind === kind).map((r) => r.target.alertname!))].sort();
    expect(proved('level')).toEqual(multiLevel);
    expect(proved('level-reverse')).toEqual(multiLevel);
    // every alert of the example has identity labels, so each also has a "different identity → not inhibited" case
    expect(proved('level-identity')).toEqual(multiLevel);
    for (const r of results.filter((x) => x.kind === 'level')) {
      expect(r.inhibited).toBe(true);
      expect(r.inhibitedBy).toEqual([r.source]);
    }
    // Alertmanager's own routing of the same alerts (GET lists receivers) agrees with Vigil's router
    for (const r of results) expect(r.receivers, r.description).toEqual(routeAlert(model.routes!, r.target).receivers);
  });

  it('a NodeDown on an instance inhibits every other alert on that instance, not on another one', async () => {
    const nodeDown = { alert: 'NodeDown', labels: { instance: 'node-x' } };
    const results = await expectations([
      { source: nodeDown, target: { alert: 'NodeCpuHigh', level: 'warning', labels: { instance: 'node-x' } }, inhibited: true },
      { source: nodeDown, target: { alert: 'NodeCpuHigh', level: 'critical', labels: { instance: 'node-x' } }, inhibited: true },
      { source: nodeDown, target: { alert: 'GpuTemperatureHigh', level: 'critical', labels: { instance: 'node-x', gpu: '0' } }, inhibited: true },
      { source: nodeDown, target: { alert: 'TrainingStalled', level: 'warning', labels: { instance: 'node-x', job_id: 'j1' } }, inhibited: true },
      { source: nodeDown, target: { alert: 'NodeCpuHigh', level: 'warning', labels: { instance: 'node-y' } }, inhibited: false },
      { source: nodeDown, target: { alert: 'GpuTemperatureHigh', level: 'critical', labels: { instance: 'node-y', gpu: '0' } }, inhibited: false },
      // the rule's target excludes NodeDown itself, and alerts without an instance share nothing with it
      { source: nodeDown, target: { alert: 'NodeDown', labels: { instance: 'node-y' } }, inhibited: false },
      { source: nodeDown, target: { alert: 'InferenceErrorRatioHigh', level: 'critical', labels: { service: 'api' } }, inhibited: false },
    ]);
    expect(bad(results)).toEqual([]);
    for (const r of results.filter((x) => x.expected)) {
      expect(r.inhibitedBy).toEqual([{ alertname: 'NodeDown', instance: 'node-x', service: 'nodes', severity: 'critical', team: 'infra' }]);
    }
  });

  it('a stalled training job inhibits its own throughput and step alerts only', async () => {
    const stalled = { alert: 'TrainingStalled', level: 'critical', labels: { job_id: 'j1' } };
    const results = await expectations([
      { source: stalled, target: { alert: 'TrainingStepSlow', level: 'warning', labels: { job_id: 'j1' } }, inhibited: true },
      { source: stalled, target: { alert: 'TrainingThroughputDrop', level: 'critical', labels: { job_id: 'j1' } }, inhibited: true },
      { source: stalled, target: { alert: 'TrainingStepSlow', level: 'warning', labels: { job_id: 'j2' } }, inhibited: false },
      { source: stalled, target: { alert: 'GpuMemoryHigh', level: 'warning', labels: { job_id: 'j1' } }, inhibited: false },
    ]);
    expect(bad(results)).toEqual([]);
  });

  it('fails when the expectation is wrong or the identity labels are not all in `equal` (the check can fail)', async () => {
    const nodeDown = { alert: 'NodeDown', labels: { instance: 'node-x' } };
    const wrong = await expectations([
      { source: nodeDown, target: { alert: 'NodeCpuHigh', level: 'warning', labels: { instance: 'node-y' } }, inhibited: true },
      { source: nodeDown, target: { alert: 'NodeCpuHigh', level: 'warning', labels: { instance: 'node-x' } }, inhibited: false },
    ]);
    expect(wrong.map((r) => [r.ok, r.inhibited])).toEqual([
      [false, false],
      [false, true],
    ]);
    // pretend GpuMemoryHigh is also told apart by `zone`: the emitted rule ignores zone, so a critical in one zone
    // mutes the warning in another — exactly the bug the identity cases exist to catch
    const gpu = model.groups.flatMap((g) => g.alerts).find((a) => a.name === 'GpuMemoryHigh')!;
    const identity = identityLabelsOf(model);
    const rounds = levelRounds({ ...model, groups: [{ ...model.groups[0]!, alerts: [gpu] }] }, (a) => [...(identity(a) ?? []), 'zone']);
    const results = await runInhibitionRounds(url, rounds);
    expect(bad(results).map((r) => r.description)).toEqual(['GpuMemoryHigh critical does not inhibit GpuMemoryHigh warning with another zone']);
  });
});
