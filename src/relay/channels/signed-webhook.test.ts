import { describe, expect, it } from 'vitest';
import { parseRelayConfig, RelayConfigError } from '../config.ts';
import { deliver } from '../delivery.ts';
import { secretReader } from '../secrets.ts';
import type { AlertRecord } from '../types.ts';
import { renderSignedWebhook, signatureHeader, verifySignature, type SignedWebhookBody } from './signed-webhook.ts';
import type { Fetch, Notice } from './types.ts';

const SECRET = 'whsec-unit';
const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);

function alert(overrides: Partial<AlertRecord> = {}): AlertRecord {
  return {
    id: 'a1b2',
    fingerprint: 'fp',
    startsAt: Date.UTC(2024, 5, 1, 11, 58, 0),
    status: 'open',
    alertname: 'DiskFull',
    severity: 'critical',
    labels: { alertname: 'DiskFull', severity: 'critical', instance: 'db-1' },
    annotations: { summary: 'db-1 disk is full' },
    generatorURL: 'http://prometheus:9090/graph?g0.expr=x',
    receiver: 'ops',
    createdAt: 0,
    updatedAt: 0,
    ...overrides,
  };
}

function notice(alerts: AlertRecord[], overrides: Partial<Notice> = {}): Notice {
  return { kind: 'firing', receiver: 'ops', alerts, externalURL: '', language: 'en', timeZone: 'UTC', ...overrides };
}

describe('the signed webhook body (version 1)', () => {
  it('carries each alert with ISO times, endsAt null while open, and its confirm and close links', () => {
    const links = (a: AlertRecord) => ({ confirm: `https://relay/a/c-${a.id}`, close: `https://relay/a/x-${a.id}` });
    const body = JSON.parse(renderSignedWebhook(notice([alert()], { kind: 'escalation', links }))) as SignedWebhookBody;
    expect(body).toEqual({
      version: '1',
      kind: 'escalation',
      receiver: 'ops',
      alerts: [
        {
          id: 'a1b2',
          alertname: 'DiskFull',
          severity: 'critical',
          status: 'open',
          labels: { alertname: 'DiskFull', severity: 'critical', instance: 'db-1' },
          annotations: { summary: 'db-1 disk is full' },
          startsAt: '2024-06-01T11:58:00.000Z',
          endsAt: null,
          generatorURL: 'http://prometheus:9090/graph?g0.expr=x',
          links: { confirm: 'https://relay/a/c-a1b2', close: 'https://relay/a/x-a1b2' },
        },
      ],
    });
  });

  it('has no links when the relay makes none, and the end time of a resolved alert', () => {
    const resolved = alert({ status: 'resolved', endsAt: Date.UTC(2024, 5, 1, 12, 0, 0) });
    const [a] = (JSON.parse(renderSignedWebhook(notice([resolved], { kind: 'resolved' }))) as SignedWebhookBody).alerts;
    expect(a).not.toHaveProperty('links');
    expect(a).toMatchObject({ status: 'resolved', endsAt: '2024-06-01T12:00:00.000Z' });
  });

  it('keeps label values as data: markup and quotes arrive unchanged', () => {
    const hostile = alert({ labels: { alertname: 'DiskFull', instance: '"},"x":[`<b>@all</b>' } });
    const [a] = (JSON.parse(renderSignedWebhook(notice([hostile]))) as SignedWebhookBody).alerts;
    expect(a!.labels.instance).toBe('"},"x":[`<b>@all</b>');
  });
});

