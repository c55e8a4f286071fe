// A local HTTP double of Tencent Cloud SMS `SendSms` (API 3.0, version 2021-01-11), checking what the real endpoint
// checks: the X-TC-Action/-Version/-Region/-Timestamp headers, the Authorization header's TC3-HMAC-SHA256 signature
// (credential scope date/sms/tc3_request, canonical request over the headers it names, which must include
// content-type and host), a timestamp no more than five minutes off, the SecretId, then the SendSms parameters:
// SmsSdkAppId, TemplateId, SignName, up to 200 numbers, template variables (12 characters each, Tencent's limit for
// personally verified accounts), and a per-number daily limit. Like Tencent it answers HTTP 200 with `{Response: …}`
// for everything: `Error` for a refused request, `SendStatusSet` with a Code per number otherwise.
// The numbers are stated here, not imported from src/: the double is the provider's word.
//
//   const sink = await startTencentSmsSink({ accounts: [{ secretId: 'AKID…', secretKey: '…' }], sdkAppIds: ['1400000000'] });
//   sink.url, sink.messages, sink.requests, sink.failNext(1, 'http500' | 'close' | 'hang'), await sink.close()
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Tencent's published facts. */
const TIMESTAMP_WINDOW_S = 5 * 60;
const VARIABLE_CHARS = 12;
const MAX_NUMBERS = 200;
const API_VERSION = '2021-01-11';
const SERVICE = 'sms';
const REGIONS = ['ap-guangzhou', 'ap-beijing', 'ap-nanjing'];
/** E.164 (+86 and 11 digits for the mainland), or a bare mainland number, which Tencent also accepts. */
const PHONE = /^\+861\d{10}$|^1\d{10}$|^\+(?!86)[1-9]\d{6,14}$/;

export interface TencentAccount {
  secretId: string;
  secretKey: string;
}

export interface TencentSmsSinkOptions {
  accounts?: TencentAccount[];
  /** SmsSdkAppIds that exist; every id is accepted when absent. */
  sdkAppIds?: string[];
  /** Messages one number may receive per day before LimitExceeded.PhoneNumberDailyLimit. Unlimited when absent. */
  perNumberPerDay?: number;
  /** The sink's clock (ms). Default Date.now. */
  now?: () => number;
}

export interface TencentAcceptedMessage {
  phoneNumber: string;
  sdkAppId: string;
  signName: string;
  templateId: string;
  templateParams: string[];
  at: number;
}

export type InjectedFailure = 'http500' | 'close' | 'hang';

export interface TencentSinkRequest {
  at: number;
  /** The Error code, 'Ok' when every number was sent, the first failing number's code otherwise, or the injected failure. */
  outcome: string | InjectedFailure;
}

export interface TencentSmsSink {
  url: string;
  messages: TencentAcceptedMessage[];
  requests: TencentSinkRequest[];
  failNext(count: number, failure: InjectedFailure): void;
  close(): Promise<void>;
}

interface SinkState {
  options: TencentSmsSinkOptions;
  secrets: Map<string, string>;
  now: () => number;
  sentToday: Map<string, { day: string; count: number }>;
  messages: TencentAcceptedMessage[];
  requests: TencentSinkRequest[];
  failures: InjectedFailure[];
}

type ResponseBody = { Response: Record<string, unknown> };

const refusal = (code: string, message: string): ResponseBody => ({ Response: { Error: { Code: code, Message: message }, RequestId: randomUUID() } });

const sha256Hex = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s, 'utf8').digest();

/** The authorization header's three parts, or undefined when it is not TC3-HMAC-SHA256 shaped. */
function parseAuthorization(header: string | undefined): { secretId: string; date: string; service: string; signedHeaders: string[]; signature: string } | undefined {
  const match = /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d\d-\d\d)\/([^/]+)\/tc3_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return undefined;
  return { secretId: match[1], date: match[2], service: match[3], signedHeaders: match[4].split(';'), signature: match[5] };
}

function authProblem(state: SinkState, req: IncomingMessage, raw: Buffer, nowMs: number): ResponseBody | undefined {
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value.join(',') : value;
  };
  if (header('x-tc-action') !== 'SendSms') return refusal('InvalidAction', `The requested action \`${header('x-tc-action') ?? ''}\` does not exist.`);
  if (header('x-tc-version') !== API_VERSION) return refusal('NoSuchVersion', `The requested version \`${header('x-tc-version') ?? ''}\` of API \`SendSms\` does not exist.`);
  if (!header('x-tc-region')) return refusal('MissingParameter', 'The request is missing a required parameter `Region`.');
  if (!REGIONS.includes(header('x-tc-region')!)) return refusal('UnsupportedRegion', 'The `Region` is not supported.');
  const timestamp = header('x-tc-timestamp') ?? '';
  if (!/^\d+$/.test(timestamp)) return refusal('MissingParameter', 'The request is missing a required parameter `Timestamp`.');
  if (Math.abs(Math.trunc(nowMs / 1000) - Number(timestamp)) > TIMESTAMP_WINDOW_S) {
    return refusal('AuthFailure.SignatureExpire', 'Signature expired. Timestamp and server time cannot differ by more than five minutes.');
  }
  const auth = parseAuthorization(header('authorization'));
  if (!auth) return refusal('AuthFailure.InvalidAuthorization', 'Authorization in the request header is invalid.');
  const secretKey = state.secrets.get(auth.secretId);
  if (secretKey === undefined) return refusal('AuthFailure.SecretIdNotFound', 'The SecretId is not found, please ensure that your SecretId is correct.');

  const failure = refusal('AuthFailure.SignatureFailure', 'The provided credentials could not be validated. Please check your signature is correct.');
  const utcDate = new Date(Number(timestamp) * 1000).toISOString().slice(0, 10);
  if (auth.service !== SERVICE || auth.date !== utcDate) return failure;
  const names = [...auth.signedHeaders].sort();
  if (!names.includes('content-type') || !names.includes('host') || names.join(';') !== auth.signedHeaders.join(';')) return failure;
  if (names.some((n) => header(n) === undefined)) return failure;
  const canonicalHeaders = names.map((n) => `${n}:${header(n)!.trim().toLowerCase()}\n`).join('');
  const canonicalRequest = [req.method, '/', new URL(req.url ?? '/', 'http://sink').search.slice(1), canonicalHeaders, names.join(';'), sha256Hex(raw)].join('\n');
  const stringToSign = ['TC3-HMAC-SHA256', timestamp, `${auth.date}/${SERVICE}/tc3_request`, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(`TC3${secretKey}`, auth.date), SERVICE), 'tc3_request');
  const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  return expected === auth.signature ? undefined : failure;
}

