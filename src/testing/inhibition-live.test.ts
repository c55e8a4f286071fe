import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compile, type CompileResult } from '../compile.ts';
import { loadDirectory } from '../load/index.ts';
import { EXAMPLE } from '../../test/helpers/example.ts';
import { compileBase } from '../../test/helpers/model.ts';
import { findAlertmanager, startAlertmanager } from './alertmanager-process.ts';
import { checkInhibitions, expectationRound, inhibitionExpectations, levelRounds, prepareLiveConfig, SENTINEL_LABEL } from './inhibition-live.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const installed = findAlertmanager();
if (!installed) console.warn('inhibition-live.test.ts: live cases skipped, prometheus-alertmanager is not installed');

const TESTS = `apiVersion: vigil/v1
kind: RuleTests
tests:
  - name: inhibition of the queue alerts
    inhibitions:
      - source: { alert: TargetDown, labels: { service: api } }
        target: { alert: QueueDeep, level: warning, labels: { service: api } }
        inhibited: false
      - source: { alert: QueueDeep, level: critical, labels: { service: api } }
        target: { alert: QueueDeep, level: warning, labels: { service: api } }
        inhibited: true
      - source: { alert: QueueDeep, level: critical, labels: { service: api } }
        target: { alert: QueueDeep, level: warning, labels: { service: web } }
        inhibited: true
      - source: { alert: QueueDeep, labels: {} }
        target: { alert: TargetDown, labels: {} }
        inhibited: false
`;

