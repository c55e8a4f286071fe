import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { compile } from '../compile.ts';
import { alertAnnotations, emitPrometheusRules } from '../emit/prometheus-rules.ts';
import { loadYamlSources } from '../load/index.ts';
import { Catalog } from '../model/catalog.ts';
import { carriesSeverityLabel, ruleLabels } from '../model/level-labels.ts';
import { alertsByName, type AlertLevel, type AlertModel, type Model } from '../model/types.ts';
import { analyzePromql } from '../promql/index.ts';
import { bucketQuantile, lin } from './synth-eval.ts';
import { regexExamples } from './synth-regex.ts';
import { invertArithmetic } from './synth-solve.ts';
import { boundaryValues, formatDuration, formatValue, parseSeriesValues, seriesValues } from './synth-values.ts';
import { chooseStep, synthesizeAlert } from './synthesize.ts';
import type { LevelSynthesis, TestCase } from './types.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../../test/fixtures/synth');
const BASE = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((file) => ({ file, text: readFileSync(path.join(FIXTURES, file), 'utf8') }));

/** An AlertRules document for group `app` (team: app) with the given alerts (YAML list items, indented by 2). */
function alertRules(alerts: string, groupExtra = ''): string {
  return `apiVersion: vigil/v1\nkind: AlertRules\ngroup: app\n${groupExtra}labels: { team: app }\nalerts:\n${alerts}`;
}

function modelWith(alerts: string, groupExtra = '', extra: { file: string; text: string }[] = []): Model {
  const result = compile(loadYamlSources([...BASE, ...extra, { file: 'alerts.yaml', text: alertRules(alerts, groupExtra) }]), { emitOnError: true });
  const errors = result.diagnostics.filter((d) => d.severity === 'error' && /^(schema|promql|model)/.test(d.code));
  expect(errors).toEqual([]);
  return result.model;
}

const contextOf = (model: Model) => ({ analyze: (e: { text: string; grafana: boolean }) => analyzePromql(e.text, { grafana: e.grafana }), catalog: new Catalog(model) });

function alertOf(model: Model, name: string): AlertModel {
  const alert = alertsByName(model).get(name);
  if (!alert) throw new Error(`no alert ${name}`);
  return alert;
}

function synth(model: Model, name: string): LevelSynthesis[] {
  return synthesizeAlert(model, alertOf(model, name), contextOf(model));
}

function casesOf(results: LevelSynthesis[]): TestCase[] {
  return results.flatMap((r) => {
    if ('unsupported' in r) throw new Error(`${r.alert} ${r.level} unsupported: ${r.unsupported}`);
    return r.cases;
  });
}

// ---- promtool proof ----

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const HAS_PROMTOOL = !promtool.error && promtool.status === 0;
if (!HAS_PROMTOOL) console.warn('promtool is not installed: the promtool proofs of synthesized tests are skipped');

const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

/**
 * Runs the synthesized cases with the real promtool against the alert group's emitted rule file. Every expected
 * firing is written with its full labels (alertname, severity, static and expression labels) and the rendered
 * annotations (only `threshold` here: the fixtures carry no summary or description).
 */
