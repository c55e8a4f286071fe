import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  aliyunPercentEncode,
  aliyunSignature,
  aliyunStringToSign,
  cutChars,
  sendSms,
  smsText,
  tc3Sign,
  TEMPLATE_VARIABLE_CHARS,
  type SmsProvider,
} from './sms.ts';
import type { Fetch } from './types.ts';
import { alertMaker, noticeMaker } from '../../../test/helpers/notices.ts';

const alert = alertMaker({ startsAt: Date.UTC(2024, 0, 1), createdAt: 0, updatedAt: 0 });
const notice = noticeMaker(alert);

/** Half of an emoji left behind by a cut (String.prototype.isWellFormed is ES2024, beyond this project's lib). */
const hasLoneSurrogate = (s: string) => /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe('cutChars', () => {
  it('keeps a string that fits and cuts one that does not, the "…" included in the limit', () => {
    expect(cutChars('abcdef', 6)).toBe('abcdef');
    expect(cutChars('abcdefg', 6)).toBe('abcde…');
    expect(cutChars('abcdefg', 6)).toHaveLength(6);
  });

  it.each([
    ['an emoji (surrogate pair)', 'ab😀😀😀', 4, 'ab…'],
    ['a family emoji (ZWJ sequence)', 'a👨‍👩‍👧b👨‍👩‍👧', 10, 'a👨‍👩‍👧…'],
    ['a family emoji, one unit short', 'a👨‍👩‍👧b👨‍👩‍👧', 9, 'a…'],
    ['a letter with a combining accent', 'xe\u0301e\u0301e\u0301', 4, 'xe\u0301…'],
    ['Chinese', '温度过高告警', 4, '温度过…'],
  ])('never splits %s', (_what, input, max, expected) => {
    const cut = cutChars(input, max);
    expect(cut).toBe(expected);
    expect(cut.length).toBeLessThanOrEqual(max);
    expect(hasLoneSurrogate(cut)).toBe(false);
  });
});

describe('smsText', () => {
  it('says kind, severity, alert name and summary on one line, in English', () => {
    expect(smsText(notice())).toEqual({
      text: '[FIRING] critical GpuTemperatureHigh: GPU 3 is at 91°C',
      params: { status: 'FIRING', severity: 'critical', alertname: 'GpuTemperatureHigh', summary: 'GPU 3 is at 91°C', count: '1' },
    });
  });

  it('says it in Chinese, with the other kinds', () => {
    expect(smsText(notice({ language: 'zh' })).text).toBe('【告警】critical GpuTemperatureHigh：GPU 3 is at 91°C');
    expect(smsText(notice({ language: 'zh', kind: 'resolved' })).params.status).toBe('恢复');
    expect(smsText(notice({ language: 'zh', kind: 'escalation' })).params.status).toBe('升级');
    expect(smsText(notice({ kind: 'resolved' })).text.startsWith('[RESOLVED] ')).toBe(true);
    expect(smsText(notice({ kind: 'escalation' })).text.startsWith('[ESCALATED] ')).toBe(true);
  });

  it('names how many more alerts the notice holds, and keeps that when the text is cut', () => {
    const long = alert({ annotations: { summary: 'x'.repeat(200) } });
    const en = smsText(notice({ alerts: [long, alert(), alert({ severity: 'warning' })] }));
    expect(en.text).toHaveLength(70);
    expect(en.text.endsWith('… (+2 more)')).toBe(true);
    expect(en.params).toMatchObject({ count: '3', severity: 'critical/warning' });
    const zh = smsText(notice({ language: 'zh', alerts: [long, alert()] }), 40);
    expect(zh.text).toHaveLength(40);
    expect(zh.text.endsWith('…（另有 1 条）')).toBe(true);
  });

  it('cuts the text to maxChars on a character boundary', () => {
    const text = smsText(notice({ alerts: [alert({ annotations: { summary: '温度'.repeat(30) + '😀'.repeat(30) } })] }), 67).text;
    expect(text.length).toBeLessThanOrEqual(67);
    expect(hasLoneSurrogate(text)).toBe(false);
    expect(text.endsWith('…')).toBe(true);
  });

  it('cuts each template variable to the variable limit (Aliyun\'s by default)', () => {
    const params = smsText(notice({ alerts: [alert({ alertname: 'A'.repeat(50), annotations: { summary: '温'.repeat(50) } })] })).params;
    expect(params.alertname).toHaveLength(TEMPLATE_VARIABLE_CHARS.aliyun);
    expect(params.summary).toBe(`${'温'.repeat(TEMPLATE_VARIABLE_CHARS.aliyun - 1)}…`);
    expect(smsText(notice(), 70, TEMPLATE_VARIABLE_CHARS.tencent).params.alertname).toBe('GpuTemperat…');
  });

  it('keeps label and annotation values plain text on one line', () => {
    const hostile = alert({ alertname: 'Disk\nFull', annotations: { summary: 'line1\r\nline2\u202etxt.exe\u0000 [x](http://evil) @13800000000' } });
    const { text, params } = smsText(notice({ alerts: [hostile] }), 500);
    expect(text).toBe('[FIRING] critical Disk Full: line1 line2 txt.exe [x](http://evil) ＠13800000000');
    expect(Object.values(params).join('')).not.toMatch(/[\u0000-\u001f\u202e]/);
  });
});

