import { describe, expect, it } from 'vitest';
import type { Fetch, Notice } from './channels/types.ts';
import { parseRelayConfig } from './config.ts';
import { deliver } from './delivery.ts';
import { secretReader } from './secrets.ts';
import type { AlertRecord } from './types.ts';

// Which message template a notice gets, and what happens when the chosen one fails on it.
const CONFIG = `
relay: { url: http://relay:9095, language: en, sms: { provider: http, url: "http://gateway.example/send" } }
receivers:
  oncall:
    dingtalk: { webhook: { env: HOOK }, sendResolved: true, atMobiles: [] }
    sms: { to: ["+8613800000000"], sendResolved: true }
templates:
  - { name: by-pod, channel: dingtalk, body: "{{#each alerts}}pod {{labels.pod}}{{/each}}" }
  - { name: warning-only, channel: dingtalk, severities: [warning], body: "warning {{title}}" }
  - { name: sms-text, channel: sms, body: "{{#each alerts}}{{alertname}}!{{/each}}" }
`;

function alert(labels: Record<string, string>, severity = 'critical'): AlertRecord {
  return { id: 'a', fingerprint: 'f', startsAt: 0, status: 'open', alertname: 'PodDown', severity, labels: { alertname: 'PodDown', severity, ...labels }, annotations: { summary: 'down' }, generatorURL: '', receiver: 'oncall', createdAt: 0, updatedAt: 0 };
}

async function sent(channel: string, alerts: AlertRecord[], configText = CONFIG) {
  const bodies: string[] = [];
  const fetch: Fetch = async (_url, init) => {
    bodies.push(init.body);
    return { status: 200, text: async () => (channel === 'dingtalk' ? '{"errcode":0,"errmsg":"ok"}' : '{}') };
  };
  const notice: Notice = { kind: 'firing', receiver: 'oncall', alerts, externalURL: '', language: 'en', timeZone: 'UTC' };
  const result = await deliver(channel, notice, { config: parseRelayConfig(configText), secrets: secretReader({ HOOK: 'https://oapi.dingtalk.com/robot/send?access_token=t' }), fetch }, 0);
  return { result, body: bodies[0]!.startsWith('{') ? JSON.parse(bodies[0]!) : bodies[0] };
}

describe('delivery with message templates', () => {
  it('uses the most specific template that matches, and says which', async () => {
    const { result, body } = await sent('dingtalk', [alert({ pod: 'api-1' })]);
    expect(result).toMatchObject({ ok: true, template: 'by-pod' });
    expect(body.markdown.text).toBe('pod api-1');
    const warning = await sent('dingtalk', [alert({ pod: 'api-1' }, 'warning')]);
    expect(warning.result.template).toBe('warning-only');
  });

  it('sends the built-in message when the template fails on this alert, and records why', async () => {
    const { result, body } = await sent('dingtalk', [alert({})]);
    expect(result).toMatchObject({ ok: true, templateError: 'template by-pod, body: "pod" not defined' });
    expect(result.template).toBeUndefined();
    expect(body.markdown.text).toContain('PodDown');
  });

  it('gives the SMS template to an HTTP gateway', async () => {
    const { result, body } = await sent('sms', [alert({})]);
    expect(result.template).toBe('sms-text');
    expect(body.text).toBe('PodDown!');
  });

  it('never gives it to Aliyun or Tencent, which send their own registered templates', async () => {
    const aliyun = CONFIG.replace('sms: { provider: http, url: "http://gateway.example/send" }', 'sms: { provider: aliyun, accessKeyId: { env: HOOK }, accessKeySecret: { env: HOOK }, signName: Vigil, templateCode: SMS_1, endpoint: "http://sms.example/" }');
    const { result } = await sent('sms', [alert({})], aliyun);
    expect(result.template).toBeUndefined();
  });
});
