import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { slo, slos, yamlOf } from '../../test/factories/index.ts';
import { hasCommand } from '../../test/helpers/cli.ts';
import { compileBase } from '../../test/helpers/model.ts';
import { alertsByName, type Model } from '../model/types.ts';
import { sloBurnSyntheses } from './slo-burn.ts';
import type { TestCase } from './types.ts';

const SLOS = yamlOf(
  slos({
    slos: [
      slo('app-availability'),
      slo('app-ratio', 'ratio', {}, { objective: 99.5, window: '28d', alert: { ticket: false, runbook: 'https://runbooks.example.com/slo' } }),
      slo('app-latency', 'latency', {}, {
        objective: 99,
        alert: {
          runbook: 'https://runbooks.example.com/slo',
          burnRates: [
            { severity: 'page', long: '1h', short: '5m', factor: 14.4, for: '2m' },
            { severity: 'ticket', long: '6h', short: '30m', factor: 6 },
          ],
        },
      }),
    ],
  }),
);

const temps: string[] = [];
afterAll(async () => Promise.all(temps.map((t) => rm(t, { recursive: true, force: true }))));

async function compiled(): Promise<{ model: Model; rules: { file: string; content: string }[] }> {
  const result = await compileBase({ 'slos.yaml': SLOS });
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const rules = result.artifacts.filter((a) => a.path.startsWith('prometheus/rules/app-slos-')).map((a) => ({ file: path.basename(a.path), content: a.content }));
  return { model: result.model, rules };
}

function casesOf(model: Model, alert: string): TestCase[] {
  const syntheses = sloBurnSyntheses(model, alertsByName(model).get(alert)!);
  expect(syntheses, alert).toBeDefined();
  return syntheses!.flatMap((s) => ('cases' in s ? s.cases : []));
}

/** Each alert check as a count of firing alerts per level: promtool then proves the expected set exactly. */
function asPromtoolTest(c: TestCase, levels: string[]) {
  return {
    name: c.name,
    evaluationInterval: c.evaluationInterval,
    interval: c.interval,
    input_series: c.inputSeries,
    promql_expr_test: c.alertChecks.flatMap((check) =>
      levels.map((severity) => ({
        expr: `count(ALERTS{alertname="${check.alertname}",alertstate="firing",severity="${severity}"}) or vector(0)`,
        eval_time: check.evalTime,
        exp_samples: [{ labels: '{}', value: check.expected.filter((e) => e.severity === severity).length }],
      })),
    ),
  };
}

describe('burn-rate proofs of SLO alerts', () => {
  it('every pair gets a case above its factor that fires no earlier than its long window, and one below that does not', async () => {
    const { model } = await compiled();
    const cases = casesOf(model, 'AppAvailabilityErrorBudgetBurn');
    // 4 workbook pairs × (above, below)
    expect(cases).toHaveLength(8);
    for (const c of cases) {
      expect(c.groups).toEqual(['app-slos-recordings', 'app-slos-alerts']);
      // Raw counters only: the recorded slo:* series come from the rules under test.
      expect(c.inputSeries.every((s) => s.series.startsWith('http_requests_total{'))).toBe(true);
    }
    const page = cases.find((c) => c.name.includes('against 14.4× over 1h and 5m: fires'))!;
    expect(page.alertChecks.map((a) => a.expected.map((e) => e.severity))).toEqual([[], ['critical']]);
    const [before, after] = page.alertChecks.map((a) => parseFloat(a.evalTime));
    expect(after! - before!).toBeLessThan(20);
    const quiet = cases.find((c) => c.name.includes('against 14.4× over 1h and 5m: does not'))!;
    expect(quiet.alertChecks.map((a) => a.expected.map((e) => e.severity))).toEqual([[]]);
  });

  it('evaluates each pair at the coarsest step that still sees its short window four times and its long window 24 times', async () => {
    const { model } = await compiled();
    const steps = new Map(casesOf(model, 'AppAvailabilityErrorBudgetBurn').map((c) => [/over (\S+ and \S+):/.exec(c.name)![1], c.evaluationInterval]));
    expect(Object.fromEntries(steps)).toEqual({ '1h and 5m': '5m', '6h and 30m': '5m', '1d and 2h': '30m', '3d and 6h': '1h' });
    // Never finer than the project's interval.
    const coarse = { ...model, project: { ...model.project!, evaluationInterval: '15m' } };
    expect(new Set(casesOf(coarse, 'AppAvailabilityErrorBudgetBurn').map((c) => c.evaluationInterval))).toEqual(new Set(['15m', '30m', '1h']));
  });

  it('reads the SLI as written: events of one metric, a ratio, and a latency histogram (bucket at le, +Inf and count)', async () => {
    const { model } = await compiled();
    const series = (alert: string) => [...new Set(casesOf(model, alert).flatMap((c) => c.inputSeries.map((s) => s.series)))].sort();
    expect(series('AppAvailabilityErrorBudgetBurn')).toEqual(['http_requests_total{code="500"}', 'http_requests_total{code="synthetic"}']);
    expect(series('AppRatioErrorBudgetBurn')).toEqual(['http_requests_total{code="500"}', 'http_requests_total{code="synthetic"}']);
    expect(series('AppLatencyErrorBudgetBurn')).toEqual([
      'request_duration_seconds_bucket{le="+Inf", service="app"}',
      'request_duration_seconds_bucket{le="0.5", service="app"}',
      'request_duration_seconds_count{service="app"}',
    ]);
  });

  it.skipIf(!hasCommand('promtool'))(
    'promtool evaluates the recording rules and the alert over the generated series and agrees with every expectation',
    async () => {
      const { model, rules } = await compiled();
      const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-slo-burn-'));
      temps.push(dir);
      for (const r of rules) await writeFile(path.join(dir, r.file), r.content);
      // The SLOs whose longest window is 6h: the workbook's 3d pair needs days of input (vigil test on the example
      // proves those, test/integration).
      const tests = [
        ...casesOf(model, 'AppRatioErrorBudgetBurn').map((c) => asPromtoolTest(c, ['critical'])),
        ...casesOf(model, 'AppLatencyErrorBudgetBurn').map((c) => asPromtoolTest(c, ['critical', 'warning'])),
      ];
      expect(tests.length).toBe(4 + 4);
      // At each case's own evaluation step, as vigil test writes them: the expectations follow those evaluations.
      const files: string[] = [];
      for (const step of new Set(tests.map((t) => t.evaluationInterval))) {
        const file = `burn-${step}.test.yml`;
        const tested = tests.filter((t) => t.evaluationInterval === step).map(({ evaluationInterval: _, ...t }) => t);
        const content = { rule_files: rules.map((r) => r.file).sort(), evaluation_interval: step, group_eval_order: ['app-slos-recordings', 'app-slos-alerts'], tests: tested };
        await writeFile(path.join(dir, file), stringify(content));
        files.push(file);
      }
      const run = spawnSync('promtool', ['test', 'rules', ...files], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
      expect(run.status, (run.stdout + run.stderr).slice(0, 6000)).toBe(0);
    },
    300_000,
  );
});
