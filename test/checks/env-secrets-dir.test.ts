// Where Alertmanager's secret files go, per Environment shape: the model's defaults (secrets/ beside each peer's
// configFile), what alertmanager.yml names, and env/secrets-dir when one file cannot name the peers' directories.
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { load as parseYaml } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { compileProject } from '../../src/compile-project.ts';
import { loadDirectory } from '../../src/load/index.ts';

const BASE = path.join(import.meta.dirname, '../fixtures/base');
const temps: string[] = [];
afterAll(() => Promise.all(temps.map((t) => rm(t, { recursive: true, force: true }))));

const RECEIVERS = `apiVersion: vigil/v1
kind: Receivers
receivers:
  - name: team
    email: { to: [team@example.com] }
    webhook: { url: "http://hooks.example.com/team", bearerToken: { env: TEAM_HOOK_TOKEN } }
  - name: oncall
    sms: { to: ["+8613800000000"] }
`;

async function compileWith(alertmanager: string) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-secrets-dir-'));
  temps.push(dir);
  await cp(BASE, dir, { recursive: true });
  await writeFile(path.join(dir, 'receivers.yaml'), RECEIVERS);
  await writeFile(
    path.join(dir, 'env.yaml'),
    `apiVersion: vigil/v1\nkind: Environment\nname: prod\nprometheus:\n  - { url: "http://prom:9090", rulesDir: /etc/prometheus/rules }\nalertmanager:\n${alertmanager}scrape:\n  node_exporter: { targets: ["node:9100"] }\n  app: { targets: ["app:8080"] }\n`,
  );
  const result = compileProject(await loadDirectory(dir));
  const env = result.environments[0]!.result;
  const am = env.artifacts.find((a) => a.path === 'alertmanager/alertmanager.yml');
  const token = am ? ((parseYaml(am.content) as { receivers: { name: string; webhook_configs?: { http_config: { authorization: { credentials_file: string } } }[] }[] }).receivers.find((r) => r.name === 'team')!.webhook_configs![0]!.http_config.authorization.credentials_file) : undefined;
  return { codes: result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code), peers: env.model.environment?.alertmanager.map((p) => p.secretsDir), token };
}

const peer = (n: number, extra = '') => `    - { url: "http://am-${n}:9093", configFile: /mnt/am-${n}/alertmanager.yml${extra} }\n`;

const rows: { name: string; yaml: string; peers?: (string | undefined)[]; token?: string; error: boolean }[] = [
  { name: 'one shared configFile: secrets/ beside it, on both sides', yaml: '  configFile: /etc/alertmanager/alertmanager.yml\n  peers: ["http://am-0:9093", "http://am-1:9093"]\n', peers: ['/etc/alertmanager/secrets', '/etc/alertmanager/secrets'], token: '/etc/alertmanager/secrets/TEAM_HOOK_TOKEN', error: false },
  { name: 'a mount per peer and serverSecretsDir', yaml: `  serverSecretsDir: /etc/alertmanager/secrets\n  peers:\n${peer(0)}${peer(1)}`, peers: ['/mnt/am-0/secrets', '/mnt/am-1/secrets'], token: '/etc/alertmanager/secrets/TEAM_HOOK_TOKEN', error: false },
  { name: 'a mount per peer, no serverSecretsDir', yaml: `  peers:\n${peer(0)}${peer(1)}`, error: true },
  { name: 'a mount per peer, one secretsDir for all', yaml: `  secretsDir: /srv/secrets\n  peers:\n${peer(0)}${peer(1)}`, peers: ['/srv/secrets', '/srv/secrets'], token: '/srv/secrets/TEAM_HOOK_TOKEN', error: false },
  { name: 'per-peer secretsDir that agree', yaml: `  peers:\n${peer(0, ', secretsDir: /srv/s')}${peer(1, ', secretsDir: /srv/s')}`, peers: ['/srv/s', '/srv/s'], token: '/srv/s/TEAM_HOOK_TOKEN', error: false },
  { name: 'per-peer secretsDir that differ', yaml: `  peers:\n${peer(0, ', secretsDir: /srv/a')}${peer(1, ', secretsDir: /srv/b')}`, error: true },
  { name: 'one peer through a mount', yaml: `  serverSecretsDir: /etc/alertmanager/secrets\n  peers:\n${peer(0)}`, peers: ['/mnt/am-0/secrets'], token: '/etc/alertmanager/secrets/TEAM_HOOK_TOKEN', error: false },
];

describe('Alertmanager secret files per Environment shape', () => {
  for (const row of rows) {
    it(row.name, async () => {
      const r = await compileWith(row.yaml);
      expect(r.codes.includes('env/secrets-dir')).toBe(row.error);
      if (row.error) return;
      expect(r.codes).toEqual([]);
      expect(r.peers).toEqual(row.peers);
      expect(r.token).toBe(row.token);
    });
  }

  it('a relative serverSecretsDir is refused by the schema (Alertmanager resolves smtp_auth_password_file against its working directory)', async () => {
    const r = await compileWith(`  serverSecretsDir: secrets\n  peers:\n${peer(0)}`);
    expect(r.codes).toContain('schema');
  });
});
