// A local HTTP double of Aliyun SMS `SendSms` (dysmsapi, RPC style, API version 2017-05-25), checking what the real
// gateway checks: the required common and SendSms parameters, the AccessKeyId, the RPC signature v1 (HMAC-SHA1 over
// "METHOD&%2F&<percent-encoded sorted query>" keyed with "<AccessKeySecret>&"), the 15-minute Timestamp window, a
// SignatureNonce used only once, then the phone numbers, sign name, template and its variables (35 characters each),
// and per-number flow control. Answers are Aliyun's JSON: gateway refusals with their HTTP 4xx, SendSms's own
// verdicts (isv.*) with HTTP 200. Parameters are read from the query string and a form body alike, as Aliyun does.
// The numbers are stated here, not imported from src/: the double is the provider's word.
//
//   const sink = await startAliyunSmsSink({ accounts: [{ accessKeyId: 'LTAI…', accessKeySecret: '…' }] });
//   sink.url                → the endpoint to configure (`endpoint` of the aliyun provider)
//   sink.messages           → what was accepted: numbers, sign name, template code, variables, when
//   sink.requests           → every request with the Code it got (or the injected failure)
//   sink.failNext(1, 'http500' | 'close' | 'hang')
//   await sink.close()
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Aliyun's published facts. */
const TIMESTAMP_WINDOW_MS = 15 * 60_000;
const VARIABLE_CHARS = 35;
const MAX_NUMBERS = 1_000;
const API_VERSION = '2017-05-25';
const REQUIRED = ['AccessKeyId', 'Action', 'Format', 'SignatureMethod', 'SignatureNonce', 'SignatureVersion', 'Timestamp', 'Version', 'Signature'];
const REQUIRED_SEND = ['PhoneNumbers', 'SignName', 'TemplateCode'];
/** A mainland mobile number, optionally with 86/+86/0086, or an international one with 00 + country code. */
const PHONE = /^(?:(?:\+|00)?86)?1\d{10}$|^00[1-9]\d{6,14}$/;

export interface AliyunAccount {
  accessKeyId: string;
  accessKeySecret: string;
}

export interface AliyunSmsSinkOptions {
  accounts?: AliyunAccount[];
  /** Registered sign names; every name is accepted when absent. */
  signNames?: string[];
  /** Registered template codes; every code is accepted when absent. */
  templateCodes?: string[];
  /** Messages one number may receive in a rolling minute before isv.BUSINESS_LIMIT_CONTROL. Unlimited when absent. */
  perNumberPerMinute?: number;
  /** The sink's clock (ms). Default Date.now. */
  now?: () => number;
}

export interface AliyunAcceptedMessage {
  phoneNumbers: string[];
  signName: string;
  templateCode: string;
  templateParam: Record<string, string>;
  at: number;
}

export type InjectedFailure = 'http500' | 'close' | 'hang';

export interface AliyunSinkRequest {
  at: number;
  status: number | InjectedFailure;
  code?: string;
}