let dir = '';
let base: CompileResult;
/** The example's alertmanager/ folder as its build writes it; only read. */
let exampleAm = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-inhibition-live-'));
  base = await compileBase({ 'tests.yaml': TESTS });
  expect(base.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  await writeAlertmanager(base, path.join(dir, 'base'));
  const example = compile(await loadDirectory(EXAMPLE));
  expect(example.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  await writeAlertmanager(example, path.join(dir, 'example-build'));
  exampleAm = path.join(dir, 'example-build', 'alertmanager');
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function writeAlertmanager(result: CompileResult, into: string): Promise<void> {
  for (const a of result.artifacts.filter((x) => x.path.startsWith('alertmanager/'))) {
    await mkdir(path.dirname(path.join(into, a.path)), { recursive: true });
    await writeFile(path.join(into, a.path), a.content);
  }
}

describe('levelRounds and expectationRound', () => {
  it('pairs every higher level with every lower one, with one identity variant per identity label', () => {
    const rounds = levelRounds(base.model, () => ['service']);
    expect(rounds).toHaveLength(1);
    const [round] = rounds;
    const common = { alertname: 'QueueDeep', team: 'app' };
    expect(round!.alerts).toEqual([
      { ...common, service: 'service-1', severity: 'critical' },
      { ...common, service: 'service-1', severity: 'warning' },
      { ...common, service: 'service-2', severity: 'warning' },
    ]);
    expect(round!.observations.map((o) => [o.kind, o.expected, o.description])).toEqual([
      ['level', true, 'QueueDeep critical inhibits QueueDeep warning with the same service'],
      ['level-reverse', false, 'QueueDeep warning does not inhibit QueueDeep critical'],
      ['level-identity', false, 'QueueDeep critical does not inhibit QueueDeep warning with another service'],
    ]);
  });

  // An identity label named like a property of Object.prototype is an identity label, not one of the alert's static
  // labels (the filter once asked `l in alert.labels`, and left such a label out of the proof).
  it.each(['constructor', 'toString', 'hasOwnProperty', '__proto__'])('keeps an identity label named %s and varies it', (name) => {
    const [round] = levelRounds(base.model, () => [name]);
    const common = { alertname: 'QueueDeep', team: 'app' };
    // Built as own keys (`__proto__` too): Object.fromEntries defines them.
    const labelled = (value: string, severity: string) => Object.fromEntries([...Object.entries(common), [name, value], ['severity', severity]]);
    expect(round!.alerts).toEqual([labelled(`${name}-1`, 'critical'), labelled(`${name}-1`, 'warning'), labelled(`${name}-2`, 'warning')]);
    expect(round!.alerts.map((a) => Object.hasOwn(a, name) && a[name])).toEqual([`${name}-1`, `${name}-1`, `${name}-2`]);
    expect(round!.observations.map((o) => o.description)).toEqual([
      `QueueDeep critical inhibits QueueDeep warning with the same ${name}`,
      'QueueDeep warning does not inhibit QueueDeep critical',
      `QueueDeep critical does not inhibit QueueDeep warning with another ${name}`,
    ]);
  });

  it('leaves a level whose severity says label: false out of the level rounds, and fires it without a severity label', async () => {
    const severities = `apiVersion: vigil/v1
kind: Severities
levels:
  - { name: critical }
  - { name: warning }
  - { name: none, label: false }
`;
    const alerts = (await readFile(path.join(REPO, 'test/fixtures/base/alerts.yaml'), 'utf8')).replace('      critical: { op: ">", value: 500, for: 2m }', '      critical: { op: ">", value: 500, for: 2m }\n      none: { op: ">", value: 50 }');
    const model = (await compileBase({ 'severities.yaml': severities, 'alerts.yaml': alerts })).model;
    const rounds = levelRounds(model, () => ['service']);
    expect(rounds.flatMap((r) => r.observations.filter((o) => o.kind === 'level').map((o) => o.description))).toEqual(['QueueDeep critical inhibits QueueDeep warning with the same service']);
    const quiet = { source: { alert: 'QueueDeep', level: 'none', labels: { service: 'api' } }, target: { alert: 'QueueDeep', level: 'warning', labels: { service: 'api' } }, inhibited: false };
    expect(expectationRound(model, quiet)).toMatchObject({ alerts: [{ alertname: 'QueueDeep', team: 'app', service: 'api' }, { severity: 'warning' }] });
    expect((expectationRound(model, quiet) as { alerts: Record<string, string>[] }).alerts[0]).not.toHaveProperty('severity');
  });

  it('fires each level of an alert with `rules:` with the labels of its own rule', async () => {
    const burn = `apiVersion: vigil/v1
kind: AlertRules
group: burn
labels: { team: app }
alerts:
  - name: QueueBurn
    summary: burn
    rules:
      - { severity: critical, expr: "max by (service) (queue_depth) > 500", labels: { page: "yes" } }
      - { severity: warning, expr: "max by (service) (queue_depth) > 100", labels: { page: "no" } }
`;
    const model = (await compileBase({ 'burn.yaml': burn })).model;
    const round = levelRounds(model, (alert) => (alert.name === 'QueueBurn' ? ['service'] : undefined)).find((r) => r.alerts[0]!.alertname === 'QueueBurn')!;
    expect(round.alerts).toEqual([
      { alertname: 'QueueBurn', team: 'app', service: 'service-1', severity: 'critical', page: 'yes' },
      { alertname: 'QueueBurn', team: 'app', service: 'service-1', severity: 'warning', page: 'no' },
      { alertname: 'QueueBurn', team: 'app', service: 'service-2', severity: 'warning', page: 'no' },
    ]);
  });

  it('resolves expectations like Prometheus labels alerts, and explains the ones it cannot run', () => {
    const [first, , , last] = inhibitionExpectations(base.model);
    expect(first!.test).toBe('inhibition of the queue alerts');
    const round = expectationRound(base.model, first!);
    expect(round).toMatchObject({
      alerts: [
        { alertname: 'TargetDown', severity: 'critical', team: 'app', service: 'api' },
        { alertname: 'QueueDeep', severity: 'warning', team: 'app', service: 'api' },
      ],
      observations: [{ kind: 'expectation', expected: false, test: 'inhibition of the queue alerts' }],
    });
    expect(expectationRound(base.model, last!)).toMatchObject({ error: { ok: false, error: 'source: alert QueueDeep has levels warning, critical: say which one with level:' } });
    const unknown = { source: { alert: 'Nope', labels: {} }, target: { alert: 'TargetDown', labels: {} }, inhibited: true };
    expect(expectationRound(base.model, unknown)).toMatchObject({ error: { error: 'source: unknown alert "Nope"' } });
    const same = { source: { alert: 'TargetDown', labels: {} }, target: { alert: 'TargetDown', labels: { team: 'other' } }, inhibited: true };
    expect(expectationRound(base.model, same)).toMatchObject({ error: { error: 'source and target are the same alert: give them different labels' } });
  });
});

describe('prepareLiveConfig', () => {
  it('points every secret file at a dummy, leaves placeholders unfilled (nothing is read), keeps routes and rules, and adds the sentinel first', async () => {
    const original = parse(await readFile(path.join(exampleAm, 'alertmanager.yml'), 'utf8'), { version: '1.1' }) as Record<string, unknown>;
    const file = await prepareLiveConfig(exampleAm, path.join(dir, 'example-none'));
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('/etc/alertmanager/secrets');
    expect(text).not.toContain('${');
    const live = parse(text, { version: '1.1' }) as Record<string, unknown>;
    expect(live.route).toEqual(original.route);
    const rules = live.inhibit_rules as Record<string, unknown>[];
    expect(rules.slice(1)).toEqual(original.inhibit_rules);
    expect(rules[0]).toEqual({ source_matchers: [`${SENTINEL_LABEL}="source"`], target_matchers: [`${SENTINEL_LABEL}="target"`], equal: ['vigil_live_round'] });
    expect(live.receivers).toEqual((original.receivers as { name: string }[]).map((r) => ({ name: r.name })));
    const password = (live.global as Record<string, string>).smtp_auth_password_file!;
    expect(password.startsWith(path.join(dir, 'example-none', 'secrets'))).toBe(true);
    expect((await stat(password)).mode & 0o777).toBe(0o600);
    expect(await stat(path.join(dir, 'example-none', 'templates', 'vigil.tmpl'))).toBeTruthy();

    const asConfigured = parse(await readFile(await prepareLiveConfig(exampleAm, path.join(dir, 'example-as-configured'), { delivery: 'as-configured' }), 'utf8'), { version: '1.1' }) as Record<string, unknown>;
    const receivers = asConfigured.receivers as Record<string, unknown>[];
    expect(receivers.map((r) => r.name)).toEqual((original.receivers as { name: string }[]).map((r) => r.name));
    const wecom = receivers.find((r) => r.name === 'ops-wecom')!.wechat_configs as Record<string, string>[];
    expect(wecom[0]!.api_secret).toBe('${WECOM_API_SECRET}');
    const audit = JSON.stringify(receivers.find((r) => r.name === 'audit'));
    expect(audit).toContain(path.join(dir, 'example-as-configured', 'secrets'));
  });
});

describe.skipIf(!installed)('live Alertmanager', () => {
  it('checkInhibitions runs the level inhibition and the RuleTests expectations, and reports what failed', async () => {
    const report = await checkInhibitions(base.model, path.join(dir, 'base', 'alertmanager'));
    expect(report.error).toBeUndefined();
    expect(report.alertmanager?.version).toMatch(/^\d+\.\d+/);
    expect(report.results.map((r) => [r.kind, r.description, r.ok, r.inhibited ?? null, r.error ?? null])).toEqual([
      ['level', 'QueueDeep critical inhibits QueueDeep warning with the same service', true, true, null],
      ['level-reverse', 'QueueDeep warning does not inhibit QueueDeep critical', true, false, null],
      ['level-identity', 'QueueDeep critical does not inhibit QueueDeep warning with another service', true, false, null],
      ['expectation', 'TargetDown {service="api"} does not inhibit QueueDeep warning {service="api"}', true, false, null],
      ['expectation', 'QueueDeep critical {service="api"} inhibits QueueDeep warning {service="api"}', true, true, null],
      // wrong on purpose: another service is not inhibited
      ['expectation', 'QueueDeep critical {service="api"} inhibits QueueDeep warning {service="web"}', false, false, null],
      ['expectation', 'QueueDeep does not inhibit TargetDown', false, null, 'source: alert QueueDeep has levels warning, critical: say which one with level:'],
    ]);
    const [, , , , positive] = report.results;
    expect(positive!.inhibitedBy).toEqual([{ alertname: 'QueueDeep', service: 'api', severity: 'critical', team: 'app' }]);
    expect(positive!.receivers).toEqual(['team']);
    expect(positive!.origin?.def.file).toBe('tests.yaml');
  });

  it('starts the emitted config as it is (0.25 reads *_file secrets only when sending) and the as-configured copy', async () => {
    // the emitted config names /etc/alertmanager/secrets/* which do not exist here, and keeps ${…} placeholders
    for (const configFile of [path.join(exampleAm, 'alertmanager.yml'), await prepareLiveConfig(exampleAm, path.join(dir, 'start-as-configured'), { delivery: 'as-configured' })]) {
      const storageDir = await mkdtemp(path.join(dir, 'data-'));
      const am = await startAlertmanager({ configFile, storageDir });
      try {
        const status = (await (await fetch(`${am.url}/api/v2/status`)).json()) as { config: { original: string } };
        expect(status.config.original).toContain('receiver: ops-wecom');
      } finally {
        await am.stop();
      }
      expect(() => process.kill(am.pid, 0)).toThrow();
    }
  });

  it('reports a configuration Alertmanager refuses, with its log', async () => {
    const broken = path.join(dir, 'broken');
    await mkdir(broken, { recursive: true });
    await writeFile(path.join(broken, 'alertmanager.yml'), 'route:\n  receiver: nobody\nreceivers: []\n');
    const report = await checkInhibitions(base.model, broken, []);
    expect(report.results).toEqual([]);
    expect(report.error).toMatch(/alertmanager exited before it was ready[\s\S]*undefined receiver \\?"nobody/);
  });
});

describe('checkInhibitions without Alertmanager', () => {
  it('says what is missing instead of throwing', async () => {
    expect(await checkInhibitions(base.model, path.join(dir, 'base', 'alertmanager'), [], { binary: 'vigil-no-such-alertmanager' })).toMatchObject({
      results: [],
      error: 'alertmanager could not be started: vigil-no-such-alertmanager not found on PATH',
    });
    expect((await checkInhibitions(base.model, path.join(dir, 'nowhere'))).error).toMatch(/alertmanager.yml does not exist: run vigil build first/);
  });
});