function prove(model: Model, alertName: string, cases: TestCase[]): { status: number | null; output: string } {
  const alert = alertOf(model, alertName);
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-synth-'));
  tmpDirs.push(dir);
  const artifact = emitPrometheusRules(model).find((a) => a.path === `prometheus/rules/${alert.group}.yml`);
  if (!artifact) throw new Error(`no rule file for group ${alert.group}`);
  mkdirSync(path.join(dir, 'rules'));
  writeFileSync(path.join(dir, 'rules', `${alert.group}.yml`), artifact.content);
  const tests = cases.map((c) => ({
    name: c.name,
    interval: c.interval,
    input_series: c.inputSeries,
    alert_rule_test: c.alertChecks.map((check) => ({
      eval_time: check.evalTime,
      alertname: check.alertname,
      exp_alerts: check.expected.map((f) => {
        const level = levelOf(alert, f);
        const annotations = alertAnnotations(model, alert, level);
        return { exp_labels: { ...ruleLabels(alert, level), ...f.labels }, ...(Object.keys(annotations).length ? { exp_annotations: annotations } : {}) };
      }),
    })),
  }));
  const file = path.join(dir, 'synth.test.yml');
  writeFileSync(file, stringify({ rule_files: [`rules/${alert.group}.yml`], evaluation_interval: model.project?.evaluationInterval ?? '1m', tests }, { lineWidth: 0 }));
  const run = spawnSync('promtool', ['test', 'rules', file], { encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}\n--- test file ---\n${readFileSync(file, 'utf8')}` };
}

/** The level an expected firing is of: by its severity label, or (none) by the static labels of its rule. */
function levelOf(alert: AlertModel, f: TestCase['alertChecks'][number]['expected'][number]): AlertLevel {
  const candidates = alert.levels.filter((l) => (carriesSeverityLabel(l) ? l.severity : '') === f.severity);
  const level = candidates.find((l) => Object.entries(ruleLabels(alert, l)).every(([k, v]) => k === 'severity' || f.labels[k] === v));
  if (!level) throw new Error(`no level of ${alert.name} fires ${JSON.stringify(f)}`);
  return level;
}

function expectProven(model: Model, alertName: string, cases: TestCase[]): void {
  expect(cases.length).toBeGreaterThan(0);
  const { status, output } = prove(model, alertName, cases);
  expect(status, output).toBe(0);
  expect(output).toContain('SUCCESS');
}

/** Synthesizes every level of the alert, checks the cases' shape and proves them with promtool. */
function synthesizeAndProve(alerts: string, name: string, groupExtra = '', extra: { file: string; text: string }[] = []): { model: Model; cases: TestCase[] } {
  const model = modelWith(alerts, groupExtra, extra);
  const results = synth(model, name);
  expect(results.map((r) => r.level).sort()).toEqual(alertOf(model, name).levels.map((l) => l.severity).sort());
  const cases = casesOf(results);
  for (const c of cases) {
    expect(c.source).toBe('generated');
    expect(c.groups).toEqual(['app']);
    expect(c.covers).toHaveLength(1);
    expect(c.covers[0]!.alert).toBe(name);
    expect(c.name.startsWith(`${name} ${c.covers[0]!.level}: `)).toBe(true);
    expect(c.alertChecks.length).toBeGreaterThan(0);
    expect(c.inputSeries.length).toBeGreaterThanOrEqual(0);
  }
  if (HAS_PROMTOOL) expectProven(model, name, cases);
  return { model, cases };
}

const GAUGE = `  - name: QueueDeep
    expr: queue_depth
    thresholds:
      warning:  { op: ">", value: 100, for: 5m }
      critical: { op: ">", value: 500, for: 2m }
    labels: { component: queue }
`;

describe('synthesizeAlert: the cases it builds', () => {
  it('brackets each threshold of a gauge: quiet just below, pending before `for`, firing after it', () => {
    const { cases } = synthesizeAndProve(GAUGE, 'QueueDeep');
    const summary = cases.map((c) => ({
      name: c.name,
      interval: c.interval,
      series: c.inputSeries.map((s) => `${s.series} ${s.values}`),
      checks: c.alertChecks.map((a) => `${a.evalTime}: ${a.expected.map((f) => `${f.severity}${JSON.stringify(f.labels)}`).join(' ') || '-'}`),
    }));
    expect(summary).toEqual([
      {
        name: 'QueueDeep warning: boundary, 99 does not satisfy > 100',
        interval: '30s',
        series: ['queue_depth{instance="synthetic-0", job="synthetic-0", service="synthetic-0"} 99x14'],
        checks: ['6m30s: -'],
      },
      {
        name: 'QueueDeep warning: boundary, 101 satisfies > 100 for 5m',
        interval: '30s',
        series: ['queue_depth{instance="synthetic-0", job="synthetic-0", service="synthetic-0"} 101x14'],
        checks: ['4m30s: -', '6m30s: warning{"instance":"synthetic-0","job":"synthetic-0","service":"synthetic-0","team":"app","component":"queue"}'],
      },
      {
        // Just below critical is still above warning, which has fired by then.
        name: 'QueueDeep critical: boundary, 495 does not satisfy > 500',
        interval: '30s',
        series: ['queue_depth{instance="synthetic-0", job="synthetic-0", service="synthetic-0"} 495x14'],
        checks: ['6m30s: warning{"instance":"synthetic-0","job":"synthetic-0","service":"synthetic-0","team":"app","component":"queue"}'],
      },
      {
        name: 'QueueDeep critical: boundary, 505 satisfies > 500 for 2m',
        interval: '30s',
        series: ['queue_depth{instance="synthetic-0", job="synthetic-0", service="synthetic-0"} 505x8'],
        checks: ['1m30s: -', '3m30s: critical{"instance":"synthetic-0","job":"synthetic-0","service":"synthetic-0","team":"app","component":"queue"}'],
      },
    ]);
    for (const c of cases) for (const check of c.alertChecks) expect(check.alertname).toBe('QueueDeep');
  });

  it('returns nothing for a disabled alert', () => {
    const model = modelWith(GAUGE.replace('    labels: { component: queue }\n', '    enabled: false\n'));
    expect(synth(model, 'QueueDeep')).toEqual([]);
  });

  it("steps by the alert group's own interval, and checks on a grid every evaluation interval shares", () => {
    const { cases } = synthesizeAndProve(GAUGE, 'QueueDeep', 'interval: 1m\n');
    expect(new Set(cases.map((c) => c.interval))).toEqual(new Set(['30s']));
    for (const c of cases) for (const check of c.alertChecks) expect(/^(\d+h)?(\d+m)?$/.test(check.evalTime), check.evalTime).toBe(true);
  });
});

describe('synthesizeAlert: expression shapes, proven with promtool', () => {
  it.each([
    ['avg', 'avg by (service) (queue_depth)'],
    ['sum', 'sum by (service) (queue_depth)'],
    ['max', 'max by (service) (queue_depth)'],
    ['min', 'min by (service) (queue_depth)'],
    ['without', 'max without (instance, job) (queue_depth)'],
    ['no grouping', 'sum(queue_depth)'],
  ])('aggregation of a gauge: %s', (_label, expr) => {
    const { cases } = synthesizeAndProve(
      `  - name: QueueAggregate
    expr: ${expr}
    thresholds:
      warning:  { op: ">", value: 100, for: 5m }
      critical: { op: ">", value: 500, for: 2m }
`,
      'QueueAggregate',
    );
    if (expr.includes('by (service)')) {
      const fired = cases.flatMap((c) => c.alertChecks.flatMap((a) => a.expected));
      expect(fired.every((f) => f.labels.service === 'synthetic-0')).toBe(true);
    }
  });

  it('rate of a counter: the counter grows by the wanted rate', () => {
    const { cases } = synthesizeAndProve(
      `  - name: TrafficHigh
    expr: sum by (service) (rate(http_requests_total{code=~"2.."}[5m]))
    thresholds:
      warning:  { op: ">", value: 10, for: 10m }
`,
      'TrafficHigh',
    );
    const series = cases[1]!.inputSeries[0]!;
    expect(series.series).toBe('http_requests_total{code="200", service="synthetic-0"}');
    expect(series.values).toMatch(/^0\+303x\d+$/); // 10.1/s × 30s
  });

  it('increase of a counter, with `> 0` (quiet at exactly 0) and `>= 3`', () => {
    const { cases } = synthesizeAndProve(
      `  - name: JobsFailing
    expr: sum by (queue) (increase(jobs_failed_total[15m]))
    thresholds:
      warning:  { op: ">", value: 0, for: 1m }
      critical: { op: ">=", value: 3, for: 1m }
`,
      'JobsFailing',
    );
    // A counter cannot decrease, so "just below 0" is impossible; 0 itself is quiet for `> 0`.
    expect(cases[0]!.name).toBe('JobsFailing warning: boundary, 0 does not satisfy > 0');
    expect(cases[0]!.inputSeries[0]!.values).toMatch(/^0x\d+$/);
  });

  it('ratio of two rates of the same counter (the denominator also counts the numerator)', () => {
    const { model, cases } = synthesizeAndProve(
      `  - name: ErrorRatioHigh
    expr: |
      sum by (service) (rate(http_requests_total{code=~"5.."}[5m]))
        / sum by (service) (rate(http_requests_total[5m]))
    thresholds:
      warning:  { op: ">", value: 0.01, for: 10m }
      critical: { op: ">", value: 0.05, for: 5m }
`,
      'ErrorRatioHigh',
    );
    expect(cases[2]!.name).toBe('ErrorRatioHigh critical: boundary, 0.0495 does not satisfy > 0.05');
    expect(cases[2]!.inputSeries.map((s) => s.series)).toEqual([
      'http_requests_total{code="500", service="synthetic-0"}',
      'http_requests_total{service="synthetic-0"}',
    ]);
    void model;
  });

  it('a ratio whose denominator contains its numerator (GPU memory used / (used + free))', () => {
    synthesizeAndProve(
      `  - name: GpuMemoryHigh
    expr: |
      avg by (instance, gpu) (DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE)) * 100
    thresholds:
      warning:  { op: ">", value: 85, for: 10m }
      critical: { op: ">", value: 95, for: 5m }
`,
      'GpuMemoryHigh',
    );
  });

  it('ratio of rates of two counters', () => {
    synthesizeAndProve(
      `  - name: ErrorShareHigh
    expr: sum by (service) (rate(http_errors_total[5m])) / sum by (service) (rate(http_requests_total[5m]))
    thresholds:
      warning:  { op: ">", value: 0.02, for: 5m }
`,
      'ErrorShareHigh',
    );
  });

  it('histogram_quantile over rate of buckets: the quantile lands on a bucket bound', () => {
    const { cases } = synthesizeAndProve(
      `  - name: LatencyHigh
    expr: histogram_quantile(0.95, sum by (service, le) (rate(request_duration_seconds_bucket[5m])))
    thresholds:
      warning:  { op: ">", value: 0.5, for: 10m }
      critical: { op: ">", value: 1, for: 5m }
`,
      'LatencyHigh',
    );
    const les = cases[1]!.inputSeries.map((s) => /le="([^"]+)"/.exec(s.series)?.[1]);
    expect(les.sort()).toEqual(['+Inf', '0.505']);
  });

  it('histogram_quantile over recorded buckets (a recording rule output as plain input)', () => {
    synthesizeAndProve(
      `  - name: LatencyP99High
    expr: histogram_quantile(0.99, service_le:request_duration_seconds_bucket:rate5m)
    thresholds:
      warning:  { op: ">", value: 2, for: 10m }
`,
      'LatencyP99High',
    );
  });

  it('absent(): quiet while the series exists, fires once it has been missing for `for`', () => {
    const { cases } = synthesizeAndProve(
      `  - name: ApiTargetMissing
    expr: absent(up{job="api"})
    severity: warning
    for: 2m
`,
      'ApiTargetMissing',
    );
    expect(cases.map((c) => c.name)).toEqual(['ApiTargetMissing warning: condition false', 'ApiTargetMissing warning: condition true for 2m']);
    expect(cases[0]!.inputSeries.map((s) => s.series)).toEqual(['up{job="api"}']);
    expect(cases[1]!.inputSeries).toEqual([]);
    expect(cases[1]!.alertChecks.at(-1)!.expected).toEqual([{ severity: 'warning', labels: { job: 'api', team: 'app' } }]);
  });

  it.each([
    ['x * 100', 'memory_free_ratio * 100', '<', 10],
    ['100 - x', '100 - memory_free_ratio * 100', '>', 90],
    ['x / 1024', 'memory_used_bytes / 1024 / 1024', '>', 512],
    ['(a / b) * 100 with regex and negative matchers', 'memory_used_bytes{pod=~"web-.+", pod!="web-canary"} / on (pod) memory_limit_bytes * 100', '<', 200],
  ])('arithmetic with scalars: %s', (_label, expr, op, value) => {
    synthesizeAndProve(
      `  - name: MemoryAlert
    expr: ${expr}
    thresholds:
      warning:  { op: "${op}", value: ${value}, for: 5m }
`,
      'MemoryAlert',
    );
  });

  it('recording-rule outputs as inputs, filtered with `and on (...)`', () => {
    const { cases } = synthesizeAndProve(
      `  - name: RecordedErrorRatio
    expr: |
      service:http_errors:ratio_rate5m
        and on (service) (service:http_requests:rate5m > 0.5)
    thresholds:
      warning:  { op: ">", value: 0.01, for: 10m }
      critical: { op: ">", value: 0.05, for: 5m }
`,
      'RecordedErrorRatio',
    );
    // Only the alert group's own rule file is loaded: the recorded series are written as inputs.
    expect(cases[0]!.inputSeries.map((s) => s.series)).toEqual([
      'service:http_errors:ratio_rate5m{service="synthetic-0"}',
      'service:http_requests:rate5m{service="synthetic-0"}',
    ]);
  });

  it('time() minus a timestamp: the timestamp advances with the clock', () => {
    const { cases } = synthesizeAndProve(
      `  - name: JobNotSucceeding
    expr: time() - last_success_timestamp_seconds
    thresholds:
      warning:  { op: ">", value: 3600, for: 2m }
`,
      'JobNotSucceeding',
    );
    expect(cases[1]!.inputSeries[0]!.values).toMatch(/^-3636\+30x\d+$/);
  });

  it('a baseline read with offset: checks wait for the offset window', () => {
    synthesizeAndProve(
      `  - name: QueueGrew
    expr: queue_depth - queue_depth offset 1h
    thresholds:
      warning:  { op: ">", value: 50, for: 5m }
`,
      'QueueGrew',
    );
  });
});

describe('synthesizeAlert: more shapes', () => {
  it('count() of matching series: as many series as the count needs', () => {
    const { cases } = synthesizeAndProve(
      `  - name: ManyDown
    expr: count(up == 0) > 2
    severity: warning
    for: 5m
`,
      'ManyDown',
    );
    // Whole numbers either side of a whole threshold: 2 series stay quiet, 3 fire.
    expect(cases.map((c) => c.name)).toEqual(['ManyDown warning: boundary, 2 does not satisfy > 2', 'ManyDown warning: boundary, 3 satisfies > 2 for 5m']);
    expect(cases[1]!.inputSeries.map((s) => s.series)).toEqual(['up{instance="synthetic-0"}', 'up{instance="synthetic-1"}', 'up{instance="synthetic-2"}']);
  });

  it('`or vector(0)`: the constant branch stays in the result', () => {
    const { cases } = synthesizeAndProve(
      `  - name: FewUp
    expr: sum by (job) (up{job="api"}) or vector(0)
    thresholds:
      warning:  { op: "<", value: 2, for: 5m }
`,
      'FewUp',
    );
    // vector(0) is a second result without labels, also below 2: it fires as well.
    expect(cases[1]!.alertChecks.at(-1)!.expected.map((f) => f.labels)).toEqual([{ job: 'api', team: 'app' }, { team: 'app' }]);
  });

  it('bands (a low and a high threshold), `for: 0` and keepFiringFor', () => {
    synthesizeAndProve(
      `  - name: QueueOutOfBand
    expr: max by (service) (queue_depth)
    thresholds:
      warning:  { op: "<", value: 10, for: 1m, keepFiringFor: 3m }
      critical: { op: ">", value: 90 }
      info:     { op: ">=", value: 50, for: 10m }
`,
      'QueueOutOfBand',
    );
  });

  it('leaves templated static labels to the runner', () => {
    const model = modelWith(GAUGE.replace('labels: { component: queue }', 'labels: { component: queue, owner: "{{ $labels.service }}" }'));
    const fired = casesOf(synth(model, 'QueueDeep')).flatMap((c) => c.alertChecks.flatMap((a) => a.expected));
    expect(fired.length).toBeGreaterThan(0);
    for (const f of fired) {
      expect(f.labels.component).toBe('queue');
      expect(f.labels).not.toHaveProperty('owner');
    }
  });
});

describe('synthesizeAlert: label names that Object.prototype also has', () => {
  // A label set is read for its own labels only: a selector on `constructor` or `toString` found the prototype's
  // function where the series had no such label, and a label named `__proto__` set no label at all.
  const NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];
  const metrics = (label: string) => [{ file: 'odd-metrics.yaml', text: `apiVersion: vigil/v1\nkind: Metrics\nsource: odd\nmetrics:\n  - name: odd_depth\n    type: gauge\n    help: Items waiting.\n    labels: [service, ${label}]\n` }];
  const alert = (expr: string) => `  - name: OddDeep\n    expr: ${expr}\n    thresholds:\n      warning:  { op: ">", value: 100, for: 5m }\n`;
  const shapes = (l: string): [string, string, (cases: TestCase[]) => void][] => [
    ['equal', `odd_depth{${l}="x"}`, (cases) => expectEverySeries(cases, new RegExp(`[{ ]${l}="x"`))],
    ['not equal', `odd_depth{${l}!="", ${l}!="y"}`, (cases) => expectEverySeries(cases, new RegExp(`[{ ]${l}="(?!y")[^"]+"`))],
    ['regex', `odd_depth{${l}=~"a.+"}`, (cases) => expectEverySeries(cases, new RegExp(`[{ ]${l}="a[^"]+"`))],
    ['absent, matched as ""', `odd_depth{${l}=""}`, (cases) => expectEverySeries(cases, new RegExp(`^(?!.*[{ ]${l}=)`))],
    ['grouped by it', `max by (${l}) (odd_depth{${l}="x"})`, (cases) => expect(cases.flatMap((c) => c.alertChecks.flatMap((a) => a.expected.map((f) => f.labels[l])))).toContain('x')],
  ];
  const expectEverySeries = (cases: TestCase[], pattern: RegExp) => {
    const series = cases.flatMap((c) => c.inputSeries.map((i) => i.series));
    expect(series.length).toBeGreaterThan(0);
    for (const s of series) expect(s).toMatch(pattern);
  };
  it.each(NAMES.flatMap((l) => shapes(l).map(([shape, expr, check]) => [l, shape, expr, check] as const)))('label %s, matched by %s', (label, _shape, expr, check) => {
    const { cases } = synthesizeAndProve(alert(expr), 'OddDeep', '', metrics(label));
    check(cases);
  });
});

