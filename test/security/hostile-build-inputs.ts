import { writeFiles, type HostileInput } from './hostile-sizes-inputs.ts';

/**
 * Shapes that stress the emitters rather than the checks (issue #8 §7, #12 §3): valid definitions, so that `build`
 * writes every output, each written at a size that grows linearly with `n`. A lookup repeated per alert over every
 * other alert, route or receiver is invisible at the example's size and quadratic here (the alert catalogue searched
 * every routing row of a group for each level of a disabled alert until 68bc8e8).
 */

const HEAD = 'apiVersion: vigil/v1';
const PROJECT = `${HEAD}\nkind: Project\nname: hostile-build\nevaluationInterval: 30s\nsmtp: { smarthost: "smtp.example.com:587", from: a@example.com }\n`;
const SEVERITIES = `${HEAD}\nkind: Severities\nlevels:\n  - { name: critical, groupWait: 10s }\n  - { name: warning, groupWait: 30s }\n`;
const METRICS = `${HEAD}\nkind: Metrics\nsource: app\nmetrics:\n  - { name: app_requests_total, type: counter, help: "Requests.", labels: [service, code, team] }\n  - { name: app_queue_depth, type: gauge, help: "Queue depth.", labels: [service, team] }\n`;
const RECEIVERS = `${HEAD}\nkind: Receivers\nreceivers:\n  - { name: team, email: { to: [team@example.com] } }\n`;
const ROUTES = `${HEAD}\nkind: Routes\nreceiver: team\ngroupBy: [alertname]\nroutes:\n  - { matchers: ['severity=~"critical|warning"'], receiver: team }\n`;

async function project(dir: string, files: Record<string, string>): Promise<void> {
  await writeFiles(dir, { 'project.yaml': PROJECT, 'severities.yaml': SEVERITIES, 'metrics.yaml': METRICS, 'receivers.yaml': RECEIVERS, 'routes.yaml': ROUTES, ...files });
}

/** An alert with two levels (an inhibition between them, a routing row each). */
function twoLevelAlert(name: string, options: { enabled?: boolean; team?: string } = {}): string[] {
  return [
    `  - name: ${name}`,
    ...(options.enabled === false ? ['    enabled: false'] : []),
    ...(options.team ? [`    labels: { team: ${options.team} }`] : []),
    `    expr: sum by (service) (rate(app_requests_total{code=~"5.."}[5m])) / sum by (service) (rate(app_requests_total[5m]))`,
    '    thresholds:',
    '      warning: { op: ">", value: 0.05, for: 5m }',
    '      critical: { op: ">", value: 0.2, for: 2m }',
    '    summary: "Errors of {{ $labels.service }} at {{ $value | humanizePercentage }}"',
    `    runbook: https://runbooks.example.com/${name}`,
  ];
}

/** One group of `n` two-level alerts, every other one disabled: the rule file, inhibitions, routing and catalogue of one group. */
export const oneGroupHalfDisabled: HostileInput = {
  name: 'one group of alerts, every other disabled',
  reportedSize: 8_000,
  hasErrors: false,
  async write(dir, n) {
    const lines = [HEAD, 'kind: AlertRules', 'group: crowded', 'alerts:'];
    for (let i = 0; i < n; i++) lines.push(...twoLevelAlert(`Crowded${i}`, { enabled: i % 2 === 0 }));
    await project(dir, { 'alerts/crowded.yaml': `${lines.join('\n')}\n` });
  },
};

/** `n / 10` teams, each a receiver and a route, and `n` alerts spread over them: the routing tree, matrix and catalogue. */
export const manyTeamsRoutes: HostileInput = {
  name: 'many teams, routes and receivers',
  reportedSize: 5_000,
  hasErrors: false,
  async write(dir, n) {
    const teams = Math.max(1, Math.floor(n / 10));
    const receivers = [HEAD, 'kind: Receivers', 'receivers:', '  - { name: team, email: { to: [team@example.com] } }'];
    const routes = [HEAD, 'kind: Routes', 'receiver: team', 'groupBy: [alertname]', 'routes:'];
    for (let t = 0; t < teams; t++) {
      receivers.push(`  - { name: team-${t}, email: { to: [t${t}@example.com] } }`);
      routes.push(`  - { matchers: ['team="t${t}"'], receiver: team-${t} }`);
    }
    const alerts = [HEAD, 'kind: AlertRules', 'group: teams', 'alerts:'];
    for (let i = 0; i < n; i++) alerts.push(...twoLevelAlert(`TeamAlert${i}`, { team: `t${i % teams}` }));
    await project(dir, { 'receivers.yaml': `${receivers.join('\n')}\n`, 'routes.yaml': `${routes.join('\n')}\n`, 'alerts/teams.yaml': `${alerts.join('\n')}\n` });
  },
};

/** `n / 10` groups of 10 two-level alerts, one file each: many rule files and manifest entries. */
export const manyGroups: HostileInput = {
  name: 'many groups and rule files',
  reportedSize: 5_000,
  hasErrors: false,
  async write(dir, n) {
    const files: Record<string, string> = {};
    for (let g = 0; g * 10 < n; g++) {
      const lines = [HEAD, 'kind: AlertRules', `group: group-${g}`, 'alerts:'];
      for (let i = g * 10; i < Math.min(n, (g + 1) * 10); i++) lines.push(...twoLevelAlert(`GroupAlert${i}`));
      files[`alerts/group-${String(g).padStart(5, '0')}.yaml`] = `${lines.join('\n')}\n`;
    }
    await project(dir, files);
  },
};

/** `n / 20` dashboards of 20 panels, each drawing the thresholds of an alert: dashboard JSON with thresholds from alerts. */
export const manyDashboardPanels: HostileInput = {
  name: 'many dashboards and panels with alert thresholds',
  reportedSize: 4_000,
  hasErrors: false,
  async write(dir, n) {
    const dashboards = Math.max(1, Math.floor(n / 20));
    const alerts = [HEAD, 'kind: AlertRules', 'group: drawn', 'alerts:'];
    const files: Record<string, string> = {};
    for (let d = 0; d < dashboards; d++) {
      alerts.push(...twoLevelAlert(`DrawnAlert${d}`));
      const lines = [HEAD, 'kind: Dashboard', `uid: drawn-${d}`, `title: Drawn ${d}`, 'rows:', '  - title: Errors', '    panels:'];
      for (let p = 0; p < 20; p++) {
        lines.push(`      - { title: "Panel ${p}", type: ${p % 2 ? 'stat' : 'timeseries'}, unit: percentunit, thresholdsFrom: DrawnAlert${d}, queries: [{ expr: 'sum by (service) (rate(app_requests_total{code=~"5.."}[$__rate_interval]))', legend: "{{service}}" }] }`);
      }
      files[`dashboards/drawn-${String(d).padStart(5, '0')}.yaml`] = `${lines.join('\n')}\n`;
    }
    await project(dir, { ...files, 'alerts/drawn.yaml': `${alerts.join('\n')}\n` });
  },
};

export const HOSTILE_BUILD_INPUTS: readonly HostileInput[] = [oneGroupHalfDisabled, manyTeamsRoutes, manyGroups, manyDashboardPanels];
