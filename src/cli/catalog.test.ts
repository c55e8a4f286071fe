import { createServer, type Server } from 'node:http';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProject } from '../compile-project.ts';
import { loadDirectory } from '../load/index.ts';
import { freePort, serviceScope, type RunningService } from '../../test/helpers/services.ts';
import { main } from './main.ts';

const BASE = path.join(import.meta.dirname, '../../test/fixtures/base');
const scope = serviceScope();
let exporter: RunningService;
let project: string;

async function vigil(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { out: (t) => (stdout += t), err: (t) => (stderr += t), color: false });
  return { code, stdout, stderr };
}

async function errorsOf(dir: string) {
  const result = compileProject(await loadDirectory(dir));
  return result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}${d.hint ? ` (hint: ${d.hint})` : ''}`);
}

beforeAll(async () => {
  exporter = await scope.start({
    name: 'node_exporter',
    command: 'prometheus-node-exporter',
    args: (port) => [`--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults', '--collector.cpu', '--collector.meminfo', '--collector.loadavg'],
    readyPath: '/metrics',
  });
  project = await scope.tempDir('vigil-catalog-');
  await cp(BASE, project, { recursive: true });
  // The base project declares every node_ name known; the recorded catalogue replaces that.
  const metrics = path.join(project, 'metrics.yaml');
  await writeFile(metrics, (await readFile(metrics, 'utf8')).replace(/  - source: node_exporter\n(    .*\n)*/, ''));
});

describe('vigil catalog update against a real node_exporter', () => {
  it('writes a Metrics definition under which a typo is a ref/metric error naming the real metric', async () => {
    const out = path.join(project, 'node.yaml');
    const run = await vigil('catalog', 'update', '--from', `${exporter.url}/metrics`, '--name', 'node', '--out', out);
    expect(run.stderr).toMatch(/^wrote .*node\.yaml from http:\/\/127\.0\.0\.1:\d+\/metrics: \d+ metrics; prefixes node_/);
    expect(run.code).toBe(0);
    const text = await readFile(out, 'utf8');
    expect(text).toContain('- {name: node_cpu_seconds_total, type: counter, help: Seconds the CPUs spent in each mode., labels: [cpu, mode]}');
    expect(await errorsOf(project)).toEqual([]);

    await writeFile(path.join(project, 'node-dashboard.yaml'), 'apiVersion: vigil/v1\nkind: Dashboard\nuid: node\ntitle: Node\nrows:\n  - title: CPU\n    panels:\n      - title: Busy\n        type: timeseries\n        queries: [{ expr: \'sum by (instance) (rate(node_cpu_seconds_totl{mode!="idle"}[5m]))\' }]\n      - title: Load\n        type: stat\n        queries: [{ expr: \'max(node_load1{cpu="0"})\' }]\n');
    const errors = await errorsOf(project);
    expect(errors).toEqual([
      expect.stringMatching(/^ref\/metric: .*"node_cpu_seconds_totl" is not in the metrics of external source node \(hint: did you mean "node_cpu_seconds_total"/),
      expect.stringMatching(/^promql\/label-unknown: .*"node_load1" has no label "cpu"/),
    ]);
  });

  it('refreshes the file: scraped entries replaced, the project\'s own lines and comments kept', async () => {
    const out = path.join(project, 'node.yaml');
    const edited = (await readFile(out, 'utf8')).replace('external:\n', 'external:\n  # node_exporter on every host\n').replace('    exhaustive: true\n', '    exhaustive: true\n    labels: [instance, job]\n');
    await writeFile(out, edited.replace(/ *- \{name: node_load5,.*\n/, ''));
    const run = await vigil('catalog', 'update', '--from', `${exporter.url}/metrics`, '--name', 'node', '--out', out);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('refreshed');
    expect(run.stderr).toContain('1 new, 0 changed, 0 kept');
    const text = await readFile(out, 'utf8');
    expect(text).toContain('# node_exporter on every host');
    expect(text).toContain('labels: [instance, job]');
    expect(text).toContain('{name: node_load5,');
  });

  it('writes the built-in catalogues\' JSON format', async () => {
    const out = path.join(project, 'node.json');
    expect((await vigil('catalog', 'update', '--from', `${exporter.url}/metrics`, '--out', out)).code).toBe(0);
    const file = JSON.parse(await readFile(out, 'utf8'));
    expect(file).toMatchObject({ catalogue: 'node', source: 'node', prefixes: ['node_'], recordedFrom: expect.stringContaining('vigil catalog update --from http://127.0.0.1:') });
    expect(file.metrics.find((m: { name: string }) => m.name === 'node_load1')).toEqual({ name: 'node_load1', type: 'gauge', help: '1m load average.', labels: [] });
  });
});

describe('vigil catalog update: what cannot be read', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });
  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  it.each([
    ['unreachable', async () => `http://127.0.0.1:${await freePort()}/metrics`, [], /cannot reach http:\/\/127\.0\.0\.1:\d+\/metrics: ECONNREFUSED\n  hint: is the exporter running/],
    ['a home page', () => serve((_, res) => res.end('<html><body>Node Exporter</body></html>')), [], /did not serve the Prometheus text format \(no content type; line 1: not a sample line: "<html><body>Node Exporter<\/body><\/html>"\)\n  hint: pass the exporter's metrics endpoint/],
    ['not found', () => serve((_, res) => res.writeHead(404).end()).then((u) => `${u}/metricz`), [], /answered HTTP 404 Not Found\n  hint: exporters serve their metrics at \/metrics/],
    ['too slow', () => serve(() => undefined), ['--timeout', '0.3'], /did not answer within 0\.3s\n  hint: a large exporter may need longer: --timeout 60/],
  ])('%s: one clear line and a hint, exit 1, nothing written', async (_, url, extra, expected) => {
    const out = path.join(project, 'never.yaml');
    const run = await vigil('catalog', 'update', '--from', (await url()) as string, '--out', out, ...(extra as string[]));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^catalog update failed \[catalog\/scrape\]: /);
    expect(run.stderr).toMatch(expected as RegExp);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    await expect(readFile(out)).rejects.toThrow();
  });

  it('never writes the URL\'s credentials or query into the file', async () => {
    const base = await serve((_, res) => res.end('# TYPE redis_up gauge\nredis_up 1\n'));
    const out = path.join(project, 'redis.yaml');
    const run = await vigil('catalog', 'update', '--from', `${base.replace('http://', 'http://user:secret@')}/metrics?token=abc`, '--out', out);
    expect(run.code).toBe(0);
    const text = await readFile(out, 'utf8');
    expect(text).not.toMatch(/secret|token|user/);
    expect(text).toContain('source: redis');
  });
});
