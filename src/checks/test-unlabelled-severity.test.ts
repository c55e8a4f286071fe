import { describe, expect, it } from 'vitest';
import { compileBase } from '../../test/helpers/model.ts';
import { alertRules, DEFAULT_LEVELS, leveledAlert, route, routes, ruleTest, ruleTests, severities, severityLevel, threshold, yamlOf, type RuleTest } from '../../test/factories/index.ts';

const QUIET = alertRules({
  group: 'quiet',
  alerts: [leveledAlert({ name: 'QueueQuiet', summary: 'quiet', runbook: undefined, thresholds: { none: threshold('>', 100), warning: threshold('>', 500) } })],
});

/** The test/unlabelled-severity warnings for one RuleTests test of QueueQuiet with these expectations. */
async function warnings(expectations: Pick<RuleTest, 'expect' | 'routes' | 'inhibitions'>): Promise<string[]> {
  const withNone = severities({ levels: [...DEFAULT_LEVELS, severityLevel('none', { label: false })] });
  const quietRoute = routes({ routes: [...routes().routes!, route({ matchers: ['alertname="QueueQuiet"'], receiver: 'team' })] });
  const tests = ruleTests([ruleTest({ name: 'quiet', series: { 'queue_depth{service="api"}': '600x10' }, expect: undefined, ...expectations })]);
  const result = await compileBase({ 'severities.yaml': yamlOf(withNone), 'quiet.yaml': yamlOf(QUIET), 'routes.yaml': yamlOf(quietRoute), 'tests.yaml': yamlOf(tests) });
  return result.diagnostics.filter((d) => d.code === 'test/unlabelled-severity').map((d) => `${d.severity}: ${d.message} (${d.hint})`);
}

describe('test/unlabelled-severity', () => {
  it('warns when an expected alert, a routing or an inhibition expectation gives an unlabelled level a severity label', async () => {
    const found = await warnings({
      expect: [{ at: '3m', alerts: [{ name: 'QueueQuiet', level: 'none', labels: { service: 'api', severity: 'none' } }] }],
      routes: [{ alert: 'QueueQuiet', level: 'none', labels: { severity: 'none' }, receivers: ['team'] }],
      inhibitions: [
        {
          source: { alert: 'QueueQuiet', level: 'warning', labels: { service: 'api' } },
          target: { alert: 'QueueQuiet', level: 'none', labels: { service: 'api', severity: 'none' } },
          inhibited: true,
        },
      ],
    });
    expect(found).toEqual(
      Array(3).fill('warning: test "quiet": QueueQuiet at none never carries severity="none": severity none says label: false, so its alerts carry no severity label (remove severity from labels (level: none already says which level))'),
    );
  });

  it('is quiet for a labelled level with its severity, and for an unlabelled level without one', async () => {
    const found = await warnings({
      expect: [{ at: '3m', alerts: [{ name: 'QueueQuiet', level: 'none', labels: { service: 'api' } }, { name: 'QueueQuiet', level: 'warning', labels: { service: 'api', severity: 'warning' } }] }],
      routes: [{ alert: 'QueueQuiet', level: 'none', labels: { service: 'api' }, receivers: ['team'] }],
    });
    expect(found).toEqual([]);
  });
});
