// A whole environment of real services on 127.0.0.1 for deploy tests: Prometheus replicas, an Alertmanager cluster,
// node_exporter, InfluxDB 1.x and the Grafana test double, each on free ports in temp dirs, stopped in afterAll.
import { writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { findAlertmanager, freePort, type RunningService, type ServiceScope } from './services.ts';
import { startGrafanaDouble, type GrafanaDouble } from '../doubles/grafana.ts';

export interface PrometheusNode {
  name: string;
  service: RunningService;
  rulesDir: string;
  configFile: string;
}

export interface AlertmanagerNode {
  service: RunningService;
  configFile: string;
}

export interface Stack {
  prometheus: PrometheusNode[];
  alertmanagers: AlertmanagerNode[];
  nodeExporter?: RunningService;
  influx?: RunningService;
  grafana?: GrafanaDouble;
  /** An Environment definition pointing at these services (by default every replica). */
  environment(options?: EnvironmentOptions): string;
}

export interface EnvironmentOptions {
  name?: string;
  /** Which Prometheus replicas, by name (prom-a, prom-b, …). */
  replicas?: string[];
  grafanaUrl?: string;
  /** Appended YAML, e.g. an `overrides:` block. */
  extra?: string;
  /** Per replica name: the paths the deploy writes through (a mount) and the rules directory the server reads. */
  mounts?: Record<string, { rulesDir: string; configFile: string }>;
}

export interface StackOptions {
  prometheus?: number;
  alertmanagers?: number;
  influx?: boolean;
  grafana?: boolean;
  nodeExporter?: boolean;
  /** Per Prometheus replica: start it with --web.enable-lifecycle (default true). */
  lifecycle?: boolean[];
}

export const GRAFANA_TOKEN_VAR = 'VIGIL_TEST_GRAFANA_TOKEN';

const INITIAL_AM_CONFIG = 'route:\n  receiver: initial\nreceivers:\n  - name: initial\n';

export async function startStack(scope: ServiceScope, options: StackOptions = {}): Promise<Stack> {
  const root = await scope.tempDir('vigil-stack-');
  const nodeExporter = options.nodeExporter === false ? undefined : await startNodeExporter(scope);
  const influx = options.influx ? await startInflux(scope, path.join(root, 'influxdb')) : undefined;
  const alertmanagers = await startAlertmanagerCluster(scope, path.join(root, 'alertmanager'), options.alertmanagers ?? 1);
  const prometheus: PrometheusNode[] = [];
  for (let i = 0; i < (options.prometheus ?? 1); i++) {
    const name = `prom-${String.fromCharCode(97 + i)}`;
    prometheus.push(await startPrometheus(scope, path.join(root, name), name, options.lifecycle?.[i] ?? true));
  }
  let grafana: GrafanaDouble | undefined;
  if (options.grafana) {
    grafana = await startGrafanaDouble({ token: 'glsa_vigil_test' });
    scope.onCleanup(() => grafana!.close());
  }
  return {
    prometheus,
    alertmanagers,
    nodeExporter,
    influx,
    grafana,
    environment({ name = 'test', replicas, grafanaUrl, extra = '', mounts = {} } = {}) {
      const chosen = prometheus.filter((p) => !replicas || replicas.includes(p.name));
      const lines = ['apiVersion: vigil/v1', 'kind: Environment', `name: ${name}`, 'prometheus:'];
      for (const p of chosen) {
        const m = mounts[p.name];
        lines.push(
          m
            ? `  - { name: ${p.name}, url: "${p.service.url}", rulesDir: "${m.rulesDir}", serverRulesDir: "${p.rulesDir}", configFile: "${m.configFile}" }`
            : `  - { name: ${p.name}, url: "${p.service.url}", rulesDir: "${p.rulesDir}", configFile: "${p.configFile}" }`,
        );
      }
      lines.push('alertmanager:', '  peers:');
      for (const a of alertmanagers) lines.push(`    - { url: "${a.service.url}", configFile: "${a.configFile}" }`);
      if (grafana) lines.push(`grafana: { url: "${grafanaUrl ?? grafana.url}", token: { env: ${GRAFANA_TOKEN_VAR} } }`);
      if (influx) lines.push(`influxdb: { url: "${influx.url}", database: prometheus, retention: 30d }`);
      lines.push('externalLabels: { env: test }', 'scrape:');
      if (nodeExporter) lines.push(`  node_exporter: { targets: ["127.0.0.1:${nodeExporter.port}"] }`);
      lines.push(`  prometheus: { targets: [${chosen.map((p) => `"127.0.0.1:${p.service.port}"`).join(', ')}] }`);
      return lines.join('\n') + '\n' + extra;
    },
  };
}

async function startNodeExporter(scope: ServiceScope): Promise<RunningService> {
  return scope.start({
    name: 'node_exporter',
    command: 'prometheus-node-exporter',
    args: (port) => [`--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults', '--collector.loadavg', '--collector.cpu', '--collector.meminfo'],
    readyPath: '/metrics',
  });
}

async function startPrometheus(scope: ServiceScope, dir: string, name: string, lifecycle: boolean): Promise<PrometheusNode> {
  const rulesDir = path.join(dir, 'rules');
  const configFile = path.join(dir, 'prometheus.yml');
  await mkdir(rulesDir, { recursive: true });
  await writeFile(configFile, `global:\n  evaluation_interval: 1s\nrule_files:\n  - ${rulesDir}/*.yml\n`);
  const service = await scope.start({
    name: `prometheus ${name}`,
    command: 'prometheus',
    args: (port) => [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=http://127.0.0.1:${port}/`,
      ...(lifecycle ? ['--web.enable-lifecycle'] : []),
    ],
    readyPath: '/-/ready',
    readyTimeoutMs: 30_000,
  });
  return { name, service, rulesDir, configFile };
}

/** Peers gossip on their own loopback ports, each told about the others: a real cluster, not three singles. */
async function startAlertmanagerCluster(scope: ServiceScope, dir: string, count: number): Promise<AlertmanagerNode[]> {
  const binary = findAlertmanager()?.binary ?? 'prometheus-alertmanager';
  const clusterPorts: number[] = [];
  for (let i = 0; i < count; i++) clusterPorts.push(await freePort());
  return Promise.all(
    clusterPorts.map(async (clusterPort, i) => {
      const peerDir = path.join(dir, `am-${i}`);
      await mkdir(path.join(peerDir, 'data'), { recursive: true });
      const configFile = path.join(peerDir, 'alertmanager.yml');
      await writeFile(configFile, INITIAL_AM_CONFIG);
      const cluster = count > 1
        ? [`--cluster.listen-address=127.0.0.1:${clusterPort}`, `--cluster.advertise-address=127.0.0.1:${clusterPort}`, ...clusterPorts.filter((_, j) => j !== i).map((p) => `--cluster.peer=127.0.0.1:${p}`), '--cluster.settle-timeout=2s', '--cluster.gossip-interval=100ms', '--cluster.pushpull-interval=2s']
        : ['--cluster.listen-address='];
      const service = await scope.start({
        name: `alertmanager am-${i}`,
        command: binary,
        args: (port) => [`--config.file=${configFile}`, `--storage.path=${path.join(peerDir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, `--web.external-url=http://127.0.0.1:${port}/`, ...cluster],
        readyPath: '/-/ready',
        readyTimeoutMs: 30_000,
      });
      return { service, configFile };
    }),
  );
}

async function startInflux(scope: ServiceScope, dir: string): Promise<RunningService> {
  await mkdir(dir, { recursive: true });
  const rpcPort = await freePort();
  const configFile = path.join(dir, 'influxdb.conf');
  return scope.start({
    name: 'influxdb',
    command: 'influxd',
    args: (port) => {
      // influxd reads everything from its config file; write it for the port this attempt got.
      const config = [
        'reporting-disabled = true',
        `bind-address = "127.0.0.1:${rpcPort}"`,
        '[meta]',
        `  dir = "${dir}/meta"`,
        '[data]',
        `  dir = "${dir}/data"`,
        `  wal-dir = "${dir}/wal"`,
        '  query-log-enabled = false',
        '[http]',
        `  bind-address = "127.0.0.1:${port}"`,
        '  log-enabled = false',
        '[monitor]',
        '  store-enabled = false',
      ].join('\n');
      writeFileSync(configFile, config);
      return ['-config', configFile];
    },
    readyPath: '/ping',
    readyStatuses: [204],
    readyTimeoutMs: 30_000,
  });
}
