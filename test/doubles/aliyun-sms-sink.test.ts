// End-to-end proof of sendSms against a double that checks what Aliyun SMS checks: a message sendSms signs is
// accepted and recorded; wrong secrets and keys, stale timestamps, bad numbers, flow control and 5xx are refused the
// way Aliyun refuses them, and sendSms classifies each answer as the relay needs it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSms, smsText, type SmsProvider } from '../../src/relay/channels/sms.ts';
import type { Notice } from '../../src/relay/channels/types.ts';
import type { AlertRecord } from '../../src/relay/types.ts';
import { startAliyunSmsSink, type AliyunSmsSink } from './aliyun-sms-sink.ts';

const ACCOUNT = { accessKeyId: 'LTAI5tTestKeyId', accessKeySecret: 'aliyun-test-secret' };
const MINUTE = 60_000;

let sink: AliyunSmsSink;
let throttling: AliyunSmsSink;

beforeAll(async () => {
  sink = await startAliyunSmsSink({ accounts: [ACCOUNT], signNames: ['监控'], templateCodes: ['SMS_100'] });
  throttling = await startAliyunSmsSink({ accounts: [ACCOUNT], perNumberPerMinute: 1 });
});
afterAll(async () => {
  await sink?.close();
  await throttling?.close();
});

function alert(summary: string): AlertRecord {
  return {
    id: 'a',
    fingerprint: 'f',
    startsAt: 0,
    status: 'open',
    alertname: 'GpuTemperatureHigh',
    severity: 'critical',
    labels: {},
    annotations: { summary },
    generatorURL: '',
    receiver: 'r',
    createdAt: 0,
    updatedAt: 0,
  };
}
const notice = (summary = 'GPU 3 is at 91°C', language: 'en' | 'zh' = 'zh'): Notice => ({
  kind: 'firing',
  receiver: 'ml-oncall',
  alerts: [alert(summary)],
  externalURL: '',
  language,
  timeZone: 'Asia/Shanghai',
});

const provider = (target: AliyunSmsSink, overrides: Partial<Extract<SmsProvider, { provider: 'aliyun' }>> = {}): SmsProvider => ({
  provider: 'aliyun',
  ...ACCOUNT,
  signName: '监控',
  templateCode: 'SMS_100',
  endpoint: target.url,
  ...overrides,
});
const send = (p: SmsProvider, to: string[], n = notice(), nowMs = Date.now()) => sendSms(p, to, smsText(n), fetch, nowMs);

describe('Aliyun SMS sink and sendSms', () => {
  it.each(['en', 'zh'] as const)('accepts a message sendSms signed (%s) and records its variables', async (language) => {
    const before = sink.messages.length;
    const message = smsText(notice('温度 91°C: fan * failed (+) ~ 100%', language));
    const result = await sendSms(provider(sink), ['13800000000', '+8613900000000'], message, fetch, Date.now());
    expect(result).toMatchObject({ ok: true, status: 200, answer: { Code: 'OK' } });
    expect(sink.messages.slice(before)).toEqual([
      expect.objectContaining({ phoneNumbers: ['13800000000', '+8613900000000'], signName: '监控', templateCode: 'SMS_100', templateParam: message.params }),
    ]);
  });

  it.each([
    ['a wrong AccessKeySecret', { accessKeySecret: 'wrong' }, Date.now, 'SignatureDoesNotMatch'],
    ['an unknown AccessKeyId', { accessKeyId: 'LTAIunknown' }, Date.now, 'InvalidAccessKeyId.NotFound'],
    ['a timestamp 16 minutes old', {}, () => Date.now() - 16 * MINUTE, 'InvalidTimeStamp.Expired'],
    ['a timestamp 16 minutes ahead', {}, () => Date.now() + 16 * MINUTE, 'InvalidTimeStamp.Expired'],
    ['an unregistered sign name', { signName: '别人的签名' }, Date.now, 'isv.SMS_SIGNATURE_ILLEGAL'],
    ['an unknown template', { templateCode: 'SMS_999' }, Date.now, 'isv.SMS_TEMPLATE_ILLEGAL'],
  ])('refuses %s for good (not retryable)', async (_what, overrides, now, code) => {
    const before = sink.messages.length;
    const result = await send(provider(sink, overrides), ['13800000000'], notice(), now());
    expect(result).toMatchObject({ ok: false, retryable: false, answer: { Code: code } });
    expect(result.error).toMatch(new RegExp(`^${code.replace(/\./g, '\\.')}: `));
    expect(sink.messages.length).toBe(before);
  });

  it('accepts a timestamp 14 minutes old (inside Aliyun\'s 15-minute window)', async () => {
    expect((await send(provider(sink), ['13800000000'], notice(), Date.now() - 14 * MINUTE)).ok).toBe(true);
  });

  it('refuses a bad number for good', async () => {
    const result = await send(provider(sink), ['13800000000', '12345'], notice());
    expect(result).toMatchObject({ ok: false, retryable: false, status: 200, answer: { Code: 'isv.MOBILE_NUMBER_ILLEGAL' } });
  });

  it('would refuse a variable over 35 characters, which smsText never sends', async () => {
    const long = smsText(notice('很长'.repeat(40)));
    expect(long.params.summary).toHaveLength(35);
    expect((await sendSms(provider(sink), ['13800000000'], long, fetch, Date.now())).ok).toBe(true);
    const uncut = { ...long, params: { ...long.params, summary: '长'.repeat(36) } };
    // sendSms cuts to Aliyun's limit itself, so even a caller's uncut value is accepted.
    expect((await sendSms(provider(sink), ['13800000000'], uncut, fetch, Date.now())).ok).toBe(true);
  });

  it('is flow-controlled per number: the second message within a minute is throttled and retryable', async () => {
    expect((await send(provider(throttling), ['13700000001'])).ok).toBe(true);
    const second = await send(provider(throttling), ['13700000001']);
    expect(second).toMatchObject({ ok: false, retryable: true, throttled: true, answer: { Code: 'isv.BUSINESS_LIMIT_CONTROL' } });
    expect(throttling.messages.filter((m) => m.phoneNumbers.includes('13700000001'))).toHaveLength(1);
  });

  it('classifies a 500, a dropped connection and no answer as retryable', async () => {
    sink.failNext(1, 'http500');
    expect(await send(provider(sink), ['13800000000'])).toMatchObject({ ok: false, retryable: true, status: 500, error: 'HTTP 500' });
    sink.failNext(1, 'close');
    expect(await send(provider(sink), ['13800000000'])).toMatchObject({ ok: false, retryable: true });
    sink.failNext(1, 'hang');
    const hung = await sendSms(provider(sink), ['13800000000'], smsText(notice()), fetch, Date.now(), 200);
    expect(hung).toMatchObject({ ok: false, retryable: true, error: 'no answer within 200 ms' });
  });

  it('refuses the same request twice (SignatureNonce replay), as Aliyun does', async () => {
    let captured: { url: string; body: string; headers: Record<string, string> } | undefined;
    await sendSms(provider(sink), ['13800000000'], smsText(notice()), async (url, init) => {
      captured = { url, body: init.body, headers: init.headers };
      return fetch(url, init);
    }, Date.now());
    const replay = await fetch(captured!.url, { method: 'POST', headers: captured!.headers, body: captured!.body });
    expect(await replay.json()).toMatchObject({ Code: 'SignatureNonceUsed' });
  });
});
