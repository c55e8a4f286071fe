// Issue #14 "Tests and docs": an SLO's burn-rate alert in a real Prometheus over three backfilled days. `fast` burns
// 20× its budget for the last 2 h (the page pairs hold, the ticket pairs do not: 1d ≈ 0.17 %, 3d ≈ 0.06 %); `slow`
// burns 2× for the last 2.5 days (only the 3d/6h ticket pair at 1× holds: 1d = 0.2 % is under 3×, 6h under 6×);
// `clean` serves no errors. The rules are the ones `vigil build` writes; Prometheus evaluates them from start-up.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startBackfilledPrometheus } from '../helpers/backfilled-prometheus.ts';
import { runVigilAsync } from '../helpers/cli.ts';
import { serviceScope, type RunningService } from '../helpers/services.ts';

const scope = serviceScope();
let prometheus: RunningService;

const STEP_S = 60;
const REQUESTS_PER_STEP = 1000;
const HOUR = 3600;
/** Error share of each service's requests at `ago` seconds before the last sample. */
const ERROR_RATIO: Record<string, (ago: number) => number> = {
  fast: (ago) => (ago < 2 * HOUR ? 0.02 : 0),
  slow: (ago) => (ago < 60 * HOUR ? 0.002 : 0),
  clean: () => 0,
};
const SERVICES = Object.keys(ERROR_RATIO);

