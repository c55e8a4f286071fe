/**
 * SMS delivery: what a text message says (`smsText`), and sending it through Aliyun SMS, Tencent Cloud SMS or a
 * generic HTTP gateway (`sendSms`), each request signed as the provider documents it, each answer classified into a
 * `SendResult` (sent; worth retrying; throttled; never going to work).
 *
 * Both clouds only send registered templates: the relay fills their variables (`params`) and the provider writes the
 * text. Only the HTTP gateway gets the relay's own text (`text`).
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { AlertRecord } from '../types.ts';
import { plainLine } from './escape.ts';
import type { Fetch, Notice, SendResult } from './types.ts';
import { parseJson, postForAnswer } from './answers.ts';
import { renderTemplate, type CompiledTemplate } from './template.ts';

export type SmsProvider =
  | { provider: 'aliyun'; accessKeyId: string; accessKeySecret: string; signName: string; templateCode: string; endpoint?: string }
  | { provider: 'tencent'; secretId: string; secretKey: string; sdkAppId: string; signName: string; templateId: string; region?: string; endpoint?: string }
  | { provider: 'http'; url: string; headers?: Record<string, string> };

export interface SmsMessage {
  /** Template variables, by name: status, severity, alertname, summary, count. */
  params: Record<string, string>;
  /** The whole message, for the HTTP gateway. */
  text: string;
}

/**
 * How many characters one template variable may hold.
 * - Aliyun: 35 by default ("单个模板变量的长度可以超过默认的 35 字符上限" once the limit is lifted;
 *   https://help.aliyun.com/zh/document_detail/3041859.html).
 * - Tencent: 12 for accounts verified as a person; enterprise accounts have no per-variable limit (error code
 *   InvalidParameterValue.TemplateParameterLengthLimit, "单个模板变量字符数超过12个，企业认证用户不限制单个变量值字数",
 *   https://cloud.tencent.com/document/api/382/52075). The SMS FAQ (https://cloud.tencent.com/document/product/382/13301)
 *   says 6 for non-verification-code templates; the API's own error code is what it enforces, so 12.
 * Characters are counted as UTF-16 code units: an emoji counts twice, as it does in the UCS-2 that carries Chinese SMS.
 */
export const TEMPLATE_VARIABLE_CHARS = { aliyun: 35, tencent: 12 } as const;

/**
 * One SMS segment: 70 characters when the text has any Chinese (UCS-2); longer texts are split into 67-character
 * parts and billed per part ("短信长度≤70个字，按照1条短信计费；>70个字时为长短信，按照67字/条", Aliyun's sending rules,
 * https://help.aliyun.com/zh/sms/user-guide/message-rules). The default keeps an alert to one segment.
 */
export const SMS_SEGMENT_CHARS = 70;

/** The order Tencent's positional template variables ({1}…{5}) take. */
export const TENCENT_PARAM_ORDER = ['status', 'severity', 'alertname', 'summary', 'count'] as const;

const ALIYUN_ENDPOINT = 'https://dysmsapi.aliyuncs.com/';
const ALIYUN_API_VERSION = '2017-05-25';
const TENCENT_ENDPOINT = 'https://sms.tencentcloudapi.com/';
const TENCENT_API_VERSION = '2021-01-11';
const TENCENT_SERVICE = 'sms';
const TENCENT_DEFAULT_REGION = 'ap-guangzhou';
const ERROR_CHARS = 300;
const ANSWER_CHARS = 2_000;

const WORDS = {
  en: { firing: 'FIRING', resolved: 'RESOLVED', escalation: 'ESCALATED', open: '[', close: '] ', colon: ': ', more: (n: number) => ` (+${n} more)` },
  zh: { firing: '告警', resolved: '恢复', escalation: '升级', open: '【', close: '】', colon: '：', more: (n: number) => `（另有 ${n} 条）` },
};

// ---------------------------------------------------------------------------------------------------------------
// What a message says

/** Made at the first cut, not when the module loads: a build that cuts no SMS text never loads ICU's break rules. */
let graphemes: Intl.Segmenter | undefined;

/**
 * `s` in at most `maxChars` UTF-16 code units, ending in "…" when cut. Cut between grapheme clusters, so neither a
 * surrogate pair nor an emoji sequence nor a letter with its combining mark is split.
 */
