/**
 * The two in-process HTTP endpoints of the alert latency benchmark (latency-bench.ts): an exporter Prometheus scrapes
 * and a webhook sink Alertmanager notifies. Both record when things happened on one clock, `now()`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Wall-clock milliseconds with sub-millisecond resolution, monotonic within this process (comparable to the
 * RFC 3339 timestamps Prometheus and Alertmanager put into notifications, which come from the same host clock). */
export const now = (): number => performance.timeOrigin + performance.now();

export interface Scrape {
  at: number;
  flip: string;
  value: number;
}

export interface Exporter {
  url: string;
  /** `host:port`, for a static scrape target. */
  target: string;
  /** Exposes `bench_value{flip="<flip>"} <value>` from now on (and no other series). */
  set(flip: string, value: number): void;
  /** Every scrape, with the series it was served. */
  readonly scrapes: readonly Scrape[];
  close(): Promise<void>;
}

export interface Notification {
  /** When the POST's body had arrived. */
  at: number;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  /** Prometheus's evaluation time of the firing (`FiredAt`), as ms. */
  startsAt: number;
  /** Prometheus's evaluation time of the resolution (`ResolvedAt`), as ms; meaningless while firing. */
  endsAt: number;
}

export interface WebhookSink {
  url: string;
  readonly notifications: readonly Notification[];
  /** The first notification (received before or after the call) that matches; rejects after `timeoutMs`. */
  waitFor(match: (n: Notification) => boolean, timeoutMs: number): Promise<Notification>;
  close(): Promise<void>;
}

export async function startExporter(): Promise<Exporter> {
  let current = { flip: 'idle', value: 0 };
  const scrapes: Scrape[] = [];
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    const { flip, value } = current;
    scrapes.push({ at: now(), flip, value });
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(`# TYPE bench_value gauge\nbench_value{flip="${flip}"} ${value}\n`);
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    target: `127.0.0.1:${port}`,
    set: (flip, value) => {
      current = { flip, value };
    },
    scrapes,
    close: () => close(server),
  };
}

interface WebhookPayload {
  alerts: { status: 'firing' | 'resolved'; labels: Record<string, string>; startsAt: string; endsAt: string }[];
}

export async function startWebhookSink(): Promise<WebhookSink> {
  const notifications: Notification[] = [];
  const listeners = new Set<() => void>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = now();
      res.writeHead(200).end();
      const payload = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookPayload;
      for (const a of payload.alerts) {
        notifications.push({ at, status: a.status, labels: a.labels, startsAt: Date.parse(a.startsAt), endsAt: Date.parse(a.endsAt) });
      }
      for (const listener of listeners) listener();
    });
  });
  // Alertmanager's Go client keeps connections idle for up to 90 s and reuses them; with Node's default 5 s keep-alive
  // a notification sent just as Node closes the socket fails with ECONNRESET and is retried with back-off.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  const port = await listen(server);

  const waitFor = (match: (n: Notification) => boolean, timeoutMs: number) =>
    new Promise<Notification>((resolve, reject) => {
      const check = () => {
        const found = notifications.find(match);
        if (!found) return false;
        listeners.delete(check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`no matching notification within ${timeoutMs} ms`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });

  return { url: `http://127.0.0.1:${port}/`, notifications, waitFor, close: () => close(server) };
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