describe('Aliyun RPC signature v1: known answers', () => {
  // The worked example of Aliyun's "签名机制" page (https://help.aliyun.com/document_detail/28839.html).
  const describeRegions = {
    AccessKeyId: 'testid',
    Action: 'DescribeRegions',
    Format: 'XML',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
    SignatureVersion: '1.0',
    Timestamp: '2016-02-23T12:46:24Z',
    Version: '2014-05-26',
  };

  it('matches the documented string to sign and signature', () => {
    expect(aliyunStringToSign('GET', describeRegions)).toBe(
      'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1' +
        '%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0' +
        '%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26',
    );
    expect(aliyunSignature('GET', describeRegions, 'testsecret')).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  });

  it('signs POST requests with POST in the string to sign', () => {
    const stringToSign = aliyunStringToSign('GET', describeRegions).replace(/^GET/, 'POST');
    expect(aliyunSignature('POST', describeRegions, 'testsecret')).toBe(createHmac('sha1', 'testsecret&').update(stringToSign).digest('base64'));
    expect(aliyunSignature('POST', describeRegions, 'testsecret')).toBe('MxbnVAM4w6sft9xjVpe/GCKueuk=');
  });

  it('matches Aliyun SMS\'s worked SendSms example (a Chinese sign name, JSON template parameters)', () => {
    const sendSmsExample = {
      AccessKeyId: 'testId',
      Action: 'SendSms',
      Format: 'XML',
      OutId: '123',
      PhoneNumbers: '15300000001',
      RegionId: 'cn-hangzhou',
      SignName: '阿里云短信测试专用',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: '45e25e9b-0a6f-4070-8c85-2956eda1b466',
      SignatureVersion: '1.0',
      TemplateCode: 'SMS_71390007',
      TemplateParam: '{"customer":"test"}',
      Timestamp: '2017-07-12T02:42:19Z',
      Version: '2017-05-25',
    };
    expect(aliyunSignature('GET', sendSmsExample, 'testSecret')).toBe('zJDF+Lrzhj/ThnlvIToysFRq6t4=');
  });

  it('ignores a Signature parameter already present', () => {
    expect(aliyunSignature('GET', { ...describeRegions, Signature: 'old' }, 'testsecret')).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  });

  it('percent-encodes as RFC 3986 (space %20, * ! \' ( ) encoded, ~ kept)', () => {
    expect(aliyunPercentEncode("a b*c~d!'()+/")).toBe('a%20b%2Ac~d%21%27%28%29%2B%2F');
  });
});

describe('Tencent Cloud TC3-HMAC-SHA256: known answers', () => {
  // The worked example of Tencent Cloud's "签名方法 v3" page (CVM DescribeInstances, 2019-02-25).
  const example = {
    secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******',
    secretKey: 'Gu5t9xGARNpq86cd98joQYCN3*******',
    service: 'cvm',
    host: 'cvm.tencentcloudapi.com',
    contentType: 'application/json; charset=utf-8',
    payload: '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}',
    timestamp: 1551113065,
  };

  it('matches the documented canonical request, string to sign, signature and Authorization', () => {
    const signed = tc3Sign(example);
    expect(signed.canonicalRequest).toBe(
      'POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n' +
        '35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064',
    );
    expect(signed.stringToSign).toBe('TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031');
    expect(signed.signature).toBe('2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c');
    expect(signed.authorization).toBe(
      'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, ' +
        'Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c',
    );
  });

  it('signs x-tc-action too, its value lower-cased, as the current page does (computed here step by step)', () => {
    const signed = tc3Sign({ ...example, extraSignedHeaders: { 'x-tc-action': 'DescribeInstances' } });
    const canonical =
      'POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\nx-tc-action:describeinstances\n\n' +
      `content-type;host;x-tc-action\n${createHash('sha256').update(example.payload).digest('hex')}`;
    expect(signed.canonicalRequest).toBe(canonical);
    const hmac = (key: Buffer | string, s: string) => createHmac('sha256', key).update(s).digest();
    const key = hmac(hmac(hmac(`TC3${example.secretKey}`, '2019-02-25'), 'cvm'), 'tc3_request');
    const toSign = `TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n${createHash('sha256').update(canonical).digest('hex')}`;
    expect(signed.signature).toBe(createHmac('sha256', key).update(toSign).digest('hex'));
  });

  it('takes the credential date from the timestamp in UTC (23:59:59 and 00:00:00 fall on different dates)', () => {
    expect(tc3Sign({ ...example, timestamp: Date.UTC(2024, 0, 1, 23, 59, 59) / 1000 }).stringToSign).toContain('2024-01-01/cvm/tc3_request');
    expect(tc3Sign({ ...example, timestamp: Date.UTC(2024, 0, 2) / 1000 }).stringToSign).toContain('2024-01-02/cvm/tc3_request');
  });
});

