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

describe('grouping facts: by() and without() labels, with the metrics they can only come from', () => {
  const groupings = (expr: string) => facts(expr).groupings.map((g) => ({ kind: g.kind, labels: g.labels.map((l) => [l.name, expr.slice(l.start, l.end)]), metrics: g.metrics }));
  it.each([
    ['sum by (pod) (rate(http_requests_total[5m])) > 1', [{ kind: 'by', labels: [['pod', 'pod']], metrics: ['http_requests_total'] }]],
    ['sum(rate(http_requests_total[5m])) by (job, servce)', [{ kind: 'by', labels: [['job', 'job'], ['servce', 'servce']], metrics: ['http_requests_total'] }]],
    ['sum without (pod) (a / on (job) group_left b)', [{ kind: 'without', labels: [['pod', 'pod']], metrics: ['a', 'b'] }]],
    ['topk by (pod) (3, x offset 5m)', [{ kind: 'by', labels: [['pod', 'pod']], metrics: ['x'] }]],
    ['sum by (pod) ({__name__="x", job="a"})', [{ kind: 'by', labels: [['pod', 'pod']], metrics: ['x'] }]],
    // Labels that may come from elsewhere: no metrics.
    ['sum by (pod) (label_replace(x, "pod", "$1", "job", "(.*)"))', [{ kind: 'by', labels: [['pod', 'pod']], metrics: undefined }]],
    ['sum by (pod) (label_join(x, "pod", ",", "a", "b"))', [{ kind: 'by', labels: [['pod', 'pod']], metrics: undefined }]],
    ['sum by (pod) ({job="a"})', [{ kind: 'by', labels: [['pod', 'pod']], metrics: undefined }]],
    ['sum by (pod) (vector(1))', [{ kind: 'by', labels: [['pod', 'pod']], metrics: undefined }]],
    // Outermost first; the inner aggregation chose the outer's labels.
    ['max by (pod) (sum by (job) (x))', [{ kind: 'by', labels: [['pod', 'pod']], metrics: undefined }, { kind: 'by', labels: [['job', 'job']], metrics: ['x'] }]],
    ['max by (pod) (sum(x))', [{ kind: 'by', labels: [['pod', 'pod']], metrics: undefined }]],
    ['sum(x)', []],
    ['rate(x[5m]) > 1', []],
    // Each metric once, in the order first read; more than 16 selectors take another path.
    ['sum by (pod) (b / a + b * c - a)', [{ kind: 'by', labels: [['pod', 'pod']], metrics: ['b', 'a', 'c'] }]],
    [`sum by (pod) (${Array.from({ length: 20 }, (_, i) => `m${i % 3 === 0 ? 0 : i}`).join(' + ')})`, [{ kind: 'by', labels: [['pod', 'pod']], metrics: ['m0', 'm1', 'm2', 'm4', 'm5', 'm7', 'm8', 'm10', 'm11', 'm13', 'm14', 'm16', 'm17', 'm19'] }]],
    ['sum without (a, b, c) (x)', [{ kind: 'without', labels: [['a', 'a'], ['b', 'b'], ['c', 'c']], metrics: ['x'] }]],
  ] as [string, unknown[]][])('%s', (expr, want) => {
    expect(groupings(expr)).toEqual(want);
  });

  it('has a metrics key only when it knows the metrics', () => {
    expect(Object.keys(facts('sum by (pod) (x)').groupings[0]!)).toEqual(['kind', 'labels', 'metrics']);
    expect(Object.keys(facts('sum by (pod) ({job="a"})').groupings[0]!)).toEqual(['kind', 'labels']);
  });
});

describe('the lists an analysis keeps', () => {
  it('are one frozen empty list when empty, which a caller cannot change under every other analysis', () => {
    const a = analyzePromql('sum by (pod) (x)');
    const b = analyzePromql('up');
    expect(a.problems).toBe(b.problems);
    expect(Object.isFrozen(a.problems)).toBe(true);
    expect(a.facts!.absents).toBe(b.facts!.quantiles);
    expect(() => (a.problems as unknown[]).push(1)).toThrow(TypeError);
    expect(analyzePromql('up').problems).toEqual([]);
  });

  it('has its keys in the same order with and without a result type and facts', () => {
    expect(Object.keys(analyzePromql('sum by (pod) (x)'))).toEqual(['ok', 'problems', 'metrics', 'functions', 'outputLabels', 'resultType', 'facts']);
    expect(Object.keys(analyzePromql('sum(x'))).toEqual(['ok', 'problems', 'metrics', 'functions', 'outputLabels']);
  });
});
