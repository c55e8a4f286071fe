import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Generators of the hostile inputs of issue #8 §7 (sizes and shapes that used to take tens of seconds).
 * Each writes a complete definitions folder whose size grows linearly with `n`, so a benchmark or a test can
 * run it at 1×, 2×, 4× and compare the cost.
 */
export interface HostileInput {
  name: string;
  /** The size the issue measured. */
  reportedSize: number;
  /** Whether the definitions contain errors (then `validate` must exit 1 with located diagnostics). */
  hasErrors: boolean;
  write(dir: string, n: number): Promise<void>;
}

const PROJECT = 'apiVersion: vigil/v1\nkind: Project\nname: hostile\nevaluationInterval: 30s\nsmtp: { smarthost: "smtp.example.com:587", from: a@example.com }\n';
const SEVERITIES = 'apiVersion: vigil/v1\nkind: Severities\nlevels:\n  - { name: critical, groupWait: 10s }\n  - { name: warning, groupWait: 30s }\n';
const RECEIVERS = 'apiVersion: vigil/v1\nkind: Receivers\nreceivers:\n  - { name: team, email: { to: [team@example.com] } }\n';
const ROUTES = 'apiVersion: vigil/v1\nkind: Routes\nreceiver: team\ngroupBy: [alertname]\nroutes:\n  - { matchers: [\'severity=~"critical|warning"\'], receiver: team }\n';
const METRICS = 'apiVersion: vigil/v1\nkind: Metrics\nsource: app\nmetrics:\n  - { name: app_requests_total, type: counter, help: "Requests.", labels: [service, code] }\n';

/** Writes each file (its path relative to `dir`) with its folders. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
}

async function base(dir: string, files: Record<string, string>): Promise<void> {
  await writeFiles(dir, { 'project.yaml': PROJECT, 'severities.yaml': SEVERITIES, 'receivers.yaml': RECEIVERS, 'routes.yaml': ROUTES, 'metrics.yaml': METRICS, ...files });
}

function environment(name: string, alerts: string[]): string {
  const lines = [
    'apiVersion: vigil/v1',
    'kind: Environment',
    `name: ${name}`,
    'prometheus:',
    `  - { name: prom-0, url: "http://prometheus.${name}:9090", rulesDir: /etc/prometheus/rules/vigil, configFile: /etc/prometheus/prometheus.yml }`,
    'alertmanager:',
    '  configFile: /etc/alertmanager/alertmanager.yml',
    `  peers: ["http://alertmanager.${name}:9093"]`,
    'scrape:',
    '  app: { targets: ["app:8080"] }',
  ];
  if (alerts.length) {
    lines.push('overrides:', '  alerts:');
    for (const a of alerts) lines.push(`    ${a}: { labels: { env: ${name} } }`);
  }
  return lines.join('\n') + '\n';
}

function alertRules(group: string, alerts: { name: string; expr: string; summary?: string }[]): string {
  const lines = ['apiVersion: vigil/v1', 'kind: AlertRules', `group: ${group}`, 'alerts:'];
  for (const a of alerts) {
    lines.push(
      `  - name: ${a.name}`,
      `    expr: ${JSON.stringify(a.expr)}`,
      '    thresholds:',
      '      warning: { op: ">", value: 1, for: 5m }',
      `    summary: ${JSON.stringify(a.summary ?? 'Requests are failing')}`,
      `    runbook: https://runbooks.example.com/${a.name}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** A catalogue of `n` metrics, used by alerts, and 3 Environments that override some of them. */
export const bigCatalogue: HostileInput = {
  name: 'catalogue with 3 environments',
  reportedSize: 32_000,
  hasErrors: false,
  async write(dir, n) {
    // Files of 8,000 metrics: the size of a large exporter's catalogue, and under the loader's per-list limit.
    const files: Record<string, string> = {};
    for (let from = 0; from < n; from += 8_000) {
      const metrics = ['apiVersion: vigil/v1', 'kind: Metrics', 'source: app', 'metrics:'];
      for (let i = from; i < Math.min(n, from + 8_000); i++) metrics.push(`  - { name: app_metric_${i}_total, type: counter, help: "Metric ${i}.", labels: [service, code] }`);
      files[`metrics/app-${String(from / 8_000).padStart(3, '0')}.yaml`] = metrics.join('\n') + '\n';
    }
    const alerts = Array.from({ length: Math.max(1, Math.floor(n / 100)) }, (_, i) => ({ name: `HostileAlert${i}`, expr: `sum(rate(app_metric_${i * 100}_total[5m])) > 1` }));
    const overridden = alerts.slice(0, 10).map((a) => a.name);
    await base(dir, {
      ...files,
      'alerts/hostile.yaml': alertRules('hostile', alerts),
      'environments/dev.yaml': environment('dev', overridden),
      'environments/staging.yaml': environment('staging', overridden),
      'environments/prod.yaml': environment('prod', overridden),
    });
  },
};

