import { describe, expect, it } from 'vitest';
import { DeployError } from './errors.ts';
import type { SecretUse } from '../emit/secret-slots.ts';
import { maskSecrets, materialise, rememberingSecrets, secretValue, tolerantSecrets, type SecretSource } from './secrets.ts';

const source = (env: Record<string, string>, files: Record<string, string> = {}): SecretSource => ({
  env,
  readFile: async (p) => {
    if (p in files) return files[p]!;
    throw new Error('ENOENT');
  },
});

const CONFIG =
  'receivers:\n  - name: ops\n    wechat_configs:\n      - api_secret: "${WECOM}"\n        message: "keep ${WECOM} inside text"\n        to_party: "${OTHER}"\n' +
  '  - name: infra\n    wechat_configs:\n      - api_secret: "${file:/run/corp}"\n';
const AM = 'alertmanager/alertmanager.yml';
const USES: SecretUse[] = [
  { artifact: AM, at: ['receivers', 0, 'wechat_configs', 0, 'api_secret'], env: 'WECOM', field: 'wechat_configs.api_secret', as: 'placeholder' },
  { artifact: AM, at: ['receivers', 1, 'wechat_configs', 0, 'api_secret'], file: '/run/corp', field: 'wechat_configs.api_secret', as: 'placeholder' },
];

