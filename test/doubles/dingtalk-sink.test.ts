// End-to-end proof of the DingTalk delivery code against a sink that checks what DingTalk checks: a message signed by
// sendDingtalk is accepted, everything DingTalk refuses is refused with DingTalk's errcode, and sendDingtalk
// classifies each answer as the relay needs it (retry, throttled, give up).
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDingtalk, sendDingtalk, type DingtalkTarget } from '../../src/relay/channels/dingtalk.ts';
import type { Notice } from '../../src/relay/channels/types.ts';
import type { AlertRecord } from '../../src/relay/types.ts';
import { startDingtalkSink, type DingtalkSink } from './dingtalk-sink.ts';

const SECRET = 'SEC7f3a9dc0123456789abcdef0123456789abcdef0123456789abcdef012345';
const THROTTLE_MS = 400;
const HOUR = 3_600_000;

let sink: DingtalkSink;
let robots = 0;

beforeAll(async () => {
  sink = await startDingtalkSink({ throttleMs: THROTTLE_MS });
});
afterAll(async () => {
  await sink?.close();
});

/** A fresh robot per test, so counts and throttling of one test never reach another. */
function robot(secret: string | undefined = SECRET): { token: string; target: DingtalkTarget } {
  const token = `robot-${++robots}`;
  sink.addRobot({ token, secret });
  return { token, target: { webhook: sink.url(token), secret, atMobiles: ['13800000000'] } };
}

function alert(i: number, description = 'Above 85°C for 5 minutes.'): AlertRecord {
  return {
    id: `id-${i}`,
    fingerprint: `fp-${i}`,
    startsAt: Date.UTC(2024, 0, 1),
    status: 'open',
    alertname: `GpuTemperatureHigh${i}`,
    severity: 'critical',
    labels: { alertname: `GpuTemperatureHigh${i}`, severity: 'critical', gpu: String(i) },
    annotations: { summary: `GPU ${i} is hot`, description },
    generatorURL: '',
    receiver: 'ml-oncall',
    createdAt: 0,
    updatedAt: 0,
  };
}

function notice(alerts: AlertRecord[], overrides: Partial<Notice> = {}): Notice {
  return { kind: 'firing', receiver: 'ml-oncall', alerts, externalURL: 'http://am:9093', language: 'zh', timeZone: 'Asia/Shanghai', ...overrides };
}

const messageBody = (i = 1) => renderDingtalk(notice([alert(i)]), { webhook: '', atMobiles: [] }).body;
const send = (body: string, target: DingtalkTarget, nowMs = Date.now(), timeoutMs?: number) => sendDingtalk(body, target, fetch, nowMs, timeoutMs);

/** A markdown body of exactly `bytes` UTF-8 bytes. */
function bodyOfBytes(bytes: number): string {
  const empty = JSON.stringify({ msgtype: 'markdown', markdown: { title: 't', text: '' } });
  return JSON.stringify({ msgtype: 'markdown', markdown: { title: 't', text: 'x'.repeat(bytes - empty.length) } });
}

