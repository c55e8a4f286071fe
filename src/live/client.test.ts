import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, LiveRefused, LiveUnreachable } from './client.ts';
import { judgeSelectors } from './checks.ts';

/**
 * Servers that are not a healthy Prometheus: each must end in one LiveUnreachable (or, for a refused query, a
 * LiveRefused) within the limits, never a hang, a crash or a huge allocation.
 */
type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

const LABELS_OK = JSON.stringify({ status: 'success', data: ['__name__', 'job'] });
let elsewhereHits = 0;
const handlers: Record<string, Handler> = {
  ok: (_req, res) => res.end(LABELS_OK),
  'server error': (_req, res) => {
    res.statusCode = 500;
    res.end(JSON.stringify({ status: 'error', errorType: 'internal', error: 'tsdb closed' }));
  },
  'login page': (_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end('<html><body>Please log in</body></html>');
  },
  'declared huge body': (_req, res) => {
    res.setHeader('content-length', String(1024 * 1024 * 1024));
    res.write('{"status":"success","data":[');
  },
  'endless body': (_req, res) => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const pump = () => {
      while (res.write(chunk));
      res.once('drain', pump);
    };
    res.on('close', () => res.removeAllListeners('drain'));
    res.write('{"status":"success","data":[');
    pump();
  },
  'slow drip': (_req, res) => {
    res.write('{"status":"success",');
    const timer = setInterval(() => res.write(' '), 100);
    res.on('close', () => clearInterval(timer));
  },
  'no answer': () => undefined,
  redirect: (_req, res) => {
    res.statusCode = 302;
    res.setHeader('location', `${base}/elsewhere`);
    res.end();
  },
  'wrong shape': (_req, res) => res.end(JSON.stringify({ status: 'success', data: { names: ['job'] } })),
  'JSON null': (_req, res) => res.end('null'),
  'refused query': (_req, res) => {
    res.statusCode = 400;
    res.end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'invalid regular expression' }));
  },
  'basic auth': (req, res) => {
    if (req.headers.authorization !== `Basic ${Buffer.from('vigil:s3cret').toString('base64')}`) {
      res.statusCode = 401;
      return res.end('unauthorized');
    }
    res.end(LABELS_OK);
  },
};

let server: http.Server;
let base = '';
let closed = '';
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const [, name] = /^\/([^/]+)\//.exec(req.url ?? '') ?? [];
    if (req.url?.startsWith('/elsewhere')) {
      elsewhereHits++;
      return res.end(LABELS_OK);
    }
    const handler = handlers[decodeURIComponent(name ?? '')];
    if (handler) handler(req, res);
    else res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const gone = http.createServer();
  await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
  closed = `http://127.0.0.1:${(gone.address() as AddressInfo).port}`;
  await new Promise((r) => gone.close(r));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const LIMITS = { timeoutMs: 800, deadlineMs: 5000, maxBodyBytes: 1024 * 1024 };
const ask = (url: string) => createClient({ url, ...LIMITS }).labelNames('{__name__="up"}', 0, 1);

describe('a server that is not a healthy Prometheus', () => {
  const cases: { name: string; url?: string; error: typeof LiveUnreachable | typeof LiveRefused; message: RegExp }[] = [
    { name: 'server error', error: LiveUnreachable, message: /answered HTTP 500: tsdb closed/ },
    { name: 'login page', error: LiveUnreachable, message: /not Prometheus' JSON: "<html><body>Please log in/ },
    { name: 'declared huge body', error: LiveUnreachable, message: /answer of 1073741824 bytes, more than the 1048576 Vigil reads/ },
    { name: 'endless body', error: LiveUnreachable, message: /more than 1048576 bytes/ },
    { name: 'slow drip', error: LiveUnreachable, message: /did not answer within the timeout \(0\.8 s\)/ },
    { name: 'no answer', error: LiveUnreachable, message: /did not answer within the timeout/ },
    { name: 'redirect', error: LiveUnreachable, message: /answered HTTP 302, a redirect to http:\/\/127\.0\.0\.1:\d+\/elsewhere; Vigil does not follow redirects/ },
    { name: 'wrong shape', error: LiveUnreachable, message: /answer is not a list of strings/ },
    { name: 'JSON null', error: LiveUnreachable, message: /JSON that is not a Prometheus answer/ },
    { name: 'refused query', error: LiveRefused, message: /bad_data: invalid regular expression/ },
    { name: 'nothing listening', url: 'CLOSED', error: LiveUnreachable, message: /cannot be reached: ECONNREFUSED/ },
    { name: 'not a URL', url: 'prometheus', error: LiveUnreachable, message: /"prometheus" is not a URL/ },
    { name: 'not http', url: 'ftp://127.0.0.1/', error: LiveUnreachable, message: /is not an http:\/\/ or https:\/\/ URL/ },
    { name: 'wrong password, not printed', url: 'http://vigil:wrong@HOST/basic%20auth/', error: LiveUnreachable, message: /^http:\/\/vigil:\*\*\*@127\.0\.0\.1:\d+\/basic%20auth.*HTTP 401/ },
  ];

  it.each(cases)('$name: one clear error, in time', async ({ name, url, error, message }) => {
    const started = Date.now();
    const target = (url ?? `${base}/${encodeURIComponent(name)}/`).replace('HOST', base.replace('http://', '')).replace('CLOSED', closed);
    const failure = await (async () => {
      try {
        await ask(target);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(failure).toBeInstanceOf(error);
    expect(failure!.message).toMatch(message);
    expect(failure!.message).not.toContain(':wrong@');
    expect(Date.now() - started).toBeLessThan(LIMITS.timeoutMs + 1500);
  });

  it('a redirect is not followed', async () => {
    elsewhereHits = 0;
    await expect(ask(`${base}/redirect/`)).rejects.toThrow(LiveUnreachable);
    expect(elsewhereHits).toBe(0);
  });

  it('credentials in the URL are sent as basic authentication', async () => {
    await expect(ask(`http://vigil:s3cret@${base.replace('http://', '')}/basic%20auth/`)).resolves.toEqual(['__name__', 'job']);
  });

  it('a path prefix is kept', async () => {
    await expect(ask(`${base}/ok`)).resolves.toEqual(['__name__', 'job']);
  });

  it('the whole pass ends at the deadline, however many requests each stay under the timeout', async () => {
    const client = createClient({ url: `${base}/slow%20drip/`, timeoutMs: 5000, deadlineMs: 600, maxBodyBytes: 1024 });
    const started = Date.now();
    const selectors = Array.from({ length: 20 }, (_, i) => ({ expression: { owner: 'x' }, metric: `m${i}`, matchers: [], span: { file: 'f', start: 0, end: 0 } }));
    await expect(judgeSelectors(client, selectors as never, { start: 0, end: 1, text: '1h' }, 8)).rejects.toThrow(/deadline \(0\.6 s\)/);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
