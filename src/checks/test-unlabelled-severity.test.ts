import { describe, expect, it } from 'vitest';
import { baseFile, compileBase } from '../../test/helpers/model.ts';

const QUIET = `apiVersion: vigil/v1
kind: AlertRules
group: quiet
labels: { team: app }
alerts:
  - name: QueueQuiet
    summary: quiet
    expr: max by (service) (queue_depth)
    thresholds:
      none: { op: ">", value: 100 }
      warning: { op: ">", value: 500 }
`;

/** The test/unlabelled-severity warnings for a RuleTests file with these expectation lines (under one test). */
async function warnings(expectations: string): Promise<string[]> {
  const severities = `${await baseFile('severities.yaml')}  - { name: none, label: false }\n`;
  const routes = `${await baseFile('routes.yaml')}  - matchers: ['alertname="QueueQuiet"']\n    receiver: team\n`;
  const tests = `apiVersion: vigil/v1\nkind: RuleTests\ntests:\n  - name: quiet\n    interval: 1m\n    series:\n      'queue_depth{service="api"}': '600x10'\n${expectations}`;
  const result = await compileBase({ 'severities.yaml': severities, 'quiet.yaml': QUIET, 'routes.yaml': routes, 'tests.yaml': tests });
  return result.diagnostics.filter((d) => d.code === 'test/unlabelled-severity').map((d) => `${d.severity}: ${d.message} (${d.hint})`);
}

describe('test/unlabelled-severity', () => {
  it('warns when an expected alert, a routing or an inhibition expectation gives an unlabelled level a severity label', async () => {
    const found = await warnings(
      [
        '    expect:',
        '      - at: 3m',
        '        alerts: [{ name: QueueQuiet, level: none, labels: { service: api, severity: none } }]',
        '    routes:',
        '      - { alert: QueueQuiet, level: none, labels: { severity: none }, receivers: [team] }',
        '    inhibitions:',
        '      - source: { alert: QueueQuiet, level: warning, labels: { service: api } }',
        '        target: { alert: QueueQuiet, level: none, labels: { service: api, severity: none } }',
        '        inhibited: true',
        '',
      ].join('\n'),
    );
    expect(found).toEqual(
      Array(3).fill('warning: test "quiet": QueueQuiet at none never carries severity="none": severity none says label: false, so its alerts carry no severity label (remove severity from labels (level: none already says which level))'),
    );
  });

  it('is quiet for a labelled level with its severity, and for an unlabelled level without one', async () => {
    const found = await warnings(
      [
        '    expect:',
        '      - at: 3m',
        '        alerts: [{ name: QueueQuiet, level: none, labels: { service: api } }, { name: QueueQuiet, level: warning, labels: { service: api, severity: warning } }]',
        '    routes:',
        '      - { alert: QueueQuiet, level: none, labels: { service: api }, receivers: [team] }',
        '',
      ].join('\n'),
    );
    expect(found).toEqual([]);
  });
});
