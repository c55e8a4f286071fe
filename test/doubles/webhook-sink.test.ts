// The signed-webhook sink refuses what a receiver following docs/en/relay.md refuses, and the relay's signer and
// sender (src/relay/channels/signed-webhook.ts) produce what it accepts, with each answer classified as the relay needs.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSignedWebhook, signatureHeader } from '../../src/relay/channels/signed-webhook.ts';
import { startWebhookSink, type WebhookSink } from './webhook-sink.ts';

const SECRET = 'whsec-sink-test';
const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);
const T = NOW / 1000;
const BODY = JSON.stringify({ version: '1', kind: 'firing', receiver: 'ops', alerts: [] });

let sink: WebhookSink;
let clock = NOW;

beforeAll(async () => {
  sink = await startWebhookSink({ endpoints: [{ name: 'ops', secret: SECRET }, { name: 'custom', secret: SECRET, header: 'X-Hub-Signature' }, { name: 'refusing', secret: SECRET }], now: () => clock });
});
afterAll(async () => {
  await sink?.close();
});

/** Written from the docs, not with the relay's code. */
const sign = (secret: string, t: number, body: string) => `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;

async function post(endpoint: string, body: string, headers: Record<string, string>) {
  const response = await fetch(sink.url(endpoint), { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
  return { status: response.status, text: await response.text() };
}

describe('the webhook sink checks the signature as the docs say', () => {
  const variants: { name: string; body?: string; headers: Record<string, string>; status: number; reason?: RegExp }[] = [
    { name: 'a valid signature', headers: { 'X-Vigil-Signature': sign(SECRET, T, BODY) }, status: 200 },
    { name: 'a valid signature 4 minutes old', headers: { 'X-Vigil-Signature': sign(SECRET, T - 240, BODY) }, status: 200 },
    { name: 'a rotated secret: one of two v1 matches', headers: { 'X-Vigil-Signature': `${sign('old-secret', T, BODY)},v1=${sign(SECRET, T, BODY).split('v1=')[1]}` }, status: 200 },
    { name: 'an altered body', body: BODY.replace('ops', 'opz'), headers: { 'X-Vigil-Signature': sign(SECRET, T, BODY) }, status: 401, reason: /does not match/ },
    { name: 'a wrong secret', headers: { 'X-Vigil-Signature': sign('not-the-secret', T, BODY) }, status: 401, reason: /does not match/ },
    { name: 'a timestamp changed after signing', headers: { 'X-Vigil-Signature': sign(SECRET, T, BODY).replace(`t=${T}`, `t=${T + 1}`) }, status: 401, reason: /does not match/ },
    { name: 'an old timestamp (6 minutes)', headers: { 'X-Vigil-Signature': sign(SECRET, T - 360, BODY) }, status: 401, reason: /5-minute window/ },
    { name: 'a timestamp 6 minutes ahead', headers: { 'X-Vigil-Signature': sign(SECRET, T + 360, BODY) }, status: 401, reason: /5-minute window/ },
    { name: 'a missing header', headers: {}, status: 401, reason: /missing/ },
    { name: 'the signature in another header', headers: { 'X-Signature': sign(SECRET, T, BODY) }, status: 401, reason: /missing/ },
    { name: 'a malformed header: a bare hex digest', headers: { 'X-Vigil-Signature': sign(SECRET, T, BODY).split('v1=')[1]! }, status: 401, reason: /malformed/ },
    { name: 'a malformed header: no timestamp', headers: { 'X-Vigil-Signature': `v1=${sign(SECRET, T, BODY).split('v1=')[1]}` }, status: 401, reason: /malformed/ },
    { name: 'a malformed header: no v1', headers: { 'X-Vigil-Signature': `t=${T}` }, status: 401, reason: /malformed/ },
    { name: 'a malformed header: a timestamp in ms', headers: { 'X-Vigil-Signature': `t=${NOW}x,v1=00` }, status: 401, reason: /malformed/ },
    { name: 'a truncated digest', headers: { 'X-Vigil-Signature': sign(SECRET, T, BODY).slice(0, -2) }, status: 401, reason: /does not match/ },
  ];

  it.each(variants)('$name → $status', async ({ body, headers, status, reason }) => {
    const before = sink.messages('ops').length;
    const answer = await post('ops', body ?? BODY, headers);
    expect(answer.status).toBe(status);
    if (reason) expect(JSON.parse(answer.text).error).toMatch(reason);
    expect(sink.messages('ops').length - before).toBe(status === 200 ? 1 : 0);
  });

  it('reads the header the endpoint names, and only that one', async () => {
    expect((await post('custom', BODY, { 'X-Hub-Signature': sign(SECRET, T, BODY) })).status).toBe(200);
    expect((await post('custom', BODY, { 'X-Vigil-Signature': sign(SECRET, T, BODY) })).status).toBe(401);
  });
});

describe('sendSignedWebhook against the sink', () => {
  const target = (endpoint: string, header = 'X-Vigil-Signature') => ({ url: sink.url(endpoint), secret: SECRET, header });

  it('is accepted, signed at the time it is given, into the header the target names', async () => {
    expect(signatureHeader(SECRET, BODY, NOW)).toBe(sign(SECRET, T, BODY));
    expect(await sendSignedWebhook(BODY, target('ops'), fetch, NOW)).toMatchObject({ ok: true, status: 200, answer: { ok: true } });
    expect(await sendSignedWebhook(BODY, target('custom', 'X-Hub-Signature'), fetch, NOW)).toMatchObject({ ok: true });
    expect(sink.messages('ops').at(-1)!.body).toEqual(JSON.parse(BODY));
  });

  it('a 401 (a clock 10 minutes off, or the wrong secret) is final: a dead letter, not a retry', async () => {
    expect(await sendSignedWebhook(BODY, target('ops'), fetch, NOW - 600_000)).toMatchObject({ ok: false, retryable: false, status: 401, error: 'HTTP 401' });
    expect(await sendSignedWebhook(BODY, { ...target('ops'), secret: 'wrong' }, fetch, NOW)).toMatchObject({ ok: false, retryable: false, status: 401 });
  });

  it.each([
    { failure: 500 as const, expected: { ok: false, retryable: true, status: 500 } },
    { failure: 429 as const, expected: { ok: false, retryable: true, throttled: true, status: 429 } },
    { failure: 400 as const, expected: { ok: false, retryable: false, status: 400 } },
    { failure: 'close' as const, expected: { ok: false, retryable: true } },
  ])('an answer of $failure is classified $expected', async ({ failure, expected }) => {
    sink.failNext(1, failure);
    const result = await sendSignedWebhook(BODY, target('ops'), fetch, NOW);
    expect(result).toMatchObject(expected);
    if (failure === 'close') expect(result.error).toMatch(/^network error/);
  });

  it('gives up on an endpoint that does not answer within the timeout, as retryable', async () => {
    sink.failNext(1, 'hang');
    const result = await sendSignedWebhook(BODY, target('ops'), fetch, NOW, 200);
    expect(result).toMatchObject({ ok: false, retryable: true, error: 'no answer within 200 ms' });
  });

  it('an endpoint that refuses everything keeps refusing, and the sink records each refusal', async () => {
    sink.answerAlways('refusing', 400);
    const before = sink.requests.length;
    expect(await sendSignedWebhook(BODY, target('refusing'), fetch, NOW)).toMatchObject({ ok: false, retryable: false, status: 400 });
    expect(sink.requests.slice(before)).toEqual([{ endpoint: 'refusing', at: clock, outcome: 400 }]);
    expect(sink.messages('refusing')).toEqual([]);
  });
});
