import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasCommand } from '../../test/helpers/cli.ts';
import { compileBase } from '../../test/helpers/model.ts';
import { counterSeries, inRuleDir, parityExpectations, parityTestFile } from '../testing/sloth-parity.ts';

/**
 * Parity with Sloth, by evaluation: Sloth's generated rules for its published examples (test/fixtures/sloth/, verbatim)
 * and the rules Vigil compiles from the same SLOs written as `kind: SLOs` run side by side in one promtool unit test
 * over the same input series. At each time, every recorded series must have the same value in both, and each alert
 * level must be firing in both or in neither. Names of series are the same; labels differ on purpose (Sloth's
 * sloth_id/sloth_service/sloth_slo/sloth_window are Vigil's slo/service, the window being in the name).
 */
const FIXTURES = path.resolve(import.meta.dirname, '../../test/fixtures/sloth');
// Quiet, then a fast burn (page), quiet, then a slow burn (ticket), quiet again: times inside and after each phase.
const TIMES = ['2h', '9h50m', '10h10m', '11h', '12h', '14h', '20h', '1d6h', '1d12h', '2d', '2d12h', '3d', '3d12h', '4d'];
const BURN_SLOs: { example: string; service: string; slos: { name: string; alert: string; series: Record<string, string> }[] }[] = [
  {
    example: 'getting-started',
    service: 'myservice',
    slos: [
      {
        name: 'requests-availability',
        alert: 'MyServiceHighErrorRate',
        series: {
          'http_request_duration_seconds_count{job="myservice",code="200"}': '0+1000x5800',
          'http_request_duration_seconds_count{job="myservice",code="500"}': burnSeries(20, 4),
          'http_request_duration_seconds_count{job="other",code="500"}': '0+500x5800',
        },
      },
    ],
  },
  {
    example: 'kubernetes-apiserver',
    service: 'k8s-apiserver',
    slos: [
      {
        name: 'requests-availability',
        alert: 'K8sApiserverAvailabilityAlert',
        series: {
          'apiserver_request_total{code="200",verb="GET"}': '0+1000x5800',
          'apiserver_request_total{code="429",verb="GET"}': burnSeries(20, 4),
        },
      },
      {
        name: 'requests-latency',
        alert: 'K8sApiserverLatencyAlert',
        series: {
          // 1000 requests a minute, of which 2 are slow (0.2%: under the 1% budget) except in the burns (+200, +40).
          'apiserver_request_duration_seconds_count{verb="GET"}': '0+1000x5800',
          'apiserver_request_duration_seconds_bucket{verb="GET",le="0.4"}': okUnder(1000, 2, 200, 40),
          'apiserver_request_duration_seconds_count{verb="WATCH"}': '0+100x5800',
          'apiserver_request_duration_seconds_bucket{verb="WATCH",le="0.4"}': '0+0x5800',
        },
      },
    ],
  },
];

/** Per minute: 0 errors for 10h, `fast` for 2h, 0 for 20h, `slow` for 40h, then 0 (a counter in promtool's notation). */
function burnSeries(fast: number, slow: number): string {
  const phases: [number, number][] = [[0, 600], [fast, 120], [0, 1200], [slow, 2400], [0, 1480]];
  return counterSeries(phases);
}

/** The good (fast enough) requests of `total` a minute, of which `slow` are slow, and more in the burns. */
function okUnder(total: number, slow: number, fastBurn: number, slowBurn: number): string {
  return counterSeries([[total - slow, 600], [total - slow - fastBurn, 120], [total - slow, 1200], [total - slow - slowBurn, 2400], [total - slow, 1480]]);
}

async function vigilRules(example: string): Promise<Record<string, string>> {
  const dir = path.join(FIXTURES, 'vigil', example);
  const files: Record<string, string> = {};
  for (const f of await readdir(dir)) files[f] = await readFile(path.join(dir, f), 'utf8');
  const result = await compileBase(files);
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return Object.fromEntries(result.artifacts.filter((a) => /^prometheus\/rules\/.*-slos-/.test(a.path)).map((a) => [path.basename(a.path), a.content]));
}

describe.skipIf(!hasCommand('promtool'))('SLOs: parity with Sloth by evaluation (promtool)', () => {
  it.each(BURN_SLOs)('$example: the same recorded values and alert states as Sloth\'s generated rules', async ({ example, service, slos }) => {
    const ours = await vigilRules(example);
    const slothRules = await readFile(path.join(FIXTURES, `${example}.gen.yml`), 'utf8');
    const ruleFiles = new Map([['sloth.yml', slothRules], ...Object.entries(ours)]);
    const tests = parityExpectations(
      slos.map((slo) => ({ vigil: { slo: slo.name, service, alert: slo.alert }, sloth: { slo: slo.name, service, alert: slo.alert } })),
      TIMES,
      { page: 'critical', ticket: 'warning' },
    );
    // Not vacuous: nothing fires before the burns, the fast burn pages, the slow burn tickets without paging.
    for (const slo of slos) {
      for (const [at, burn, count] of [['9h50m', 'page', 0], ['11h', 'page', 1], ['9h50m', 'ticket', 0], ['2d12h', 'ticket', 1], ['2d12h', 'page', 0]] as const) {
        tests.push({ expr: `count(ALERTS{alertname="${slo.alert}",sloth_severity="${burn}",alertstate="firing"}) or vector(0)`, eval_time: at, exp_samples: [{ labels: '{}', value: count }] });
      }
    }
    const series = Object.assign({}, ...slos.map((s) => s.series)) as Record<string, string>;
    const run = await inRuleDir(ruleFiles, async (rules) => rules.testRules('test.yml', parityTestFile(ruleFiles, series, tests)));
    expect(run.ok, run.output.slice(0, 6000)).toBe(true);
    expect(run.output).toContain('SUCCESS');
  }, 300_000);
});