describe('verifySignature', () => {
  const body = renderSignedWebhook(notice([alert()]));
  const header = signatureHeader(SECRET, body, NOW);

  it('accepts what signatureHeader makes, within the window either side', () => {
    expect(header).toMatch(/^t=1717243200,v1=[0-9a-f]{64}$/);
    expect(verifySignature(SECRET, body, header, NOW)).toEqual({ ok: true, timestamp: 1717243200 });
    expect(verifySignature(SECRET, Buffer.from(body), header, NOW + 299_000).ok).toBe(true);
    expect(verifySignature(SECRET, body, header, NOW - 299_000).ok).toBe(true);
  });

  it.each([
    { name: 'an altered body', args: [SECRET, body.replace('db-1', 'db-2'), header, NOW], reason: 'signature' },
    { name: 'a wrong secret', args: ['other', body, header, NOW], reason: 'signature' },
    { name: 'an old timestamp', args: [SECRET, body, header, NOW + 301_000], reason: 'timestamp' },
    { name: 'no header', args: [SECRET, body, undefined, NOW], reason: 'missing' },
    { name: 'no v1', args: [SECRET, body, 't=1717243200', NOW], reason: 'malformed' },
    { name: 'no t', args: [SECRET, body, header.replace(/^t=\d+,/, ''), NOW], reason: 'malformed' },
    { name: 'a short digest', args: [SECRET, body, header.slice(0, -1), NOW], reason: 'signature' },
  ] as const)('refuses $name ($reason)', ({ args, reason }) => {
    expect(verifySignature(...(args as unknown as Parameters<typeof verifySignature>))).toEqual({ ok: false, reason });
  });
});

describe('relay.yml signedWebhook', () => {
  const receiver = (fields: string) => parseRelayConfig(`receivers:\n  ops: { signedWebhook: { url: "https://hooks.example.com/in", secret: { env: HOOK_SECRET }${fields} } }\n`).receivers.get('ops')!.signedWebhook!;

  it('reads url, secret reference, header (X-Vigil-Signature when absent) and sendResolved', () => {
    expect(receiver('')).toEqual({ url: 'https://hooks.example.com/in', secret: { env: 'HOOK_SECRET' }, header: 'X-Vigil-Signature', sendResolved: true });
    expect(receiver(', header: X-Hub-Signature, sendResolved: false')).toMatchObject({ header: 'X-Hub-Signature', sendResolved: false });
  });

  it('refuses what Vigil never writes, naming the field', () => {
    expect(() => receiver(', header: "X Bad: 1"')).toThrow(new RelayConfigError('receivers.ops.signedWebhook.header: must be an HTTP header name'));
    expect(() => parseRelayConfig('receivers:\n  ops: { signedWebhook: { url: "ftp://x", secret: { env: S } } }\n')).toThrow('receivers.ops.signedWebhook.url: must be an http(s) URL');
    expect(() => parseRelayConfig('receivers:\n  ops: { signedWebhook: { url: "https://x", secret: "plain" } }\n')).toThrow('receivers.ops.signedWebhook.secret: must be a mapping');
  });
});

describe('deliver(signedWebhook)', () => {
  const config = parseRelayConfig('receivers:\n  ops: { signedWebhook: { url: "https://hooks.example.com/in", secret: { env: HOOK_SECRET }, header: X-Sig } }\n');

  it('posts the body to the URL, signed with the secret the reference names, in the named header', async () => {
    const calls: Parameters<Fetch>[] = [];
    const fetch: Fetch = async (...args) => (calls.push(args), { status: 204, text: async () => '' });
    const result = await deliver('signedWebhook', notice([alert()]), { config, secrets: secretReader({ HOOK_SECRET: SECRET }), fetch }, NOW);
    expect(result).toMatchObject({ ok: true, status: 204 });
    const [url, init] = calls[0]!;
    expect(url).toBe('https://hooks.example.com/in');
    expect(init.headers['Content-Type']).toBe('application/json');
    expect(verifySignature(SECRET, init.body, init.headers['X-Sig'], NOW)).toEqual({ ok: true, timestamp: NOW / 1000 });
    expect(JSON.parse(init.body)).toMatchObject({ version: '1', kind: 'firing', receiver: 'ops' });
  });

  it('retries while the secret is missing (it heals when the operator sets it and reloads), sending nothing', async () => {
    let sent = 0;
    const fetch: Fetch = async () => (sent++, { status: 200, text: async () => '' });
    const result = await deliver('signedWebhook', notice([alert()]), { config, secrets: secretReader({}), fetch }, NOW);
    expect(result).toMatchObject({ ok: false, retryable: true });
    expect(result.error).toContain('$HOOK_SECRET is not set');
    expect(sent).toBe(0);
  });
});
