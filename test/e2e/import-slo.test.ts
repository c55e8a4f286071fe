// `vigil import slo` as a user runs it: Sloth specs and Pyrra ServiceLevelObjectives in, kind: SLOs out (or nothing,
// with located errors); every published example imports, validates, builds and passes promtool, and --verify runs
// Sloth's generated rules beside Vigil's in promtool.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasCommand, runVigilAsync } from '../helpers/cli.ts';

const SLOTH = path.resolve(import.meta.dirname, '../fixtures/sloth');
const PYRRA = path.resolve(import.meta.dirname, '../fixtures/pyrra');
const temps: string[] = [];
afterAll(async () => Promise.all(temps.map((t) => rm(t, { recursive: true, force: true }))));
async function temp(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-import-slo-cli-'));
  temps.push(dir);
  return dir;
}

const SLOTH_WITH_RULES = [
  { spec: 'getting-started.yml', rules: 'getting-started.gen.yml', slos: ['myservice/requests-availability'] },
  { spec: 'kubernetes-apiserver.yml', rules: 'kubernetes-apiserver.gen.yml', slos: ['k8s-apiserver/requests-availability', 'k8s-apiserver/requests-latency'] },
  { spec: 'k8s-getting-started.yml', rules: 'k8s-getting-started.gen.yml', slos: ['myservice/requests-availability'] },
  // Two services with the same SLO and alert names: the second is renamed (both are unique in a Vigil project).
  { spec: 'multifile.yml', rules: 'multifile.gen.yml', slos: ['myservice/requests-availability', 'myservice2/myservice2-requests-availability'] },
];
const PYRRA_FILES = ['caddy-response-latency.yaml', 'prometheus-http.yaml', 'slo-apiserver-read-response-errors.yaml', 'slo-apiserver-read-resource-latency.yaml'];

