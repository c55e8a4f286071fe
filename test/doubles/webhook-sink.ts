// A local HTTP double of an endpoint that takes Vigil's signed webhook and checks it as docs/en/relay.md tells
// receivers to: the signature header `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, and a
// timestamp within 5 minutes of its own clock. Anything else is answered 401 with the reason, like a receiver that
// follows the docs. The check is written here from the docs, not imported from src/relay/channels/signed-webhook.ts:
// the double is the receiver's word, so a signer that drifts from the docs fails.
//
//   const sink = await startWebhookSink({ endpoints: [{ name: 'ops', secret: 'S' }] });
//   sink.url('ops')            → the endpoint's URL
//   sink.messages('ops')       → the verified bodies it accepted, parsed, and when
//   sink.requests              → every request with the status it got (or the failure injected instead)
//   sink.failNext(2, 500 | 400 | 429 | 'close' | 'hang')   → the next requests get that instead of the check
//   sink.answerAlways('ops', 400)                           → the endpoint refuses everything (a dead letter)
//   await sink.close()
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listen, readBody, READ_LIMIT_BYTES } from './http-server.ts';

export const DEFAULT_HEADER = 'X-Vigil-Signature';
/** The replay window the docs advise: a timestamp further than this from the receiver's clock is refused. */
export const TOLERANCE_SECONDS = 300;

export type InjectedFailure = 500 | 400 | 429 | 'close' | 'hang';

export interface WebhookEndpoint {
  name: string;
  secret: string;
  /** The header the signature is read from (default X-Vigil-Signature). */
  header?: string;
}

export interface AcceptedWebhook {
  body: Record<string, unknown>;
  /** ms, by the sink's clock */
  at: number;
}

export interface WebhookRequest {
  endpoint: string;
  /** ms, by the sink's clock */
  at: number;
  /** The status answered, or the failure injected instead of an answer. */
  outcome: number | 'close' | 'hang';
  /** Why a 401 was answered. */
  reason?: string;
}

export interface WebhookSink {
  baseUrl: string;
  url(name: string): string;
  messages(name: string): AcceptedWebhook[];
  requests: WebhookRequest[];
  failNext(count: number, failure: InjectedFailure): void;
  /** Every request to `name` is answered `status` from now on (undefined: checked again). */
  answerAlways(name: string, status: number | undefined): void;
  close(): Promise<void>;
}

export interface WebhookSinkOptions {
  endpoints: WebhookEndpoint[];
  /** The sink's clock (ms). Default Date.now. */
  now?: () => number;
}

/** Why the request is refused, or undefined when its signature holds. */
export function refusal(secret: string, raw: Buffer, header: string | undefined, nowMs: number): string | undefined {
  if (header === undefined) return 'missing signature header';
  const fields = new Map<string, string[]>();
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at <= 0) return 'malformed signature header';
    const key = part.slice(0, at).trim();
    fields.set(key, [...(fields.get(key) ?? []), part.slice(at + 1).trim()]);
  }
  const t = fields.get('t');
  const signatures = fields.get('v1') ?? [];
  if (t?.length !== 1 || !/^\d+$/.test(t[0]!) || signatures.length === 0) return 'malformed signature header';
  const expected = createHmac('sha256', secret).update(Buffer.concat([Buffer.from(`${t[0]}.`), raw])).digest();
  // Compared as digests of equal length, so a short or odd value cannot throw or leak timing.
  const digest = (b: Buffer) => createHash('sha256').update(b).digest();
  const valid = signatures.some((s) => /^[0-9a-f]+$/.test(s) && timingSafeEqual(digest(Buffer.from(s, 'hex')), digest(expected)));
  if (!valid) return 'signature does not match';
  if (Math.abs(nowMs / 1000 - Number(t[0])) > TOLERANCE_SECONDS) return 'timestamp outside the 5-minute window';
  return undefined;
}

export async function startWebhookSink(options: WebhookSinkOptions): Promise<WebhookSink> {
  const now = options.now ?? Date.now;
  const endpoints = new Map(options.endpoints.map((e) => [e.name, { ...e, accepted: [] as AcceptedWebhook[], always: undefined as number | undefined }]));
  const failures: InjectedFailure[] = [];
  const requests: WebhookRequest[] = [];
  const PATH = '/hooks/';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://sink');
    const endpoint = url.pathname.startsWith(PATH) ? endpoints.get(decodeURIComponent(url.pathname.slice(PATH.length))) : undefined;
    if (!endpoint || req.method !== 'POST') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const record = (outcome: WebhookRequest['outcome'], reason?: string) => requests.push({ endpoint: endpoint.name, at: now(), outcome, ...(reason ? { reason } : {}) });
    const failure = failures.shift();
    if (failure === 'close') {
      record('close');
      req.socket.destroy();
      return;
    }
    if (failure === 'hang') {
      record('hang');
      return;
    }
    const { raw, truncated } = await readBody(req);
    const status = failure ?? endpoint.always;
    if (status !== undefined) {
      record(status);
      res.writeHead(status, { 'Content-Type': 'text/plain' }).end(`injected ${status}`);
      return;
    }
    if (truncated) {
      record(413);
      res.writeHead(413, { 'Content-Type': 'text/plain' }).end('body too large');
      return;
    }
    const header = req.headers[(endpoint.header ?? DEFAULT_HEADER).toLowerCase()];
    const reason = refusal(endpoint.secret, raw, Array.isArray(header) ? header.join(',') : header, now());
    if (reason) {
      record(401, reason);
      res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: reason }));
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      body = undefined;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body) || req.headers['content-type'] !== 'application/json') {
      record(400, 'not a JSON object');
      res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'not a JSON object' }));
      return;
    }
    endpoint.accepted.push({ body: body as Record<string, unknown>, at: now() });
    record(200);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
  };

  const server = createServer((req, res) => void handle(req, res));
  const { port } = await listen(server);
  const baseUrl = `http://127.0.0.1:${port}`;
  const endpointOf = (name: string) => {
    const e = endpoints.get(name);
    if (!e) throw new Error(`webhook sink: no endpoint ${name}`);
    return e;
  };
  return {
    baseUrl,
    url: (name) => `${baseUrl}${PATH}${encodeURIComponent(name)}`,
    messages: (name) => endpointOf(name).accepted,
    requests,
    failNext(count, failure) {
      for (let i = 0; i < count; i++) failures.push(failure);
    },
    answerAlways(name, status) {
      endpointOf(name).always = status;
    },
    close: () => closeServer(server),
  };
}

