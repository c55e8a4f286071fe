import { describe, expect, it } from 'vitest';
import { analyzePromql } from './index.ts';

const facts = (expr: string) => {
  const f = analyzePromql(expr).facts;
  if (!f) throw new Error(`no facts for ${expr}`);
  return f;
};

describe('histogram_quantile facts', () => {
  const B = 'sum by (le) (rate(lat_seconds_bucket[5m]))';
  it.each([
    [`histogram_quantile(0.99, ${B}) > 30`, { quantile: 0.99, buckets: ['lat_seconds_bucket'], compared: { op: '>', value: 30 }, bare: false }],
    [`30 < histogram_quantile(0.99, ${B})`, { quantile: 0.99, compared: { op: '>', value: 30 } }],
    [`30 <= histogram_quantile(0.9, ${B})`, { quantile: 0.9, compared: { op: '>=', value: 30 } }],
    [`histogram_quantile(0.5, ${B}) < -1`, { quantile: 0.5, compared: { op: '<', value: -1 } }],
    [`(histogram_quantile(0.5, ${B})) >= 1e1`, { compared: { op: '>=', value: 10 } }],
    [`histogram_quantile(0.5, ${B})`, { bare: true }],
    [`histogram_quantile(0.5, ${B}) > Inf`, { compared: { op: '>' } }],
    [`histogram_quantile(0.5, sum by (le) (rate(a_bucket[5m])) or sum by (le) (rate(b_bucket[5m])))`, { buckets: ['a_bucket', 'b_bucket'] }],
  ] as [string, { quantile?: number; buckets?: string[]; compared?: { op: string; value?: number }; bare?: boolean }][])('%s', (expr, want) => {
    const [q] = facts(expr).quantiles;
    expect(q).toMatchObject(want);
    if (!('compared' in want)) expect(q!.compared).toBeUndefined();
    if (want.compared && !('value' in want.compared)) expect(q!.compared!.value).toBeUndefined();
  });

  it('records nothing when the call is one operand of arithmetic, not of the comparison', () => {
    const [q] = facts(`histogram_quantile(0.9, ${B}) * 1000 > 30`).quantiles;
    expect(q!.compared).toBeUndefined();
    expect(q!.bare).toBe(false);
  });

  it('states a selector compared from the right with the selector first', () => {
    const [s] = facts('1000 < http_requests_total').selectors;
    expect(s!.compared).toMatchObject({ op: '>', value: 1000 });
  });
});