describe('synthesizeAlert: single-level alerts that carry their own comparison', () => {
  it('`x == 0` (the threshold is the comparison: 0 fires, 1 stays quiet)', () => {
    const { cases } = synthesizeAndProve(
      `  - name: TargetDown
    expr: up{job="api"} == 0
    severity: critical
    for: 1m
`,
      'TargetDown',
    );
    expect(cases.map((c) => c.name)).toEqual(['TargetDown critical: boundary, 1 does not satisfy == 0', 'TargetDown critical: boundary, 0 satisfies == 0 for 1m']);
  });

  it('`x > c`', () => {
    synthesizeAndProve(
      `  - name: GpuHot
    expr: gpu_temperature_celsius > 90
    severity: warning
    for: 2m
`,
      'GpuHot',
    );
  });

  it('`x != x`: NaN values fire', () => {
    const { cases } = synthesizeAndProve(
      `  - name: LossIsNaN
    expr: training_loss != training_loss
    severity: critical
    for: 1m
    keepFiringFor: 5m
`,
      'LossIsNaN',
    );
    expect(cases[1]!.inputSeries[0]!.values).toMatch(/^NaN\+0x\d+$/);
    expect(cases[0]!.inputSeries[0]!.values).toMatch(/^1x\d+$/);
  });

  it('`sum(increase(x[1h])) == 0 or absent(x)`', () => {
    synthesizeAndProve(
      `  - name: NoJobsFailedSeries
    expr: sum(increase(jobs_failed_total[1h])) == 0 or absent(jobs_failed_total)
    severity: info
    for: 15m
`,
      'NoJobsFailedSeries',
    );
  });
});

