import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { compile } from '../compile.ts';
import { loadYamlSources } from '../load/index.ts';

const BASE_DIR = path.resolve(import.meta.dirname, '../../test/fixtures/base');
const base = readdirSync(BASE_DIR).sort().map((file) => ({ file, text: readFileSync(path.join(BASE_DIR, file), 'utf8') }));

const ENV = `apiVersion: vigil/v1
kind: Environment
name: prod
prometheus:
  - { name: prom-a, url: "http://prom-a:9090", rulesDir: /etc/prometheus/rules/vigil/, configFile: /etc/prometheus/prometheus.yml }
  - { name: prom-b, url: "http://prom-b:9090", rulesDir: /mnt/prom-b/rules, serverRulesDir: /etc/prometheus/rules/vigil, configFile: /mnt/prom-b/prometheus.yml }
alertmanager:
  configFile: /etc/alertmanager/alertmanager.yml
  peers: ["http://am-0:9093", "http://am-1:9093", "https://am-2.example.com/alertmanager"]
influxdb: { url: "http://influx:8086", database: prom, retention: 90d, username: writer, password: { env: INFLUX_PASSWORD } }
retention: 15d
externalLabels: { env: prod }
scrapeInterval: 10s
scrape:
  node_exporter: { fileSd: [/etc/prometheus/targets/node/*.json], interval: 30s }
  app: { targets: ["app-0:8080", "app-1:8080"], metricsPath: /internal/metrics, labels: { tier: web } }
`;

function configs() {
  const result = compile(loadYamlSources([...base, { file: 'env.yaml', text: ENV }]), { environment: 'prod' });
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return result.artifacts.filter((a) => a.path.startsWith('prometheus/prometheus-'));
}

