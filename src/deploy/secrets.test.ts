import { describe, expect, it } from 'vitest';
import { DeployError } from './errors.ts';
import { lacksSecrets, materialise, secretValue, tolerantSecrets, type SecretSource } from './secrets.ts';

const source = (env: Record<string, string>, files: Record<string, string> = {}): SecretSource => ({
  env,
  readFile: async (p) => {
    if (p in files) return files[p]!;
    throw new Error('ENOENT');
  },
});

const CONFIG = 'receivers:\n  - name: ops\n    wechat_configs:\n      - api_secret: "${WECOM}"\n        corp_id: "${file:/run/corp}"\n        message: "keep ${WECOM} inside text"\n';

describe('secrets', () => {
  it('fills whole-value placeholders as quoted YAML, leaving the same text inside other strings alone', async () => {
    const out = await materialise('alertmanager.yml', CONFIG, source({ WECOM: 'a"b:c #d' }, { '/run/corp': 'corp-1\n' }));
    expect(out.holdsSecrets).toBe(true);
    expect(out.content).toContain('api_secret: "a\\"b:c #d"');
    expect(out.content).toContain('corp_id: "corp-1"');
    expect(out.content).toContain('message: "keep ${WECOM} inside text"');
  });

  it('names every missing secret and fills in nothing', async () => {
    const error = await materialise('alertmanager.yml', CONFIG, source({})).catch((e) => e);
    expect(error).toBeInstanceOf(DeployError);
    expect((error as DeployError).message).toBe('alertmanager.yml needs secrets that are not available here: $WECOM, file /run/corp');
    expect((error as DeployError).code).toBe('deploy/secret');
  });

  it('leaves a config without placeholders as it is', async () => {
    expect(await materialise('x.yml', 'a: 1\n', source({}))).toEqual({ content: 'a: 1\n', holdsSecrets: false });
  });

  it('reads a deploy secret from the environment or a file, and says which is missing', async () => {
    expect(await secretValue({ env: 'TOKEN' }, 'the Grafana token', source({ TOKEN: 't' }))).toBe('t');
    await expect(secretValue({ file: '/none' }, 'the Grafana token', source({}))).rejects.toThrow('the Grafana token is not available: cannot read /none');
    await expect(secretValue({ env: 'TOKEN' }, 'the Grafana token', source({ TOKEN: '' }))).rejects.toThrow('environment variable $TOKEN is not set');
  });

  it('lets a plan go on without secrets, listing what was missing', async () => {
    const missing: string[] = [];
    const out = await materialise('alertmanager.yml', CONFIG, tolerantSecrets(source({}), missing));
    expect(out.content).toContain('api_secret: "<not available to the plan>"');
    expect(lacksSecrets(out.content)).toBe(true);
    expect(missing).toEqual(['$WECOM', '/run/corp']);
  });
});
