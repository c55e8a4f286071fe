import { describe, expect, it } from 'vitest';
import { counterSeries, evaluationOrder, parityExpectations, parityTestFile } from './sloth-parity.ts';

describe('the Sloth parity harness', () => {
  it('writes phases of a counter in promtool notation, each phase going on from where the last ended', () => {
    expect(counterSeries([[1000, 3]])).toBe('0+1000x2');
    expect(counterSeries([[0, 3], [20, 2], [0, 2]])).toBe('0+0x2 20+20x1 40+0x1');
  });

  it('orders groups as the data flows: Sloth\'s SLI recordings, its meta recordings, other recordings, then alerts', () => {
    const sloth = 'groups:\n  - name: sloth-slo-sli-recordings-a\n  - name: sloth-slo-meta-recordings-a\n  - name: sloth-slo-alerts-a\n';
    const vigil = 'groups:\n  - name: app-slos-alerts\n  - name: app-slos-recordings\n';
    expect(evaluationOrder([vigil, sloth])).toEqual(['sloth-slo-sli-recordings-a', 'sloth-slo-meta-recordings-a', 'app-slos-recordings', 'app-slos-alerts', 'sloth-slo-alerts-a']);
  });

  it('compares every record at every time, and the alert levels only where both sides alert', () => {
    const slo = { vigil: { slo: 'a', service: 's', alert: 'A' }, sloth: { slo: 'x', service: 's', alert: 'X' } };
    const tests = parityExpectations([slo, { vigil: { slo: 'b', service: 's' }, sloth: { slo: 'y', service: 's' } }], ['1h', '2h'], { page: 'critical', ticket: 'warning' });
    expect(tests).toHaveLength(2 * 2 * 14 + 2 * 2);
    expect(tests.every((t) => t.exp_samples[0]!.value === 1)).toBe(true);
    expect(tests.filter((t) => t.expr.includes('ALERTS')).map((t) => t.expr)).toContain(
      'vector(scalar(count(ALERTS{alertname="X",sloth_severity="ticket",sloth_slo="x",sloth_service="s",alertstate="firing"}) or vector(0)) == bool scalar(count(ALERTS{alertname="A",severity="warning",slo="a",service="s",alertstate="firing"}) or vector(0)))',
    );
    const file = parityTestFile(new Map([['sloth.yml', 'groups: []\n']]), { 'up{job="a"}': '1x3' }, tests);
    expect(file).toMatchObject({ rule_files: ['sloth.yml'], evaluation_interval: '10m', tests: [{ interval: '1m', input_series: [{ series: 'up{job="a"}', values: '1x3' }] }] });
  });
});
