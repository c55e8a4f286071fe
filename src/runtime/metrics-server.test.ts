import http from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { serveMetrics, type MetricsServer } from './metrics-server.ts';

const servers: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(...args: Parameters<typeof serveMetrics>) {
  const server = await serveMetrics(...args);
  servers.push(server);
  return server;
}

describe('serveMetrics', () => {
  it('serves the registry with the exposition content type, and default process metrics beside it', async () => {
    const registry = new Registry();
    new Counter({ name: 'jobs_total', help: 'Jobs.', registers: [registry] }).inc(3);
    const server = await serve({ registry, host: '127.0.0.1' });
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(registry.contentType);
    const body = await response.text();
    expect(body).toContain('jobs_total 3');
    expect(body).toContain('process_cpu_seconds_total');
    expect(body).toContain('nodejs_eventloop_lag_seconds');
  });

  it('answers HEAD without a body, refuses other methods with 405 and Allow, and 404 elsewhere', async () => {
    const server = await serve({ registry: new Registry(), host: '127.0.0.1', defaultMetrics: false });
    const head = await fetch(`${server.url}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(`${server.url}/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${server.url}/`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics/extra`)).status).toBe(404);
  });

  it('serves on its own path, with prefixed default metrics, and twice on one registry without a duplicate error', async () => {
    const registry = new Registry();
    const first = await serve({ registry, host: '127.0.0.1', path: '/internal/metrics', defaultMetrics: { prefix: 'svc_' } });
    await serve({ registry, host: '127.0.0.1', defaultMetrics: { prefix: 'svc_' } });
    expect((await fetch(`${first.url}/metrics`)).status).toBe(404);
    const body = await (await fetch(`${first.url}/internal/metrics`)).text();
    expect(body).toContain('svc_process_cpu_seconds_total');
    expect(body).not.toMatch(/^process_cpu_seconds_total/m);
  });

  it('fails the scrape with 500 and the reason when a collect callback throws', async () => {
    const registry = new Registry();
    new Counter({ name: 'broken_total', help: 'Broken.', registers: [registry], collect() { throw new Error('store unavailable'); } });
    const server = await serve({ registry, host: '127.0.0.1', defaultMetrics: false });
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(500);
    expect(await response.text()).toContain('store unavailable');
  });

  it('a response read slowly gets the bytes of its scrape while later scrapes, sent and released, reuse memory', async () => {
    const registry = new Registry();
    const latency = new Histogram({ name: 'latency_seconds', help: 'Latency.', labelNames: ['route'], registers: [registry] });
    const routes = Array.from({ length: 10_000 }, (_, i) => ({ route: `/route/${i}` }));
    const changeAll = (round: number) => routes.forEach((labels, i) => latency.observe(labels, (i + round) % 7));
    changeAll(0);
    const server = await serve({ registry, host: '127.0.0.1', defaultMetrics: false });
    // Written ahead: the slow scrape sends cached chunks (a scrape that streams reads each series as it writes it).
    await server.prepared;
    // Far more than the socket buffers hold (about 14 MB): most of the slow body stays queued in the server.
    const expected = Buffer.from(await registry.metrics());
    const slow = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(`${server.url}/metrics`, resolve).on('error', reject);
    });
    slow.pause();
    for (let round = 1; round <= 3; round++) {
      changeAll(round);
      const body = Buffer.from(await (await fetch(`${server.url}/metrics`)).arrayBuffer());
      expect(body.equals(Buffer.from(await registry.metrics()))).toBe(true);
    }
    const parts: Buffer[] = [];
    slow.on('data', (part: Buffer) => parts.push(part));
    await new Promise((resolve) => slow.on('end', resolve).resume());
    expect(Buffer.concat(parts).equals(expected)).toBe(true);
  }, 60_000);

  it('streams a scrape that comes before the series are written (chunked), then prepares them and sends its length', async () => {
    const registry = new Registry();
    const latency = new Histogram({ name: 'latency_seconds', help: 'Latency.', labelNames: ['route'], registers: [registry] });
    const level = new Gauge({ name: 'level', help: 'Level.', labelNames: ['route'], registers: [registry] });
    for (let i = 0; i < 8_000; i++) {
      latency.observe({ route: `/ünïcødé/${i}` }, i / 100);
      level.set({ route: `/r/${i}` }, i);
    }
    const expected = Buffer.from(await registry.metrics());
    // Preparing 16,000 series takes tens of turns of the event loop (256 series at least a turn): the GET comes first.
    const server = await serve({ registry, host: '127.0.0.1', defaultMetrics: false });
    // A client that reads slowly: formatting waits for it (backpressure), and the bytes stay prom-client's.
    const slow = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(`${server.url}/metrics`, resolve).on('error', reject);
    });
    expect(slow.headers['transfer-encoding']).toBe('chunked');
    expect(slow.headers['content-length']).toBeUndefined();
    slow.pause();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const parts: Buffer[] = [];
    slow.on('data', (part: Buffer) => parts.push(part));
    await new Promise((resolve) => slow.on('end', resolve).resume());
    expect(Buffer.concat(parts).equals(expected)).toBe(true);
    // A client gone mid-body stops the scrape; preparing resumes after it, then scrapes send cached chunks.
    const abandoned = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(`${server.url}/metrics`, resolve).on('error', reject);
    });
    abandoned.destroy();
    await server.prepared;
    const cached = await fetch(`${server.url}/metrics`);
    expect(cached.headers.get('content-length')).toBe(String(expected.length));
    expect(Buffer.from(await cached.arrayBuffer()).equals(expected)).toBe(true);
    // A metric of hundreds of series registered since streams in the next scrape, between cached ones.
    const added = new Gauge({ name: 'added', help: 'Added.', labelNames: ['k'], registers: [registry] });
    for (let i = 0; i < 300; i++) added.set({ k: `${i}` }, i);
    const mixed = await fetch(`${server.url}/metrics`);
    expect(mixed.headers.get('content-length')).toBeNull();
    expect(Buffer.from(await mixed.arrayBuffer()).equals(Buffer.from(await registry.metrics()))).toBe(true);
  });

  it('writes the series ahead of the first scrape once listening, unless told not to (prepare: false)', async () => {
    const registry = () => {
      const r = new Registry();
      const latency = new Histogram({ name: 'latency_seconds', help: 'Latency.', labelNames: ['route'], registers: [r] });
      for (let i = 0; i < 1_000; i++) latency.observe({ route: `/r/${i}` }, i / 100);
      return r;
    };
    const allocate = vi.spyOn(Buffer, 'allocUnsafeSlow');
    try {
      const lazy = await serve({ registry: registry(), host: '127.0.0.1', defaultMetrics: false, prepare: false });
      await lazy.prepared;
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(allocate).not.toHaveBeenCalled();
      const eager = await serve({ registry: registry(), host: '127.0.0.1', defaultMetrics: false });
      await eager.prepared;
      expect(allocate).toHaveBeenCalled();
    } finally {
      allocate.mockRestore();
    }
  });

  it('serves prom-client\'s bytes with their length over many chunks and multi-byte labels, and again after changes', async () => {
    const registry = new Registry();
    const latency = new Histogram({ name: 'latency_seconds', help: 'Latency ✓.', labelNames: ['route'], registers: [registry] });
    const level = new Gauge({ name: 'level', help: 'Level.', labelNames: ['route'], registers: [registry] });
    for (let i = 0; i < 2_000; i++) {
      latency.observe({ route: `/ünïcødé/${i}` }, i / 100);
      level.set({ route: `/𝄞/${i}` }, i);
    }
    const server = await serve({ registry, host: '127.0.0.1', defaultMetrics: false });
    // The series are written ahead of the first scrape (here in full: no scrape comes before).
    await server.prepared;
    for (let round = 0; round < 3; round++) {
      const response = await fetch(`${server.url}/metrics`);
      const body = Buffer.from(await response.arrayBuffer());
      const expected = Buffer.from(await registry.metrics());
      expect(body.equals(expected)).toBe(true);
      expect(response.headers.get('content-length')).toBe(String(expected.length));
      const head = await fetch(`${server.url}/metrics`, { method: 'HEAD' });
      expect(head.headers.get('content-length')).toBe(String(expected.length));
      for (let i = round; i < 2_000; i += 7) {
        latency.observe({ route: `/ünïcødé/${i}` }, round);
        level.set({ route: `/𝄞/${i}` }, -round);
      }
      level.remove({ route: `/𝄞/${round * 100 + 1}` });
    }
  });

  it('with formatThreads: 2, streams a first scrape through the worker thread, a slow reader beside later scrapes', async () => {
    const registry = new Registry();
    const latency = new Histogram({ name: 'latency_seconds', help: 'Latency ✓.', labelNames: ['route'], registers: [registry] });
    const level = new Gauge({ name: 'level', help: 'Level.', labelNames: ['route'], registers: [registry] });
    for (let i = 0; i < 8_000; i++) {
      latency.observe({ route: `/ünïcødé/${i}` }, i / 100);
      level.set({ route: `/r/${i}` }, i);
    }
    registry.setDefaultLabels({ service: 'api "v2"' });
    const expected = Buffer.from(await registry.metrics());
    const server = await serve({ registry, host: '127.0.0.1', defaultMetrics: false, formatThreads: 2 });
    const slow = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(`${server.url}/metrics`, resolve).on('error', reject);
    });
    expect(slow.headers['transfer-encoding']).toBe('chunked');
    slow.pause();
    // Later scrapes while the slow one waits: each streams (preparing waits for the slow one) and changes nothing.
    for (let round = 0; round < 2; round++) {
      const body = Buffer.from(await (await fetch(`${server.url}/metrics`)).arrayBuffer());
      expect(body.equals(expected)).toBe(true);
    }
    const parts: Buffer[] = [];
    slow.on('data', (part: Buffer) => parts.push(part));
    await new Promise((resolve) => slow.on('end', resolve).resume());
    expect(Buffer.concat(parts).equals(expected)).toBe(true);
    // Series changed since: the next scrapes show them.
    for (let i = 0; i < 8_000; i += 3) latency.observe({ route: `/ünïcødé/${i}` }, 7);
    const changed = Buffer.from(await (await fetch(`${server.url}/metrics`)).arrayBuffer());
    expect(changed.equals(Buffer.from(await registry.metrics()))).toBe(true);
  }, 60_000);

  it('refuses a formatThreads other than 1 or 2', async () => {
    await expect(serveMetrics({ registry: new Registry(), formatThreads: 3 as 2 })).rejects.toThrow(/formatThreads must be 1 or 2, not 3/);
  });
});
