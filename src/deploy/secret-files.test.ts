import { describe, expect, it } from 'vitest';
import type { EnvironmentModel } from '../model/types.ts';
import { secretFileProblem } from './deploy.ts';

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
