// vigil plan / deploy against a whole environment of real services: two Prometheus replicas (and a third started
// without --web.enable-lifecycle, to make a reload fail), a 3-peer Alertmanager cluster, node_exporter, InfluxDB 1.6
// and the Grafana API double. The tests run in order and build on each other's state, like successive deploys do.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildView } from '../../src/build/read.ts';
import { compile } from '../../src/compile.ts';
import { deployEnvironment } from '../../src/deploy/deploy.ts';
import { DeployError } from '../../src/deploy/errors.ts';
import { eventually } from '../../src/deploy/target.ts';
import { loadDirectory, withExtraFile } from '../../src/load/index.ts';
import { REPO, runOnBuild } from '../helpers/cli.ts';
import { freePort, serviceScope } from '../helpers/services.ts';
import { GRAFANA_TOKEN_VAR, startStack, type Stack } from '../helpers/stack.ts';

const FIXTURE = path.join(REPO, 'test/fixtures/deploy/monitoring');
const SECRETS = { [GRAFANA_TOKEN_VAR]: 'glsa_vigil_test', VIGIL_TEST_WECOM_SECRET: 'wecom-secret-value' };

interface LiveRule {
  name: string;
  query: string;
}

async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return (await r.json()) as T;
}

async function liveRules(url: string): Promise<Map<string, LiveRule[]>> {
  const body = await getJson<{ data: { groups: { name: string; rules: LiveRule[] }[] } }>(`${url}/api/v1/rules`);
  return new Map(body.data.groups.map((g) => [g.name, g.rules]));
}

async function snapshotDir(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of (await readdir(dir)).sort()) if (f.endsWith('.yml')) out[f] = await readFile(path.join(dir, f), 'utf8');
  return out;
}

