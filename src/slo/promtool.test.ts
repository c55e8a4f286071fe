import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { slo, slos, yamlOf } from '../../test/factories/index.ts';
import { hasCommand } from '../../test/helpers/cli.ts';
import { compileBase } from '../../test/helpers/model.ts';

/** What Vigil compiles an SLO to is what Prometheus runs: promtool loads the rules and evaluates the burn-rate alert. */
const SLOS = yamlOf(
  slos({
    slos: [
      slo('app-availability'),
      slo('app-ratio', 'ratio', {}, { objective: 99.5, window: '28d', alert: { ticket: false, runbook: 'https://runbooks.example.com/slo' } }),
      slo('app-latency', 'latency', {}, { objective: 99, alert: false }),
    ],
  }),
);

const temps: string[] = [];
afterAll(async () => Promise.all(temps.map((t) => rm(t, { recursive: true, force: true }))));

async function writeRules(): Promise<{ dir: string; files: string[] }> {
  const result = await compileBase({ 'slos.yaml': SLOS });
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-slo-'));
  temps.push(dir);
  const rules = result.artifacts.filter((a) => a.path.startsWith('prometheus/rules/app-slos-'));
  expect(rules.map((a) => a.path).sort()).toEqual(['prometheus/rules/app-slos-alerts.yml', 'prometheus/rules/app-slos-recordings.yml']);
  for (const a of rules) await writeFile(path.join(dir, path.basename(a.path)), a.content);
  return { dir, files: rules.map((a) => path.basename(a.path)) };
}

const promtool = (dir: string, args: string[]) => {
  const run = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, output: (run.stdout + run.stderr).replace(/\n{2,}/g, '\n') };
};

/** Good and bad requests a minute: quiet (0 bad) for 7h, then `bad` of 1000 for 2h. */
function burn(bad: number) {
  const quiet = 7 * 60;
  return [
    { series: 'http_requests_total{service="app",code="200"}', values: `0+1000x${quiet - 1} ${1000 * quiet}+${1000 - bad}x119` },
    { series: 'http_requests_total{service="app",code="500"}', values: `0+0x${quiet - 1} ${bad}+${bad}x119` },
  ];
}

const pages = (at: string, value: 0 | 1) => ({ expr: 'count(ALERTS{alertname="AppAvailabilityErrorBudgetBurn",severity="critical",alertstate="firing"}) or vector(0)', eval_time: at, exp_samples: [{ labels: '{}', value }] });

describe.skipIf(!hasCommand('promtool'))('SLOs under promtool', () => {
  it('promtool check rules accepts every rule an SLO of each SLI kind compiles to', async () => {
    const { dir, files } = await writeRules();
    const run = promtool(dir, ['check', 'rules', ...files]);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toMatch(/SUCCESS: 42 rules found/);
  });

  it.each([
    // 15/1000 = 1.5% errors: 15× the 0.1% budget, above the 14.4× of the 1h/5m pair once the hour is full.
    ['a burn just above 14.4× pages once the long window (1h) holds it, not before', 15, [pages('7h30m', 0), pages('8h', 1), pages('9h', 1)]],
    // 10×: under 14.4× on 1h, and the 6h/30m pair (6×) sees 1h of it averaged over 6h: 1.7×.
    ['a 10× burn for an hour does not page', 10, [pages('7h30m', 0), pages('8h', 0)]],
  ])('%s', async (_, bad, expectations) => {
    const { dir, files } = await writeRules();
    const test = { rule_files: files, evaluation_interval: '1m', tests: [{ interval: '1m', input_series: burn(bad as number), promql_expr_test: expectations }] };
    await writeFile(path.join(dir, 'test.yml'), stringify(test));
    const run = promtool(dir, ['test', 'rules', 'test.yml']);
    expect(run.status, run.output.slice(0, 4000)).toBe(0);
  }, 120_000);
});
