import type { EnvironmentModel, Model, PrometheusTarget, SecretRef } from '../model/types.ts';
import { GENERATED_HEADER, goYaml, sortedRecord, type Artifact } from './artifact.ts';
import { SecretPlaceholder, secretSlotsOf } from './secret-slots.ts';

/** The label that tells the replicas of an HA pair apart; dropped from alerts so that Alertmanager deduplicates them. */
const REPLICA_LABEL = 'replica';

export { prometheusConfigPath } from '../build/paths.ts';
import { prometheusConfigPath } from '../build/paths.ts';


/**
 * One prometheus.yml per replica of the environment: collection (scrape configs per catalogue source), evaluation
 * (rule_files in the directory deploy writes), alerting (every Alertmanager peer) and history (remote_write to
 * InfluxDB). Replicas differ only in their `replica` external label.
 */
export function emitPrometheusConfig(model: Model): Artifact[] {
  const env = model.environment;
  if (!env) return [];
  const sources = [env.origin.def.file, ...(model.project?.origin ? [model.project.origin.def.file] : [])];
  return env.prometheus.map((replica) => {
    const path = prometheusConfigPath(replica);
    const config = prometheusConfig(model, env, replica);
    return { path, content: goYaml(config, header(env, replica)), sources, secrets: secretSlotsOf(path, config) };
  });
}

function header(env: EnvironmentModel, replica: PrometheusTarget): string[] {
  const flags = [
    // Behind a mount, configFile is the deploying machine's path, not the server's.
    `--config.file=${replica.configFile && replica.serverRulesDir === replica.rulesDir ? replica.configFile : '<this file, where the server reads it>'}`,
    '--web.enable-lifecycle',
    `--web.external-url=${replica.url}`,
    ...(env.retention ? [`--storage.tsdb.retention.time=${env.retention}`] : []),
  ];
  return [GENERATED_HEADER, `Environment ${env.name}, replica ${replica.name}.`, `Run Prometheus with: ${flags.join(' ')}`];
}

function prometheusConfig(model: Model, env: EnvironmentModel, replica: PrometheusTarget): Record<string, unknown> {
  const project = model.project;
  const ha = env.prometheus.length > 1;
  const externalLabels: Record<string, string> = { ...(project?.externalLabels ?? {}) };
  if (ha) externalLabels[REPLICA_LABEL] = replica.name;
  const global: Record<string, unknown> = {
    scrape_interval: project?.scrapeInterval ?? '1m',
    evaluation_interval: project?.evaluationInterval ?? '1m',
  };
  if (Object.keys(externalLabels).length) global.external_labels = sortedRecord(externalLabels);
  const config: Record<string, unknown> = { global };
  config.rule_files = [`${replica.serverRulesDir.replace(/\/+$/, '')}/*.yml`];
  if (env.alertmanager.length) config.alerting = alerting(env, ha);
  config.scrape_configs = withPushgateway(env, env.scrape.map(scrapeConfig));
  if (env.influxdb) config.remote_write = [remoteWrite(env.influxdb)];
  return config;
}

function alerting(env: EnvironmentModel, ha: boolean): Record<string, unknown> {
  // Peers share one scheme and path in practice; group them by both so a mixed list still works.
  const groups = new Map<string, { scheme: string; prefix: string; targets: string[] }>();
  for (const peer of env.alertmanager) {
    const u = new URL(peer.url);
    const scheme = u.protocol.replace(':', '');
    const prefix = u.pathname.replace(/\/+$/, '');
    const key = `${scheme} ${prefix}`;
    const g = groups.get(key) ?? { scheme, prefix, targets: [] };
    g.targets.push(u.port ? u.host : `${u.hostname}:${scheme === 'https' ? 443 : 80}`);
    groups.set(key, g);
  }
  const alertmanagers = [...groups.values()].map((g) => {
    const am: Record<string, unknown> = { scheme: g.scheme };
    if (g.prefix) am.path_prefix = g.prefix;
    am.api_version = 'v2';
    am.static_configs = [{ targets: g.targets }];
    return am;
  });
  const out: Record<string, unknown> = {};
  if (ha) out.alert_relabel_configs = [{ action: 'labeldrop', regex: REPLICA_LABEL }];
  out.alertmanagers = alertmanagers;
  return out;
}

function scrapeConfig(s: EnvironmentModel['scrape'][number]): Record<string, unknown> {
  const job: Record<string, unknown> = { job_name: s.source };
  if (s.interval) job.scrape_interval = s.interval;
  if (s.timeout) job.scrape_timeout = s.timeout;
  if (s.metricsPath) job.metrics_path = s.metricsPath;
  if (s.scheme) job.scheme = s.scheme;
  if (s.targets?.length) {
    const staticConfig: Record<string, unknown> = { targets: s.targets };
    if (s.labels && Object.keys(s.labels).length) staticConfig.labels = sortedRecord(s.labels);
    job.static_configs = [staticConfig];
  }
  if (s.fileSd?.length) job.file_sd_configs = [{ files: s.fileSd }];
  // A file is read by Prometheus itself; an environment variable becomes a placeholder deploy fills in on the target.
  const token = s.bearerToken as SecretRef | undefined;
  if (token?.file) job.authorization = { type: 'Bearer', credentials_file: token.file };
  else if (token?.env) job.authorization = { type: 'Bearer', credentials: new SecretPlaceholder(token, 'scrape_configs.authorization.credentials') };
  return job;
}

/**
 * Jobs push their series with their own job and instance labels; honor_labels keeps them, instead of relabelling every
 * pushed series job="pushgateway" and the gateway's address. A scrape entry the environment already has for a source
 * named pushgateway is that job: it gains honor_labels rather than a second job of the same name.
 */
function withPushgateway(env: EnvironmentModel, jobs: Record<string, unknown>[]): Record<string, unknown>[] {
  const gateway = env.pushgateway;
  if (!gateway) return jobs;
  const own = jobs.find((j) => j.job_name === PUSHGATEWAY_JOB);
  if (own) {
    own.honor_labels = true;
    return jobs;
  }
  const u = new URL(gateway.url);
  const scheme = u.protocol.replace(':', '');
  const job: Record<string, unknown> = { job_name: PUSHGATEWAY_JOB, honor_labels: true };
  if (gateway.interval) job.scrape_interval = gateway.interval;
  const prefix = u.pathname.replace(/\/+$/, '');
  if (prefix) job.metrics_path = `${prefix}/metrics`;
  if (scheme !== 'http') job.scheme = scheme;
  job.static_configs = [{ targets: [u.port ? u.host : `${u.hostname}:${scheme === 'https' ? 443 : 80}`] }];
  return [...jobs, job];
}

const PUSHGATEWAY_JOB = 'pushgateway';

function remoteWrite(influx: NonNullable<EnvironmentModel['influxdb']>): Record<string, unknown> {
  const write: Record<string, unknown> = { url: `${influx.url}/api/v1/prom/write?db=${encodeURIComponent(influx.database)}` };
  if (influx.username) {
    const auth: Record<string, unknown> = { username: influx.username };
    if (influx.password?.file) auth.password_file = influx.password.file;
    // Prometheus has password_file; an environment variable becomes a placeholder that deploy fills in on the target.
    else if (influx.password?.env) auth.password = new SecretPlaceholder(influx.password, 'remote_write.basic_auth.password');
    write.basic_auth = auth;
  }
  return write;
}
