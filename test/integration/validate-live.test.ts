import { writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasCommand, runVigilAsync } from '../helpers/cli.ts';
import { freePort, serviceScope, type RunningService } from '../helpers/services.ts';

/**
 * `vigil validate --live URL` against a REAL Prometheus scraping a REAL node_exporter and itself: each live check
 * fires at its position on a project with mistakes, none on a correct one, and a server that cannot be asked is one
 * live/unreachable error (exit 1), never a stack trace.
 */
const tools = hasCommand('prometheus') && hasCommand('prometheus-node-exporter');
const scope = serviceScope();
let prometheus: RunningService;
let nodeExporter: RunningService;

async function startPrometheus(dir: string): Promise<RunningService> {
  await mkdir(dir, { recursive: true });
  const configFile = path.join(dir, 'prometheus.yml');
  return scope.start({
    name: 'prometheus',
    command: 'prometheus',
    args: (port) => {
      // Scrapes itself and node_exporter every second: the first scrape lands within the test's patience.
      const config = [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'scrape_configs:',
        `  - { job_name: node_exporter, static_configs: [{ targets: ["127.0.0.1:${nodeExporter.port}"] }] }`,
        `  - { job_name: prometheus, static_configs: [{ targets: ["127.0.0.1:${port}"] }] }`,
      ].join('\n');
      writeFileSync(configFile, config + '\n');
      return [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`];
    },
    readyPath: '/-/ready',
    readyTimeoutMs: 30_000,
  });
}

/**
 * Until both targets have been scraped, their metadata is known, and Prometheus' own /metrics handler has a series:
 * its request counter for that handler is counted after the response, so only the second self-scrape holds it.
 */
async function firstScrapes(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const up = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent('count(up == 1)')}`)).json()) as { data: { result: { value: [number, string] }[] } };
    const metadata = (await (await fetch(`${url}/api/v1/metadata?metric=node_load1`)).json()) as { data: Record<string, unknown> };
    const handler = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent('count(prometheus_http_requests_total{handler="/metrics"})')}`)).json()) as { data: { result: unknown[] } };
    if (up.data.result[0]?.value[1] === '2' && metadata.data.node_load1 && handler.data.result.length) return;
    if (Date.now() > deadline) throw new Error(`Prometheus did not scrape both targets within 30 s:\n${prometheus.log()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const COMMON: Record<string, string> = {
  'project.yaml': `apiVersion: vigil/v1
kind: Project
name: live
evaluationInterval: 30s
scrapeInterval: 15s
grafana: { datasourceUid: prometheus }
smtp: { smarthost: "smtp.example.com:587", from: alerts@example.com }
`,
  'severities.yaml': 'apiVersion: vigil/v1\nkind: Severities\nlevels:\n  - { name: critical }\n  - { name: warning }\n',
  'receivers.yaml': 'apiVersion: vigil/v1\nkind: Receivers\nreceivers:\n  - name: team\n    email: { to: [team@example.com] }\n',
  'routes.yaml': `apiVersion: vigil/v1
kind: Routes
receiver: team
groupBy: [alertname]
routes:
  - matchers: ['severity=~"warning|critical"']
    receiver: team
`,
  'metrics.yaml': `apiVersion: vigil/v1
kind: Metrics
source: prometheus
metrics:
  - name: prometheus_http_requests_total
    type: counter
    help: Requests served.
    labels: [code, handler, path]
  - name: prometheus_http_request_duration_seconds
    type: histogram
    help: Request latency.
    labels: [handler]
  - name: app_jobs_total
    type: counter
    help: Jobs done.
    labels: [queue]
external:
  - source: node_exporter
    catalogue: node_exporter
`,
  'recording.yaml': `apiVersion: vigil/v1
kind: RecordingRules
group: app
rules:
  - record: job:app_jobs:rate5m
    expr: sum by (job) (rate(app_jobs_total[5m]))
`,
};

const alert = (name: string, expr: string, extra = '') => `  - name: ${name}
${extra}    expr: ${expr}
    severity: warning
    for: 5m
    summary: "${name}"
    runbook: https://runbooks.example.com/${name}
`;

const CORRECT = {
  'recording.yaml': COMMON['recording.yaml']!.replace('job:app_jobs:rate5m', 'job:http_requests:rate5m').replace('app_jobs_total', 'prometheus_http_requests_total'),
  'alerts.yaml': `apiVersion: vigil/v1
kind: AlertRules
group: node
labels: { team: infra }
alerts:
${alert('HighLoad', 'node_load1{job="node_exporter"} > 4')}${alert('ScrapeErrors', 'sum by (handler) (rate(prometheus_http_requests_total{code=~"2..", handler="/metrics"}[5m])) > 1')}`,
  'dashboard.yaml': `apiVersion: vigil/v1
kind: Dashboard
uid: node
title: Node
rows:
  - title: Load
    panels:
      - title: Load
        type: timeseries
        queries: [{ expr: 'node_load1{instance=~"$instance"}' }, { expr: 'sum(rate(prometheus_http_requests_total[5m]))' }]
`,
};

async function project(root: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(root, 'monitoring');
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries({ ...COMMON, ...files })) await writeFile(path.join(dir, file), text);
  return root;
}

/** `file:line:col: severity[id]` of each diagnostic printed. */
const located = (stderr: string) => [...stderr.matchAll(/^(monitoring\/\S+:\d+:\d+): (error|warning)\[([^\]]+)\]/gm)].map(([, at, severity, id]) => `${at} ${severity}[${id}]`);

