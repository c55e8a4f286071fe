// Where Alertmanager's secret files go, per Environment shape: the model's defaults (secrets/ beside each peer's
// configFile), what alertmanager.yml names, and env/secrets-dir when one file cannot name the peers' directories.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { load as parseYaml } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { compileProject } from '../../src/compile-project.ts';
import { loadDirectory } from '../../src/load/index.ts';
import type { EnvironmentSpec } from '../../src/spec/types.gen.ts';
import { environment, receiver, receivers, writeProject, yamlOf } from '../factories/index.ts';

const BASE = path.join(import.meta.dirname, '../fixtures/base');
const temps: string[] = [];
afterAll(() => Promise.all(temps.map((t) => rm(t, { recursive: true, force: true }))));

const RECEIVERS = receivers([
  receiver('team', 'email', {}, { webhook: { url: 'http://hooks.example.com/team', bearerToken: { env: 'TEAM_HOOK_TOKEN' } } }),
  receiver('oncall', 'sms'),
]);

type Alertmanager = EnvironmentSpec['alertmanager'];

async function compileWith(alertmanager: Alertmanager) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-secrets-dir-'));
  temps.push(dir);
  await cp(BASE, dir, { recursive: true });
  await writeProject(dir, { 'receivers.yaml': yamlOf(RECEIVERS), 'env.yaml': yamlOf(environment({ alertmanager })) });
  const result = compileProject(await loadDirectory(dir));
  const env = result.environments[0]!.result;
  const am = env.artifacts.find((a) => a.path === 'alertmanager/alertmanager.yml');
  const token = am ? ((parseYaml(am.content) as { receivers: { name: string; webhook_configs?: { http_config: { authorization: { credentials_file: string } } }[] }[] }).receivers.find((r) => r.name === 'team')!.webhook_configs![0]!.http_config.authorization.credentials_file) : undefined;
  return { codes: result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code), peers: env.model.environment?.alertmanager.map((p) => p.secretsDir), token };
}

const peer = (n: number, extra: { secretsDir?: string } = {}) => ({ url: `http://am-${n}:9093`, configFile: `/mnt/am-${n}/alertmanager.yml`, ...extra });

const rows: { name: string; alertmanager: Alertmanager; peers?: (string | undefined)[]; token?: string; error: boolean }[] = [
  { name: 'one shared configFile: secrets/ beside it, on both sides', alertmanager: { configFile: '/etc/alertmanager/alertmanager.yml', peers: ['http://am-0:9093', 'http://am-1:9093'] }, peers: ['/etc/alertmanager/secrets', '/etc/alertmanager/secrets'], token: '/etc/alertmanager/secrets/TEAM_HOOK_TOKEN', error: false },
  { name: 'a mount per peer and serverSecretsDir', alertmanager: { serverSecretsDir: '/etc/alertmanager/secrets', peers: [peer(0), peer(1)] }, peers: ['/mnt/am-0/secrets', '/mnt/am-1/secrets'], token: '/etc/alertmanager/secrets/TEAM_HOOK_TOKEN', error: false },
  { name: 'a mount per peer, no serverSecretsDir', alertmanager: { peers: [peer(0), peer(1)] }, error: true },
  { name: 'a mount per peer, one secretsDir for all', alertmanager: { secretsDir: '/srv/secrets', peers: [peer(0), peer(1)] }, peers: ['/srv/secrets', '/srv/secrets'], token: '/srv/secrets/TEAM_HOOK_TOKEN', error: false },
  { name: 'per-peer secretsDir that agree', alertmanager: { peers: [peer(0, { secretsDir: '/srv/s' }), peer(1, { secretsDir: '/srv/s' })] }, peers: ['/srv/s', '/srv/s'], token: '/srv/s/TEAM_HOOK_TOKEN', error: false },
  { name: 'per-peer secretsDir that differ', alertmanager: { peers: [peer(0, { secretsDir: '/srv/a' }), peer(1, { secretsDir: '/srv/b' })] }, error: true },
  { name: 'one peer through a mount', alertmanager: { serverSecretsDir: '/etc/alertmanager/secrets', peers: [peer(0)] }, peers: ['/mnt/am-0/secrets'], token: '/etc/alertmanager/secrets/TEAM_HOOK_TOKEN', error: false },
];

describe('Alertmanager secret files per Environment shape', () => {
  for (const row of rows) {
    it(row.name, async () => {
      const r = await compileWith(row.alertmanager);
      expect(r.codes.includes('env/secrets-dir')).toBe(row.error);
      if (row.error) return;
      expect(r.codes).toEqual([]);
      expect(r.peers).toEqual(row.peers);
      expect(r.token).toBe(row.token);
    });
  }

  it('a relative serverSecretsDir is refused by the schema (Alertmanager resolves smtp_auth_password_file against its working directory)', async () => {
    const r = await compileWith({ serverSecretsDir: 'secrets', peers: [peer(0)] });
    expect(r.codes).toContain('schema');
  });
});