/** `n` alerts, each with a PromQL syntax error, all in one file. */
export const manyPromqlErrors: HostileInput = {
  name: 'PromQL errors',
  reportedSize: 10_000,
  hasErrors: true,
  async write(dir, n) {
    const alerts = Array.from({ length: n }, (_, i) => ({ name: `BrokenAlert${i}`, expr: `sum(rate(app_requests_total[5m]) > ${i}` }));
    await base(dir, { 'alerts/broken.yaml': alertRules('broken', alerts) });
  },
};

/** One expression nested `n` parentheses deep. */
export const deepParentheses: HostileInput = {
  name: 'nested parentheses',
  reportedSize: 100_000,
  hasErrors: true,
  async write(dir, n) {
    const expr = '('.repeat(n) + 'app_requests_total' + ')'.repeat(n) + ' > 1';
    await base(dir, { 'alerts/deep.yaml': alertRules('deep', [{ name: 'DeepAlert', expr }]) });
  },
};

/** A summary template with `n` unclosed `{{ if }}`. */
export const unclosedIfs: HostileInput = {
  name: 'unclosed {{ if }}',
  reportedSize: 5_000,
  hasErrors: true,
  async write(dir, n) {
    const summary = '{{ if $value }}x'.repeat(n);
    await base(dir, { 'alerts/ifs.yaml': alertRules('ifs', [{ name: 'IfAlert', expr: 'sum(rate(app_requests_total[5m])) > 1', summary }]) });
  },
};

/**
 * A catalogue of `n` external metric names and `n / 20` alerts on names it does not have: each unknown name is looked
 * up in the catalogue and compared with every name in it for a "did you mean" hint.
 */
export const unknownMetrics: HostileInput = {
  name: 'unknown metrics, large catalogue',
  reportedSize: 32_000,
  hasErrors: true,
  async write(dir, n) {
    const files: Record<string, string> = {};
    for (let from = 0; from < n; from += 8_000) {
      const names = Array.from({ length: Math.min(n, from + 8_000) - from }, (_, i) => `      - app_metric_${from + i}_total`);
      files[`metrics/external-${String(from / 8_000).padStart(3, '0')}.yaml`] = ['apiVersion: vigil/v1', 'kind: Metrics', 'external:', '  - source: app', '    names:', ...names].join('\n') + '\n';
    }
    const alerts = Array.from({ length: Math.max(1, Math.floor(n / 20)) }, (_, i) => ({ name: `TypoAlert${i}`, expr: `sum(rate(app_metrik_${i}_total[5m])) > 1` }));
    await base(dir, { ...files, 'alerts/typos.yaml': alertRules('typos', alerts) });
  },
};

/** `n` receivers and `n / 2` routes to receivers that do not exist (`teem-i` for `team-i`). */
export const unknownReceivers: HostileInput = {
  name: 'unknown receivers',
  reportedSize: 10_000,
  hasErrors: true,
  async write(dir, n) {
    const receivers = ['apiVersion: vigil/v1', 'kind: Receivers', 'receivers:'];
    for (let i = 0; i < n; i++) receivers.push(`  - { name: team-${i}, email: { to: [t${i}@example.com] } }`);
    const routes = ['apiVersion: vigil/v1', 'kind: Routes', 'receiver: team-0', 'routes:'];
    for (let i = 0; i < n / 2; i++) routes.push(`  - { matchers: ['team="t${i}"'], receiver: teem-${i} }`);
    await base(dir, { 'receivers.yaml': receivers.join('\n') + '\n', 'routes.yaml': routes.join('\n') + '\n' });
  },
};

export const HOSTILE_INPUTS: readonly HostileInput[] = [bigCatalogue, manyPromqlErrors, deepParentheses, unclosedIfs, unknownMetrics, unknownReceivers];
