import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { cachedExposition, type ExpositionChunks, type StreamedExposition } from './exposition/cached-exposition.ts';

export interface MetricsServerOptions {
  /** The registry to expose; prom-client's default registry unless given. */
  registry?: Registry;
  /** 0 (the default) picks a free port; read it from the result. */
  port?: number;
  /** Interface to listen on; all interfaces unless given. */
  host?: string;
  /** Where the exposition is served; /metrics unless given. */
  path?: string;
  /**
   * prom-client's default process and Node.js metrics (CPU, memory, event loop lag, …) in the same registry: true
   * (the default), false, or a name prefix for them.
   */
  defaultMetrics?: boolean | { prefix: string };
  /**
   * How the registry is serialised: 'cached' (the default) reuses the text of series unchanged since the previous
   * scrape and gives the same bytes as prom-client; 'prom-client' calls registry.metrics() on every scrape.
   */
  exposition?: 'cached' | 'prom-client';
  /**
   * With the cached exposition: once listening, write the registry's series ahead of the first scrape, in slices of a
   * few milliseconds between which the event loop runs (true, the default), so that the first scrape of a registry
   * filled before the server started costs what later ones do; false leaves it to the first scrape. A scrape that comes
   * before the series are written (or finds a metric with hundreds of series never written) formats those as it
   * sends them — chunked, no copy kept, far less memory and time than writing them — and preparing resumes after it.
   */
  prepare?: boolean;
}

export interface MetricsServer {
  /** http://host:port of the listening server (127.0.0.1 when listening on every interface). */
  url: string;
  port: number;
  /**
   * Settles when every series is written ahead of the scrapes (at once without `prepare`; preparing resumes after a
   * scrape that came first), or the server closes. Never rejects: a failure shows in the scrape.
   */
  prepared: Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves a prom-client registry for Prometheus to scrape: GET and HEAD on the metrics path, 405 for other methods
 * there, 404 anywhere else. A collect callback that throws answers 500 with its message, so the scrape fails visibly
 * (up stays 1, the target shows the error) rather than exposing half a registry.
 */
export async function serveMetrics(options: MetricsServerOptions = {}): Promise<MetricsServer> {
  // prom-client is loaded on first use: the package entry stays light for definition files that never serve metrics.
  const client = await import('prom-client');
  const registry = options.registry ?? client.register;
  const defaults = options.defaultMetrics ?? true;
  if (defaults) {
    const prefix = typeof defaults === 'object' ? defaults.prefix : '';
    // Registering them twice in one registry throws; a second server on the same registry reuses the first's.
    if (!registry.getSingleMetric(`${prefix}process_cpu_seconds_total`)) client.collectDefaultMetrics({ register: registry, prefix });
  }
  const metricsPath = options.path ?? '/metrics';
  const exposition = options.exposition ?? 'cached';
  const cached = exposition === 'cached' ? cachedExposition(registry, client) : null;
  const stopPreparing = new AbortController();
  const preparing = cached && options.prepare !== false;
  let settlePrepared = () => undefined as void;
  const prepared = preparing ? new Promise<void>((resolve) => (settlePrepared = resolve)) : Promise.resolve();
  let running = false;
  /** Prepares (again, after a scrape that streamed what was not yet written) unless it is running or done. */
  const prepare = () => {
    if (!cached || !preparing || running) return;
    running = true;
    void cached.prepare({ signal: stopPreparing.signal }).then((done) => done, () => true).then((done) => {
      running = false;
      if (done || stopPreparing.signal.aborted) settlePrepared();
    });
  };
  // Streaming a scrape of series not yet written leaves them to preparing: without it, the scrape writes them.
  const serialise = cached ? (preparing ? () => cached.scrape() : () => cached.chunks()) : () => registry.metrics();
  const server = createServer((req, res) => void answer(registry, serialise, metricsPath, req, res, prepare));
  await listen(server, options.port ?? 0, options.host);
  const { port } = server.address() as AddressInfo;
  prepare();
  const host = !options.host || options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    prepared,
    close: () => new Promise((resolve, reject) => {
      stopPreparing.abort();
      settlePrepared();
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeAllConnections();
    }),
  };
}

async function answer(
  registry: Registry,
  serialise: () => Promise<string | ExpositionChunks | StreamedExposition>,
  metricsPath: string,
  req: IncomingMessage,
  res: ServerResponse,
  streamed: () => void,
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path !== metricsPath) return plain(res, 404, `not found: metrics are served at ${metricsPath}\n`);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return plain(res, 405, `method ${req.method} not allowed: use GET or HEAD\n`);
  }
  let body: string | ExpositionChunks | StreamedExposition;
  try {
    body = await serialise();
  } catch (err) {
    return plain(res, 500, `collecting metrics failed: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  if (typeof body !== 'string' && 'writeTo' in body) return stream(registry, body, req, res, streamed);
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  res.writeHead(200, { 'Content-Type': registry.contentType, 'Content-Length': length });
  if (req.method === 'HEAD' || typeof body === 'string') {
    if (typeof body !== 'string') body.release();
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  // The cached chunks as they are, gathered into one writev by the cork: no copy of the body. The socket's buffer
  // holds references to the chunks, whose bytes are not reused until the response is sent or abandoned.
  res.once('close', body.release);
  res.cork();
  for (const chunk of body.chunks) res.write(chunk);
  res.end();
}

/**
 * A body formatted as it is written: its length is known at the end only, so it goes chunked. A failure once the
 * status is sent can only cut the response short (Prometheus then fails the scrape).
 */
async function stream(registry: Registry, body: StreamedExposition, req: IncomingMessage, res: ServerResponse, streamed: () => void): Promise<void> {
  const closed = new AbortController();
  res.once('close', () => {
    closed.abort();
    body.release();
    streamed();
  });
  res.writeHead(200, { 'Content-Type': registry.contentType });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  try {
    await body.writeTo(res, closed.signal);
    res.end();
  } catch {
    res.destroy();
  }
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

function listen(server: Server, port: number, host: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