describe.skipIf(!hasCommand('promtool'))('vigil import slo: the published examples', () => {
  it.each(SLOTH_WITH_RULES)('Sloth $spec: imports, validates, builds, and --verify evaluates it like Sloth\'s rules', async ({ spec, rules, slos }) => {
    const dir = await temp();
    const run = await runVigilAsync(['import', 'slo', path.join(SLOTH, spec), path.join(SLOTH, rules), '--out', 'out', '--verify'], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/verified: the build has the source's objective, period, error ratio and \d+ burn pairs/);
    expect(run.stdout).toContain('verified: promtool check rules accepts');
    for (const slo of slos) expect(run.stdout).toContain(`verified: ${slo} records the same values and alerts at the same times as Sloth's generated rules`);
    expect(run.stdout).toContain('(its alerts fired during the burns)');
    const validate = await runVigilAsync(['validate', 'out'], dir);
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);
    expect(validate.stdout + validate.stderr).not.toMatch(/error\[/);
  }, 300_000);

  it('--verify fails, listing what differs, when Sloth\'s rules do not evaluate like the build (a page factor changed)', async () => {
    const dir = await temp();
    const gen = (await readFile(path.join(SLOTH, 'getting-started.gen.yml'), 'utf8')).replaceAll('(14.4 * ', '(1.44 * ');
    await writeFile(path.join(dir, 'changed.gen.yml'), gen);
    const run = await runVigilAsync(['import', 'slo', path.join(SLOTH, 'getting-started.yml'), 'changed.gen.yml', '--out', 'out', '--verify', '--format', 'json'], dir);
    expect(run.code).toBe(1);
    const answer = JSON.parse(run.stdout) as { ok: boolean; verify: { differences: string[]; promtool: { problems: string[] } } };
    expect(answer.ok).toBe(false);
    expect(answer.verify.differences.join('\n')).toContain("changed.gen.yml: Sloth's rules and the build evaluate differently over the same series");
    expect(answer.verify.differences.join('\n')).toMatch(/ALERTS\{alertname=\\"MyServiceHighErrorRate\\",sloth_severity=\\"page\\"/);
  }, 300_000);

  it('Pyrra: every example imports with its window and burn rates, builds, and --verify passes promtool check rules', async () => {
    const dir = await temp();
    const run = await runVigilAsync(['import', 'slo', ...PYRRA_FILES.map((f) => path.join(PYRRA, f)), '--out', 'out', '--verify'], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('imported 4 SLOs from 4 Pyrra SLOs');
    expect(run.stdout).toContain('verified: the build has the source\'s objective, period, error ratio and 15 burn pairs of 4 SLOs');
    expect(run.stdout).toContain('verified: promtool check rules accepts the 8 rule files');
    // 90% leaves a 10% budget: Pyrra's 14× pair can never fire, and is reported, not silently dropped.
    expect(run.stdout).toContain("Pyrra's 14× burn over 1h/5m needs an error ratio above 100% at a 10% budget and can never fire: left out");
    expect(run.stdout).toMatch(/not imported \(4\):[\s\S]*absent alerts/);
    const caddy = await readFile(path.join(dir, 'out', 'slos', 'caddy-response-latency.yaml'), 'utf8');
    expect(caddy).toContain('window: 4w');
    expect(caddy).toContain('objective: 90');
    expect(caddy).toContain('bucket: caddy_http_response_duration_seconds_bucket');
    expect(caddy).toContain('le: "0.05"');
    const ratio = await readFile(path.join(dir, 'out', 'slos', 'prometheus-api-query.yaml'), 'utf8');
    expect(ratio).toContain('errorQuery: sum(rate(prometheus_http_requests_total{handler="/api/v1/query",code=~"5.."}[{{.window}}]))');
    expect(ratio).toMatch(/long: 15m\s+short: 1m\s+factor: 14/);
    const build = await runVigilAsync(['build', 'out', '--out', 'built'], dir);
    expect(build.code, build.stdout + build.stderr).toBe(0);
  }, 300_000);
});

describe('vigil import slo: what cannot be mapped is reported', () => {
  it('a raw SLI and a plugin SLI are listed as not imported, with why', async () => {
    const dir = await temp();
    const run = await runVigilAsync(['import', 'slo', path.join(SLOTH, 'raw-home-wifi.yml'), path.join(SLOTH, 'plugin-getting-started.yml'), path.join(SLOTH, 'getting-started.yml'), '--out', 'out'], dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('imported 1 SLO from 1 Sloth spec (2 things not imported, listed below)');
    expect(run.stdout).toContain('SLO wifi-client-satisfaction: its SLI is a raw error ratio (error_ratio_query)');
    expect(run.stdout).toContain('its SLI is Sloth plugin "getting_started_availability"');
    expect(run.stdout).toContain('the page alert\'s label routing_key="myteam" not kept');
  });

  it('--page-severity and --ticket-severity pick the levels, and the Severities list them first', async () => {
    const dir = await temp();
    const run = await runVigilAsync(['import', 'slo', path.join(SLOTH, 'getting-started.yml'), '--out', 'out', '--page-severity', 'page', '--ticket-severity', 'ticket'], dir);
    expect(run.code, run.stderr).toBe(0);
    const slos = await readFile(path.join(dir, 'out', 'slos', 'myservice.yaml'), 'utf8');
    expect(slos).toMatch(/page: page\s+ticket: ticket/);
    expect(await readFile(path.join(dir, 'out', 'severities.yaml'), 'utf8')).toMatch(/- name: page\s+- name: ticket\s+- name: critical/);
  });
});

describe('vigil import slo: usage', () => {
  it.each([
    [['import', 'rules', 'x.yml', '--out', 'o', '--page-severity', 'page'], '--page-severity and --ticket-severity are for vigil import slo'],
    [['import', 'slo', 'x.yml', '--out', 'o', '--ticket-severity', 'Not Valid'], '--ticket-severity takes a severity name'],
    [['import', 'slo', '--out', 'o'], 'name at least one slo file'],
  ])('%j is a usage error', async (args, message) => {
    const run = await runVigilAsync(args, await temp());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });
});

const MALFORMED: { name: string; text: string; where: string; message: RegExp }[] = [
  { name: 'YAML error', text: 'version: "prometheus/v1"\nservice: [unclosed\n', where: 'in.yaml:3:1', message: /import\/yaml/ },
  { name: 'neither Sloth nor Pyrra', text: 'apiVersion: v1\nkind: ConfigMap\ndata: {}\n', where: 'in.yaml:2:7', message: /a ConfigMap is neither a Sloth spec nor a Pyrra ServiceLevelObjective/ },
  { name: 'unknown Sloth version', text: 'version: "prometheus/v2"\nservice: x\nslos: []\n', where: 'in.yaml:1:10', message: /unknown Sloth spec version "prometheus\/v2"/ },
  { name: 'unknown Pyrra version', text: 'apiVersion: pyrra.dev/v1\nkind: ServiceLevelObjective\n', where: 'in.yaml:1:13', message: /unknown Pyrra API version "pyrra.dev\/v1"/ },
  { name: 'unknown Sloth CRD version', text: 'apiVersion: sloth.slok.dev/v2\nkind: PrometheusServiceLevel\n', where: 'in.yaml:1:13', message: /unknown Sloth API version/ },
  { name: 'Pyrra target not a number', text: 'apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: { name: a }\nspec:\n  target: "high"\n  window: 4w\n  indicator: {}\n', where: 'in.yaml:5:11', message: /spec.target "high" is not a percentage/ },
  { name: 'Sloth objective out of range', text: 'version: "prometheus/v1"\nservice: s\nslos:\n  - name: a\n    objective: 100\n', where: 'in.yaml:5:16', message: /objective 100 is not a percentage in \(0, 100\)/ },
  { name: 'a rule file that Sloth did not generate', text: 'groups:\n  - name: g\n    rules: []\n', where: 'in.yaml:1:1', message: /not one Sloth generated/ },
  { name: 'an empty file', text: '', where: 'in.yaml:1:1', message: /no SLO spec in this file/ },
];

describe('vigil import slo: bad input is a located error, and nothing is written', () => {
  it.each(MALFORMED)('$name', async ({ text, where, message }) => {
    const dir = await temp();
    await writeFile(path.join(dir, 'in.yaml'), text);
    const run = await runVigilAsync(['import', 'slo', 'in.yaml', '--out', 'out'], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(where);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('nothing was written');
    expect(run.stderr).not.toMatch(/\n\s+at .*\.ts:\d+/);
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
  });
});
