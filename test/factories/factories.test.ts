// The factories build what Vigil accepts: every definition factory passes the schema with its defaults and with
// overrides, the default project compiles with no error (checks included) and its rule test passes under the real
// promtool, and the webhook payloads have Alertmanager 0.25's shape and pass the relay's own parser.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.ts';
import { loadYamlSources } from '../../src/load/index.ts';
import { parsePayload } from '../../src/relay/payload.ts';
import { validateDefinitions } from '../../src/spec/validate.ts';
import { hasCommand, runVigilAsync } from '../helpers/cli.ts';
import {
  alertRules,
  CHANNELS,
  counter,
  environment,
  fingerprintOf,
  inputSeries,
  leveledAlert,
  metrics,
  project,
  projectFiles,
  ramp,
  receiver,
  receivers,
  relayEvent,
  route,
  routes,
  ruleTest,
  ruleTests,
  selector,
  seriesMap,
  severities,
  severityLevel,
  singleAlert,
  SLI_DEFAULTS,
  slo,
  slos,
  sourcesOf,
  steady,
  sequence,
  threshold,
  type SliKind,
  webhookAlert,
  webhookPayload,
  withDefaults,
  writeProject,
  yamlOf,
  type Definition,
} from './index.ts';

function schemaProblems(definition: Definition): string[] {
  const loaded = loadYamlSources([{ file: 'factory.yaml', text: yamlOf(definition) }]);
  const validated = validateDefinitions(loaded.definitions);
  return [...loaded.diagnostics, ...validated.diagnostics].map((d) => `${d.code}: ${d.message}`);
}

const DEFINITIONS: [string, () => Definition][] = [
  ['project', () => project()],
  ['project without relay and smtp', () => project({ relay: undefined, smtp: undefined, name: 'bare' })],
  ['metrics', () => metrics()],
  ['metrics with a counter of its own', () => metrics({ metrics: [counter('jobs_total', { labels: ['queue'] })], external: undefined })],
  ['alertRules', () => alertRules()],
  ['alertRules with three levels', () => alertRules({ alerts: [leveledAlert({ thresholds: { info: threshold('>', 10), warning: threshold('>', 100, { for: '5m' }), critical: threshold('>', 500) } })] })],
  ['alertRules with a single-level alert only', () => alertRules({ group: 'up', labels: undefined, alerts: [singleAlert({ for: '5m', severity: 'warning' })] })],
  ['severities', () => severities()],
  ['severities with an escalation', () => severities({ levels: [severityLevel('critical', { escalation: [{ after: '10m', receivers: ['oncall'] }] }), severityLevel('warning')] })],
  ['receivers', () => receivers()],
  ...CHANNELS.map((channel): [string, () => Definition] => [`receivers: ${channel}`, () => receivers([receiver(`r-${channel}`, channel)])]),
  ['receivers: a channel configured and sendResolved off', () => receivers([receiver('mail', 'email', { to: ['a@example.com', 'b@example.com'] }, { sendResolved: false })])],
  ['routes', () => routes()],
  ['routes nested', () => routes({ groupBy: undefined, routes: [route({ routes: [route({ matchers: ['team="db"'], receiver: 'team' })] })] })],
  ['environment', () => environment()],
  ['environment staging with retention', () => environment({ name: 'staging', retention: '7d' })],
  ['ruleTests', () => ruleTests()],
  ['slos', () => slos()],
  ...(Object.keys(SLI_DEFAULTS) as SliKind[]).map((kind): [string, () => Definition] => [`slos: ${kind}`, () => slos({ slos: [slo(`app-${kind}`, kind)] })]),
  ['slos: an SLI field changed, no alert, labels removed', () => slos({ labels: undefined, slos: [slo('app-latency', 'latency', { le: '1', selector: undefined }, { alert: false })] })],
  ['ruleTests with factory series', () => ruleTests([ruleTest({ name: 'down', series: seriesMap(inputSeries('up', { job: 'app', instance: 'a' }, sequence(steady(1, 4), steady(0, 10)))), expect: [{ at: '3m', alerts: [] }] })])],
];

