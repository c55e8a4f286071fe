// serveMetrics' formatThreads: 2 in a process of its own: the worker thread ends with the server (the process exits by
// itself once closed), and never keeps a process alive whose server is closed mid-scrape.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vigil-format-threads-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs `body` (an async module body with `serveMetrics`, `registry`, `Histogram` in scope); its exit code and time. */
async function run(name: string, body: string): Promise<{ code: number | null; ms: number; output: string }> {
  const file = path.join(dir, `${name}.mts`);
  await writeFile(file, [
    `import { serveMetrics } from ${JSON.stringify(path.join(ROOT, 'src/runtime/index.ts'))};`,
    `import client from ${JSON.stringify(path.join(ROOT, 'node_modules/prom-client/index.js'))};`,
    'const registry = new client.Registry();',
    "const latency = new client.Histogram({ name: 'latency_seconds', help: 'L.', labelNames: ['route'], registers: [registry] });",
    'for (let i = 0; i < 20_000; i++) latency.observe({ route: `/r/${i}` }, i / 100);',
    body,
  ].join('\n'));
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (part) => (output += part));
  child.stderr.on('data', (part) => (output += part));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(killer);
  return { code, ms: performance.now() - started, output };
}

describe('serveMetrics with formatThreads: 2, in a process of its own', () => {
  it('serves a streamed scrape through the worker, and the process exits once the server is closed', async () => {
    const result = await run('closes', [
      'const server = await serveMetrics({ registry, host: "127.0.0.1", defaultMetrics: false, formatThreads: 2 });',
      'const body = await (await fetch(`${server.url}/metrics`)).text();',
      'if (body !== await registry.metrics()) throw new Error("not prom-client\'s bytes");',
      'await server.close();',
      'console.log("closed");',
    ].join('\n'));
    expect(result.output).toContain('closed');
    expect(result.code).toBe(0);
    expect(result.ms).toBeLessThan(20_000);
  }, 40_000);

  it('exits when the server is closed while a scrape is being formatted', async () => {
    const result = await run('closes-mid-scrape', [
      'const server = await serveMetrics({ registry, host: "127.0.0.1", defaultMetrics: false, formatThreads: 2 });',
      'const http = await import("node:http");',
      'http.get(`${server.url}/metrics`, (res) => { res.once("data", () => { res.pause(); void server.close().then(() => console.log("closed")); }); }).on("error", () => undefined);',
    ].join('\n'));
    expect(result.output).toContain('closed');
    expect(result.code).toBe(0);
  }, 40_000);
});