/** The synth fixtures with more severities appended (YAML list items of Severities' levels). */
function modelWithSeverities(extraLevels: string, alerts: string): Model {
  const severities = BASE.map((f) => (f.file === 'severities.yaml' ? { file: f.file, text: `${f.text}${extraLevels}` } : f));
  const result = compile(loadYamlSources([...severities, { file: 'alerts.yaml', text: alertRules(alerts) }]), { emitOnError: true });
  expect(result.diagnostics.filter((d) => d.severity === 'error' && /^(schema|promql|model)/.test(d.code))).toEqual([]);
  return result.model;
}

const summaryOf = (cases: TestCase[]) => cases.map((c) => ({ name: c.name, checks: c.alertChecks.map((a) => `${a.evalTime}: ${a.expected.map((f) => `${f.severity || '(none)'}${JSON.stringify(f.labels)}`).join(' ') || '-'}`) }));

const BURN = [
  '  - name: QueueBurn',
  '    rules:',
  '      - { severity: critical, expr: "max by (service) (queue_depth) > 500", for: 2m, labels: { page: "yes" } }',
  '      - { severity: warning, expr: "max by (service) (queue_depth) > 100", for: 5m }',
  '',
].join('\n');

describe('synthesizeAlert: levels with expressions of their own (`rules:`)', () => {
  it('plans each level on its own expression and expects what the other levels fire on the same series', () => {
    const { cases } = synthesizeAndProve(BURN, 'QueueBurn');
    const labels = '"service":"synthetic-0","team":"app"';
    expect(summaryOf(cases)).toEqual([
      // Just below 500 is above 100: the warning rule fires on the critical level's quiet side.
      { name: 'QueueBurn critical: boundary, 495 does not satisfy > 500', checks: [`6m30s: warning{${labels}}`] },
      // The warning rule (for 5m) is still pending when critical (for 2m) has fired.
      { name: 'QueueBurn critical: boundary, 505 satisfies > 500 for 2m', checks: ['1m30s: -', `3m30s: critical{${labels},"page":"yes"}`] },
      { name: 'QueueBurn warning: boundary, 99 does not satisfy > 100', checks: ['6m30s: -'] },
      { name: 'QueueBurn warning: boundary, 101 satisfies > 100 for 5m', checks: ['4m30s: -', `6m30s: warning{${labels}}`] },
    ]);
  });

  it('reads the other levels on the series even when they read other metrics (absent() fires on them)', () => {
    const alerts = [
      '  - name: QueueStuck',
      '    rules:',
      '      - { severity: warning, expr: "max by (service) (queue_depth) > 100" }',
      '      - { severity: critical, expr: "absent(up{job=\\"queue\\"})", for: 1m }',
      '',
    ].join('\n');
    const { cases } = synthesizeAndProve(alerts, 'QueueStuck');
    const warningQuiet = cases.find((c) => c.name.startsWith('QueueStuck warning') && c.name.includes('does not'))!;
    // The warning level's series hold no `up`: the critical rule fires on them, and promtool sees it.
    expect(warningQuiet.alertChecks.flatMap((a) => a.expected.map((f) => f.severity))).toEqual(['critical']);
  });

  it('a level whose expression the synthesiser cannot read is unsupported; so are the others, naming it', () => {
    const alerts = ['  - name: QueueOdd', '    rules:', '      - { severity: warning, expr: "max by (service) (queue_depth) > 100" }', '      - { severity: critical, expr: "count(ALERTS) > 3" }', ''].join('\n');
    const results = synth(modelWith(alerts), 'QueueOdd');
    expect(results.map((r) => [r.level, 'unsupported' in r ? r.unsupported : 'SUPPORTED'])).toEqual([
      ['warning', expect.stringMatching(/^level critical fires on the same series, and its expression cannot be read: .*ALERTS/)],
      ['critical', expect.stringMatching(/reads ALERTS/)],
    ]);
  });

  it.runIf(HAS_PROMTOOL)('a case fails when another level starts firing on the same series', () => {
    const model = modelWith(BURN);
    const cases = casesOf(synth(model, 'QueueBurn'));
    const moved = modelWith(BURN.replace('queue_depth) > 100', 'queue_depth) > 600'));
    const run = prove(moved, 'QueueBurn', cases);
    expect(run.status, run.output).not.toBe(0);
  });
});

