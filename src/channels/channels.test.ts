import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProjectModel, SecretRef } from '../model/types.ts';
import { CHANNEL_NAMES, CHANNELS, missingSettings, relayNotifyPath, type AlertmanagerWriter, type Channel, type ChannelName } from './index.ts';

const SRC = path.resolve(import.meta.dirname, '..');
const schema = JSON.parse(readFileSync(path.join(SRC, 'spec/schemas/receivers.schema.json'), 'utf8'));
const receiverProperties: Record<string, { properties?: Record<string, { $ref?: string }> }> = schema.properties.receivers.items.properties;
// Besides channels, a receiver has its name, its default sendResolved, `discard`, Alertmanager's own integrations and its `fallback`.
const NOT_CHANNELS = new Set(['name', 'sendResolved', 'discard', 'alertmanager', 'fallback']);
const schemaChannels = Object.keys(receiverProperties).filter((k) => !NOT_CHANNELS.has(k));
const byName = (name: ChannelName): Channel => CHANNELS.find((c) => c.name === name)!;

describe('the channel list', () => {
  it('has one module for every channel of the Receivers schema, and no other', () => {
    expect([...CHANNEL_NAMES].sort()).toEqual([...schemaChannels].sort());
    expect(new Set(CHANNEL_NAMES).size).toBe(CHANNEL_NAMES.length);
  });

  it('keeps the order alertmanager.yml writes blocks in: email, wechat, then webhooks (the signed one added last)', () => {
    expect(CHANNEL_NAMES).toEqual(['email', 'wecom', 'dingtalk', 'wecomRobot', 'sms', 'webhook', 'signedWebhook']);
  });
});

// The facts, stated once: each row is what one module must say.
const facts: { name: ChannelName; deliveredBy: 'alertmanager' | 'relay'; requires: string[]; list: string; messageBytes?: number; messagesPerMinute?: number }[] = [
  { name: 'email', deliveredBy: 'alertmanager', requires: ['smtp'], list: 'email_configs' },
  { name: 'wecom', deliveredBy: 'alertmanager', requires: [], list: 'wechat_configs', messageBytes: 2048 },
  { name: 'dingtalk', deliveredBy: 'relay', requires: ['relay'], list: 'webhook_configs', messageBytes: 20_000, messagesPerMinute: 20 },
  { name: 'wecomRobot', deliveredBy: 'relay', requires: ['relay'], list: 'webhook_configs', messageBytes: 4096, messagesPerMinute: 20 },
  { name: 'sms', deliveredBy: 'relay', requires: ['relay', 'relaySms'], list: 'webhook_configs' },
  { name: 'webhook', deliveredBy: 'alertmanager', requires: [], list: 'webhook_configs' },
  { name: 'signedWebhook', deliveredBy: 'relay', requires: ['relay'], list: 'webhook_configs' },
];

const specs: Record<ChannelName, object> = {
  email: { to: ['a@example.com', 'b@example.com'] },
  wecom: { corpId: 'corp', agentId: '1000002', apiSecret: { env: 'WECOM_SECRET' }, toParty: '2' },
  dingtalk: { webhook: { env: 'DING_HOOK' }, secret: { file: '/run/secrets/ding' }, atMobiles: ['13800000000'] },
  wecomRobot: { webhook: { env: 'WECOM_ROBOT_HOOK' }, mentions: ['zhang.san', 'li-si'] },
  sms: { to: ['+8613800000000'] },
  webhook: { url: 'https://hooks.example.com/in', bearerToken: { env: 'HOOK_TOKEN' }, maxAlerts: 5 },
  signedWebhook: { url: 'https://hooks.example.com/vigil', secret: { env: 'HOOK_SIGNING_SECRET' } },
};

interface Calls { text: string[]; placeholder: string[]; file: string[] }
function recordingWriter(): { write: AlertmanagerWriter; calls: Calls } {
  const calls: Calls = { text: [], placeholder: [], file: [] };
  const ref = (r: SecretRef) => r.env ?? r.file;
  return {
    calls,
    write: {
      text: (s) => (calls.text.push(s), `T(${s})`),
      template: (key) => `TPL(${key})`,
      placeholder: (r, field) => (calls.placeholder.push(`${field}=${ref(r)}`), `P(${ref(r)})`),
      file: (r, field) => (calls.file.push(`${field}=${ref(r)}`), `/secrets/${ref(r)}`),
    },
  };
}