describe('vigil plan and deploy against real services', () => {
  const scope = serviceScope();
  let stack: Stack;
  let dir: string;
  const envFile = (name: string, options: Parameters<Stack['environment']>[0] = {}) => {
    const file = path.join(dir, `${name}.yaml`);
    return writeFile(file, stack.environment(options)).then(() => file);
  };
  const vigil = (args: string[], env: NodeJS.ProcessEnv = SECRETS) => runOnBuild(args, REPO, env);
  const raiseLoadWarning = 'overrides:\n  alerts:\n    NodeLoadHigh: { thresholds: { warning: { value: 1500 } } }\n';

  beforeAll(async () => {
    stack = await startStack(scope, { prometheus: 3, lifecycle: [true, true, false], alertmanagers: 3, influx: true, grafana: true });
    dir = await scope.tempDir();
  }, 120_000);

  it('plans every change, deploys it to every replica and peer, and verifies it', async () => {
    const file = await envFile('main', { replicas: ['prom-a', 'prom-b'] });
    const plan = await vigil(['plan', FIXTURE, '--environment-file', file]);
    expect(plan.code, plan.stderr).toBe(3);
    expect(plan.stdout).toContain('+ rule node/NodeLoadHigh[warning]');
    expect(plan.stdout).toContain('+ receiver oncall');
    expect(plan.stdout).toContain('+ dashboard node-fixture');
    expect(plan.stdout).toContain('+ retention policy vigil: 30d, default');
    const markdown = await vigil(['plan', FIXTURE, '--environment-file', file, '--format', 'markdown']);
    expect(markdown.stdout).toContain('### Vigil plan: `test`');
    expect(markdown.stdout).toMatch(/\| prometheus prom-a \| 5 \| 1 \| 0 \|/);

    const deploy = await vigil(['deploy', FIXTURE, '--environment-file', file]);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.stdout).toContain('every target verified');
    expect(deploy.stderr).toContain('pre-flight ok: promtool check rules: 2 changed files');
    expect(deploy.stderr).toContain('pre-flight ok: promtool check config: 2 changed configurations');
    expect(deploy.stderr).toContain('pre-flight ok: amtool check-config');

    for (const p of stack.prometheus.slice(0, 2)) {
      const rules = await liveRules(p.service.url);
      expect([...rules.keys()].sort()).toEqual(['node', 'node-aggregations']);
      expect(rules.get('node')!.map((r) => r.name)).toEqual(['NodeLoadHigh', 'NodeLoadHigh', 'TargetDown', 'NodeExporterUp']);
      const config = await readFile(p.configFile, 'utf8');
      expect(config).toContain(`replica: ${p.name}`);
      expect(config).toContain(`url: ${stack.influx!.url}/api/v1/prom/write?db=prometheus`);
    }
    for (const am of stack.alertmanagers) {
      const status = await getJson<{ config: { original: string }; cluster: { status: string; peers: unknown[] } }>(`${am.service.url}/api/v2/status`);
      expect(status.config.original).toContain('name: oncall');
      expect(status.config.original).toContain('api_secret: <secret>');
      expect(status.cluster.peers).toHaveLength(3);
      // The secret is only in the file on the target, readable by its owner alone.
      expect(await readFile(am.configFile, 'utf8')).toContain('api_secret: "wecom-secret-value"');
      expect((await stat(am.configFile)).mode & 0o777).toBe(0o600);
    }
    const dashboard = stack.grafana!.dashboards.get('node-fixture')!;
    expect(dashboard.json.tags).toEqual(['fixture', 'vigil-managed']);
    // Without --message, the version note names the commit the definitions come from.
    expect(dashboard.message).toMatch(/^vigil deploy test from [0-9a-f]{7,}( with uncommitted changes)?$/);
    expect(stack.grafana!.folders.get(dashboard.folderUid!)!.title).toBe('Deploy Fixture');
    const rp = await getJson<{ results: { series: { values: unknown[][] }[] }[] }>(`${stack.influx!.url}/query?q=${encodeURIComponent('SHOW RETENTION POLICIES ON prometheus')}`);
    expect(rp.results[0]!.series[0]!.values).toContainEqual(['vigil', '720h0m0s', '24h0m0s', 1, true]);
  }, 120_000);

  it('does nothing on a second deploy of the same build, and the plan says so', async () => {
    const file = await envFile('main', { replicas: ['prom-a', 'prom-b'] });
    const before = await Promise.all(stack.prometheus.slice(0, 2).map(async (p) => ({ mtime: (await stat(p.configFile)).mtimeMs, reloads: await reloadTimestamp(p.service.url) })));
    const versions = stack.grafana!.dashboards.get('node-fixture')!.version;
    const deploy = await vigil(['deploy', FIXTURE, '--environment-file', file]);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.stdout).toMatch(/^No changes: environment test already runs this build/);
    const after = await Promise.all(stack.prometheus.slice(0, 2).map(async (p) => ({ mtime: (await stat(p.configFile)).mtimeMs, reloads: await reloadTimestamp(p.service.url) })));
    expect(after).toEqual(before);
    expect(stack.grafana!.dashboards.get('node-fixture')!.version).toBe(versions);
    const plan = await vigil(['plan', FIXTURE, '--environment-file', file]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain('No changes: environment test runs this build.');
    const json = await vigil(['plan', FIXTURE, '--environment-file', file, '--format', 'json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { environment: string; changes: number; targets: { target: string; changes: unknown[] }[] };
    expect(report.environment).toBe('test');
    expect(report.changes).toBe(0);
    expect(report.targets.map((t) => t.target)).toEqual(['influxdb', 'alertmanager cluster (3 peers)', 'prometheus prom-a', 'prometheus prom-b', 'grafana']);
    // A pull request's plan may lack the secrets that only go into config files: still no change, and it says why.
    const withoutSecrets = await vigil(['plan', FIXTURE, '--environment-file', file], { [GRAFANA_TOKEN_VAR]: SECRETS[GRAFANA_TOKEN_VAR], VIGIL_TEST_WECOM_SECRET: '' });
    expect(withoutSecrets.code, withoutSecrets.stdout + withoutSecrets.stderr).toBe(0);
    expect(withoutSecrets.stdout).toContain('note: secrets not available to the plan ($VIGIL_TEST_WECOM_SECRET)');
  }, 60_000);

  it('plans a pull request\'s build from its artifact: only files its manifest vouches for, only secrets the definitions name', async () => {
    const file = await envFile('main', { replicas: ['prom-a', 'prom-b'] });
    const pr = path.join(dir, 'pr-build');
    const build = await vigil(['build', FIXTURE, '--environment-file', file, '--out', pr]);
    expect(build.code, build.stderr).toBe(0);
    const plan = await vigil(['plan', FIXTURE, '--environment-file', file, '--build', pr]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain('No changes: environment test runs this build.');

    // A pull request that aims a secret slot at another variable of the plan job: it is never read, never printed.
    // The environment's tree is an overlay (build/overlay.ts): a file is in pr/test/ when it differs from the shared
    // tree's, else in pr/; pr/manifest.json vouches for both.
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    const manifestFile = path.join(pr, 'manifest.json');
    type Entries = { path: string; sha256: string }[];
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as { files: Entries; environments: Record<string, { files: Entries }> };
    const own = manifest.environments.test!.files;
    const where = (rel: string) => (own.some((f) => f.path === rel) ? { file: path.join(pr, 'test', rel), entries: own } : { file: path.join(pr, rel), entries: manifest.files });
    const rewrite = async (rel: string, edit: (text: string) => string) => {
      const { file: at, entries } = where(rel);
      const text = edit(await readFile(at, 'utf8'));
      await writeFile(at, text);
      entries.find((f) => f.path === rel)!.sha256 = sha(text);
    };
    await rewrite('alertmanager/alertmanager.yml', (t) => t.replace('${VIGIL_TEST_WECOM_SECRET}', '${VIGIL_TEST_PLAN_ONLY}'));
    await rewrite('secrets.json', (t) => t.replace(/VIGIL_TEST_WECOM_SECRET/g, 'VIGIL_TEST_PLAN_ONLY'));
    await writeFile(manifestFile, JSON.stringify(manifest));
    const stolen = await vigil(['plan', FIXTURE, '--environment-file', file, '--build', pr, '--format', 'markdown'], { ...SECRETS, VIGIL_TEST_PLAN_ONLY: 'plan-job-only-value' });
    expect(stolen.stdout + stolen.stderr).not.toContain('plan-job-only-value');
    expect(stolen.stdout).toContain('secrets not available to the plan (\\$VIGIL\\_TEST\\_PLAN\\_ONLY)');

    // A file changed after the build (its sha256 no longer the manifest's) is refused before anything is read.
    await writeFile(where('prometheus/rules/node.yml').file, 'groups: []\n');
    const tampered = await vigil(['plan', FIXTURE, '--environment-file', file, '--build', pr]);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toContain('[deploy/build]');
    expect(tampered.stderr).toContain('prometheus/rules/node.yml is not the file its manifest lists');
  }, 60_000);

  it('sends history to InfluxDB through remote_write', async () => {
    const measurements = await eventually(async () => {
      const body = await getJson<{ results: { series?: { values: string[][] }[] }[] }>(`${stack.influx!.url}/query?db=prometheus&q=${encodeURIComponent('SHOW MEASUREMENTS')}`);
      const names = (body.results[0]!.series?.[0]?.values ?? []).map((v) => v[0]);
      // A scraped series and a recording rule's output: both reach the history store.
      for (const name of ['node_load1', 'instance:node_cpu_seconds:rate1m']) if (!names.includes(name)) throw new Error(`${name} not in InfluxDB yet (${names.length} measurements)`);
      return names;
    }, 45_000);
    expect(measurements.filter((m) => m.startsWith('node_')).length).toBeGreaterThan(10);
  }, 60_000);

  it('keeps firing alerts firing across the reload of a deploy', async () => {
    const firing = async (url: string) => {
      const body = await getJson<{ data: { alerts: { labels: Record<string, string>; state: string; activeAt: string }[] } }>(`${url}/api/v1/alerts`);
      const alert = body.data.alerts.find((a) => a.labels.alertname === 'NodeExporterUp' && a.state === 'firing');
      if (!alert) throw new Error('NodeExporterUp is not firing yet');
      return alert.activeAt;
    };
    const activeBefore = await eventually(() => firing(stack.prometheus[0]!.service.url), 30_000);
    await eventually(async () => {
      const alerts = await getJson<{ labels: Record<string, string> }[]>(`${stack.alertmanagers[0]!.service.url}/api/v2/alerts`);
      if (!alerts.some((a) => a.labels.alertname === 'NodeExporterUp')) throw new Error('not in Alertmanager yet');
    }, 30_000);
    const file = await envFile('continuity', { replicas: ['prom-a', 'prom-b'], extra: raiseLoadWarning });
    const deploy = await vigil(['deploy', FIXTURE, '--environment-file', file]);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.stdout).toContain('~ rule node/NodeLoadHigh[warning]');
    expect(deploy.stderr).not.toContain('not active after it');
    // Same activeAt: Prometheus carried the alert's state over instead of starting it again.
    expect(await firing(stack.prometheus[0]!.service.url)).toBe(activeBefore);
    const rule = (await liveRules(stack.prometheus[1]!.service.url)).get('node')!.find((r) => r.name === 'NodeLoadHigh' && r.query.includes('1500'));
    expect(rule).toBeDefined();
  }, 90_000);

  it('never lets a rule the tools reject reach a running server (pre-flight)', async () => {
    const file = await envFile('continuity', { replicas: ['prom-a', 'prom-b'] });
    const loaded = await withExtraFile(await loadDirectory(FIXTURE), file);
    const compiled = compile(loaded, { environment: 'test' });
    const broken = compiled.artifacts.map((a) => (a.path === 'prometheus/rules/node.yml' ? { ...a, content: a.content.replace('expr: up == 0', 'expr: rate(up[5m]') } : a));
    const before = await snapshotDir(stack.prometheus[0]!.rulesDir);
    const view = buildView(broken);
    const error = await deployEnvironment({ environment: view.environment!, build: view, secrets: { env: SECRETS, readFile: (f) => readFile(f, 'utf8') } }).catch((e) => e);
    expect(error).toBeInstanceOf(DeployError);
    expect((error as DeployError).code).toBe('deploy/preflight');
    expect((error as DeployError).message).toContain('pre-flight promtool check rules rejected the build');
    expect(await snapshotDir(stack.prometheus[0]!.rulesDir)).toEqual(before);
    expect((await liveRules(stack.prometheus[0]!.service.url)).get('node')!.some((r) => r.query.includes('1500'))).toBe(true);
  }, 60_000);

  it('rolls every touched target back when a reload fails', async () => {
    const a = stack.prometheus[0]!;
    const c = stack.prometheus[2]!;
    const rulesBefore = await snapshotDir(a.rulesDir);
    const amBefore = await readFile(stack.alertmanagers[0]!.configFile, 'utf8');
    const extra = `${raiseLoadWarning.replace('1500', '1800')}  receivers:\n    team: { webhook: { url: "http://127.0.0.1:9/rolled-back" } }\n`;
    const file = await envFile('rollback', { replicas: ['prom-a', 'prom-c'], extra });
    const deploy = await vigil(['deploy', FIXTURE, '--environment-file', file]);
    expect(deploy.code, deploy.stderr).toBe(1);
    expect(deploy.stderr).toContain('deploy failed [deploy/reload]: prometheus prom-c: the reload endpoint is disabled');
    expect(deploy.stderr).toContain('hint: start Prometheus with --web.enable-lifecycle');
    const rolledBack = /rolled back: (.*) \(previous files restored and reloaded\)/.exec(deploy.stderr)?.[1]?.split(', ');
    // prom-c cannot reload at all, so its restored files cannot be reloaded either: said once, not also "rolled back".
    expect(rolledBack?.sort()).toEqual(['alertmanager cluster (3 peers)', 'prometheus prom-a']);
    expect(deploy.stderr).toContain('rollback incomplete: prometheus prom-c: reload after restoring the files failed');
    const json = await vigil(['deploy', FIXTURE, '--environment-file', file, '--format', 'json']);
    const failure = (JSON.parse(json.stdout) as { failure: { rolledBack: string[]; rollbackIncomplete: string[]; rollbackFailures: string[] } }).failure;
    expect(failure.rolledBack.sort()).toEqual(['alertmanager cluster (3 peers)', 'prometheus prom-a']);
    expect(failure.rollbackIncomplete).toEqual(['prometheus prom-c']);
    expect(failure.rollbackFailures.every((f) => f.startsWith('prometheus prom-c:'))).toBe(true);
    expect(await snapshotDir(a.rulesDir)).toEqual(rulesBefore);
    expect(await snapshotDir(c.rulesDir)).toEqual({});
    const rules = (await liveRules(a.service.url)).get('node')!;
    expect(rules.some((r) => r.query.includes('1500'))).toBe(true);
    expect(rules.some((r) => r.query.includes('1800'))).toBe(false);
    for (const am of stack.alertmanagers) {
      expect(await readFile(am.configFile, 'utf8')).toBe(amBefore);
      const status = await getJson<{ config: { original: string } }>(`${am.service.url}/api/v2/status`);
      expect(status.config.original).not.toContain('rolled-back');
    }
  }, 90_000);

  it('fails clearly on an unreachable target and changes nothing anywhere', async () => {
    const closed = await freePort();
    const file = await envFile('unreachable', { replicas: ['prom-a', 'prom-b'], grafanaUrl: `http://127.0.0.1:${closed}`, extra: raiseLoadWarning.replace('1500', '1700') });
    const before = await snapshotDir(stack.prometheus[0]!.rulesDir);
    const amBefore = await readFile(stack.alertmanagers[0]!.configFile, 'utf8');
    const deploy = await vigil(['deploy', FIXTURE, '--environment-file', file]);
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toContain(`deploy failed [deploy/unreachable]: cannot reach grafana at http://127.0.0.1:${closed}/`);
    expect(deploy.stderr).toContain('ECONNREFUSED');
    expect(deploy.stderr).not.toContain('rolled back');
    expect(await snapshotDir(stack.prometheus[0]!.rulesDir)).toEqual(before);
    expect(await readFile(stack.alertmanagers[0]!.configFile, 'utf8')).toBe(amBefore);
  }, 60_000);

  it('fails the pre-flight naming a missing secret, before anything changes', async () => {
    const file = await envFile('main', { replicas: ['prom-a', 'prom-b'], extra: raiseLoadWarning.replace('1500', '1600') });
    const before = await snapshotDir(stack.prometheus[0]!.rulesDir);
    const deploy = await vigil(['deploy', FIXTURE, '--environment-file', file], { [GRAFANA_TOKEN_VAR]: SECRETS[GRAFANA_TOKEN_VAR], VIGIL_TEST_WECOM_SECRET: '' });
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toContain('alertmanager.yml needs secrets that are not available here: $VIGIL_TEST_WECOM_SECRET');
    expect(await snapshotDir(stack.prometheus[0]!.rulesDir)).toEqual(before);
  }, 60_000);

  it('leaves rule files it does not own alone, and refuses to overwrite one with a Vigil group’s name', async () => {
    const a = stack.prometheus[0]!;
    const foreign = path.join(a.rulesDir, 'team-extra.yml');
    await writeFile(foreign, 'groups:\n  - name: team-extra\n    rules:\n      - record: team:up:sum\n        expr: sum(up)\n');
    const file = await envFile('main', { replicas: ['prom-a', 'prom-b'], extra: raiseLoadWarning.replace('1500', '1400') });
    const deploy = await vigil(['deploy', FIXTURE, '--environment-file', file]);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(await readFile(foreign, 'utf8')).toContain('team:up:sum');
    expect([...(await liveRules(a.service.url)).keys()].sort()).toEqual(['node', 'node-aggregations', 'team-extra']);

    const clash = path.join(stack.prometheus[1]!.rulesDir, 'node.yml');
    const before = await readFile(clash, 'utf8');
    await writeFile(clash, before.replace(/^# Generated by Vigil.*\n/, ''));
    const refused = await vigil(['deploy', FIXTURE, '--environment-file', await envFile('main', { replicas: ['prom-a', 'prom-b'] })]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`deploy failed [deploy/ownership]: ${clash} exists and was not written by Vigil`);
    await writeFile(clash, before);
  }, 60_000);

  it('writes through a mount while the server reads its own path, and verifies against the server’s path', async () => {
    const a = stack.prometheus[0]!;
    const b = stack.prometheus[1]!;
    const mountOf = async (p: typeof a) => {
      const link = path.join(dir, `mnt-${p.name}`);
      await symlink(path.dirname(p.configFile), link).catch((e) => (e.code === 'EEXIST' ? undefined : Promise.reject(e)));
      return { rulesDir: path.join(link, 'rules'), configFile: path.join(link, 'prometheus.yml') };
    };
    const mounts = { 'prom-a': await mountOf(a), 'prom-b': await mountOf(b) };
    const file = await envFile('mounted', { replicas: ['prom-a', 'prom-b'], mounts, extra: raiseLoadWarning.replace('1500', '1300') });
    const deploy = await vigil(['deploy', FIXTURE, '--environment-file', file]);
    expect(deploy.code, deploy.stderr).toBe(0);
    // rule_files names the server's directory, not the mount the deploy wrote through.
    expect(await readFile(a.configFile, 'utf8')).toContain(`rule_files:\n  - ${a.rulesDir}/*.yml\n`);
    expect((await liveRules(b.service.url)).get('node')!.some((r) => r.query.includes('1300'))).toBe(true);
  }, 60_000);

  it('removes the half-written files a killed deploy left, before it writes anything', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => child.once('close', r));
    const leftover = path.join(path.dirname(stack.alertmanagers[0]!.configFile), `.alertmanager.yml.vigil-${child.pid}-0a1b2c3d`);
    await writeFile(leftover, 'api_secret: "half of a secret"');
    const file = await envFile('main', { replicas: ['prom-a', 'prom-b'] });
    const deploy = await vigil(['deploy', FIXTURE, '--environment-file', file]);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.stderr).toContain(`removed ${leftover}, left by a deploy that was killed`);
    await expect(stat(leftover)).rejects.toThrow();
  }, 60_000);

  it('runs one deploy per environment at a time', async () => {
    const lock = path.join(stack.prometheus[0]!.rulesDir, '.vigil-deploy-test.lock');
    await mkdir(path.dirname(lock), { recursive: true });
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), environment: 'test', started: '2026-01-01T00:00:00Z' }));
    try {
      const file = await envFile('main', { replicas: ['prom-a', 'prom-b'], extra: raiseLoadWarning.replace('1500', '1600') });
      const deploy = await vigil(['deploy', FIXTURE, '--environment-file', file]);
      expect(deploy.code).toBe(1);
      expect(deploy.stderr).toContain(`deploy failed [deploy/lock]: another deploy of environment "test" is running (pid ${process.pid} on ${os.hostname()}`);
    } finally {
      await rm(lock, { force: true });
    }
  }, 60_000);
});

async function reloadTimestamp(url: string): Promise<string> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return /^prometheus_config_last_reload_success_timestamp_seconds (\S+)$/m.exec(text)?.[1] ?? '';
}