describe('synthesizeAlert: levels without a severity label (`label: false`)', () => {
  it('the only unlabelled level of a thresholds alert gets cases that expect it without a severity label', () => {
    const model = modelWithSeverities('  - { name: none, label: false }\n', ['  - name: QueueMixed', '    expr: max by (service) (queue_depth)', '    thresholds:', '      warning: { op: ">", value: 500 }', '      none: { op: ">", value: 100 }', ''].join('\n'));
    const cases = casesOf(synth(model, 'QueueMixed'));
    const labels = '"service":"synthetic-0","team":"app"';
    expect(summaryOf(cases)).toEqual([
      { name: 'QueueMixed warning: boundary, 495 does not satisfy > 500', checks: [`1m30s: (none){${labels}}`] },
      { name: 'QueueMixed warning: boundary, 505 satisfies > 500', checks: [`1m30s: (none){${labels}} warning{${labels}}`] },
      { name: 'QueueMixed none: boundary, 99 does not satisfy > 100', checks: ['1m30s: -'] },
      { name: 'QueueMixed none: boundary, 101 satisfies > 100', checks: [`1m30s: (none){${labels}}`] },
    ]);
    for (const c of cases) expect(c.covers).toEqual([{ alert: 'QueueMixed', level: c.name.split(' ')[1]!.replace(':', '') }]);
    if (HAS_PROMTOOL) expectProven(model, 'QueueMixed', cases);
  });

  const TWO_UNLABELLED = '  - { name: none, label: false }\n  - { name: quiet, label: false }\n';

  it('two unlabelled levels a static label tells apart both get cases (rules:), proven by promtool', () => {
    const model = modelWithSeverities(
      TWO_UNLABELLED,
      ['  - name: QueueSplit', '    rules:', '      - { severity: none, expr: "max by (service) (queue_depth) > 500", labels: { tier: a } }', '      - { severity: quiet, expr: "max by (service) (queue_depth) > 100", labels: { tier: b } }', ''].join('\n'),
    );
    const results = synth(model, 'QueueSplit');
    const cases = casesOf(results);
    expect(cases.flatMap((c) => c.alertChecks.flatMap((a) => a.expected.map((f) => `${f.severity}/${f.labels.tier}`)))).toContain('/a');
    if (HAS_PROMTOOL) expectProven(model, 'QueueSplit', cases);
  });

  it('two unlabelled levels nothing tells apart are unsupported, saying why', () => {
    const model = modelWithSeverities(TWO_UNLABELLED, ['  - name: QueueSame', '    expr: max by (service) (queue_depth)', '    thresholds:', '      none: { op: ">", value: 500 }', '      quiet: { op: ">", value: 100 }', '      warning: { op: ">", value: 900 }', ''].join('\n'));
    const results = synth(model, 'QueueSame');
    expect(results.map((r) => [r.level, 'unsupported' in r ? r.unsupported : 'SUPPORTED'])).toEqual([
      ['none', expect.stringMatching(/like level quiet, and no static label tells their alerts apart/)],
      ['quiet', expect.stringMatching(/like level none, and no static label tells their alerts apart/)],
      ['warning', 'SUPPORTED'],
    ]);
  });
});