describe.each(facts)('the $name channel', (fact) => {
  const channel = byName(fact.name);

  it('says who delivers it and which project settings it needs', () => {
    expect(channel.deliveredBy).toBe(fact.deliveredBy);
    expect([...channel.requires]).toEqual(fact.requires);
    expect(channel.limits.messageBytes).toBe(fact.messageBytes);
    expect(channel.limits.messagesPerMinute).toBe(fact.messagesPerMinute);
  });

  it('names exactly the schema fields that hold a secret reference', () => {
    const fields = Object.entries(receiverProperties[fact.name]!.properties ?? {})
      .filter(([, p]) => p.$ref?.endsWith('#/definitions/secretRef'))
      .map(([k]) => k);
    expect([...channel.secretFields].sort()).toEqual(fields.sort());
  });

  it('has a relay path and a relay entry exactly when the relay delivers it', () => {
    const relay = fact.deliveredBy === 'relay';
    expect(channel.relayPath !== undefined).toBe(relay);
    expect(channel.relayEntry !== undefined).toBe(relay);
    expect(channel.requires.includes('relay')).toBe(relay);
  });

  it('writes its block into the right Alertmanager list, with sendResolved as given', () => {
    for (const sendResolved of [true, false]) {
      const { write } = recordingWriter();
      const block = channel.alertmanager(specs[fact.name] as never, { receiver: 'ops', sendResolved, relayUrl: 'http://relay:9095', write });
      expect(block.list).toBe(fact.list);
      expect(block.config.send_resolved).toBe(sendResolved);
    }
  });
});

describe('relay paths', () => {
  // Receiver names the schema allows, and names it does not (the path must stay one segment either way).
  const names: { receiver: string; segment: string }[] = [
    { receiver: 'ops', segment: 'ops' },
    { receiver: 'team.a_b-c', segment: 'team.a_b-c' },
    { receiver: 'a/b', segment: 'a%2Fb' },
    { receiver: '../admin', segment: '..%2Fadmin' },
    { receiver: 'a?x=1#y', segment: 'a%3Fx%3D1%23y' },
    { receiver: 'on call', segment: 'on%20call' },
    { receiver: '值班', segment: '%E5%80%BC%E7%8F%AD' },
  ];
  const relayChannels = CHANNELS.filter((c) => c.deliveredBy === 'relay');

  it.each(relayChannels.flatMap((c) => names.map((n) => ({ channel: c.name, ...n }))))('$channel for $receiver: one segment', ({ channel, receiver, segment }) => {
    const expected = `/api/v1/notify/${channel}/${segment}`;
    expect(byName(channel).relayPath!(receiver)).toBe(expected);
    expect(relayNotifyPath(channel, receiver)).toBe(expected);
    const { write } = recordingWriter();
    const block = byName(channel).alertmanager(specs[channel] as never, { receiver, sendResolved: true, relayUrl: 'http://relay:9095', write });
    expect(block.config.url).toBe(`http://relay:9095${expected}`);
  });
});

describe('secrets and literal text in Alertmanager blocks', () => {
  it('email: the addresses go through as template text, the subject and body are Vigil templates', () => {
    const { write, calls } = recordingWriter();
    const block = byName('email').alertmanager(specs.email as never, { receiver: 'ops', sendResolved: true, relayUrl: '', write });
    expect(calls.text).toEqual(['a@example.com, b@example.com']);
    expect(block.config).toMatchObject({ to: 'T(a@example.com, b@example.com)', html: 'TPL(emailHtml)', headers: { Subject: 'TPL(emailSubject)' } });
  });

  it('wecom: every templated field is literal text; the api secret is a placeholder (0.25 has no api_secret_file)', () => {
    const { write, calls } = recordingWriter();
    const block = byName('wecom').alertmanager(specs.wecom as never, { receiver: 'ops', sendResolved: true, relayUrl: '', write });
    expect(calls.text.sort()).toEqual(['1000002', '2', 'corp']);
    expect(calls.placeholder).toEqual(['wechat_configs.api_secret=WECOM_SECRET']);
    expect(calls.file).toEqual([]);
    expect(block.config.message).toBe('TPL(wecomMessage)');
  });

  it('webhook: the bearer token is a credentials file, never inline', () => {
    const { write, calls } = recordingWriter();
    const block = byName('webhook').alertmanager(specs.webhook as never, { receiver: 'ops', sendResolved: true, relayUrl: '', write });
    expect(calls.file).toEqual(['webhook_configs.http_config.authorization.credentials_file=HOOK_TOKEN']);
    expect(block.config).toEqual({
      send_resolved: true,
      url: 'https://hooks.example.com/in',
      max_alerts: 5,
      http_config: { authorization: { type: 'Bearer', credentials_file: '/secrets/HOOK_TOKEN' } },
    });
  });

  it.each(['dingtalk', 'wecomRobot', 'sms'] as const)('%s: Alertmanager gets only the relay URL, the relay entry keeps secrets as references', (name) => {
    const { write, calls } = recordingWriter();
    const block = byName(name).alertmanager(specs[name] as never, { receiver: 'ops', sendResolved: true, relayUrl: 'http://relay:9095', write });
    expect(Object.keys(block.config).sort()).toEqual(['send_resolved', 'url']);
    expect(calls).toEqual({ text: [], placeholder: [], file: [] });
    const entry = byName(name).relayEntry!(specs[name] as never, false);
    expect(entry).toEqual({ ...specs[name], sendResolved: false });
    expect(Object.keys(entry)).toEqual(Object.keys(entry).sort());
  });
});