export interface AliyunSmsSink {
  url: string;
  messages: AliyunAcceptedMessage[];
  requests: AliyunSinkRequest[];
  failNext(count: number, failure: InjectedFailure): void;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

interface SinkState {
  options: AliyunSmsSinkOptions;
  secrets: Map<string, string>;
  now: () => number;
  nonces: Map<string, number>;
  recentByNumber: Map<string, number[]>;
  messages: AliyunAcceptedMessage[];
  requests: AliyunSinkRequest[];
  failures: InjectedFailure[];
}

const gatewayError = (status: number, code: string, message: string): Answer => ({
  status,
  body: { RequestId: randomUUID(), HostId: 'dysmsapi.aliyuncs.com', Code: code, Message: message, Recommend: `https://next.api.aliyun.com/troubleshoot?q=${code}` },
});
const smsError = (code: string, message: string): Answer => ({ status: 200, body: { RequestId: randomUUID(), Code: code, Message: message } });

/** RFC 3986 encoding as Aliyun specifies it, written out here independently of src/. */
function encode(s: string): string {
  return Buffer.from(s, 'utf8')
    .toString('latin1')
    .split('')
    .map((c) => (/[A-Za-z0-9\-_.~]/.test(c) ? c : `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

function expectedSignature(method: string, params: Map<string, string>, secret: string): { signature: string; stringToSign: string } {
  const names = [...params.keys()].filter((n) => n !== 'Signature').sort();
  const canonical = names.map((n) => `${encode(n)}=${encode(params.get(n)!)}`).join('&');
  const stringToSign = `${method}&${encode('/')}&${encode(canonical)}`;
  return { signature: createHmac('sha1', `${secret}&`).update(stringToSign, 'utf8').digest('base64'), stringToSign };
}

function gatewayProblem(state: SinkState, method: string, params: Map<string, string>, now: number): Answer | undefined {
  for (const name of REQUIRED) if (!params.get(name)) return gatewayError(400, `Missing${name}`, `${name} is mandatory for this action.`);
  if (params.get('SignatureMethod') !== 'HMAC-SHA1' || params.get('SignatureVersion') !== '1.0') {
    return gatewayError(400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards.');
  }
  if (params.get('Version') !== API_VERSION) return gatewayError(400, 'InvalidVersion', 'Specified parameter Version is not valid.');
  if (params.get('Action') !== 'SendSms') return gatewayError(404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.');
  const timestamp = params.get('Timestamp')!;
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(timestamp)) {
    return gatewayError(400, 'InvalidTimeStamp.Format', 'Specified time stamp or date value is not well formatted.');
  }
  if (Math.abs(now - Date.parse(timestamp)) > TIMESTAMP_WINDOW_MS) return gatewayError(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
  const secret = state.secrets.get(params.get('AccessKeyId')!);
  if (secret === undefined) return gatewayError(400, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
  const { signature, stringToSign } = expectedSignature(method, params, secret);
  if (params.get('Signature') !== signature) {
    return gatewayError(400, 'SignatureDoesNotMatch', `Specified signature is not matched with our calculation. server string to sign is:${stringToSign}`);
  }
  const nonce = params.get('SignatureNonce')!;
  for (const [used, at] of state.nonces) if (at < now - TIMESTAMP_WINDOW_MS) state.nonces.delete(used);
  if (state.nonces.has(nonce)) return gatewayError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
  state.nonces.set(nonce, now);
  return undefined;
}

function sendSms(state: SinkState, params: Map<string, string>, now: number): Answer {
  for (const name of REQUIRED_SEND) if (!params.get(name)) return gatewayError(400, `Missing${name}`, `${name} is mandatory for this action.`);
  const numbers = params.get('PhoneNumbers')!.split(',');
  if (numbers.length > MAX_NUMBERS) return smsError('isv.MOBILE_COUNT_OVER_LIMIT', '手机号码数量超过限制');
  if (!numbers.every((n) => PHONE.test(n))) return smsError('isv.MOBILE_NUMBER_ILLEGAL', '非法手机号');
  const signName = params.get('SignName')!;
  if (state.options.signNames && !state.options.signNames.includes(signName)) return smsError('isv.SMS_SIGNATURE_ILLEGAL', '该账号下找不到对应签名');
  const templateCode = params.get('TemplateCode')!;
  if (state.options.templateCodes && !state.options.templateCodes.includes(templateCode)) return smsError('isv.SMS_TEMPLATE_ILLEGAL', '该账号下找不到对应模板');

  let variables: unknown = {};
  try {
    variables = JSON.parse(params.get('TemplateParam') ?? '{}');
  } catch {
    return smsError('isv.INVALID_JSON_PARAM', 'JSON参数不合法，只接受字符串值');
  }
  if (typeof variables !== 'object' || variables === null || Array.isArray(variables) || !Object.values(variables).every((v) => typeof v === 'string')) {
    return smsError('isv.INVALID_JSON_PARAM', 'JSON参数不合法，只接受字符串值');
  }
  const templateParam = variables as Record<string, string>;
  if (Object.values(templateParam).some((v) => v.length > VARIABLE_CHARS)) return smsError('isv.PARAM_LENGTH_LIMIT', '参数超出长度限制');

  const limit = state.options.perNumberPerMinute;
  if (limit !== undefined) {
    const recent = numbers.map((n) => (state.recentByNumber.get(n) ?? []).filter((t) => t > now - 60_000));
    if (recent.some((times) => times.length >= limit)) return smsError('isv.BUSINESS_LIMIT_CONTROL', `触发分钟级流控Permits:${limit}`);
    numbers.forEach((n, i) => state.recentByNumber.set(n, [...recent[i], now]));
  }
  state.messages.push({ phoneNumbers: numbers, signName, templateCode, templateParam, at: now });
  return { status: 200, body: { RequestId: randomUUID(), Code: 'OK', Message: 'OK', BizId: `${now}^0` } };
}

function answerRequest(state: SinkState, req: IncomingMessage, url: URL, raw: string): Answer {
  const now = state.now();
  if (req.method !== 'POST' && req.method !== 'GET') return gatewayError(400, 'UnsupportedHTTPMethod', 'This http method is not supported.');
  const params = new Map<string, string>();
  const add = (query: string) => {
    // URLSearchParams decodes as a server does: an unencoded '+' becomes a space and the signature then fails.
    for (const [name, value] of new URLSearchParams(query)) params.set(name, value);
  };
  add(url.search);
  if (req.method === 'POST' && (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) add(raw);
  return gatewayProblem(state, req.method, params, now) ?? sendSms(state, params, now);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function handleRequest(state: SinkState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sink');
  const failure = state.failures.shift();
  if (failure) {
    state.requests.push({ at: state.now(), status: failure });
    if (failure === 'http500') res.writeHead(500, { 'Content-Type': 'text/html' }).end('<html>500 Internal Server Error</html>');
    if (failure === 'close') req.socket.destroy();
    return;
  }
  const raw = await readBody(req);
  let answer: Answer;
  try {
    answer = answerRequest(state, req, url, raw);
  } catch (error) {
    res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`Aliyun SMS sink crashed: ${String(error)}`);
    return;
  }
  state.requests.push({ at: state.now(), status: answer.status, code: String(answer.body.Code) });
  res.writeHead(answer.status, { 'Content-Type': 'application/json;charset=utf-8' }).end(JSON.stringify(answer.body));
}

function listen(server: Server): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address() as AddressInfo));
  });
}

export async function startAliyunSmsSink(options: AliyunSmsSinkOptions = {}): Promise<AliyunSmsSink> {
  const state: SinkState = {
    options,
    secrets: new Map((options.accounts ?? []).map((a) => [a.accessKeyId, a.accessKeySecret])),
    now: options.now ?? Date.now,
    nonces: new Map(),
    recentByNumber: new Map(),
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