describe.skipIf(!tools)('vigil validate --live against a real Prometheus', () => {
  beforeAll(async () => {
    nodeExporter = await scope.start({
      name: 'node_exporter',
      command: 'prometheus-node-exporter',
      args: (port) => [`--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults', '--collector.loadavg', '--collector.cpu', '--collector.meminfo'],
      readyPath: '/metrics',
    });
    prometheus = await startPrometheus(await scope.tempDir('vigil-live-prometheus-'));
    await firstScrapes(prometheus.url);
  }, 90_000);

  it('a correct project: no live problem, and the summary says what was asked', async () => {
    const root = await project(await scope.tempDir(), CORRECT);
    const r = await runVigilAsync(['validate', '--live', prometheus.url], root);
    expect(located(r.stderr), r.stderr).toEqual([]);
    expect(r.code, r.stderr).toBe(0);
    // node_load1 twice (the panel's $instance matcher is left out); the counter with matchers, and bare in the panel
    // and the recording rule.
    expect(r.stdout).toMatch(new RegExp(`^live: 5 selectors \\(4 distinct\\) and 3 catalogued metrics asked of ${prometheus.url} over the last 1h in [\\d.]+ s$`, 'm'));
    expect(r.stdout).toContain('monitoring: 8 files, 2 alerts: 0 errors, 0 warnings');
  }, 60_000);

  it('each mistake is reported by its check, at its position', async () => {
    const root = await project(await scope.tempDir(), {
      'alerts.yaml': `apiVersion: vigil/v1
kind: AlertRules
group: node
labels: { team: infra }
alerts:
${alert('HighLoad', 'node_load1{job="node"} > 4')}${alert('MetricsErrors', 'sum(rate(prometheus_http_requests_total{path="/metrics"}[5m])) > 1')}${alert('JobsStalled', 'sum(rate(app_jobs_total[5m])) < 1')}${alert('JobsSlow', 'job:app_jobs:rate5m < 1')}${alert('Silenced', 'node_load5{job="nodes"} > 4', '    # vigil-disable-next-line live/series-missing: a job being renamed\n')}${alert('ByStatus', 'sum by (status) (rate(prometheus_http_requests_total[5m])) > 1')}`,
      'metrics.yaml': COMMON['metrics.yaml']!.replace('type: histogram', 'type: summary'),
    });
    const r = await runVigilAsync(['validate', '--live', prometheus.url], root);
    expect(located(r.stderr), r.stderr).toEqual([
      'monitoring/alerts.yaml:7:22 warning[live/series-missing]',
      'monitoring/alerts.yaml:13:51 warning[live/label-missing]',
      'monitoring/alerts.yaml:19:20 warning[live/series-missing]',
      'monitoring/alerts.yaml:38:19 warning[live/label-missing]',
      'monitoring/metrics.yaml:10:11 warning[live/type-mismatch]',
      'monitoring/recording.yaml:6:30 warning[live/series-missing]',
    ]);
    expect(r.stderr).toContain('"node_load1" has series on the server, but none with job="node" (last 1h): the selector matches nothing\n');
    expect(r.stderr).toContain('hint: values of "job" there: "node_exporter"');
    expect(r.stderr).toContain('no series of "prometheus_http_requests_total" on the server carries the label "path" (last 1h), so path="/metrics" never matches');
    expect(r.stderr).toContain('"app_jobs_total" has no series on the server in the last 1h');
    expect(r.stderr).toContain('no series of "prometheus_http_requests_total" on the server carries the label "status" (last 1h), so by (status) groups everything into one series without it');
    expect(r.stderr).toContain(`metric "prometheus_http_request_duration_seconds" is a summary in the catalogue, but the server's metadata says histogram`);
    // JobsSlow reads the recording rule's output: not deployed, so not judged, and the summary says so.
    expect(r.stdout).toContain('; 1 selector of recording rules the server has not loaded yet not judged (job:app_jobs:rate5m)');
    // Warnings only: validate passes; the disable comment was used (no disable/unused).
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('disable/unused');
  }, 60_000);

  it("policies.checks raise a live check to an error (exit 1)", async () => {
    const root = await project(await scope.tempDir(), {
      ...CORRECT,
      'project.yaml': COMMON['project.yaml'] + "policies:\n  checks: { 'live/type-mismatch': error }\n",
      'metrics.yaml': COMMON['metrics.yaml']!.replace('type: histogram', 'type: summary'),
    });
    const r = await runVigilAsync(['validate', '--live', prometheus.url], root);
    expect(located(r.stderr)).toEqual(['monitoring/metrics.yaml:10:11 error[live/type-mismatch]']);
    expect(r.code).toBe(1);
  }, 60_000);

  it("--env NAME --live asks the Environment's first Prometheus", async () => {
    const root = await project(await scope.tempDir(), {
      ...CORRECT,
      'env.yaml': `apiVersion: vigil/v1
kind: Environment
name: test
prometheus:
  - { name: prom-a, url: "${prometheus.url}", rulesDir: /tmp/vigil-live-rules }
  - { name: prom-b, url: "http://127.0.0.1:9", rulesDir: /tmp/vigil-live-rules }
alertmanager:
  peers:
    - { url: "http://127.0.0.1:9" }
scrape:
  node_exporter: { targets: ["127.0.0.1:${nodeExporter.port}"] }
  prometheus: { targets: ["${prometheus.url.replace('http://', '')}"] }
`,
    });
    const r = await runVigilAsync(['validate', '--env', 'test', '--live'], root);
    expect(located(r.stderr), r.stderr).toEqual([]);
    expect(r.stdout).toContain(`asked of ${prometheus.url} over the last 1h`);
    expect(r.code).toBe(0);
  }, 60_000);
});

describe('a server that cannot be asked', () => {
  let login: http.Server;
  let loginUrl = '';
  beforeAll(async () => {
    login = http.createServer((_req, res) => res.end('<html>Please log in</html>'));
    await new Promise<void>((r) => login.listen(0, '127.0.0.1', r));
    loginUrl = `http://127.0.0.1:${(login.address() as AddressInfo).port}`;
    scope.onCleanup(() => new Promise((r) => login.close(() => r())));
  });

  it.each([
    { name: 'nothing listening', url: async () => `http://127.0.0.1:${await freePort()}`, message: /cannot be reached: ECONNREFUSED/ },
    { name: 'a login page', url: async () => loginUrl, message: /answered HTTP 200 with something that is not Prometheus' JSON: "<html>Please log in<\/html>"/ },
    { name: 'not a URL', url: async () => 'localhost:9090', message: /"localhost:9090" is not an http:\/\/ or https:\/\/ URL/ },
  ])('$name: one live/unreachable error, exit 1, no stack trace', async ({ url, message }) => {
    const root = await project(await scope.tempDir(), CORRECT);
    const r = await runVigilAsync(['validate', '--live', await url(), '--live-timeout', '2s'], root);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[live\/unreachable\]: the live checks could not ask Prometheus: /m);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.match(/\[live\//g)).toHaveLength(1);
    expect(r.stderr).not.toMatch(/internal error|    at /);
    expect(r.stdout).toContain('nothing was judged');
  }, 60_000);

  it('bad --live-lookback and --live-timeout values are usage errors (exit 2)', async () => {
    const root = await project(await scope.tempDir(), CORRECT);
    const lookback = await runVigilAsync(['validate', '--live', 'http://127.0.0.1:9', '--live-lookback', 'yesterday'], root);
    expect(lookback.code).toBe(2);
    expect(lookback.stderr).toContain('--live-lookback must be a duration such as 30m, 1h or 1d, not "yesterday"');
    const alone = await runVigilAsync(['validate', '--live'], root);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--live needs a URL');
  }, 60_000);
});
