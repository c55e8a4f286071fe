// A local HTTP double of a generic SMS gateway, the `relay.sms: { provider: http, url, token }` contract (Vigil's own:
// there is no provider to copy): `POST <url>` with `Authorization: Bearer <token>` (when one is set) and a JSON body
// `{ to: [numbers], text, params }`; any 2xx means sent. It refuses what a real gateway would: a wrong or missing token
// (401), a body that is not that JSON (400).
//
//   const gateway = await startHttpSmsSink({ token: 'T' });
//   gateway.url              → the gateway's send URL
//   gateway.messages         → what it accepted
//   gateway.requests         → every request with the status it answered
//   await gateway.close()
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpSmsMessage {
  to: string[];
  text: string;
  params: Record<string, string>;
  at: number;
}

export interface HttpSmsSink {
  url: string;
  messages: HttpSmsMessage[];
  requests: { at: number; status: number }[];
  close(): Promise<void>;
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parsedMessage(text: string): Omit<HttpSmsMessage, 'at'> | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const b = body as Partial<HttpSmsMessage> | null;
  const strings = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string');
  if (!b || !strings(b.to) || typeof b.text !== 'string' || b.text === '' || typeof b.params !== 'object' || b.params === null) return undefined;
  return { to: b.to!, text: b.text, params: b.params };
}

export async function startHttpSmsSink(options: { token?: string } = {}): Promise<HttpSmsSink> {
  const messages: HttpSmsMessage[] = [];
  const requests: HttpSmsSink['requests'] = [];
  const server = createServer(async (req, res) => {
    const answer = (status: number, body: unknown) => {
      requests.push({ at: Date.now(), status });
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    };
    const text = await bodyOf(req);
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://x').pathname !== '/send') return answer(404, { error: 'not found' });
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) return answer(401, { error: 'bad token' });
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return answer(400, { error: 'expected application/json' });
    const message = parsedMessage(text);
    if (!message) return answer(400, { error: 'expected { to: [numbers], text, params }' });
    messages.push({ ...message, at: Date.now() });
    answer(200, { ok: true, id: `msg-${messages.length}` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/send`,
    messages,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
