// Records the exporter catalogues shipped in src/catalogues/ from the real exporters (issue #13 §3):
//
//   node --import tsx scripts/record-catalogues.ts [--out src/catalogues]
//       [--node-exporter-e2e FILE]   merge node_exporter's upstream e2e-output.txt (every collector, on fixtures)
//       [--dcgm-csv FILE --dcgm-version V]...  DCGM exporter's published counter lists (etc/*.csv of dcgm-exporter)
//
// Debian's prometheus-node-exporter, prometheus, prometheus-alertmanager and prometheus-pushgateway are started on
// 127.0.0.1 (free ports, temp dirs), their /metrics scraped and parsed; Prometheus also scrapes itself and evaluates
// one pending alert so its synthetic series (up, scrape_*, ALERTS, ALERTS_FOR_STATE) are read from its TSDB; one group
// is pushed to the Pushgateway so push_time_seconds exists. prom-client's default metrics come from the installed
// prom-client. Each file names the exporter and version it was recorded from.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import client from 'prom-client';
import { catalogueMetricOf, catalogueText, type CatalogueFile, type CatalogueMetric } from '../src/catalogues/catalogue.ts';
import { parseExposition, type ExposedMetric } from '../src/catalogues/exposition.ts';
import { startAlertmanager, startService, type RunningService } from '../src/testing/alertmanager-process.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'src/catalogues' },
    'node-exporter-e2e': { type: 'string' },
    'dcgm-csv': { type: 'string', multiple: true },
    'dcgm-version': { type: 'string' },
  },
});
const outDir = values.out!;
const services: RunningService[] = [];
const dirs: string[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function debianVersion(pkg: string): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

async function scrape(url: string): Promise<ExposedMetric[]> {
  const response = await fetch(`${url}/metrics`, { headers: { accept: 'text/plain;version=0.0.4' }, signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`${url}/metrics answered ${response.status}`);
  return parseExposition(await response.text());
}

async function write(file: CatalogueFile): Promise<void> {
  const target = path.join(outDir, `${file.catalogue}.json`);
  await writeFile(target, catalogueText(file));
  process.stdout.write(`${target}: ${file.metrics.length} metrics (${file.recordedFrom})\n`);
}

const underAny = (prefixes: string[]) => (m: { name: string }) => prefixes.some((p) => m.name.startsWith(p));
const RUNTIME_PREFIXES = ['go_', 'process_', 'promhttp_'];

async function recordNodeExporter(): Promise<ExposedMetric[]> {
  const service = await startService({
    name: 'node_exporter',
    command: 'prometheus-node-exporter',
    args: (port) => [`--web.listen-address=127.0.0.1:${port}`],
    readyPath: '/metrics',
  });
  services.push(service);
  const live = await scrape(service.url);
  const metrics = live.map(catalogueMetricOf);
  let from = `prometheus-node-exporter ${debianVersion('prometheus-node-exporter')} (Debian), default collectors, scraped on Linux`;
  if (values['node-exporter-e2e']) {
    // Collectors that find nothing in this container (hwmon, infiniband, nvme, …) still belong to the exporter.
    const seen = new Set(metrics.map((m) => m.name));
    const upstream = parseExposition(await readFile(values['node-exporter-e2e'], 'utf8')).filter((m) => m.name.startsWith('node_') && !seen.has(m.name));
    metrics.push(...upstream.map(catalogueMetricOf));
    from += `; plus ${upstream.length} node_ metrics of collectors idle here from node_exporter v1.5.0's collector/fixtures/e2e-output.txt`;
  }
  await write({ catalogue: 'node_exporter', source: 'node_exporter', recordedFrom: from, prefixes: ['node_'], metrics });
  return live;
}

/** What Prometheus makes itself rather than scrapes: labels are those of each target or alert. */
const SYNTHETIC_HELP: Record<string, string> = {
  up: '1 if the target was scraped successfully, 0 if the scrape failed.',
  scrape_duration_seconds: 'Duration of the scrape.',
  scrape_samples_scraped: 'The number of samples the target exposed.',
  scrape_samples_post_metric_relabeling: 'The number of samples remaining after metric relabeling was applied.',
  scrape_series_added: 'The approximate number of new series in this scrape.',
  scrape_timeout_seconds: 'The configured scrape timeout for a target (extra-scrape-metrics).',
  scrape_sample_limit: 'The configured sample limit for a target, 0 if none (extra-scrape-metrics).',
  scrape_body_size_bytes: 'The uncompressed size of the last scrape response, -1 if it failed (extra-scrape-metrics).',
  ALERTS: 'One series per pending or firing alert (alertstate), with the alert\'s labels; value 1.',
  ALERTS_FOR_STATE: 'Per active alert with a for: duration, the Unix time it became active (restores for: after a restart).',
};

async function recordPrometheus(): Promise<ExposedMetric[]> {
  const dir = await tempDir('vigil-record-prometheus-');
  const rules = path.join(dir, 'rules.yml');
  await writeFile(rules, 'groups:\n  - name: probe\n    rules:\n      - alert: CatalogueProbe\n        expr: vector(1)\n        for: 1h\n');
  const config = path.join(dir, 'prometheus.yml');
  const service = await startService({
    name: 'prometheus',
    command: 'prometheus',
    args: (port) => {
      writeFileSync(
        config,
        `global: { scrape_interval: 1s, evaluation_interval: 1s }\nrule_files: [${rules}]\nscrape_configs:\n  - job_name: prometheus\n    static_configs: [{ targets: ["127.0.0.1:${port}"] }]\n`,
      );
      return [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--enable-feature=extra-scrape-metrics'];
    },
    readyPath: '/-/ready',
    readyTimeoutMs: 30_000,
  });
  services.push(service);
  let names: string[] = [];
  for (let i = 0; i < 60; i++) {
    const answer = (await (await fetch(`${service.url}/api/v1/label/__name__/values`)).json()) as { data: string[] };
    names = answer.data;
    if (['up', 'scrape_series_added', 'ALERTS', 'ALERTS_FOR_STATE'].every((n) => names.includes(n))) break;
    await sleep(500);
  }
  const live = await scrape(service.url);
  const synthetic = names.filter((n) => n in SYNTHETIC_HELP);
  const missing = Object.keys(SYNTHETIC_HELP).filter((n) => !synthetic.includes(n));
  if (missing.length) throw new Error(`Prometheus never wrote ${missing.join(', ')}`);
  const metrics: CatalogueMetric[] = [...live.map(catalogueMetricOf), ...synthetic.map((name) => ({ name, type: 'gauge' as const, help: SYNTHETIC_HELP[name]! }))];
  const from = `prometheus ${debianVersion('prometheus')} (Debian): its /metrics, and the series it writes itself (up, scrape_* with extra-scrape-metrics, ALERTS, ALERTS_FOR_STATE) read from its TSDB`;
  await write({ catalogue: 'prometheus', source: 'prometheus', recordedFrom: from, prefixes: ['prometheus_', 'scrape_'], metrics });
  return live;
}

async function recordAlertmanager(): Promise<ExposedMetric[]> {
  const dir = await tempDir('vigil-record-alertmanager-');
  const configFile = path.join(dir, 'alertmanager.yml');
  await writeFile(configFile, 'route: { receiver: none }\nreceivers: [{ name: none }]\n');
  const service = await startAlertmanager({ configFile, storageDir: path.join(dir, 'data'), binary: 'prometheus-alertmanager' });
  services.push(service);
  const live = await scrape(service.url);
  const from = `prometheus-alertmanager ${debianVersion('prometheus-alertmanager')} (Debian), one instance without cluster (alertmanager_cluster_* absent)`;
  await write({ catalogue: 'alertmanager', source: 'alertmanager', recordedFrom: from, prefixes: ['alertmanager_'], metrics: live.map(catalogueMetricOf) });
  return live;
}

async function recordPushgateway(): Promise<ExposedMetric[]> {
  const service = await startService({
    name: 'pushgateway',
    command: 'prometheus-pushgateway',
    args: (port) => [`--web.listen-address=127.0.0.1:${port}`],
    readyPath: '/-/ready',
  });
  services.push(service);
  const pushed = await fetch(`${service.url}/metrics/job/vigil_catalogue_probe`, { method: 'PUT', body: 'vigil_catalogue_probe 1\n' });
  if (!pushed.ok) throw new Error(`push to the Pushgateway answered ${pushed.status}`);
  // Only the gateway's own metrics: the probe, and anything another process pushed meanwhile, are not its catalogue.
  const live = (await scrape(service.url)).filter(underAny(['pushgateway_', 'push_', ...RUNTIME_PREFIXES]));
  // push_time_seconds and push_failure_time_seconds carry each group's grouping labels, whatever they are.
  const metrics = live.map((m) => (m.name.startsWith('push_') ? { name: m.name, type: m.type, help: m.help } : catalogueMetricOf(m)));
  const from = `prometheus-pushgateway ${debianVersion('prometheus-pushgateway')} (Debian), after one pushed group`;
  await write({ catalogue: 'pushgateway', source: 'pushgateway', recordedFrom: from, prefixes: ['pushgateway_', 'push_'], metrics });
  return live;
}

/** Go's client_golang defaults, as the Debian builds above serve them (one Go toolchain). */
async function recordClientGolang(scrapes: ExposedMetric[][]): Promise<void> {
  const byName = new Map<string, ExposedMetric>();
  for (const m of scrapes.flat().filter(underAny(RUNTIME_PREFIXES))) {
    const known = byName.get(m.name);
    byName.set(m.name, known ? { ...known, labels: [...new Set([...known.labels, ...m.labels])].sort(), sampled: known.sampled || m.sampled } : m);
  }
  const goVersion = /go version:\s*(\S+)/.exec(execFileSync('prometheus', ['--version'], { encoding: 'utf8' }))?.[1] ?? 'an unknown Go';
  const from = `client_golang's default go_*, process_* and promhttp_* metrics as Debian's node_exporter, prometheus, alertmanager and pushgateway serve them (built with ${goVersion}); go_* vary with the Go version`;
  await write({ catalogue: 'client_golang', source: 'app', recordedFrom: from, prefixes: RUNTIME_PREFIXES, metrics: [...byName.values()].map(catalogueMetricOf) });
}

async function recordPromClient(): Promise<void> {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  // The event-loop lag fills after a tick, the GC histogram after a collection: make garbage until one happens.
  for (let until = Date.now() + 1500; Date.now() < until; await sleep(10)) Array.from({ length: 100_000 }, (_, i) => ({ i }));
  const metrics = parseExposition(await registry.metrics()).map(catalogueMetricOf);
  const version = JSON.parse(await readFile('node_modules/prom-client/package.json', 'utf8')).version as string;
  const from = `prom-client ${version} collectDefaultMetrics() on Node.js ${process.versions.node}, Linux`;
  await write({ catalogue: 'prom_client', source: 'app', recordedFrom: from, prefixes: ['process_', 'nodejs_'], metrics });
}

/** DCGM exporter's counter CSVs: `FIELD, type, help`; commented lines are fields it exports once enabled. */
async function recordDcgm(files: string[], version: string): Promise<void> {
  const metrics = new Map<string, CatalogueMetric & { enabled: boolean }>();
  const labelFields = new Set<string>();
  for (const file of files) {
    for (const raw of (await readFile(file, 'utf8')).split('\n')) {
      const m = /^(#\s*)?(DCGM_[A-Z0-9_]+)\s*,\s*([a-z]+)\s*,\s*(.*)$/.exec(raw.trim());
      if (!m) continue;
      const [, comment, name, type, help] = m;
      if (type === 'label') {
        // A label field commented out is not on the series until enabled: list it under the entry's metrics: then.
        if (!comment) labelFields.add(name!);
        continue;
      }
      if (type !== 'counter' && type !== 'gauge') continue;
      const known = metrics.get(name!);
      if (known && (known.enabled || comment)) continue;
      metrics.set(name!, { name: name!, type, help: help!.trim(), enabled: !comment });
    }
  }
  const labels = ['gpu', 'UUID', 'pci_bus_id', 'device', 'modelName', 'Hostname', 'GPU_I_PROFILE', 'GPU_I_ID', 'namespace', 'pod', 'container', ...labelFields].sort();
  const from = `dcgm-exporter ${version}: the fields of its published counter lists (${files.map((f) => path.basename(f)).join(', ')}), enabled or commented out; labels from its exposition template (MIG and Kubernetes ones included) and its enabled label fields`;
  await write({
    catalogue: 'dcgm_exporter',
    source: 'dcgm_exporter',
    recordedFrom: from,
    prefixes: ['DCGM_FI_'],
    metrics: [...metrics.values()].map(({ enabled: _, ...m }) => ({ ...m, labels })),
  });
}

try {
  const scrapes = [await recordNodeExporter(), await recordPrometheus(), await recordAlertmanager(), await recordPushgateway()];
  await recordClientGolang(scrapes);
  await recordPromClient();
  if (values['dcgm-csv']?.length) await recordDcgm(values['dcgm-csv'], values['dcgm-version'] ?? 'unknown version');
} finally {
  for (const s of services.reverse()) await s.stop().catch(() => undefined);
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
}