describe('prometheus.yml per replica', () => {
  it('writes one file per replica that differ only in the replica label (and the config path of the header)', () => {
    const [a, b] = configs();
    expect([a!.path, b!.path]).toEqual(['prometheus/prometheus-prom-a.yml', 'prometheus/prometheus-prom-b.yml']);
    const body = (c: string) => c.split('\n').filter((l) => !l.startsWith('#')).join('\n');
    expect(body(b!.content).replace(/prom-b/g, 'prom-a')).toBe(body(a!.content));
  });

  it('names the rules directory as the server sees it, not the mount the deploy writes through', () => {
    const b = load(configs()[1]!.content) as { rule_files: string[] };
    expect(b.rule_files).toEqual(['/etc/prometheus/rules/vigil/*.yml']);
    expect(configs()[1]!.content).toContain('--config.file=<this file, where the server reads it>');
    expect(configs()[0]!.content).toContain('--config.file=/etc/prometheus/prometheus.yml');
  });

  it('collects, evaluates, alerts and keeps history as the environment says', () => {
    const config = load(configs()[0]!.content) as Record<string, any>;
    expect(config.global).toEqual({ scrape_interval: '10s', evaluation_interval: '30s', external_labels: { env: 'prod', replica: 'prom-a' } });
    expect(config.rule_files).toEqual(['/etc/prometheus/rules/vigil/*.yml']);
    expect(config.alerting.alert_relabel_configs).toEqual([{ action: 'labeldrop', regex: 'replica' }]);
    expect(config.alerting.alertmanagers).toEqual([
      { scheme: 'http', api_version: 'v2', static_configs: [{ targets: ['am-0:9093', 'am-1:9093'] }] },
      { scheme: 'https', path_prefix: '/alertmanager', api_version: 'v2', static_configs: [{ targets: ['am-2.example.com:443'] }] },
    ]);
    expect(config.scrape_configs).toEqual([
      { job_name: 'node_exporter', scrape_interval: '30s', file_sd_configs: [{ files: ['/etc/prometheus/targets/node/*.json'] }] },
      { job_name: 'app', metrics_path: '/internal/metrics', static_configs: [{ targets: ['app-0:8080', 'app-1:8080'], labels: { tier: 'web' } }] },
    ]);
    expect(config.remote_write).toEqual([{ url: 'http://influx:8086/api/v1/prom/write?db=prom', basic_auth: { username: 'writer', password: '${INFLUX_PASSWORD}' } }]);
  });

  it('names the retention flag the environment needs', () => {
    expect(configs()[0]!.content).toContain('--storage.tsdb.retention.time=15d');
  });

  it('passes promtool check config', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-promcfg-'));
    try {
      const file = path.join(dir, 'prometheus.yml');
      writeFileSync(file, configs()[0]!.content);
      const r = spawnSync('promtool', ['check', 'config', '--syntax-only', file], { encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is not emitted without an environment', () => {
    const result = compile(loadYamlSources(base));
    expect(result.artifacts.some((a) => a.path.includes('prometheus-'))).toBe(false);
  });
});

describe('a scrape behind a bearer token', () => {
  const withToken = (token: string) => ENV.replace('metricsPath: /internal/metrics,', `metricsPath: /internal/metrics, bearerToken: ${token},`);
  const job = (env: string) => {
    const result = compile(loadYamlSources([...base, { file: 'env.yaml', text: env }]), { environment: 'prod' });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const a = result.artifacts.find((x) => x.path === 'prometheus/prometheus-prom-a.yml')!;
    const secrets = JSON.parse(result.artifacts.find((x) => x.path === 'secrets.json')!.content) as { secrets: { artifact: string; at?: unknown[]; env?: string }[] };
    return { job: (load(a.content) as { scrape_configs: { job_name: string; authorization?: Record<string, string> }[] }).scrape_configs.find((j) => j.job_name === 'app')!, secrets: secrets.secrets };
  };

  it('reads a token file where Prometheus runs', () => {
    expect(job(withToken('{ file: /etc/prometheus/app-token }')).job.authorization).toEqual({ type: 'Bearer', credentials_file: '/etc/prometheus/app-token' });
  });

  it('takes an environment variable as a slot deploy fills on the target, listed in secrets.json', () => {
    const { job: j, secrets } = job(withToken('{ env: APP_METRICS_TOKEN }'));
    expect(j.authorization).toEqual({ type: 'Bearer', credentials: '${APP_METRICS_TOKEN}' });
    expect(secrets).toContainEqual(expect.objectContaining({ artifact: 'prometheus/prometheus-prom-a.yml', env: 'APP_METRICS_TOKEN', at: ['scrape_configs', expect.any(Number), 'authorization', 'credentials'] }));
  });

  it('refuses a literal token in the definitions', () => {
    const result = compile(loadYamlSources([...base, { file: 'env.yaml', text: withToken('"s3cr3t"') }]), { environment: 'prod' });
    expect(result.diagnostics.some((d) => d.severity === 'error' && d.message.includes('bearerToken'))).toBe(true);
  });
});

describe('an environment with a Pushgateway', () => {
  const scrapeJobs = (env: string) => {
    const result = compile(loadYamlSources([...base, { file: 'env.yaml', text: env }]), { environment: 'prod' });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const a = result.artifacts.find((x) => x.path === 'prometheus/prometheus-prom-a.yml')!;
    return { content: a.content, jobs: (load(a.content) as { scrape_configs: Record<string, unknown>[] }).scrape_configs };
  };

  it('gains a pushgateway job that honours the pushed job and instance labels, and promtool accepts it', () => {
    const { content, jobs } = scrapeJobs(`${ENV}pushgateway: { url: "http://pushgateway.prod:9091/", interval: 5s }\n`);
    expect(jobs.map((j) => j.job_name)).toEqual(['node_exporter', 'app', 'pushgateway']);
    expect(jobs[2]).toEqual({ job_name: 'pushgateway', honor_labels: true, scrape_interval: '5s', static_configs: [{ targets: ['pushgateway.prod:9091'] }] });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-promcfg-'));
    try {
      writeFileSync(path.join(dir, 'prometheus.yml'), content);
      const r = spawnSync('promtool', ['check', 'config', '--syntax-only', path.join(dir, 'prometheus.yml')], { encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the scheme, default port and path prefix of a gateway behind a proxy', () => {
    const { jobs } = scrapeJobs(`${ENV}pushgateway: { url: "https://gw.example.com/push" }\n`);
    expect(jobs[2]).toEqual({ job_name: 'pushgateway', honor_labels: true, metrics_path: '/push/metrics', scheme: 'https', static_configs: [{ targets: ['gw.example.com:443'] }] });
  });

  it('adds honor_labels to a scrape entry the environment already has for a source named pushgateway, not a second job', () => {
    const env = ENV.replace('scrape:\n', 'scrape:\n  pushgateway: { targets: ["pushgateway.prod:9091"] }\n');
    const { jobs } = scrapeJobs(`${env}pushgateway: { url: "http://pushgateway.prod:9091" }\n`);
    expect(jobs.filter((j) => j.job_name === 'pushgateway')).toEqual([
      { job_name: 'pushgateway', static_configs: [{ targets: ['pushgateway.prod:9091'] }], honor_labels: true },
    ]);
  });

  it('is refused without a url', () => {
    const result = compile(loadYamlSources([...base, { file: 'env.yaml', text: `${ENV}pushgateway: { interval: 5s }\n` }]), { environment: 'prod' });
    expect(result.diagnostics.some((d) => d.severity === 'error' && /pushgateway/.test(d.message + (d.hint ?? '')))).toBe(true);
  });
});