describe('definition factories pass Vigil\'s schema', () => {
  it.each(DEFINITIONS)('%s', (_name, build) => {
    expect(schemaProblems(build())).toEqual([]);
  });

  it('a wrong override is refused by the schema (the table above can fail)', () => {
    expect(schemaProblems(alertRules({ alerts: [leveledAlert({ thresholds: { warning: { op: '=>' as '>', value: 1 } } })] }))).not.toEqual([]);
    expect(schemaProblems(receivers([receiver('x', 'email', { to: undefined })]))).not.toEqual([]);
    expect(schemaProblems(slos({ slos: [slo('app', 'ratio', { total: undefined })] }))).not.toEqual([]);
  });
});

describe('overrides', () => {
  it('replace, add and (with undefined) remove keys, leaving the defaults untouched', () => {
    const p = project({ name: 'other', relay: undefined, externalLabels: { region: 'cn' } });
    expect(p.name).toBe('other');
    expect('relay' in p).toBe(false);
    expect(p.externalLabels).toEqual({ region: 'cn' });
    expect(project().relay).toBeDefined();
    expect(withDefaults({ a: 1, b: 2 }, { b: undefined, c: 3 })).toEqual({ a: 1, c: 3 });
  });

  it('a channel\'s configuration overrides its defaults field by field', () => {
    expect(receiver('d', 'dingtalk', { secret: undefined, atAll: true })).toEqual({ name: 'd', dingtalk: { webhook: { env: 'DINGTALK_WEBHOOK' }, atAll: true } });
  });
});