export function cutChars(s: string, maxChars: number): string {
  if (s.length <= maxChars) return s;
  if (maxChars < 1) return '';
  let kept = '';
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  for (const { segment } of graphemes.segment(s)) {
    if (kept.length + segment.length + 1 > maxChars) break;
    kept += segment;
  }
  return `${kept}…`;
}

/** Plain text on one line: control and bidirectional characters become spaces, runs of spaces one space. */
function plain(s: string): string {
  return plainLine(s).replace(/\s+/g, ' ').trim();
}

/** A template's text keeps its own line breaks (values are single lines already); blank runs become one blank line. */
function templateLines(body: string): string {
  return body.replace(/\r\n?/g, '\n').replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
}

function headline(alerts: AlertRecord[]): { severity: string; alertname: string; summary: string } {
  const first = alerts[0];
  if (!first) return { severity: '', alertname: '', summary: '' };
  const severities = [...new Set(alerts.map((a) => plain(a.severity)))];
  return { severity: severities.join('/'), alertname: plain(first.alertname), summary: plain(first.annotations.summary ?? '') };
}

/**
 * One line per notice: kind, severity, alert name, the first alert's summary, and "+N more" when the notice holds
 * several alerts. `params` feed the provider templates (each cut to `variableChars`); `text` is the whole message for
 * the HTTP gateway, cut to `maxChars` with the "+N more" kept — or, with `template`, the team's text cut to `maxChars`.
 */
export function smsText(notice: Notice, maxChars = SMS_SEGMENT_CHARS, variableChars: number = TEMPLATE_VARIABLE_CHARS.aliyun, template?: CompiledTemplate): SmsMessage {
  const words = WORDS[notice.language];
  const status = words[notice.kind];
  const { severity, alertname, summary } = headline(notice.alerts);
  const count = notice.alerts.length;
  const params = { status, severity, alertname, summary, count: String(count) };
  if (template) {
    const { body } = renderTemplate(template, notice, { shown: count, withMentions: false });
    return { params: cutParams(params, variableChars), text: cutChars(templateLines(body), maxChars) };
  }

  const more = count > 1 ? words.more(count - 1) : '';
  const head = `${words.open}${status}${words.close}${severity} ${alertname}${summary ? `${words.colon}${summary}` : ''}`;
  const text = more.length >= maxChars ? cutChars(head + more, maxChars) : cutChars(head, maxChars - more.length) + more;
  return { params: cutParams(params, variableChars), text };
}

function cutParams(params: Record<string, string>, maxChars: number): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([name, value]) => [name, cutChars(plain(value), maxChars)]));
}

// ---------------------------------------------------------------------------------------------------------------
// Aliyun: RPC signature v1

/**
 * Aliyun's percent-encoding (RFC 3986): A–Z a–z 0–9 - _ . ~ stay, everything else is %XY of its UTF-8 bytes, a space
 * is %20 (not +). encodeURIComponent leaves ! ' ( ) * alone, so those are encoded here.
 */
export function aliyunPercentEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Aliyun RPC signature v1 ("签名机制", https://help.aliyun.com/document_detail/28839.html; SMS's copy of it:
 * https://www.alibabacloud.com/help/zh/doc-detail/252839.htm): sort the parameters (all but Signature) by name, encode names
 * and values, join as a=b&c=d, then StringToSign = METHOD & %2F & percentEncode(that), and
 * Signature = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign)).
 */
export function aliyunStringToSign(method: string, params: Record<string, string>): string {
  const canonical = Object.keys(params)
    .filter((name) => name !== 'Signature')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => `${aliyunPercentEncode(name)}=${aliyunPercentEncode(params[name])}`)
    .join('&');
  return `${method}&${aliyunPercentEncode('/')}&${aliyunPercentEncode(canonical)}`;
}

export function aliyunSignature(method: string, params: Record<string, string>, accessKeySecret: string): string {
  return createHmac('sha1', `${accessKeySecret}&`).update(aliyunStringToSign(method, params), 'utf8').digest('base64');
}

