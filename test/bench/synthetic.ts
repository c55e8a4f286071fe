import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes a synthetic project: `alerts` two-level alerts spread over groups of 50, `dashboards` dashboards of 6 panels,
 * a catalogue of 100 metrics, receivers and routes. Used by the build benchmark.
 */
export async function writeSyntheticProject(dir: string, alerts: number, dashboards: number): Promise<void> {
  await mkdir(path.join(dir, 'alerts'), { recursive: true });
  await mkdir(path.join(dir, 'dashboards'), { recursive: true });
  const metricCount = 100;
  const metricName = (i: number) => `app_metric_${i}_total`;
  await writeFile(
    path.join(dir, 'project.yaml'),
    'apiVersion: vigil/v1\nkind: Project\nname: bench\nevaluationInterval: 30s\nrelay: { url: http://relay:9095, token: { env: VIGIL_RELAY_TOKEN }, sms: { provider: aliyun, accessKeyId: { env: ALIYUN_SMS_ACCESS_KEY_ID }, accessKeySecret: { env: ALIYUN_SMS_ACCESS_KEY_SECRET }, signName: Bench, templateCode: SMS_1 } }\nsmtp: { smarthost: "smtp.example.com:587", from: a@example.com }\npolicies: { requiredAlertLabels: [team] }\n',
  );
  await writeFile(path.join(dir, 'severities.yaml'), 'apiVersion: vigil/v1\nkind: Severities\nlevels:\n  - { name: critical, groupWait: 10s }\n  - { name: warning, groupWait: 30s }\n');
  const metrics = ['apiVersion: vigil/v1', 'kind: Metrics', 'source: app', 'metrics:'];
  for (let i = 0; i < metricCount; i++) metrics.push(`  - { name: ${metricName(i)}, type: counter, help: "Metric ${i}.", labels: [service, code, shard, zone] }`);
  await writeFile(path.join(dir, 'metrics.yaml'), metrics.join('\n') + '\n');
  await writeFile(
    path.join(dir, 'receivers.yaml'),
    'apiVersion: vigil/v1\nkind: Receivers\nreceivers:\n  - { name: team, email: { to: [team@example.com] } }\n  - { name: oncall, sms: { to: ["+8613800000000"] } }\n',
  );
  await writeFile(
    path.join(dir, 'routes.yaml'),
    'apiVersion: vigil/v1\nkind: Routes\nreceiver: team\ngroupBy: [alertname, service]\nroutes:\n  - { matchers: [\'severity="critical"\'], receivers: [oncall, team] }\n  - { matchers: [\'severity="warning"\'], receiver: team }\n',
  );
  const perGroup = 50;
  for (let g = 0; g * perGroup < alerts; g++) {
    const lines = ['apiVersion: vigil/v1', 'kind: AlertRules', `group: bench-${g}`, 'labels: { team: bench }', 'alerts:'];
    for (let a = g * perGroup; a < Math.min(alerts, (g + 1) * perGroup); a++) {
      const m = metricName(a % metricCount);
      lines.push(
        `  - name: BenchAlert${a}`,
        `    expr: sum by (service) (rate(${m}{code=~"5..", shard="${a % 7}"}[5m])) / sum by (service) (rate(${m}{shard="${a % 7}", zone!="z${a}"}[5m]))`,
        '    thresholds:',
        `      warning: { op: ">", value: 0.${(a % 5) + 1}, for: 5m }`,
        `      critical: { op: ">", value: 0.${(a % 3) + 7}, for: 2m }`,
        `    summary: "Error ratio of {{ $labels.service }} is {{ $value | humanizePercentage }}"`,
        `    runbook: https://runbooks.example.com/bench-${a}`,
      );
    }
    await writeFile(path.join(dir, 'alerts', `bench-${String(g).padStart(4, '0')}.yaml`), lines.join('\n') + '\n');
  }
  for (let d = 0; d < dashboards; d++) {
    const lines = ['apiVersion: vigil/v1', 'kind: Dashboard', `uid: bench-${d}`, `title: Bench ${d}`, 'rows:', '  - title: Traffic', '    panels:'];
    for (let p = 0; p < 6; p++) {
      const m = metricName((d * 6 + p) % metricCount);
      lines.push(`      - { title: "Panel ${p}", type: ${p % 2 ? 'stat' : 'timeseries'}, unit: reqps, queries: [{ expr: 'sum by (service) (rate(${m}[$__rate_interval]))', legend: "{{service}}" }] }`);
    }
    await writeFile(path.join(dir, 'dashboards', `bench-${String(d).padStart(4, '0')}.yaml`), lines.join('\n') + '\n');
  }
}
