// End-to-end proof of the WeCom robot delivery code against a sink that checks what WeCom checks: what
// renderWecomRobot makes is accepted, everything WeCom refuses is refused with WeCom's errcode, and sendWecomRobot
// classifies each answer as the relay needs it (retry, throttled, give up).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notice } from '../../src/relay/channels/types.ts';
import { renderWecomRobot, sendWecomRobot, type WecomRobotTarget } from '../../src/relay/channels/wecom-robot.ts';
import type { AlertRecord } from '../../src/relay/types.ts';
import { startWecomRobotSink, type WecomRobotSink } from './wecom-robot-sink.ts';

let sink: WecomRobotSink;
let robots = 0;

beforeAll(async () => {
  sink = await startWecomRobotSink();
});
afterAll(async () => {
  await sink?.close();
});

/** A fresh robot per test, so counts of one test never reach another. */
function robot(): { key: string; target: WecomRobotTarget } {
  const key = `5a1e0c7e-0000-4000-8000-${String(++robots).padStart(12, '0')}`;
  sink.addRobot(key);
  return { key, target: { webhook: sink.url(key), mentions: ['zhang.san'] } };
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
    receiver: 'infra-chat',
    createdAt: 0,
    updatedAt: 0,
  };
}

function notice(alerts: AlertRecord[], overrides: Partial<Notice> = {}): Notice {
  return { kind: 'firing', receiver: 'infra-chat', alerts, externalURL: 'http://am:9093', language: 'zh', timeZone: 'Asia/Shanghai', ...overrides };
}

const messageBody = (i = 1) => renderWecomRobot(notice([alert(i)]), { webhook: '', mentions: [] }).body;
const send = (body: string, target: WecomRobotTarget, timeoutMs?: number) => sendWecomRobot(body, target, fetch, timeoutMs);
const markdownOfBytes = (bytes: number) => JSON.stringify({ msgtype: 'markdown', markdown: { content: '长'.repeat(Math.floor(bytes / 3)) + 'x'.repeat(bytes % 3) } });

describe('WeCom robot sink and sendWecomRobot', () => {
  it('accepts what renderWecomRobot makes and records it as sent', async () => {
    const { key, target } = robot();
    const rendered = renderWecomRobot(notice([alert(1)]), target);
    const result = await send(rendered.body, target);
    expect(result).toMatchObject({ ok: true, status: 200, answer: { errcode: 0, errmsg: 'ok' } });
    expect(sink.messages(key).map((m) => m.body)).toEqual([JSON.parse(rendered.body)]);
  });

  it('refuses an unknown key with 93000, not retryable, and never names the key', async () => {
    const result = await send(messageBody(), { webhook: sink.url('no-such-key'), mentions: [] });
    expect(result).toMatchObject({ ok: false, retryable: false, answer: { errcode: 93000 } });
    expect(result.error).toMatch(/^errcode 93000: invalid webhook url/);
  });

  it('takes markdown content of exactly 4,096 bytes and refuses 4,097 with 40058, not retryable', async () => {
    const { key, target } = robot();
    expect((await send(markdownOfBytes(4096), target)).ok).toBe(true);
    const result = await send(markdownOfBytes(4097), target);
    expect(result).toMatchObject({ ok: false, retryable: false, answer: { errcode: 40058 } });
    expect(result.error).toContain('markdown.content exceed max length 4096');
    expect(sink.messages(key)).toHaveLength(1);
  });

  it('accepts what renderWecomRobot makes of a 30,000-byte group and of a 20,000-byte Chinese description', async () => {
    const { key, target } = robot();
    const many = Array.from({ length: 60 }, (_, i) => alert(i, '描'.repeat(160)));
    const huge = [alert(99, '长'.repeat(6_700))];
    const group = renderWecomRobot(notice(many), target);
    expect(group.omitted).toBeGreaterThan(0);
    const single = renderWecomRobot(notice(huge), target);
    expect(single.omitted).toBe(0);
    for (const rendered of [group, single]) expect(await send(rendered.body, target)).toMatchObject({ ok: true });
    expect(sink.messages(key)).toHaveLength(2);
  });

  it.each([
    ['a body that is not JSON', 'not json', 40008],
    ['a body without msgtype', JSON.stringify({ markdown: { content: 'x' } }), 40008],
    ['an unknown msgtype', JSON.stringify({ msgtype: 'actionCard', actionCard: { text: 'x' } }), 40008],
    ['a markdown without content', JSON.stringify({ msgtype: 'markdown', markdown: {} }), 44004],
  ])('refuses %s, not retryable', async (_name, body, errcode) => {
    const { key, target } = robot();
    expect(await send(body, target)).toMatchObject({ ok: false, retryable: false, answer: { errcode } });
    expect(sink.messages(key)).toHaveLength(0);
  });

  it('refuses the 21st message in a minute with 45009 (throttled, retryable); other robots are not affected', async () => {
    const { key, target } = robot();
    const other = robot();
    for (let i = 0; i < 20; i++) expect((await send(messageBody(i), target)).ok).toBe(true);
    expect(await send(messageBody(21), target)).toMatchObject({ ok: false, retryable: true, throttled: true, answer: { errcode: 45009 } });
    expect((await send(messageBody(1), other.target)).ok).toBe(true);
    expect(sink.messages(key)).toHaveLength(20);
  });

  it('lets messages through again once the rolling minute has passed', async () => {
    let now = 1_700_000_000_000;
    const clocked = await startWecomRobotSink({ keys: ['K'], now: () => now });
    try {
      const target = { webhook: clocked.url('K'), mentions: [] };
      for (let i = 0; i < 20; i++) await send(messageBody(i), target);
      expect(await send(messageBody(20), target)).toMatchObject({ throttled: true });
      now += 60_001;
      expect((await send(messageBody(21), target)).ok).toBe(true);
      expect(clocked.messages('K')).toHaveLength(21);
    } finally {
      await clocked.close();
    }
  });

  it('classifies injected failures: HTTP 500 and a closed connection are retryable; the next request goes through', async () => {
    const { key, target } = robot();
    sink.failNext(1, 'http500');
    expect(await send(messageBody(), target)).toMatchObject({ ok: false, retryable: true, status: 500, error: 'HTTP 500' });
    sink.failNext(1, 'close');
    const closed = await send(messageBody(), target);
    expect(closed).toMatchObject({ ok: false, retryable: true });
    expect(closed.error).toMatch(/^network error: /);
    expect(closed.error).not.toContain(key);
    expect((await send(messageBody(), target)).ok).toBe(true);
    expect(sink.messages(key)).toHaveLength(1);
  });

  it('gives up on a robot that does not answer within the timeout, retryable', async () => {
    const { target } = robot();
    sink.failNext(1, 'hang');
    const result = await send(messageBody(), target, 200);
    expect(result).toMatchObject({ ok: false, retryable: true, error: 'no answer within 200 ms' });
    expect(result.latencyMs).toBeLessThan(5_000);
  });

  it('logs every request with its outcome', async () => {
    const { key, target } = robot();
    await send(messageBody(), target);
    await send('not json', target);
    expect(sink.requests.filter((r) => r.key === key).map((r) => r.outcome)).toEqual([0, 40008]);
  });
});