describe('the default project', () => {
  it('compiles with no error, checks included', () => {
    const result = compile(loadYamlSources(sourcesOf(projectFiles())));
    expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`)).toEqual([]);
    expect(result.model.groups.flatMap((g) => g.alerts.map((a) => a.name))).toEqual(['QueueDeep', 'TargetDown']);
  });

  it('a file given as text is kept verbatim; undefined removes one', () => {
    const files = projectFiles({ 'routes.yaml': 'kind: Routes\n', 'metrics.yaml': undefined });
    expect(files['routes.yaml']).toBe('kind: Routes\n');
    expect(Object.keys(files).sort()).toEqual(['alerts.yaml', 'project.yaml', 'receivers.yaml', 'routes.yaml', 'severities.yaml']);
  });

  it.skipIf(!hasCommand('promtool'))('its rule test passes under the real promtool (`vigil test`)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-factories-'));
    try {
      await writeProject(path.join(dir, 'monitoring'), projectFiles({ 'tests/app.yaml': ruleTests() }));
      const run = await runVigilAsync(['test', path.join(dir, 'monitoring'), '--out', path.join(dir, 'generated')], dir);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      // The same test expecting the warning level already at 3m (it fires at 5m) fails: the test above can fail.
      const early = ruleTest({ expect: [{ at: '3m', alerts: [{ name: 'QueueDeep', level: 'warning', labels: { service: 'api' } }] }] });
      await writeProject(path.join(dir, 'wrong'), projectFiles({ 'tests/app.yaml': ruleTests([early]) }));
      const wrong = await runVigilAsync(['test', path.join(dir, 'wrong'), '--out', path.join(dir, 'wrong-generated')], dir);
      expect(wrong.code, wrong.stdout + wrong.stderr).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('series for promtool', () => {
  it.each([
    [steady(600, 20), '600x20'],
    [ramp(0, 10, 30), '0+10x30'],
    [ramp(100, -5, 4), '100-5x4'],
    [sequence(steady(1, 4), steady(0, 20)), '1x4 0x20'],
  ])('%s', (got, want) => expect(got).toBe(want));

  it('selectors quote and escape label values as PromQL strings', () => {
    expect(selector('up')).toBe('up');
    expect(selector('up', { job: 'node', path: 'a"b\\c' })).toBe('up{job="node", path="a\\"b\\\\c"}');
    expect(seriesMap(inputSeries('up', { job: 'x' }, '1x3'))).toEqual({ 'up{job="x"}': '1x3' });
  });
});

describe('Alertmanager webhook payloads (version 4, as Alertmanager 0.25 posts them)', () => {
  it('have every field of the payload and of each alert, with Go\'s zero time as a firing alert\'s end', () => {
    const payload = webhookPayload();
    expect(Object.keys(payload).sort()).toEqual(['alerts', 'commonAnnotations', 'commonLabels', 'externalURL', 'groupKey', 'groupLabels', 'receiver', 'status', 'truncatedAlerts', 'version'].sort());
    expect(Object.keys(payload.alerts[0]!).sort()).toEqual(['annotations', 'endsAt', 'fingerprint', 'generatorURL', 'labels', 'startsAt', 'status']);
    expect(payload).toMatchObject({ version: '4', status: 'firing', groupKey: '{}:{alertname="QueueDeep"}', groupLabels: { alertname: 'QueueDeep' }, truncatedAlerts: 0 });
    expect(payload.alerts[0]!.endsAt).toBe('0001-01-01T00:00:00Z');
  });

  it('pass the relay\'s parser unchanged', () => {
    const payload = webhookPayload({ alerts: [webhookAlert(), webhookAlert({ status: 'resolved', labels: { alertname: 'QueueDeep', severity: 'warning', service: 'web' } })] });
    expect(parsePayload(JSON.stringify(payload))).toEqual(payload);
  });

  it('a payload is resolved only when all its alerts are; common labels are those all alerts share', () => {
    const resolved = webhookAlert({ status: 'resolved' });
    expect(resolved.endsAt).toBe('2025-01-01T08:01:00Z');
    expect(webhookPayload({ alerts: [resolved] }).status).toBe('resolved');
    const mixed = webhookPayload({ alerts: [resolved, webhookAlert({ labels: { alertname: 'QueueDeep', severity: 'critical', service: 'web', team: 'app' } })] });
    expect(mixed.status).toBe('firing');
    expect(mixed.commonLabels).toEqual({ alertname: 'QueueDeep', severity: 'critical', team: 'app' });
  });

  it.each([
    // prometheus/common model's own test values: the empty set is FNV-1a 64's offset basis (14695981039346656037),
    // and this set's fingerprint is 5799056148416392346 (TestFingerprint in model/signature_test.go).
    [{}, 'cbf29ce484222325'],
    [{ name: 'garland, briggs', fear: 'love is not enough' }, '507a62d79ee76c9a'],
  ])('fingerprints are 16 hex digits of FNV-1a 64 over sorted labels (%j)', (labels, want) => {
    expect(fingerprintOf(labels)).toBe(want);
    expect(fingerprintOf(labels)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('fingerprints do not depend on label order and differ when a value does', () => {
    expect(fingerprintOf({ a: '1', b: '2' })).toBe(fingerprintOf({ b: '2', a: '1' }));
    expect(fingerprintOf({ a: '1', b: '2' })).not.toBe(fingerprintOf({ a: '1', b: '3' }));
    expect(fingerprintOf({ a: '1b' })).not.toBe(fingerprintOf({ a: '1', b: '' }));
  });
});

describe('relay events', () => {
  it('are the relay\'s own ingest input for the payload, with its severity\'s escalation', () => {
    const event = relayEvent(webhookPayload(), { escalation: new Map([['critical', [{ afterMs: 600_000, receivers: ['managers'] }]]]) });
    expect(event).toMatchObject({ receiver: 'oncall', channel: 'dingtalk', groupKey: '{}:{alertname="QueueDeep"}', sendResolved: true });
    expect(event.alerts).toHaveLength(1);
    expect(event.alerts[0]).toMatchObject({ status: 'firing', severity: 'critical', alertname: 'QueueDeep', startsAt: Date.parse('2025-01-01T08:00:00Z'), escalation: [{ afterMs: 600_000, receivers: ['managers'] }] });
  });
});