const PROJECT: Record<string, string> = {
  'project.yaml': `apiVersion: vigil/v1
kind: Project
name: slo-burn
evaluationInterval: 15s
scrapeInterval: 15s
grafana: { url: "https://grafana.example.com", datasourceUid: prometheus }
smtp: { smarthost: "smtp.example.com:587", from: alerts@example.com }
`,
  'severities.yaml': `apiVersion: vigil/v1
kind: Severities
levels: [{ name: critical }, { name: warning }]
`,
  'receivers.yaml': `apiVersion: vigil/v1
kind: Receivers
receivers: [{ name: team, email: { to: [team@example.com] } }]
`,
  'routes.yaml': `apiVersion: vigil/v1
kind: Routes
receiver: team
routes: [{ matchers: ['team="app"'], receiver: team }]
`,
  'metrics.yaml': `apiVersion: vigil/v1
kind: Metrics
source: app
metrics:
  - { name: requests_total, type: counter, help: Requests served by response code., labels: [service, code] }
`,
  'slos.yaml': `apiVersion: vigil/v1
kind: SLOs
group: app-slos
labels: { team: app }
slos:
${SERVICES.map((s) => `  - name: ${s}-availability
    service: ${s}
    objective: 99.9
    window: 30d
    sli:
      events:
        errorQuery: sum(rate(requests_total{service="${s}",code=~"5.."}[{{ .window }}]))
        totalQuery: sum(rate(requests_total{service="${s}"}[{{ .window }}]))
    alert: { runbook: https://runbooks.example.com/slo }
`).join('')}`,
};

/** Three days and an hour of counters, one sample a minute, ending at the last whole minute. */
function openMetrics(endS: number): string {
  const samples = (3 * 24 + 1) * HOUR / STEP_S;
  const lines = ['# TYPE requests counter'];
  for (const service of SERVICES) {
    const ok: string[] = [];
    const errors: string[] = [];
    let okTotal = 0;
    let errorTotal = 0;
    for (let i = samples; i >= 0; i--) {
      const t = endS - i * STEP_S;
      const errorsNow = REQUESTS_PER_STEP * ERROR_RATIO[service]!(endS - t);
      errorTotal += errorsNow;
      okTotal += REQUESTS_PER_STEP - errorsNow;
      ok.push(`requests_total{service="${service}",code="200"} ${okTotal} ${t}`);
      errors.push(`requests_total{service="${service}",code="500"} ${errorTotal} ${t}`);
    }
    lines.push(...ok, ...errors);
  }
  lines.push('# EOF', '');
  return lines.join('\n');
}

interface RuleGroup {
  name: string;
  lastEvaluation: string;
  evaluationTime: number;
  rules: { name: string; state?: string; health: string; labels?: Record<string, string> }[];
}

async function api<T>(pathAndQuery: string): Promise<T> {
  const response = await fetch(`${prometheus.url}${pathAndQuery}`);
  return ((await response.json()) as { data: T }).data;
}

const seconds = (rfc3339: string) => Date.parse(rfc3339.replace(/(\.\d{3})\d+/, '$1'));

/**
 * The alert group's rules once it has evaluated after a complete evaluation of the recordings (before that the
 * alerts read no recorded series, whatever the data).
 */
async function alertRulesAfterRecordings(): Promise<RuleGroup['rules']> {
  let recordedBy: number | undefined;
  for (const deadline = Date.now() + 45_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
    const { groups } = await api<{ groups: RuleGroup[] }>('/api/v1/rules');
    const recordings = groups.find((g) => g.name === 'app-slos-recordings')!;
    const alerts = groups.find((g) => g.name === 'app-slos-alerts')!;
    if (recordedBy === undefined && seconds(recordings.lastEvaluation) > 0) {
      recordedBy = seconds(recordings.lastEvaluation) + recordings.evaluationTime * 1000;
    }
    if (recordedBy !== undefined && seconds(alerts.lastEvaluation) > recordedBy) return alerts.rules;
  }
  throw new Error(`the rules were not evaluated in time:\n${prometheus.log()}`);
}

async function value(query: string): Promise<number | undefined> {
  const { result } = await api<{ result: { value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent(query)}`);
  expect(result.length, query).toBeLessThanOrEqual(1);
  return result[0] ? Number(result[0].value[1]) : undefined;
}

beforeAll(async () => {
  const project = await scope.tempDir('vigil-slo-burn-');
  for (const [file, text] of Object.entries(PROJECT)) await writeFile(path.join(project, file), text);
  const out = path.join(await scope.tempDir('vigil-slo-burn-out-'), 'build');
  const build = await runVigilAsync(['build', project, '--out', out], project);
  expect(build.code, build.stdout + build.stderr).toBe(0);
  const rules = path.join(out, 'prometheus/rules');
  prometheus = await startBackfilledPrometheus(scope, {
    openMetrics: openMetrics(Math.floor(Date.now() / 1000 / STEP_S) * STEP_S),
    ruleFiles: [path.join(rules, 'app-slos-recordings.yml'), path.join(rules, 'app-slos-alerts.yml')],
    evaluationInterval: '15s',
  });
}, 60_000);

describe('SLO burn-rate alerts in a real Prometheus over backfilled series', () => {
  it('pages the fast burn, tickets the slow burn, and leaves the clean service alone', async () => {
    const rules = await alertRulesAfterRecordings();
    const states = rules.map((r) => `${r.labels?.service}/${r.labels?.severity}: ${r.health} ${r.state}`).sort();
    expect(states).toEqual([
      'clean/critical: ok inactive',
      'clean/warning: ok inactive',
      'fast/critical: ok firing',
      'fast/warning: ok inactive',
      'slow/critical: ok inactive',
      'slow/warning: ok firing',
    ]);
  }, 60_000);

  it.each([
    // slo, window, expected error ratio
    ['fast', '5m', 0.02],
    ['fast', '1h', 0.02],
    ['fast', '2h', 0.02],
    ['fast', '6h', 0.02 / 3],
    ['fast', '1d', 0.02 / 12],
    ['fast', '3d', 0.02 / 36],
    ['slow', '1h', 0.002],
    ['slow', '6h', 0.002],
    ['slow', '1d', 0.002],
    ['slow', '3d', 0.002 * 60 / 72],
    ['clean', '1h', 0],
    ['clean', '3d', 0],
  ] as const)('records the %s error ratio over %s', async (service, window, expected) => {
    const recorded = await value(`slo:sli_error:ratio_rate${window}{slo="${service}-availability"}`);
    expect(recorded).toBeDefined();
    // A few minutes of the window fall after the last backfilled sample: within 3 % (or 1e-9 of nothing).
    expect(Math.abs(recorded! - expected)).toBeLessThanOrEqual(Math.max(expected * 0.03, 1e-9));
  });

  it('the budget burn series follow: 20× now for fast, 2× for slow, the clean budget whole', async () => {
    expect(await value('slo:current_burn_rate:ratio{slo="fast-availability"}')).toBeCloseTo(20, 6);
    expect(await value('slo:current_burn_rate:ratio{slo="slow-availability"}')).toBeCloseTo(2, 6);
    expect(await value('slo:period_error_budget_remaining:ratio{slo="clean-availability"}')).toBe(1);
    expect(await value('slo:error_budget:ratio{slo="fast-availability"}')).toBeCloseTo(0.001, 12);
  });
});
