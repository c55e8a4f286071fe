import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { cachedExposition, type ExpositionChunks } from './exposition/cached-exposition.ts';

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
   * filled before the server started costs what later ones do; false leaves it to the first scrape.
   */
  prepare?: boolean;
}

export interface MetricsServer {
  /** http://host:port of the listening server (127.0.0.1 when listening on every interface). */
  url: string;
  port: number;
  /**
   * Settles when the series are written ahead of the first scrape (at once without `prepare`), or a scrape began
   * first and writes the rest itself. Never rejects: a failure shows in the scrape.
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
  const serialise = cached ? () => cached.chunks() : () => registry.metrics();
  const server = createServer((req, res) => void answer(registry, serialise, metricsPath, req, res));
  await listen(server, options.port ?? 0, options.host);
  const { port } = server.address() as AddressInfo;
  const stopPreparing = new AbortController();
  const prepared = cached && options.prepare !== false
    ? cached.prepare({ signal: stopPreparing.signal }).catch(() => undefined)
    : Promise.resolve();
  const host = !options.host || options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    prepared,
    close: () => new Promise((resolve, reject) => {
      stopPreparing.abort();
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeAllConnections();
    }),
  };
}

async function answer(
  registry: Registry,
  serialise: () => Promise<string | ExpositionChunks>,
  metricsPath: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path !== metricsPath) return plain(res, 404, `not found: metrics are served at ${metricsPath}\n`);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return plain(res, 405, `method ${req.method} not allowed: use GET or HEAD\n`);
  }
  let body: string | ExpositionChunks;
  try {
    body = await serialise();
  } catch (err) {
    return plain(res, 500, `collecting metrics failed: ${err instanceof Error ? err.message : String(err)}\n`);
  }
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