describe('signedWebhook', () => {
  it('Alertmanager gets only the relay URL; the relay entry has the URL, the secret as a reference and the header', () => {
    const { write, calls } = recordingWriter();
    const block = byName('signedWebhook').alertmanager(specs.signedWebhook as never, { receiver: 'ops', sendResolved: true, relayUrl: 'http://relay:9095', write });
    expect(block.config).toEqual({ send_resolved: true, url: 'http://relay:9095/api/v1/notify/signedWebhook/ops' });
    expect(calls).toEqual({ text: [], placeholder: [], file: [] });
    expect(byName('signedWebhook').relayEntry!(specs.signedWebhook as never, false)).toEqual({
      header: 'X-Vigil-Signature',
      secret: { env: 'HOOK_SIGNING_SECRET' },
      sendResolved: false,
      url: 'https://hooks.example.com/vigil',
    });
  });

  it('keeps a header and a sendResolved the definition sets', () => {
    const entry = byName('signedWebhook').relayEntry!({ ...specs.signedWebhook, header: 'X-Hub-Signature', sendResolved: true } as never, false);
    expect(entry).toMatchObject({ header: 'X-Hub-Signature', sendResolved: true });
  });
});

describe('missingSettings', () => {
  const project = (parts: Partial<ProjectModel>) => parts as ProjectModel;
  const cases: { project: ProjectModel | undefined; missing: Record<ChannelName, string[]> }[] = [
    { project: undefined, missing: { email: ['smtp'], wecom: [], dingtalk: ['relay'], wecomRobot: ['relay'], sms: ['relay'], webhook: [], signedWebhook: ['relay'] } },
    { project: project({}), missing: { email: ['smtp'], wecom: [], dingtalk: ['relay'], wecomRobot: ['relay'], sms: ['relay'], webhook: [], signedWebhook: ['relay'] } },
    { project: project({ smtp: { smarthost: 'h:587', from: 'a@b' } }), missing: { email: [], wecom: [], dingtalk: ['relay'], wecomRobot: ['relay'], sms: ['relay'], webhook: [], signedWebhook: ['relay'] } },
    { project: project({ relay: { url: 'http://r' } }), missing: { email: ['smtp'], wecom: [], dingtalk: [], wecomRobot: [], sms: ['relaySms'], webhook: [], signedWebhook: [] } },
    { project: project({ relay: { url: 'http://r' }, smtp: { smarthost: 'h:587', from: 'a@b' } }), missing: { email: [], wecom: [], dingtalk: [], wecomRobot: [], sms: ['relaySms'], webhook: [], signedWebhook: [] } },
    { project: project({ relay: { url: 'http://r', sms: { provider: 'http', url: 'https://g' } } }), missing: { email: ['smtp'], wecom: [], dingtalk: [], wecomRobot: [], sms: [], webhook: [], signedWebhook: [] } },
  ];
  it.each(cases.map((c, i) => ({ i, ...c })))('case $i', ({ project: p, missing }) => {
    expect(Object.fromEntries(CHANNELS.map((c) => [c.name, missingSettings(c, p)]))).toEqual(missing);
  });
});

describe('channel facts live in src/channels/ only', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path.join(dir, e.name)] : []));
  const outside = files(SRC).filter((f) => !f.startsWith(path.join(SRC, 'channels') + path.sep));

  it.each([
    { fact: 'the relay notify path', pattern: /\/api\/v1\/notify\// },
    { fact: 'a per-channel test of the receiver', pattern: /\b(?:c|r\.channels)\.(?:email|wecom|dingtalk|sms)\b(?! *\?\.)/ },
  ])('no other module states $fact', ({ pattern }) => {
    const hits = outside.filter((f) => /src\/(?:emit|checks)\//.test(f) && pattern.test(readFileSync(f, 'utf8'))).map((f) => path.relative(SRC, f));
    expect(hits).toEqual([]);
  });
});

describe('which channels the relay writes (message templates)', () => {
  const project = (sms?: 'aliyun' | 'http') => ({ relay: { url: 'http://relay:9095', ...(sms ? { sms: { provider: sms } } : {}) } }) as unknown as ProjectModel;
  it.each([
    ['dingtalk', project(), false, true],
    ['wecomRobot', project(), false, true],
    ['sms', project('http'), false, true],
    ['sms', project('aliyun'), false, false],
    ['email', project(), false, false],
    ['email', project(), true, true],
    ['wecom', project(), true, false],
    ['webhook', project(), true, false],
    ['signedWebhook', project(), false, false],
  ] as const)('%s (%o, escalation tier %s): %s', (name, p, tier, templated) => {
    expect(byName(name).templated?.(p, tier) === true).toBe(templated);
  });
});