describe('DingTalk sink and sendDingtalk', () => {
  it('accepts a message signed by sendDingtalk and records it as sent', async () => {
    const { token, target } = robot();
    const rendered = renderDingtalk(notice([alert(1)]), target);
    const result = await send(rendered.body, target);
    expect(result).toMatchObject({ ok: true, status: 200, answer: { errcode: 0, errmsg: 'ok' } });
    expect(sink.messages(token).map((m) => m.body)).toEqual([JSON.parse(rendered.body)]);
  });

  it('accepts an unsigned message for a robot without a secret', async () => {
    const { token, target } = robot(undefined);
    expect((await send(messageBody(), target)).ok).toBe(true);
    expect(sink.messages(token)).toHaveLength(1);
  });

  it.each([
    ['a wrong secret', (t: DingtalkTarget) => ({ ...t, secret: 'SECwrong' }), Date.now, 'errcode 310000: sign not match'],
    ['no signature', (t: DingtalkTarget) => ({ ...t, secret: undefined }), Date.now, 'errcode 310000: sign not match'],
    ['a timestamp 61 minutes old', (t: DingtalkTarget) => t, () => Date.now() - HOUR - 60_000, 'errcode 310000: invalid timestamp'],
    ['a timestamp 61 minutes ahead', (t: DingtalkTarget) => t, () => Date.now() + HOUR + 60_000, 'errcode 310000: invalid timestamp'],
  ])('refuses %s with 310000, not retryable', async (_name, change, now, error) => {
    const { token, target } = robot();
    const result = await send(messageBody(), change(target), now());
    expect(result).toMatchObject({ ok: false, retryable: false, status: 200, error });
    expect(sink.messages(token)).toHaveLength(0);
  });

  it('refuses a signature sent without URL-encoding (its + reads as a space)', async () => {
    const { token, target } = robot();
    let now = Date.now();
    const signOf = (t: number) => createHmac('sha256', SECRET).update(`${t}\n${SECRET}`).digest('base64');
    while (!signOf(now).includes('+')) now++;
    const response = await fetch(`${target.webhook}&timestamp=${now}&sign=${signOf(now)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: messageBody(),
    });
    expect(await response.json()).toEqual({ errcode: 310000, errmsg: 'sign not match' });
    expect(sink.messages(token)).toHaveLength(0);
  });

  it('accepts a timestamp 59 minutes old (inside the window)', async () => {
    const { target } = robot();
    expect((await send(messageBody(), target, Date.now() - HOUR + 60_000)).ok).toBe(true);
  });

  it('refuses an unknown token with 300001, not retryable', async () => {
    const result = await send(messageBody(), { webhook: sink.url('no-such-robot'), atMobiles: [] });
    expect(result).toMatchObject({ ok: false, retryable: false, error: 'errcode 300001: token is not exist' });
  });

  it('takes a body of exactly 20,000 bytes and refuses 20,001 with 460101, not retryable', async () => {
    const { token, target } = robot();
    expect((await send(bodyOfBytes(20_000), target)).ok).toBe(true);
    const result = await send(bodyOfBytes(20_001), target);
    expect(result).toMatchObject({ ok: false, retryable: false, answer: { errcode: 460101 } });
    expect(sink.messages(token)).toHaveLength(1);
  });

  it('accepts what renderDingtalk makes of 30,000 bytes of alerts and of a 50,000-byte description', async () => {
    const { token, target } = robot();
    const many = Array.from({ length: 60 }, (_, i) => alert(i, '描'.repeat(160)));
    const huge = [alert(99, '长'.repeat(16_700))];
    for (const alerts of [many, huge]) {
      const rendered = renderDingtalk(notice(alerts), target);
      if (alerts === many) expect(rendered.omitted).toBeGreaterThan(0);
      else expect(rendered.omitted).toBe(0);
      expect(await send(rendered.body, target)).toMatchObject({ ok: true });
    }
    expect(sink.messages(token)).toHaveLength(2);
  });

  it.each([
    ['a body that is not JSON', 'not json', 'errcode 40035: 缺少参数 json'],
    ['a body without msgtype', JSON.stringify({ markdown: { title: 't', text: 'x' } }), 'errcode 40035: 缺少参数 msgtype'],
    ['a markdown without text', JSON.stringify({ msgtype: 'markdown', markdown: { title: 't' } }), 'errcode 40035: 缺少参数 markdown.text'],
    ['an actionCard without buttons', JSON.stringify({ msgtype: 'actionCard', actionCard: { title: 't', text: 'x' } }), 'errcode 40035: 缺少参数 actionCard.btns'],
  ])('refuses %s, not retryable', async (_name, body, error) => {
    const { target } = robot();
    expect(await send(body, target)).toMatchObject({ ok: false, retryable: false, error });
  });

  it('accepts the actionCard renderDingtalk makes for one alert with links', async () => {
    const { token, target } = robot();
    const links = () => ({ confirm: 'https://relay.example/a/c', close: 'https://relay.example/a/x' });
    const rendered = renderDingtalk(notice([alert(1)], { links }), { ...target, atMobiles: [] });
    expect(JSON.parse(rendered.body).msgtype).toBe('actionCard');
    expect((await send(rendered.body, target)).ok).toBe(true);
    expect(sink.messages(token)).toHaveLength(1);
  });

  it('throttles the 21st message in a minute with 130101 (throttled, retryable) and stays throttled for its window', async () => {
    const { token, target } = robot();
    const other = robot();
    for (let i = 0; i < 20; i++) expect((await send(messageBody(i), target)).ok).toBe(true);
    const throttled = await send(messageBody(21), target);
    expect(throttled).toMatchObject({ ok: false, retryable: true, throttled: true, answer: { errcode: 130101 } });
    expect(sink.isThrottled(token)).toBe(true);
    // Still throttled (the window has not passed), and other robots are not affected.
    expect(await send(messageBody(22), target)).toMatchObject({ throttled: true });
    expect((await send(messageBody(1), other.target)).ok).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, THROTTLE_MS + 50));
    expect(sink.isThrottled(token)).toBe(false);
    // The rolling minute still holds 20 messages: the next one is throttled again.
    expect(await send(messageBody(23), target)).toMatchObject({ throttled: true });
    expect(sink.messages(token)).toHaveLength(20);
  });

  it('classifies injected failures: HTTP 500 and a closed connection are retryable; the next request goes through', async () => {
    const { token, target } = robot();
    sink.failNext(1, 'http500');
    expect(await send(messageBody(), target)).toMatchObject({ ok: false, retryable: true, status: 500, error: 'HTTP 500' });
    sink.failNext(1, 'close');
    const closed = await send(messageBody(), target);
    expect(closed).toMatchObject({ ok: false, retryable: true });
    expect(closed.error).toMatch(/^network error: /);
    expect(closed.error).not.toContain(token);
    expect((await send(messageBody(), target)).ok).toBe(true);
    expect(sink.messages(token)).toHaveLength(1);
  });

  it('gives up on a robot that does not answer within the timeout, retryable', async () => {
    const { target } = robot();
    sink.failNext(1, 'hang');
    const result = await send(messageBody(), target, Date.now(), 200);
    expect(result).toMatchObject({ ok: false, retryable: true, error: 'no answer within 200 ms' });
    expect(result.latencyMs).toBeGreaterThanOrEqual(190);
    expect(result.latencyMs).toBeLessThan(5_000);
  });

  it('logs every request with its outcome', async () => {
    const { token, target } = robot();
    await send(messageBody(), target);
    await send(messageBody(), { ...target, secret: 'SECwrong' });
    expect(sink.requests.filter((r) => r.token === token).map((r) => r.outcome)).toEqual([0, 310000]);
  });
});