describe('synthesized cases catch wrong rules', () => {
  it.runIf(HAS_PROMTOOL)('a threshold shifted by a lot makes promtool fail on the same cases', () => {
    const model = modelWith(GAUGE);
    const cases = casesOf(synth(model, 'QueueDeep'));
    expect(prove(model, 'QueueDeep', cases).status).toBe(0);
    for (const [level, value] of [['critical', 5000], ['warning', 1]] as const) {
      const shifted = modelWith(GAUGE);
      alertOf(shifted, 'QueueDeep').levels.find((l) => l.severity === level)!.value = value;
      const run = prove(shifted, 'QueueDeep', cases);
      expect(run.status, run.output).not.toBe(0);
      expect(run.output).toContain('FAILED');
    }
  });

  it.runIf(HAS_PROMTOOL)('a shorter `for` makes the "not yet" check fail', () => {
    const model = modelWith(GAUGE);
    const cases = casesOf(synth(model, 'QueueDeep'));
    const shifted = modelWith(GAUGE.replace('for: 5m', 'for: 1m'));
    const run = prove(shifted, 'QueueDeep', cases);
    expect(run.status).not.toBe(0);
    expect(run.output).toMatch(/alertname: QueueDeep, time: 4m30s/);
  });

  it.runIf(HAS_PROMTOOL)('a ratio whose numerator and denominator were swapped makes promtool fail', () => {
    const ratio = `  - name: ErrorShareHigh
    expr: sum by (service) (rate(http_errors_total[5m])) / sum by (service) (rate(http_requests_total[5m]))
    thresholds:
      warning:  { op: ">", value: 0.02, for: 5m }
`;
    const cases = casesOf(synth(modelWith(ratio), 'ErrorShareHigh'));
    const swapped = modelWith(ratio.replace('rate(http_errors_total[5m])) / sum by (service) (rate(http_requests_total', 'rate(http_requests_total[5m])) / sum by (service) (rate(http_errors_total'));
    expect(prove(swapped, 'ErrorShareHigh', cases).status).not.toBe(0);
  });
});