/** A fetch that answers with `status` and `body` and remembers what it was asked. */
function answering(status: number, body: unknown): { fetch: Fetch; calls: { url: string; headers: Record<string, string>; body: string }[] } {
  const calls: { url: string; headers: Record<string, string>; body: string }[] = [];
  const fetch: Fetch = async (url, init) => {
    calls.push({ url, headers: init.headers, body: init.body });
    return { status, text: async () => (typeof body === 'string' ? body : JSON.stringify(body)) };
  };
  return { fetch, calls };
}

const aliyun: SmsProvider = { provider: 'aliyun', accessKeyId: 'id', accessKeySecret: 'secret', signName: '监控', templateCode: 'SMS_1' };
const tencent: SmsProvider = { provider: 'tencent', secretId: 'AKID', secretKey: 'key', sdkAppId: '1400000000', signName: '监控', templateId: '1' };
const gateway: SmsProvider = { provider: 'http', url: 'https://sms-gateway.example/send?token=T', headers: { Authorization: 'Bearer G' } };
const message = smsText(notice());
const NOW = Date.UTC(2024, 0, 1, 12);

describe('sendSms classification', () => {
  it.each([
    ['Aliyun OK', aliyun, 200, { Code: 'OK', Message: 'OK' }, { ok: true }],
    ['Aliyun flow control', aliyun, 200, { Code: 'isv.BUSINESS_LIMIT_CONTROL', Message: '触发分钟级流控' }, { ok: false, retryable: true, throttled: true }],
    ['Aliyun bad number', aliyun, 200, { Code: 'isv.MOBILE_NUMBER_ILLEGAL', Message: '非法手机号' }, { ok: false, retryable: false }],
    ['Aliyun bad signature', aliyun, 400, { Code: 'SignatureDoesNotMatch' }, { ok: false, retryable: false }],
    ['Aliyun unknown key', aliyun, 404, { Code: 'InvalidAccessKeyId.NotFound' }, { ok: false, retryable: false }],
    ['Aliyun system error', aliyun, 200, { Code: 'isp.SYSTEM_ERROR' }, { ok: false, retryable: true }],
    ['Aliyun 503 page', aliyun, 503, '<html>busy</html>', { ok: false, retryable: true, error: 'HTTP 503' }],
    ['Aliyun 200 without JSON', aliyun, 200, '<html>proxy</html>', { ok: false, retryable: true }],
    ['Tencent all Ok', tencent, 200, { Response: { SendStatusSet: [{ PhoneNumber: '+8613800000000', Code: 'Ok' }] } }, { ok: true }],
    ['Tencent signature failure', tencent, 200, { Response: { Error: { Code: 'AuthFailure.SignatureFailure', Message: 'x' } } }, { ok: false, retryable: false }],
    ['Tencent request rate', tencent, 200, { Response: { Error: { Code: 'RequestLimitExceeded', Message: 'x' } } }, { ok: false, retryable: true, throttled: true }],
    ['Tencent internal error', tencent, 200, { Response: { Error: { Code: 'InternalError.Timeout', Message: 'x' } } }, { ok: false, retryable: true }],
    ['gateway 2xx', gateway, 202, '', { ok: true }],
    ['gateway 429', gateway, 429, '', { ok: false, retryable: true, throttled: true }],
    ['gateway 400', gateway, 400, { error: 'bad number' }, { ok: false, retryable: false }],
    ['gateway 502', gateway, 502, '', { ok: false, retryable: true }],
  ])('%s', async (_what, provider, status, body, expected) => {
    const result = await sendSms(provider, ['+8613800000000'], message, answering(status, body).fetch, NOW);
    expect(result).toMatchObject({ ...expected, status });
    if (!expected.ok) expect(result.error).toBeTruthy();
  });

  it('Tencent partial success: not ok, names the failed numbers; not retryable when a number is invalid', async () => {
    const answer = {
      Response: {
        SendStatusSet: [
          { PhoneNumber: '+8613800000000', Code: 'Ok' },
          { PhoneNumber: '+8612', Code: 'InvalidParameterValue.IncorrectPhoneNumber' },
        ],
      },
    };
    const result = await sendSms(tencent, ['+8613800000000', '+8612'], message, answering(200, answer).fetch, NOW);
    expect(result).toMatchObject({ ok: false, retryable: false, error: '1 of 2 numbers not sent: +8612 InvalidParameterValue.IncorrectPhoneNumber' });
  });

  it('Tencent partial success where only a quota refused: throttled, retryable', async () => {
    const answer = {
      Response: {
        SendStatusSet: [
          { PhoneNumber: '+8613800000000', Code: 'Ok' },
          { PhoneNumber: '+8613900000000', Code: 'LimitExceeded.PhoneNumberDailyLimit' },
        ],
      },
    };
    const result = await sendSms(tencent, ['+8613800000000', '+8613900000000'], message, answering(200, answer).fetch, NOW);
    expect(result).toMatchObject({ ok: false, retryable: true, throttled: true });
    expect(result.error).toContain('+8613900000000 LimitExceeded.PhoneNumberDailyLimit');
  });

  it('network errors and timeouts are retryable and never show the URL', async () => {
    const refused: Fetch = async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });
    };
    const result = await sendSms(gateway, ['13800000000'], message, refused, NOW);
    expect(result).toMatchObject({ ok: false, retryable: true, error: 'network error: fetch failed: connect ECONNREFUSED' });
    expect(result.error).not.toContain('token');
    const hanging: Fetch = (_url, init) => new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    expect(await sendSms(gateway, ['13800000000'], message, hanging, NOW, 50)).toMatchObject({ ok: false, retryable: true, error: 'no answer within 50 ms' });
  });

  it('refuses to send to nobody without calling the provider', async () => {
    const { fetch, calls } = answering(200, { Code: 'OK' });
    expect(await sendSms(aliyun, [' ', ''], message, fetch, NOW)).toMatchObject({ ok: false, retryable: false, error: 'no phone number to send to' });
    expect(calls).toHaveLength(0);
  });

  it('posts the gateway JSON {to, text, params} with its headers', async () => {
    const { fetch, calls } = answering(200, '');
    await sendSms(gateway, ['138 0000 0000', '13800000000'], message, fetch, NOW);
    expect(calls[0].url).toBe('https://sms-gateway.example/send?token=T');
    expect(calls[0].headers).toMatchObject({ 'Content-Type': 'application/json', Authorization: 'Bearer G' });
    expect(JSON.parse(calls[0].body)).toEqual({ to: ['13800000000'], text: message.text, params: message.params });
  });

  it('lets the gateway\'s own Content-Type stand, whatever its case', async () => {
    const { fetch, calls } = answering(200, '');
    await sendSms({ ...gateway, headers: { 'content-type': 'application/vnd.sms+json' } }, ['13800000000'], message, fetch, NOW);
    expect(calls[0].headers).toEqual({ 'content-type': 'application/vnd.sms+json' });
  });

  it('sends Tencent the variables in template order, each cut to Tencent\'s limit', async () => {
    const { fetch, calls } = answering(200, { Response: { SendStatusSet: [{ Code: 'Ok' }] } });
    await sendSms(tencent, ['+8613800000000'], message, fetch, NOW);
    expect(calls[0].url).toBe('https://sms.tencentcloudapi.com/');
    expect(JSON.parse(calls[0].body).TemplateParamSet).toEqual(['FIRING', 'critical', 'GpuTemperat…', 'GPU 3 is at…', '1']);
    expect(calls[0].headers).toMatchObject({ 'X-TC-Action': 'SendSms', 'X-TC-Version': '2021-01-11', 'X-TC-Region': 'ap-guangzhou', 'X-TC-Timestamp': String(NOW / 1000) });
  });

  it('sends Aliyun a signed form to dysmsapi', async () => {
    const { fetch, calls } = answering(200, { Code: 'OK' });
    await sendSms(aliyun, ['13800000000', '13900000000'], message, fetch, NOW);
    expect(calls[0].url).toBe('https://dysmsapi.aliyuncs.com/');
    const form = Object.fromEntries(new URLSearchParams(calls[0].body));
    expect(form).toMatchObject({ Action: 'SendSms', Version: '2017-05-25', PhoneNumbers: '13800000000,13900000000', Timestamp: '2024-01-01T12:00:00Z', SignName: '监控' });
    expect(JSON.parse(form.TemplateParam)).toEqual(message.params);
    const { Signature, ...signed } = form;
    expect(Signature).toBe(aliyunSignature('POST', signed, 'secret'));
  });
});