describe('secrets', () => {
  it('fills exactly the listed slots as quoted YAML; placeholder-shaped text anywhere else stays as it is', async () => {
    const out = await materialise(AM, CONFIG, USES, source({ WECOM: 'a"b:c #d', OTHER: 'leak' }, { '/run/corp': 'corp-1\n' }));
    expect(out.holdsSecrets).toBe(true);
    expect(out.content).toContain('api_secret: "a\\"b:c #d"');
    expect(out.content).toContain('api_secret: "corp-1"');
    expect(out.content).toContain('message: "keep ${WECOM} inside text"');
    expect(out.content).toContain('to_party: "${OTHER}"');
  });

  it('writes a secret into a field the service runs as a template so that it renders as itself', async () => {
    const config = 'receivers:\n  - name: ops\n    wechat_configs:\n      - api_secret: "${WECOM}"\nremote_write:\n  - basic_auth:\n      password: "${INFLUX}"\n';
    const uses: SecretUse[] = [
      { artifact: AM, at: ['receivers', 0, 'wechat_configs', 0, 'api_secret'], env: 'WECOM', field: 'wechat_configs.api_secret', as: 'placeholder' },
      { artifact: AM, at: ['remote_write', 0, 'basic_auth', 'password'], env: 'INFLUX', field: 'remote_write.basic_auth.password', as: 'placeholder' },
    ];
    const out = await materialise(AM, config, uses, source({ WECOM: 'a{{b', INFLUX: 'c{{d' }));
    expect(out.content).toContain('api_secret: "a{{ \\"{{\\" }}b"');
    expect(out.content).toContain('password: "c{{d"');
  });

  it('knows a secret field by its whole path: a field of the same name in another integration is not it', async () => {
    const config =
      'receivers:\n  - name: ops\n    pushover_configs:\n      - token: "${PUSH}"\n    telegram_configs:\n      - bot_token: "${TG}"\n' +
      '    webhook_configs:\n      - http_config:\n          basic_auth:\n            password: "${HOOK}"\n';
    const slot = (at: (string | number)[], env: string, field: string): SecretUse => ({ artifact: AM, at, env, field, as: 'placeholder' });
    const push = slot(['receivers', 0, 'pushover_configs', 0, 'token'], 'PUSH', 'pushover_configs.token');
    const telegram = slot(['receivers', 0, 'telegram_configs', 0, 'bot_token'], 'TG', 'telegram_configs.bot_token');
    const out = await materialise(AM, config, [push, telegram], source({ PUSH: 'a{{b', TG: 'c{{d' }));
    // Pushover's token is run as a template by Alertmanager 0.25; Telegram's bot_token is not.
    expect(out.content).toContain('token: "a{{ \\"{{\\" }}b"');
    expect(out.content).toContain('bot_token: "c{{d"');
    // A webhook's basic_auth password has password_file: a slot there is not a placeholder field, whatever its last key.
    const hook = slot(['receivers', 0, 'webhook_configs', 0, 'http_config', 'basic_auth', 'password'], 'HOOK', 'webhook_configs.http_config.basic_auth.password');
    await expect(materialise(AM, config, [hook], source({ HOOK: 'h' }))).rejects.toThrow(/is not a field the service keeps secret/);
    // And a pushover `token` path under another list is not Pushover's.
    const moved = slot(['receivers', 0, 'telegram_configs', 0, 'token'], 'PUSH', 'pushover_configs.token');
    await expect(materialise(AM, config.replace('bot_token', 'token'), [moved], source({ PUSH: 'p' }))).rejects.toThrow(/is not a field the service keeps secret/);
  });

  it('refuses slots that do not match the document, reading nothing for them', async () => {
    const reads: string[] = [];
    const spy: SecretSource = { env: new Proxy({}, { get: (_t, k) => (reads.push(String(k)), 'v') }), readFile: async (f) => (reads.push(f), 'v') };
    const altered: SecretUse[][] = [
      [{ ...USES[0]!, at: ['receivers', 0, 'wechat_configs', 0, 'to_party'], env: 'OTHER' }], // not a masked field
      [{ ...USES[0]!, at: ['receivers', 0, 'wechat_configs', 0, 'message'] }], // not a masked field either
      [{ ...USES[0]!, env: 'OTHER' }], // the node holds ${WECOM}, not ${OTHER}
      [{ ...USES[0]!, at: ['receivers', 5, 'wechat_configs', 0, 'api_secret'] }], // no such node
      [{ ...USES[0]!, env: 'A;B' }], // not a variable name
      [{ ...USES[1]!, file: 'relative/path' }],
      [{ ...USES[0]!, at: [] }],
    ];
    for (const uses of altered) {
      const error = await materialise(AM, CONFIG, uses, spy).catch((e) => e);
      expect(error, JSON.stringify(uses)).toBeInstanceOf(DeployError);
      expect((error as DeployError).message).toMatch(/does not match the secrets.json of its build/);
    }
    expect(reads).toEqual([]);
  });

  it('names every missing secret and fills in nothing', async () => {
    const error = await materialise(AM, CONFIG, USES, source({})).catch((e) => e);
    expect(error).toBeInstanceOf(DeployError);
    expect((error as DeployError).message).toBe('alertmanager/alertmanager.yml needs secrets that are not available here: $WECOM, file /run/corp');
    expect((error as DeployError).code).toBe('deploy/secret');
  });

  it('leaves a config without slots as it is, even with placeholder-shaped text', async () => {
    expect(await materialise('x.yml', 'a: "${HOME}"\n', USES, source({ HOME: '/root' }))).toEqual({ content: 'a: "${HOME}"\n', holdsSecrets: false, lacksSecrets: false });
  });

  it('reads a deploy secret from the environment or a file, and says which is missing', async () => {
    expect(await secretValue({ env: 'TOKEN' }, 'the Grafana token', source({ TOKEN: 't' }))).toBe('t');
    await expect(secretValue({ file: '/none' }, 'the Grafana token', source({}))).rejects.toThrow('the Grafana token is not available: cannot read /none');
    await expect(secretValue({ env: 'TOKEN' }, 'the Grafana token', source({ TOKEN: '' }))).rejects.toThrow('environment variable $TOKEN is not set');
  });

  it('lets a plan go on without secrets, listing what was missing', async () => {
    const missing: string[] = [];
    const out = await materialise(AM, CONFIG, USES, tolerantSecrets(source({}), missing));
    expect(out.content).toContain('api_secret: "<not available to the plan>"');
    expect(out.lacksSecrets).toBe(true);
    expect(missing).toEqual(['$WECOM', '/run/corp']);
  });

  it('knows a file lacks a secret only from what it filled in, never from text a definition wrote', async () => {
    const config = CONFIG.replace('keep ${WECOM} inside text', '<not available to the plan>');
    const out = await materialise(AM, config, USES, source({ WECOM: 'w' }, { '/run/corp': 'c' }));
    expect(out.content).toContain('"<not available to the plan>"');
    expect(out.lacksSecrets).toBe(false);
  });

  it('masks every secret value it handed out, in every string of what is printed', async () => {
    const seen = new Set<string>();
    const secret = 'p@ss"w\\ord';
    await materialise(AM, CONFIG, USES, rememberingSecrets(source({ WECOM: secret }, { '/run/corp': 'corp-secret\n' }), seen));
    const printed = { changes: [{ object: 'receiver ops', detail: `api_secret: ${secret} -> ${JSON.stringify(secret)}` }], notes: ['read corp-secret'], error: new DeployError(`x ${secret}`, 'h', 'c') };
    const masked = maskSecrets(printed, seen);
    expect(JSON.stringify(masked)).not.toContain('p@ss');
    expect(masked.notes).toEqual(['read <secret>']);
    expect(masked.error.message).toBe('x <secret>');
    expect(masked.changes[0]!.detail).toBe('api_secret: <secret> -> "<secret>"');
  });
});
