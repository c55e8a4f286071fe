// End-to-end proof of sendSms against a double that checks what Tencent Cloud SMS checks: a message sendSms signs
// (TC3-HMAC-SHA256) is accepted and recorded per number; wrong keys, stale timestamps, bad numbers, daily limits and
// 5xx are answered the way Tencent answers them, and sendSms classifies each answer as the relay needs it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSms, smsText, type SmsProvider } from '../../src/relay/channels/sms.ts';
import type { Notice } from '../../src/relay/channels/types.ts';
import type { AlertRecord } from '../../src/relay/types.ts';
import { startTencentSmsSink, type TencentSmsSink } from './tencent-sms-sink.ts';

const ACCOUNT = { secretId: 'AKIDTestSecretId0000', secretKey: 'tencent-test-key' };
const APP = '1400000001';
const MINUTE = 60_000;

let sink: TencentSmsSink;

beforeAll(async () => {
  sink = await startTencentSmsSink({ accounts: [ACCOUNT], sdkAppIds: [APP], perNumberPerDay: 2 });
});
afterAll(async () => {
  await sink?.close();
});

let numbers = 0;
/** A fresh mainland number per use, so the daily limit of one test never reaches another. */
const freshNumber = () => `+86137${String(++numbers).padStart(8, '0')}`;

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
const notice = (language: 'en' | 'zh' = 'zh', summary = 'GPU 3 温度 91°C'): Notice => ({
  kind: 'escalation',
  receiver: 'ml-oncall',
  alerts: [alert(summary)],
  externalURL: '',
  language,
  timeZone: 'Asia/Shanghai',
});

const provider = (overrides: Partial<Extract<SmsProvider, { provider: 'tencent' }>> = {}): SmsProvider => ({
  provider: 'tencent',
  ...ACCOUNT,
  sdkAppId: APP,
  signName: '监控',
  templateId: '2000001',
  endpoint: sink.url,
  ...overrides,
});
const send = (p: SmsProvider, to: string[], nowMs = Date.now(), n = notice()) => sendSms(p, to, smsText(n), fetch, nowMs);

describe('Tencent Cloud SMS sink and sendSms', () => {
  it.each(['en', 'zh'] as const)('accepts a message sendSms signed (%s) and records it per number, variables in template order', async (language) => {
    const to = [freshNumber(), freshNumber()];
    const result = await send(provider(), to, Date.now(), notice(language));
    expect(result).toMatchObject({ ok: true, status: 200 });
    const recorded = sink.messages.filter((m) => to.includes(m.phoneNumber));
    expect(recorded.map((m) => m.phoneNumber)).toEqual(to);
    const status = language === 'zh' ? '升级' : 'ESCALATED';
    expect(recorded[0]).toMatchObject({ sdkAppId: APP, signName: '监控', templateId: '2000001', templateParams: [status, 'critical', 'GpuTemperat…', 'GPU 3 温度 91…', '1'] });
  });

  it.each([
    ['a wrong SecretKey', { secretKey: 'wrong' }, Date.now, 'AuthFailure.SignatureFailure'],
    ['an unknown SecretId', { secretId: 'AKIDunknown' }, Date.now, 'AuthFailure.SecretIdNotFound'],
    ['a timestamp 6 minutes old', {}, () => Date.now() - 6 * MINUTE, 'AuthFailure.SignatureExpire'],
    ['a timestamp 6 minutes ahead', {}, () => Date.now() + 6 * MINUTE, 'AuthFailure.SignatureExpire'],
    ['an unknown SmsSdkAppId', { sdkAppId: '1400999999' }, Date.now, 'InvalidParameterValue.SdkAppIdNotExist'],
    ['an unsupported region', { region: 'ap-mars' }, Date.now, 'UnsupportedRegion'],
  ])('refuses %s for good (not retryable)', async (_what, overrides, now, code) => {
    const to = [freshNumber()];
    const result = await send(provider(overrides), to, now());
    expect(result).toMatchObject({ ok: false, retryable: false, status: 200, answer: { Response: { Error: { Code: code } } } });
    expect(result.error).toContain(code);
    expect(sink.messages.some((m) => to.includes(m.phoneNumber))).toBe(false);
  });

  it('accepts a timestamp 4 minutes old (inside Tencent\'s five minutes)', async () => {
    expect((await send(provider(), [freshNumber()], Date.now() - 4 * MINUTE)).ok).toBe(true);
  });

  it('a partial success with a bad number: not ok, names that number, not retryable; the good number got it', async () => {
    const good = freshNumber();
    const result = await send(provider(), [good, '+86123']);
    expect(result).toMatchObject({ ok: false, retryable: false, error: '1 of 2 numbers not sent: +86123 InvalidParameterValue.IncorrectPhoneNumber' });
    expect(sink.messages.filter((m) => m.phoneNumber === good)).toHaveLength(1);
  });

  it('a number over its daily limit is throttled and retryable', async () => {
    const to = [freshNumber()];
    expect((await send(provider(), to)).ok).toBe(true);
    expect((await send(provider(), to)).ok).toBe(true);
    const third = await send(provider(), to);
    expect(third).toMatchObject({ ok: false, retryable: true, throttled: true });
    expect(third.error).toContain('LimitExceeded.PhoneNumberDailyLimit');
  });

  it('classifies a 500, a dropped connection and no answer as retryable', async () => {
    sink.failNext(1, 'http500');
    expect(await send(provider(), [freshNumber()])).toMatchObject({ ok: false, retryable: true, status: 500 });
    sink.failNext(1, 'close');
    expect(await send(provider(), [freshNumber()])).toMatchObject({ ok: false, retryable: true });
    sink.failNext(1, 'hang');
    const hung = await sendSms(provider(), [freshNumber()], smsText(notice()), fetch, Date.now(), 200);
    expect(hung).toMatchObject({ ok: false, retryable: true, error: 'no answer within 200 ms' });
  });

  it('refuses a body altered after signing', async () => {
    const result = await sendSms(provider(), [freshNumber()], smsText(notice()), async (url, init) => fetch(url, { ...init, body: init.body.replace('监控', '别人') }), Date.now());
    expect(result).toMatchObject({ ok: false, retryable: false, answer: { Response: { Error: { Code: 'AuthFailure.SignatureFailure' } } } });
  });
});
