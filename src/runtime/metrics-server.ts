import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { FormatWorker } from './exposition/format-worker.ts';
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
  /**
   * Threads that format a scrape streamed because its series were not yet written (the first scrape of a registry
   * filled before the server started): 1 (the default) formats on the main thread; 2 starts a worker thread with the
   * server, which writes the histograms' lines while the main thread reads prom-client's stores and sends — for
   * large expositions (tens of thousands of histogram series) on a machine with a core to spare. The bytes are the
   * same. serveMetrics resolves once the worker has started and compiled its code (≈ 0.1 s; 2 s at most). The worker
   * ends when the server closes and never keeps the process alive; a scrape that comes before it has started, or
   * after it failed, is formatted on the main thread. Without a scrape that streams (`exposition: 'prom-client'`,
   * `prepare: false`) no worker is started.
   */
  formatThreads?: 1 | 2;
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
  if (options.formatThreads !== undefined && options.formatThreads !== 1 && options.formatThreads !== 2) {
    throw new RangeError(`serveMetrics: formatThreads must be 1 or 2, not ${String(options.formatThreads)}`);
  }
  // Started first: its own start and compiling overlap the server's.
  // Only a scrape that streams uses it: not with prom-client's exposition, nor without preparing (scrapes write the cache).
  const worker = options.formatThreads === 2 && options.exposition !== 'prom-client' && options.prepare !== false ? await startFormatWorker() : null;
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
  const scrapeOptions = { worker: worker ?? undefined };
  const serialise = cached ? (preparing ? () => cached.scrape(scrapeOptions) : () => cached.chunks()) : () => registry.metrics();
  const server = createServer((req, res) => void answer(registry, serialise, metricsPath, req, res, prepare));
  try {
    await listen(server, options.port ?? 0, options.host);
  } catch (err) {
    await worker?.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  // Resolved once the worker is compiled (or failed, or took over WORKER_START_MS): a scrape that comes before is
  // formatted on the main thread, which the worker's start then slows down too.
  if (worker) await Promise.race([worker.ready, new Promise((resolve) => setTimeout(resolve, WORKER_START_MS).unref())]);
  prepare();
  const host = !options.host || options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    prepared,
    close: async () => {
      const closed = new Promise<void>((resolve, reject) => {
        stopPreparing.abort();
        settlePrepared();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      await worker?.close();
      await closed;
    },
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

/** The longest serveMetrics waits for the format worker to start. */
const WORKER_START_MS = 2_000;

/** The format worker, or null (the main thread formats) when a worker cannot be started here. */
async function startFormatWorker(): Promise<FormatWorker | null> {
  const { FormatWorker } = await import('./exposition/format-worker.ts');
  try {
    return new FormatWorker();
  } catch {
    return null;
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