describe('unsupported shapes say why', () => {
  const reason = (alerts: string, name: string) => {
    const results = synth(modelWith(alerts), name);
    expect(results.length).toBeGreaterThan(0);
    return results.map((r) => ('unsupported' in r ? r.unsupported : 'SUPPORTED'));
  };

  // Issue #9 §1: such alerts are errors of promql/rate-histogram and promql/range-short; the synthesiser must not
  // make them look tested by inventing series Prometheus never has (le="+Inf" on the base name) or samples denser
  // than the scrape interval.
  const reasonDespiteErrors = (alerts: string, name: string) => {
    const result = compile(loadYamlSources([...BASE, { file: 'alerts.yaml', text: alertRules(alerts) }]), { emitOnError: true });
    return synth(result.model, name).map((r) => ('unsupported' in r ? r.unsupported : `SUPPORTED ${JSON.stringify(r.cases.flatMap((c) => c.inputSeries.map((i) => i.series)))}`));
  };

  it.each([
    ['histogram_quantile(0.95, sum by (le) (rate(request_duration_seconds[5m])))', /request_duration_seconds.*histogram.*no series/],
    ['sum(rate(request_duration_seconds[5m]))', /request_duration_seconds.*histogram.*no series/],
    ['increase(request_duration_seconds{service="a"}[10m])', /request_duration_seconds.*histogram.*no series/],
    ['rate(http_requests_total[15s])', /\[15s\].*twice the scrape interval \(15s\)/],
    ['sum by (service) (increase(http_requests_total[20s]))', /\[20s\].*twice the scrape interval/],
    ['deriv(queue_depth[29s])', /\[29s\].*twice the scrape interval/],
  ])('%s: no series are invented', (expr, why) => {
    const results = reasonDespiteErrors(`  - name: Broken\n    expr: ${expr}\n    thresholds:\n      warning:  { op: ">", value: 1, for: 5m }\n`, 'Broken');
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) expect(r).toMatch(why);
  });

  it('count() cannot be steered to 0 (counting nothing gives no series at all)', () => {
    const [r] = reason(
      `  - name: NoneUp
    expr: count by (job) (up)
    thresholds:
      warning:  { op: "<", value: 1, for: 5m }
`,
      'NoneUp',
    );
    expect(r).toMatch(/count\(\) counts series; it cannot be 0/);
  });

  it('a series compared with its own past does not respond to a steady input', () => {
    const results = reason(
      `  - name: QueueDrop
    expr: queue_depth / (avg_over_time(queue_depth[1h] offset 30m) > 0)
    thresholds:
      warning:  { op: "<", value: 0.7, for: 15m }
`,
      'QueueDrop',
    );
    expect(results[0]).toMatch(/evaluates to 1 instead of 0\.(693|707) whatever the value of queue_depth\{.*\} \(it does not respond to its input\)/);
  });

  it('a rate cannot be negative', () => {
    const [r] = reason(
      `  - name: Impossible
    expr: rate(http_requests_total[5m])
    thresholds:
      warning:  { op: "<", value: 0, for: 5m }
`,
      'Impossible',
    );
    expect(r).toMatch(/rate\(\) of a counter is never negative/);
  });

  it('functions whose value depends on sample counts', () => {
    const [r] = reason(
      `  - name: Bursty
    expr: sum_over_time(queue_depth[5m])
    thresholds:
      warning:  { op: ">", value: 10, for: 5m }
`,
      'Bursty',
    );
    expect(r).toMatch(/sum_over_time\(\) is not supported by the synthesizer/);
  });

  it('meta-alerts over ALERTS', () => {
    const [r] = reason(
      `  - name: TooManyAlerts
    expr: count(ALERTS{alertstate="firing"}) > 10
    severity: warning
    for: 5m
`,
      'TooManyAlerts',
    );
    expect(r).toMatch(/reads ALERTS, which Prometheus writes/);
  });

  it('offsets into the future and pinned times', () => {
    const results = reason(
      `  - name: Future
    expr: queue_depth offset -5m
    thresholds:
      warning:  { op: ">", value: 10, for: 5m }
  - name: Pinned
    expr: queue_depth @ 1000
    thresholds:
      warning:  { op: ">", value: 10, for: 5m }
`,
      'Future',
    );
    expect(results[0]).toMatch(/negative offset reads samples from the future/);
    expect(synth(modelWith(`  - name: Pinned
    expr: queue_depth @ 1000
    thresholds:
      warning:  { op: ">", value: 10, for: 5m }
`), 'Pinned')).toEqual([{ alert: 'Pinned', level: 'warning', unsupported: expect.stringMatching(/@ modifier pins a time/) }]);
  });

  it('the evaluation time itself', () => {
    const [r] = reason(
      `  - name: Clock
    expr: vector(time()) > 5
    severity: warning
    for: 5m
`,
      'Clock',
    );
    expect(r).toMatch(/time\(\) cannot be steered|is a constant/);
  });
});

