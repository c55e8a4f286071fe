import { describe, expect, it } from 'vitest';
import type { DeployEnvironment } from '../build/environment.ts';
import { buildView } from '../build/read.ts';
import type { SecretUse } from '../emit/secret-slots.ts';
import type { EnvironmentModel } from '../model/types.ts';
import type { DesiredAlertmanager } from './alertmanager.ts';
import { prepareTargets, secretFileProblem } from './deploy.ts';
import { secretFileLineBreakNotes, type SecretSource } from './secrets.ts';

const env = (peers: { secretsDir?: string }[], serverDir?: string) =>
  ({ name: 'prod', alertmanager: peers.map((p, i) => ({ url: `http://am-${i}:9093`, reloadUrl: '', ...p })), alertmanagerServerSecretsDir: serverDir }) as unknown as EnvironmentModel;

/** Where a secret file may be written: only `<secretsDir>/NAME` of each peer, for the path alertmanager.yml names. */
describe('secretFileProblem', () => {
  const mounted = env([{ secretsDir: '/mnt/am-0/secrets' }, { secretsDir: '/mnt/am-1/secrets' }], '/etc/alertmanager/secrets');
  const rows: [string, EnvironmentModel, string, string, RegExp | undefined][] = [
    ['the path the Environment names', mounted, 'HOOK', '/etc/alertmanager/secrets/HOOK', undefined],
    ['a trailing slash on serverSecretsDir', env([{ secretsDir: '/s' }], '/s/'), 'HOOK', '/s/HOOK', undefined],
    ['a name that climbs out of the directory', mounted, '../../etc/passwd', '/etc/alertmanager/secrets/../../etc/passwd', /not an environment variable name/],
    ['a name with a slash', mounted, 'a/b', '/etc/alertmanager/secrets/a/b', /not an environment variable name/],
    ['an empty name', mounted, '', '/etc/alertmanager/secrets/', /not an environment variable name/],
    ['a build made for another directory', mounted, 'HOOK', '/etc/other/HOOK', /build again for this environment/],
    ['a path naming another variable', mounted, 'HOOK', '/etc/alertmanager/secrets/OTHER', /build again for this environment/],
    ['peers whose directories differ', env([{ secretsDir: '/a' }, { secretsDir: '/b' }]), 'HOOK', '/etc/alertmanager/secrets/HOOK', /set alertmanager.serverSecretsDir/],
    ['a peer with nowhere to write', env([{ secretsDir: '/s' }, {}], '/s'), 'HOOK', '/s/HOOK', /no secretsDir \(or configFile\) for Alertmanager peer http:\/\/am-1:9093/],
  ];
  for (const [name, e, variable, named, problem] of rows) {
    it(name, () => {
      const got = secretFileProblem(e, variable, named);
      if (problem) expect(got).toMatch(problem);
      else expect(got).toBeUndefined();
    });
  }
});

/** The files the deploy writes for `{ env }` secrets, and what it says of `{ file }` secrets the user provides. */
describe('secret file content', () => {
  const CONFIG = 'global:\n  smtp_auth_password_file: /etc/alertmanager/secrets/SMTP\nreceivers:\n  - name: ops\n';
  const uses: SecretUse[] = [{ artifact: 'alertmanager/alertmanager.yml', env: 'SMTP', field: 'global.smtp_auth_password_file', as: 'file', path: '/etc/alertmanager/secrets/SMTP' }];
  const deployEnv = { name: 'prod', prometheus: [], alertmanager: [{ url: 'http://am:9093', configFile: '/srv/am/alertmanager.yml', reloadUrl: 'http://am:9093/-/reload', secretsDir: '/srv/am/secrets' }], alertmanagerServerSecretsDir: '/etc/alertmanager/secrets' };
  const build = buildView([
    { path: 'alertmanager/alertmanager.yml', content: CONFIG, sources: [] },
    { path: 'secrets.json', content: JSON.stringify({ secrets: uses }), sources: [] },
  ]);
  const source = (env: Record<string, string>, files: Record<string, string> = {}): SecretSource => ({
    env,
    readFile: async (p) => {
      if (p in files) return files[p]!;
      throw new Error('ENOENT');
    },
  });

  it.each([
    ['a line feed', 'smtp-pass\n'],
    ['a carriage return and line feed', 'smtp-pass\r\n'],
    ['none', 'smtp-pass'],
  ])('writes an environment variable ending in %s without it: Alertmanager reads smtp_auth_password_file byte for byte', async (_what, value) => {
    const prepared = await prepareTargets({ environment: deployEnv as unknown as DeployEnvironment, build, secrets: source({ SMTP: value }) });
    const alertmanager = prepared.targets.find((t) => t.name === 'alertmanager') as unknown as { desired: DesiredAlertmanager };
    expect(alertmanager.desired.secretFiles).toEqual([{ name: 'SMTP', content: 'smtp-pass' }]);
  });

  it('warns, naming the field and the file, when a { file } secret Alertmanager reads itself ends in a line break', async () => {
    const fileUses: SecretUse[] = [
      { artifact: 'alertmanager/alertmanager.yml', file: '/run/smtp', receiver: 'ops', field: 'email_configs.auth_password_file', as: 'file', path: '/run/smtp' },
      { artifact: 'alertmanager/alertmanager.yml', file: '/run/clean', field: 'global.smtp_auth_password_file', as: 'file', path: '/run/clean' },
      // Prometheus' common HTTP client trims what it reads: no warning for http_config.
      { artifact: 'alertmanager/alertmanager.yml', file: '/run/token', field: 'global.http_config.authorization.credentials_file', as: 'file', path: '/run/token' },
      // Not readable here: the server's business.
      { artifact: 'alertmanager/alertmanager.yml', file: '/run/elsewhere', field: 'slack_configs.api_url_file', as: 'file', path: '/run/elsewhere' },
    ];
    const notes = await secretFileLineBreakNotes(fileUses, source({}, { '/run/smtp': 'p\n', '/run/clean': 'p', '/run/token': 't\n' }));
    expect(notes).toEqual([
      'warning: alertmanager/alertmanager.yml, receiver ops, email_configs.auth_password_file: /run/smtp ends in a line break, which Alertmanager 0.25 reads as part of the secret; hint: write the file without one (printf %s "$SECRET" > /run/smtp, not echo)',
    ]);
  });
});