function sendSms(state: SinkState, raw: Buffer, nowMs: number): ResponseBody {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return refusal('InvalidParameter', 'The request body is not valid JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return refusal('InvalidParameter', 'The request body is not a JSON object.');
  const input = body as Record<string, unknown>;
  for (const name of ['PhoneNumberSet', 'SmsSdkAppId', 'TemplateId']) {
    if (input[name] === undefined) return refusal('MissingParameter', `The request is missing a required parameter \`${name}\`.`);
  }
  const numbers = input.PhoneNumberSet;
  if (!Array.isArray(numbers) || !numbers.every((n) => typeof n === 'string')) return refusal('InvalidParameter', '`PhoneNumberSet` must be an array of strings.');
  if (numbers.length > MAX_NUMBERS) return refusal('LimitExceeded.PhoneNumberCountLimit', `The number of phone numbers exceeds ${MAX_NUMBERS}.`);
  const sdkAppId = String(input.SmsSdkAppId);
  if (state.options.sdkAppIds && !state.options.sdkAppIds.includes(sdkAppId)) return refusal('InvalidParameterValue.SdkAppIdNotExist', 'SdkAppId不存在。');
  const params = input.TemplateParamSet ?? [];
  if (!Array.isArray(params) || !params.every((p) => typeof p === 'string')) return refusal('InvalidParameter', '`TemplateParamSet` must be an array of strings.');
  if (params.some((p: string) => p.length > VARIABLE_CHARS)) {
    return refusal('InvalidParameterValue.TemplateParameterLengthLimit', `单个模板变量字符数超过${VARIABLE_CHARS}个，企业认证用户不限制单个变量值字数。`);
  }
  const signName = typeof input.SignName === 'string' ? input.SignName : '';
  if (signName === '') return refusal('MissingParameter', 'The request is missing a required parameter `SignName`.');

  const day = new Date(nowMs + 8 * 3_600_000).toISOString().slice(0, 10);
  const statuses = (numbers as string[]).map((phoneNumber) => {
    const status = (code: string, message: string) => ({ SerialNo: code === 'Ok' ? randomUUID() : '', PhoneNumber: phoneNumber, Fee: code === 'Ok' ? 1 : 0, SessionContext: '', Code: code, Message: message, IsoCode: 'CN' });
    if (!PHONE.test(phoneNumber)) return status('InvalidParameterValue.IncorrectPhoneNumber', '手机号格式错误。');
    const sent = state.sentToday.get(phoneNumber);
    const count = sent?.day === day ? sent.count : 0;
    const limit = state.options.perNumberPerDay;
    if (limit !== undefined && count >= limit) return status('LimitExceeded.PhoneNumberDailyLimit', '单个手机号日下发短信条数超过设定的上限。');
    state.sentToday.set(phoneNumber, { day, count: count + 1 });
    state.messages.push({ phoneNumber, sdkAppId, signName, templateId: String(input.TemplateId), templateParams: params as string[], at: nowMs });
    return status('Ok', 'send success');
  });
  return { Response: { SendStatusSet: statuses, RequestId: randomUUID() } };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function handleRequest(state: SinkState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const failure = state.failures.shift();
  if (failure) {
    state.requests.push({ at: state.now(), outcome: failure });
    if (failure === 'http500') res.writeHead(500, { 'Content-Type': 'text/html' }).end('<html>500 Internal Server Error</html>');
    if (failure === 'close') req.socket.destroy();
    return;
  }
  const raw = await readBody(req);
  let body: ResponseBody;
  try {
    const now = state.now();
    body = req.method !== 'POST' ? refusal('UnsupportedOperation', 'Only POST is supported here.') : (authProblem(state, req, raw, now) ?? sendSms(state, raw, now));
  } catch (error) {
    res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`Tencent SMS sink crashed: ${String(error)}`);
    return;
  }
  const error = body.Response.Error as { Code: string } | undefined;
  const set = (body.Response.SendStatusSet as { Code: string }[] | undefined) ?? [];
  state.requests.push({ at: state.now(), outcome: error?.Code ?? set.find((s) => s.Code !== 'Ok')?.Code ?? 'Ok' });
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

function listen(server: Server): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address() as AddressInfo));
  });
}

export async function startTencentSmsSink(options: TencentSmsSinkOptions = {}): Promise<TencentSmsSink> {
  const state: SinkState = {
    options,
    secrets: new Map((options.accounts ?? []).map((a) => [a.secretId, a.secretKey])),
    now: options.now ?? Date.now,
    sentToday: new Map(),
    messages: [],
    requests: [],
    failures: [],
  };
  const server = createServer((req, res) => void handleRequest(state, req, res));
  const { port } = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/`,
    messages: state.messages,
    requests: state.requests,
    failNext(count, failure) {
      for (let i = 0; i < count; i++) state.failures.push(failure);
    },
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