/** `2017-07-12T02:42:19Z`: Aliyun's Timestamp is UTC without milliseconds. */
function aliyunTimestamp(nowMs: number): string {
  return new Date(Math.trunc(nowMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function aliyunRequest(provider: Extract<SmsProvider, { provider: 'aliyun' }>, to: string[], params: Record<string, string>, nowMs: number) {
  const query: Record<string, string> = {
    AccessKeyId: provider.accessKeyId,
    Action: 'SendSms',
    Format: 'JSON',
    PhoneNumbers: to.join(','),
    RegionId: 'cn-hangzhou',
    SignName: provider.signName,
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: randomUUID(),
    SignatureVersion: '1.0',
    TemplateCode: provider.templateCode,
    TemplateParam: JSON.stringify(params),
    Timestamp: aliyunTimestamp(nowMs),
    Version: ALIYUN_API_VERSION,
  };
  query.Signature = aliyunSignature('POST', query, provider.accessKeySecret);
  const body = Object.entries(query)
    .map(([name, value]) => `${aliyunPercentEncode(name)}=${aliyunPercentEncode(value)}`)
    .join('&');
  return { url: provider.endpoint ?? ALIYUN_ENDPOINT, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body };
}

/**
 * Codes that say "later": flow control (isv.BUSINESS_LIMIT_CONTROL: a number's minute/hour/day quota;
 * isv.DAY_LIMIT_CONTROL: the account's day quota; Throttling*: API call rate) and Aliyun's own failures.
 * Everything else (bad number, sign name, template, key, signature, expired timestamp, balance) stays so on retry.
 * The gateway's codes (Missing*, InvalidAccessKeyId.NotFound, SignatureDoesNotMatch, InvalidTimeStamp.Expired,
 * Throttling.User…): https://help.aliyun.com/document_detail/48054.html; SendSms's own isv.* codes are in its API reference.
 */
const ALIYUN_THROTTLED = new Set(['isv.BUSINESS_LIMIT_CONTROL', 'isv.DAY_LIMIT_CONTROL', 'Throttling', 'Throttling.User', 'Throttling.Api']);
const ALIYUN_RETRYABLE = new Set(['isp.SYSTEM_ERROR', 'InternalError', 'ServiceUnavailable', 'isp.GATEWAY_ERROR', 'isv.OUT_OF_SERVICE_TEMPORARILY']);

function classifyAliyun(status: number, text: string): Omit<SendResult, 'latencyMs'> {
  const answer = parseJson(text);
  const recorded = answer ?? text.slice(0, ANSWER_CHARS);
  const code = isRecord(answer) && typeof answer.Code === 'string' ? answer.Code : undefined;
  if (code === undefined) return classifyBareHttp(status, recorded, 'an Aliyun answer (no JSON Code)');
  if (status === 200 && code === 'OK') return { ok: true, retryable: false, status, answer };
  const error = short(`${code}: ${String((answer as Record<string, unknown>).Message ?? '')}`);
  if (ALIYUN_THROTTLED.has(code)) return { ok: false, retryable: true, throttled: true, status, error, answer };
  return { ok: false, retryable: status >= 500 || ALIYUN_RETRYABLE.has(code), status, error, answer };
}

// ---------------------------------------------------------------------------------------------------------------
// Tencent Cloud: API 3.0, TC3-HMAC-SHA256

export interface Tc3Input {
  secretId: string;
  secretKey: string;
  service: string;
  /** The Host header as sent (with the port when not the default). */
  host: string;
  contentType: string;
  /** Lower-case names → values of headers signed besides content-type and host (e.g. x-tc-action). */
  extraSignedHeaders?: Record<string, string>;
  payload: string;
  /** Seconds since the epoch (X-TC-Timestamp). */
  timestamp: number;
}

export interface Tc3Signed {
  authorization: string;
  signature: string;
  canonicalRequest: string;
  stringToSign: string;
}

const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const hmacSha256 = (key: Buffer | string, s: string) => createHmac('sha256', key).update(s, 'utf8').digest();

/**
 * Tencent Cloud API 3.0 signature v3 ("签名方法 v3", the same page under every product, e.g.
 * https://cloud.tencent.com/document/api/362/4208): header names AND values lower-cased in the canonical headers;
 * CanonicalRequest = POST \n / \n (empty query) \n canonical headers (lower-case name:trimmed value\n, sorted) \n
 * signed header names (;-joined) \n hex(SHA256(payload)); StringToSign = TC3-HMAC-SHA256 \n timestamp \n
 * date/service/tc3_request \n hex(SHA256(CanonicalRequest)); the key is derived by HMAC-SHA256 chaining
 * "TC3"+SecretKey → date (UTC, of the timestamp) → service → "tc3_request"; Signature = hex(HMAC(key, StringToSign)).
 */
export function tc3Sign(input: Tc3Input): Tc3Signed {
  const date = new Date(input.timestamp * 1000).toISOString().slice(0, 10);
  const headers: Record<string, string> = { 'content-type': input.contentType, host: input.host, ...input.extraSignedHeaders };
  const names = Object.keys(headers).map((n) => n.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([n, v]) => [n.toLowerCase(), v]));
  const canonicalHeaders = names.map((n) => `${n}:${lower[n].trim().toLowerCase()}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = ['POST', '/', '', canonicalHeaders, signedHeaders, sha256Hex(input.payload)].join('\n');
  const scope = `${date}/${input.service}/tc3_request`;
  const stringToSign = ['TC3-HMAC-SHA256', String(input.timestamp), scope, sha256Hex(canonicalRequest)].join('\n');
  const secretDate = hmacSha256(`TC3${input.secretKey}`, date);
  const secretService = hmacSha256(secretDate, input.service);
  const secretSigning = hmacSha256(secretService, 'tc3_request');
  const signature = createHmac('sha256', secretSigning).update(stringToSign, 'utf8').digest('hex');
  const authorization = `TC3-HMAC-SHA256 Credential=${input.secretId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { authorization, signature, canonicalRequest, stringToSign };
}

function tencentRequest(provider: Extract<SmsProvider, { provider: 'tencent' }>, to: string[], params: Record<string, string>, nowMs: number) {
  const url = provider.endpoint ?? TENCENT_ENDPOINT;
  const payload = JSON.stringify({
    PhoneNumberSet: to,
    SmsSdkAppId: provider.sdkAppId,
    SignName: provider.signName,
    TemplateId: provider.templateId,
    TemplateParamSet: TENCENT_PARAM_ORDER.map((name) => params[name] ?? ''),
  });
  const timestamp = Math.trunc(nowMs / 1000);
  const contentType = 'application/json; charset=utf-8';
  const { authorization } = tc3Sign({
    secretId: provider.secretId,
    secretKey: provider.secretKey,
    service: TENCENT_SERVICE,
    host: new URL(url).host,
    contentType,
    extraSignedHeaders: { 'x-tc-action': 'SendSms' },
    payload,
    timestamp,
  });
  const headers = {
    Authorization: authorization,
    'Content-Type': contentType,
    'X-TC-Action': 'SendSms',
    'X-TC-Timestamp': String(timestamp),
    'X-TC-Version': TENCENT_API_VERSION,
    'X-TC-Region': provider.region ?? TENCENT_DEFAULT_REGION,
  };
  return { url, headers, body: payload };
}

/**
 * Tencent answers HTTP 200 for everything; `Response.Error.Code` for a refused request, and per number a
 * `SendStatusSet[].Code` ("Ok" when sent). "Later" codes: request-rate and per-number/app quotas (LimitExceeded.*,
 * RequestLimitExceeded) and Tencent's own failures (InternalError*, FailedOperation.FailResolvePacket...).
 * Codes: https://cloud.tencent.com/document/api/382/52075
 */
function tencentThrottled(code: string): boolean {
  return code.startsWith('LimitExceeded.') || code === 'RequestLimitExceeded' || code.startsWith('RequestLimitExceeded.');
}
function tencentRetryable(code: string): boolean {
  return tencentThrottled(code) || code.startsWith('InternalError') || code === 'ResourceUnavailable' || code === 'FailedOperation.FailResolvePacket';
}

function classifyTencent(status: number, text: string): Omit<SendResult, 'latencyMs'> {
  const answer = parseJson(text);
  const recorded = answer ?? text.slice(0, ANSWER_CHARS);
  const response = isRecord(answer) && isRecord(answer.Response) ? answer.Response : undefined;
  if (!response) return classifyBareHttp(status, recorded, 'a Tencent Cloud answer (no JSON Response)');
  if (status >= 500) return { ok: false, retryable: true, status, error: `HTTP ${status}`, answer };

  if (isRecord(response.Error)) {
    const code = String(response.Error.Code ?? '');
    const error = short(`${code}: ${String(response.Error.Message ?? '')}`);
    return { ok: false, retryable: tencentRetryable(code), ...(tencentThrottled(code) ? { throttled: true } : {}), status, error, answer };
  }
  const set = Array.isArray(response.SendStatusSet) ? response.SendStatusSet.filter(isRecord) : [];
  if (set.length === 0) return { ok: false, retryable: true, status, error: 'Tencent Cloud answered without SendStatusSet', answer };
  const failed = set.filter((s) => s.Code !== 'Ok');
  if (failed.length === 0) return { ok: true, retryable: false, status, answer };

  const codes = failed.map((s) => String(s.Code ?? ''));
  const names = failed.map((s, i) => `${String(s.PhoneNumber ?? '?')} ${codes[i]}`);
  const error = short(`${failed.length} of ${set.length} numbers not sent: ${names.join(', ')}`);
  // Retrying sends to every number again, so only when every failure can clear by itself (quota, Tencent's fault).
  const retryable = codes.every(tencentRetryable);
  return { ok: false, retryable, ...(retryable && codes.some(tencentThrottled) ? { throttled: true } : {}), status, error, answer };
}

// ---------------------------------------------------------------------------------------------------------------
// Generic HTTP gateway

function httpRequest(provider: Extract<SmsProvider, { provider: 'http' }>, to: string[], message: SmsMessage) {
  const own = provider.headers ?? {};
  const namesType = Object.keys(own).some((name) => name.toLowerCase() === 'content-type');
  return {
    url: provider.url,
    headers: { ...(namesType ? {} : { 'Content-Type': 'application/json' }), ...own },
    body: JSON.stringify({ to, text: message.text, params: message.params }),
  };
}

function classifyHttp(status: number, text: string): Omit<SendResult, 'latencyMs'> {
  const answer = parseJson(text) ?? text.slice(0, ANSWER_CHARS);
  if (status >= 200 && status < 300) return { ok: true, retryable: false, status, answer };
  return classifyBareHttp(status, answer, 'a 2xx status');
}

/** An answer that is not the provider's JSON: the status decides (a proxy's page in front of the provider, a 502…). */
function classifyBareHttp(status: number, answer: unknown, missing: string): Omit<SendResult, 'latencyMs'> {
  if (status === 429) return { ok: false, retryable: true, throttled: true, status, error: 'HTTP 429', answer };
  if (status >= 500 || status === 408) return { ok: false, retryable: true, status, error: `HTTP ${status}`, answer };
  if (status >= 400) return { ok: false, retryable: false, status, error: `HTTP ${status}`, answer };
  return { ok: false, retryable: true, status, error: `HTTP ${status} without ${missing}`, answer };
}

// ---------------------------------------------------------------------------------------------------------------
// Sending

export async function sendSms(provider: SmsProvider, to: string[], message: SmsMessage, fetch: Fetch, nowMs: number, timeoutMs = 10_000): Promise<SendResult> {
  const started = performance.now();
  const latency = () => performance.now() - started;
  const numbers = [...new Set(to.map((n) => n.replace(/[\s-]/g, '')).filter((n) => n !== ''))];
  if (numbers.length === 0) return { ok: false, retryable: false, error: 'no phone number to send to', latencyMs: 0 };

  const request =
    provider.provider === 'aliyun'
      ? aliyunRequest(provider, numbers, cutParams(message.params, TEMPLATE_VARIABLE_CHARS.aliyun), nowMs)
      : provider.provider === 'tencent'
        ? tencentRequest(provider, numbers, cutParams(message.params, TEMPLATE_VARIABLE_CHARS.tencent), nowMs)
        : httpRequest(provider, numbers, message);
  const classify = provider.provider === 'aliyun' ? classifyAliyun : provider.provider === 'tencent' ? classifyTencent : classifyHttp;

  // A gateway URL or header may hold a token: a failure never names them.
  const answered = await postForAnswer(fetch, request.url, request.headers, request.body, timeoutMs);
  if ('failure' in answered) return { ok: false, retryable: true, error: answered.failure, latencyMs: latency() };
  return { ...classify(answered.status, answered.text), latencyMs: latency() };
}


function short(s: string): string {
  return s.length <= ERROR_CHARS ? s : `${s.slice(0, ERROR_CHARS)}…`;
}


function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
