import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCommand, REPO, runVigil } from '../helpers/cli.ts';

/**
 * `vigil test` as a user runs it, with the real promtool, on test/fixtures/tests/project: two alerts, three levels,
 * each level covered by the user tests in tests/app.yaml, policies.testCoverage 100.
 */
const FIXTURE = path.join(REPO, 'test/fixtures/tests/project');
const USER_ONLY = { VIGIL_TEST_SYNTHESIZER: 'off' };
let work: string;

async function project(name: string, edit?: (tests: string) => string): Promise<string> {
  const dir = path.join(work, name);
  await cp(FIXTURE, path.join(dir, 'monitoring'), { recursive: true });
  if (edit) {
    const file = path.join(dir, 'monitoring/tests/app.yaml');
    await writeFile(file, edit(await readFile(file, 'utf8')));
  }
  return dir;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'vigil-test-cli-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe.skipIf(!hasCommand('promtool'))('vigil test', () => {
  it('passes, writes promtool unit-test files that pass promtool on their own, and is then up to date', async () => {
    const dir = await project('pass');
    expect(runVigil(['build'], dir).code).toBe(0);
    const r = runVigil(['test', '--junit', 'report.xml'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('vigil test monitoring → generated/tests/');
    expect(r.stdout).toMatch(/QueueDeep\s+critical\s+passed/);
    expect(r.stdout).toMatch(/warning\s+passed/);
    expect(r.stdout).toMatch(/TargetDown\s+critical\s+passed/);
    expect(r.stdout).toContain('coverage     3/3 levels tested (100%), required 100%: met');
    expect(r.stdout).toMatch(/files +\d+ \(\d+ written, 0 unchanged\)/);

    // The committed file is an ordinary promtool test with complete expectations.
    const file = path.join(dir, 'generated/tests/tests.app.user.test.yml');
    const content = await readFile(file, 'utf8');
    expect(content).toContain('rule_files:\n  - ../prometheus/rules/app.yml\n  - ../prometheus/rules/app-aggregations.yml\nevaluation_interval: 30s\n');
    expect(content).toContain('summary: Queue of api holds 600 items');
    expect(content).toContain('instance: db:9100');
    const promtool = spawnSync('promtool', ['test', 'rules', 'generated/tests/tests.app.user.test.yml'], { cwd: dir, encoding: 'utf8' });
    expect(promtool.status, promtool.stdout + promtool.stderr).toBe(0);

    const junit = await readFile(path.join(dir, 'report.xml'), 'utf8');
    expect(junit).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="vigil test" tests="\d+" failures="0"/);
    expect(junit).toContain('<testcase name="queue grows from warning to critical" classname="monitoring/tests/app.yaml" file="monitoring/tests/app.yaml:5"/>');

    const again = runVigil(['test'], dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/files +\d+ \(0 written, \d+ unchanged\)/);
    const check = runVigil(['test', '--check'], dir);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toContain('generated/tests/ is up to date');
    // vigil build leaves the test files alone and stays up to date.
    expect(runVigil(['build', '--check'], dir).code).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(content);
  });

  it('a failing expectation exits 1, names the alert and the level at file:line:col with expected and got, and writes nothing', async () => {
    const dir = await project('fail', (t) => t.replace('alerts: [{ name: QueueDeep, level: warning, labels: { service: api } }]', 'alerts: [{ name: QueueDeep, level: critical, labels: { service: api } }]'));
    const r = runVigil(['test', '--junit', 'report.xml'], dir, USER_ONLY);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('monitoring/tests/app.yaml:14:18: error[test/failed]: test "queue grows from warning to critical": QueueDeep level critical did not fire at 6m (firing: warning)');
    expect(r.stderr).toContain('    expected at 6m:\n      QueueDeep critical {service="api"}\n    got:\n      QueueDeep warning {service="api", team="app"}');
    expect(r.stderr).toContain('test failed: 1 failed test');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toMatch(/QueueDeep\s+critical\s+FAILED\s+"queue grows from warning to critical"/);
    expect(r.stdout).toContain('nothing written to generated/tests/ because a test failed');
    expect(spawnSync('ls', ['generated/tests'], { cwd: dir }).status).not.toBe(0);

    const junit = await readFile(path.join(dir, 'report.xml'), 'utf8');
    expect(junit).toContain('failures="1"');
    expect(junit).toContain('<failure message="test &quot;queue grows from warning to critical&quot;: QueueDeep level critical did not fire at 6m (firing: warning)');

    const gh = runVigil(['test', '--format', 'github'], dir, USER_ONLY);
    expect(gh.code).toBe(1);
    expect(gh.stdout).toMatch(/^::error file=monitoring\/tests\/app.yaml,line=14,col=18,.*title=test\/failed::test "queue grows from warning to critical": QueueDeep level critical did not fire at 6m/m);

    const json = runVigil(['test', '--format', 'json'], dir, USER_ONLY);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { ok: boolean; cases: { name: string; status: string; failures: { line: number; diff: string }[] }[] };
    expect(report.ok).toBe(false);
    expect(report.cases.map((c) => [c.name, c.status])).toEqual([
      ['queue grows from warning to critical', 'failed'],
      ['a target down for a minute pages', 'passed'],
    ]);
    expect(report.cases[0]!.failures[0]!.line).toBe(14);
  });

  it('tests the alerts an environment overrides at that environment’s thresholds', async () => {
    const dir = await project('environment');
    await writeFile(
      path.join(dir, 'monitoring/prod.yaml'),
      'apiVersion: vigil/v1\nkind: Environment\nname: prod\nprometheus:\n  - { url: "http://prom:9090", rulesDir: /etc/prometheus/rules }\nscrape:\n  app: { targets: ["app:8080"] }\n  node_exporter: { targets: ["node:9100"] }\noverrides:\n  alerts:\n    QueueDeep: { thresholds: { warning: { value: 250 } } }\n',
    );
    expect(runVigil(['build'], dir).code).toBe(0);
    const r = runVigil(['test', '--format', 'json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { environments: { environment: string; alerts: string[]; cases: { name: string; status: string }[] }[] };
    expect(report.environments.map((e) => [e.environment, e.alerts])).toEqual([['prod', ['QueueDeep']]]);
    const names = report.environments[0]!.cases.map((c) => c.name);
    expect(names).toContain('QueueDeep warning: boundary, 252.5 satisfies > 250 for 5m');
    expect(names.some((n) => n.includes('> 100'))).toBe(false);
    expect(report.environments[0]!.cases.every((c) => c.status === 'passed')).toBe(true);
    const text = runVigil(['test', '--junit', 'report.xml'], dir);
    expect(text.stdout).toMatch(/prod +QueueDeep: 4\/4 cases passed/);
    const junit = await readFile(path.join(dir, 'report.xml'), 'utf8');
    expect(junit).toContain('<testcase name="QueueDeep warning: boundary, 252.5 satisfies &gt; 250 for 5m" classname="environment prod (generated)"/>');
  });

  it('does not call a disable comment unused when it silences a problem only an environment’s override causes', async () => {
    const dir = await project('environment-disable');
    const env = (comment: string) =>
      `apiVersion: vigil/v1\nkind: Environment\nname: prod\nprometheus:\n  - { url: "http://prom:9090", rulesDir: /etc/prometheus/rules }\nscrape:\n  app: { targets: ["app:8080"] }\n  node_exporter: { targets: ["node:9100"] }\noverrides:\n  alerts:\n    QueueDeep:\n      thresholds:\n        ${comment}\n        critical: { for: 10m }\n`;
    // Critical waiting longer than warning is threshold/order's warning, in prod's compile only.
    await writeFile(path.join(dir, 'monitoring/prod.yaml'), env('# vigil-disable-next-line threshold/order: prod pages late on purpose'));
    const validate = runVigil(['validate'], dir);
    expect(validate.stdout + validate.stderr).toContain('0 errors, 0 warnings');
    expect(runVigil(['build'], dir).code).toBe(0);
    const r = runVigil(['test'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('disable/unused');
    // A comment no compile uses is still reported, by validate.
    await writeFile(path.join(dir, 'monitoring/prod.yaml'), env('# vigil-disable-next-line promql/rate-gauge: nothing here'));
    expect(runVigil(['validate'], dir).stderr).toContain('warning[disable/unused]');
  });

  it('coverage below policies.testCoverage exits 1 and lists the untested levels', async () => {
    const dir = await project('coverage', (t) => t.slice(0, t.indexOf('  - name: a target down')));
    const r = runVigil(['test'], dir, USER_ONLY);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('coverage     2/3 levels tested (66.6%), required 100%: below');
    expect(r.stdout).toContain('    untested: TargetDown critical');
    expect(r.stdout).toMatch(/TargetDown\s+critical\s+untested/);
    expect(r.stderr).toContain('test failed: coverage 66.6% is below the required 100%');
    // The passing tests are still written: they are correct, only too few.
    expect(r.stdout).toMatch(/files +1 \(1 written/);
  });

  it('--check exits 1 and lists a test file that no longer matches its tests', async () => {
    const dir = await project('stale');
    expect(runVigil(['test'], dir).code).toBe(0);
    const tests = path.join(dir, 'monitoring/tests/app.yaml');
    await writeFile(tests, (await readFile(tests, 'utf8')).replace('at: 2m', 'at: 3m'));
    const r = runVigil(['test', '--check'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('  changed: generated/tests/tests.app.user.test.yml');
    // A failing test is a failure, not a reason to call every committed file stale.
    await writeFile(tests, (await readFile(tests, 'utf8')).replace('level: warning, labels: { service: api } }]', 'level: critical, labels: { service: api } }]'));
    const failing = runVigil(['test', '--check'], dir);
    expect(failing.code).toBe(1);
    expect(failing.stderr).not.toContain('no longer generated');
    expect(failing.stdout).toContain('generated/tests/ not compared because a test failed');
  });

  it('definition errors stop before any test, printed like vigil validate', async () => {
    const dir = await project('invalid', (t) => t.replace('name: TargetDown', 'name: TargetDwn'));
    const r = runVigil(['test'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('monitoring/tests/app.yaml:33:26: error[test/refs]: test "a target down for a minute pages": unknown alert "TargetDwn"');
    expect(r.stderr).toContain('hint: did you mean TargetDown?');
  });
});

describe('vigil test without promtool', () => {
  it('exits 2 and says how to install it', async () => {
    const dir = await project('no-promtool');
    const r = runVigil(['test'], dir, { VIGIL_PROMTOOL: '/nonexistent/promtool' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('promtool is not installed');
    expect(r.stderr).toContain('apt-get install prometheus');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects a bad --format with exit 2', () => {
    expect(runVigil(['test', '--format', 'xml'], work).code).toBe(2);
    expect(runVigil(['test', '--help']).stdout).toContain('Usage: vigil test');
  });
});
