// `vigil import alertmanager` as a user runs it: an alertmanager.yml (or its Secret) in, definitions out (or nothing,
// with located errors), secrets named and never shown, the routing proved the same with --verify.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasCommand, runVigilAsync } from '../helpers/cli.ts';

const temps: string[] = [];
afterAll(async () => Promise.all(temps.map((t) => rm(t, { recursive: true, force: true }))));
async function temp(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-import-am-cli-'));
  temps.push(dir);
  return dir;
}

const SLACK = 'T0AAA/B0BBB/xoxSecretWebhookPart42';
const ROUTING_KEY = 'pd-routing-key-7f3e9a';
const PASSWORD = 'smtp-pass-w0rd';

const CONFIG = `global:
  smtp_smarthost: mail.example.com:587
  smtp_from: alertmanager@example.com
  smtp_auth_username: alertmanager
  smtp_auth_password: ${PASSWORD}
route:
  receiver: team/default
  group_by: [alertname, cluster]
  routes:
    - match: { alertname: Watchdog }
      receiver: "null"
    - match_re: { service: ^(api|web)$ }
      receiver: web
      continue: true
      routes:
        - matchers: ['severity="critical"']
          receiver: pager
    - matchers: ['team!="infra"', 'env=~"prod.*"']
      receiver: team/default
      active_time_intervals: [office]
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [alertname]
time_intervals:
  - name: office
    time_intervals: [{ weekdays: ['Monday:Friday'], times: [{ start_time: "09:00", end_time: "18:00" }] }]
receivers:
  - name: "null"
  - name: team/default
    email_configs: [{ to: team@example.com }]
  - name: web
    slack_configs: [{ api_url: "https://hooks.slack.com/services/${SLACK}", channel: "#web" }]
  - name: pager
    pagerduty_configs: [{ routing_key: ${ROUTING_KEY} }]
`;

async function allText(dir: string): Promise<string> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out.push(await readFile(path.join(entry.parentPath, entry.name), 'utf8'));
  }
  return out.join('\n');
}

describe('vigil import alertmanager', () => {
  it('writes definitions that build, names the variables to set, never shows a secret, and --verify proves the routing', async () => {
    const dir = await temp();
    await writeFile(path.join(dir, 'alertmanager.yml'), CONFIG);
    const run = await runVigilAsync(['import', 'alertmanager', 'alertmanager.yml', '--out', 'imported', '--verify'], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('imported 4 receivers (1 integrations mapped to first-class channels, 2 carried as passthrough), 4 routes, 1 inhibit rules, 1 time intervals; 3 secrets extracted; 4 files written to imported/');
    expect(run.stdout).toContain('receiver "team/default" → team-default');
    for (const env of ['SMTP_AUTH_PASSWORD', 'SLACK_API_URL_WEB', 'PAGERDUTY_ROUTING_KEY_PAGER']) expect(run.stdout).toMatch(new RegExp(`^  ${env}  \\(`, 'm'));
    expect(run.stdout).toMatch(/^verified: the build routes \d+ label sets to the same receivers/m);
    if (hasCommand('amtool')) expect(run.stdout).toContain('with amtool config routes test on both files and amtool check-config on the build');
    expect((await readdir(path.join(dir, 'imported'))).sort()).toEqual(['project.yaml', 'receivers.yaml', 'routes.yaml', 'severities.yaml']);

    const build = await runVigilAsync(['build', 'imported', '--out', 'generated'], dir);
    expect(build.code, build.stderr).toBe(0);
    for (const secret of [SLACK, ROUTING_KEY, PASSWORD]) {
      expect(run.stdout + run.stderr).not.toContain(secret);
      expect(await allText(path.join(dir, 'imported'))).not.toContain(secret);
      expect(await allText(path.join(dir, 'generated'))).not.toContain(secret);
    }
  }, 120_000);

  it('--format json names the variables, not their values', async () => {
    const dir = await temp();
    await writeFile(path.join(dir, 'alertmanager.yml'), CONFIG);
    const run = await runVigilAsync(['import', 'alertmanager', 'alertmanager.yml', '--out', 'imported', '--format', 'json'], dir);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.ok).toBe(true);
    expect(report.environment.map((e: { env: string }) => e.env).sort()).toEqual(['PAGERDUTY_ROUTING_KEY_PAGER', 'SLACK_API_URL_WEB', 'SMTP_AUTH_PASSWORD']);
    for (const secret of [SLACK, ROUTING_KEY, PASSWORD]) expect(run.stdout).not.toContain(secret);
  }, 60_000);

  it('reads the Secret holding alertmanager.yaml (base64 data)', async () => {
    const dir = await temp();
    const secret = `apiVersion: v1\nkind: Secret\nmetadata: { name: alertmanager-main, namespace: monitoring }\ndata:\n  alertmanager.yaml: ${Buffer.from(CONFIG).toString('base64')}\n`;
    await writeFile(path.join(dir, 'secret.yaml'), secret);
    const run = await runVigilAsync(['import', 'alertmanager', 'secret.yaml', '--out', 'imported', '--verify'], dir);
    expect(run.code, run.stderr).toBe(0);
    expect(await readFile(path.join(dir, 'imported/routes.yaml'), 'utf8')).toContain('# Imported from secret.yaml (Secret monitoring/alertmanager-main data.alertmanager.yaml).');
    expect(run.stdout + (await allText(path.join(dir, 'imported')))).not.toContain(ROUTING_KEY);
  }, 120_000);

  it('writes nothing for bad input and says where it is', async () => {
    const dir = await temp();
    await writeFile(path.join(dir, 'alertmanager.yml'), CONFIG.replace("'env=~\"prod.*\"'", "'env=~\"prod(\"'"));
    const run = await runVigilAsync(['import', 'alertmanager', 'alertmanager.yml', '--out', 'imported'], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('alertmanager.yml:18:35: error[import/alertmanager]: route.routes[2]: invalid regular expression in matcher "env=~\\"prod(\\""');
    expect(run.stderr).toContain('nothing was written');
    expect(existsSync(path.join(dir, 'imported'))).toBe(false);
  }, 60_000);

  it('--verify fails with exit 1 when the imported definitions do not build (a route names an undefined time interval)', async () => {
    const dir = await temp();
    await writeFile(path.join(dir, 'alertmanager.yml'), CONFIG.replace('active_time_intervals: [office]', 'active_time_intervals: [holidays]'));
    const run = await runVigilAsync(['import', 'alertmanager', 'alertmanager.yml', '--out', 'imported', '--verify'], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ref/time-interval');
    expect(run.stderr).toContain('verify failed: the imported definitions do not build');
  }, 60_000);

  it.skipIf(!hasCommand('amtool'))('--verify says once that amtool refuses the input itself, and lists the key it did not carry', async () => {
    const dir = await temp();
    await writeFile(path.join(dir, 'alertmanager.yml'), `tracing: { endpoint: "x:4317" }\n${CONFIG}`);
    const run = await runVigilAsync(['import', 'alertmanager', 'alertmanager.yml', '--out', 'imported', '--verify'], dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('`tracing` is not carried (Vigil has no place for it)');
    expect(run.stderr.match(/difference: /g)).toHaveLength(1);
    expect(run.stderr).toContain('difference: amtool check-config refuses the input itself');
  }, 120_000);

  it.each([
    [['import', 'alertmanager', 'a.yml', 'b.yml', '--out', 'o'], 'import one alertmanager.yml'],
    [['import', 'alertmanager', 'a.yml'], '--out DIR is required'],
  ])('refuses %j as a usage error', async (args, message) => {
    const run = await runVigilAsync(args, await temp());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });
});