describe('value helpers', () => {
  it('chooses values just either side of a threshold, honouring the other levels', () => {
    expect(boundaryValues('>', 95, [85])).toEqual({ trigger: 95.95, safe: 94.05, margin: 0.95 });
    expect(boundaryValues('>', 85, [95])).toEqual({ trigger: 85.85, safe: 84.15, margin: 0.85 });
    expect(boundaryValues('<', 15, [5])).toEqual({ trigger: 14.85, safe: 15.15, margin: 0.15 });
    expect(boundaryValues('<=', 0.3, [0.7])).toMatchObject({ trigger: 0.297, safe: 0.303 });
    expect(boundaryValues('>', 0, [3])).toEqual({ trigger: 0.5, safe: -0.5, margin: 0.5 });
    expect(boundaryValues('>', -10)).toEqual({ trigger: -9.9, safe: -10.1, margin: 0.1 });
    // Close levels: at most half the gap, so "just below critical" stays above warning.
    expect(boundaryValues('>', 0.501, [0.5])).toEqual({ trigger: 0.5015, safe: 0.5005, margin: 0.0005 });
    expect(boundaryValues('==', 0)).toEqual({ trigger: 0, safe: 1, margin: 1 });
    expect(boundaryValues('!=', 0)).toEqual({ trigger: 1, safe: 0, margin: 1 });
    expect(boundaryValues('==', 0.5)).toMatchObject({ trigger: 0.5, safe: 0.505 });
    expect(() => boundaryValues('>', NaN)).toThrow(/not a finite number/);
  });

  it('inverts arithmetic around the thresholded value', () => {
    expect(invertArithmetic('*', lin(95.95), lin(100), true).c0).toBeCloseTo(0.9595, 12);
    expect(invertArithmetic('-', lin(90.9), lin(100), false)).toEqual(lin(100 - 90.9)); // 100 - x = v
    expect(invertArithmetic('/', lin(512), lin(1024), true)).toEqual(lin(512 * 1024)); // x / 1024 = v
    expect(invertArithmetic('/', lin(4), lin(2), false)).toEqual(lin(0.5)); // 2 / x = 4
    expect(invertArithmetic('-', lin(909), lin(0, 1), false)).toEqual(lin(-909, 1)); // time() - x = 909
    expect(invertArithmetic('+', lin(10), lin(3), true)).toEqual(lin(7));
    expect(() => invertArithmetic('*', lin(1), lin(0), true)).toThrow(/multiplied by 0/);
    expect(() => invertArithmetic('/', lin(0), lin(2), false)).toThrow(/never 0/);
  });

  it('computes histogram quantiles as Prometheus does', () => {
    expect(bucketQuantile(0.95, [{ upper: 0.505, count: 0 }, { upper: Infinity, count: 1 }])).toBe(0.505);
    expect(bucketQuantile(0.5, [{ upper: 1, count: 5 }, { upper: 2, count: 10 }, { upper: Infinity, count: 10 }])).toBe(1);
    expect(bucketQuantile(0.75, [{ upper: 1, count: 5 }, { upper: 2, count: 10 }, { upper: Infinity, count: 10 }])).toBe(1.5);
    expect(bucketQuantile(0.5, [{ upper: 1, count: 5 }])).toBeNaN();
  });

  it('writes and reads back promtool series notation', () => {
    expect(seriesValues(lin(0, 0.5), 30, 10)).toBe('0+15x10');
    expect(seriesValues(lin(94.05), 30, 3)).toBe('94.05x3');
    expect(seriesValues(lin(-909, 1), 30, 8)).toBe('-909+30x8');
    expect(seriesValues(lin(5, -0.1), 10, 2)).toBe('5-1x2');
    expect(seriesValues(lin(NaN), 30, 3)).toBe('NaN+0x3');
    expect(parseSeriesValues('-909+30x8', 30)).toEqual(lin(-909, 1));
    expect(parseSeriesValues('1e-7+2.5e-8x4', 1)).toEqual(lin(1e-7, 2.5e-8));
    expect(Number.isNaN(parseSeriesValues('NaN+0x3', 30).c0)).toBe(true);
    expect(formatValue(0.1 + 0.2)).toBe('0.3');
    expect(formatValue(Infinity)).toBe('+Inf');
  });

  it('formats durations and picks a sample step', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(7_290_000)).toBe('2h1m30s');
    expect(formatDuration(500)).toBe('500ms');
    expect(chooseStep(30_000, [])).toBe(30_000);
    expect(chooseStep(30_000, [300_000])).toBe(30_000);
    expect(chooseStep(60_000, [60_000])).toBe(30_000); // two samples in a 1m window
    expect(chooseStep(60_000, [30_000])).toBe(15_000);
  });

  it('finds label values that regex matchers accept', () => {
    expect(regexExamples('5..')[0]).toBe('500');
    expect(regexExamples('api|web')).toEqual(['api', 'web']);
    expect(regexExamples('node-[0-9]+')[0]).toBe('node-0');
    expect(regexExamples('(?:prod|staging)-\\d{2}')[0]).toBe('prod-00');
    expect(regexExamples('.*')[0]).toBe('');
  });
});
