import { describe, expect, it } from 'vitest';
import { analyzePromql, type OutputLabels } from './index.ts';
import { at } from './test-helpers.ts';

const inherit = (labels: string[] = [], removed: string[] = []): OutputLabels => ({ exact: false, labels, removed });
const exact = (labels: string[]): OutputLabels => ({ exact: true, labels, removed: [] });

describe('outputLabels', () => {
  it.each<[string, OutputLabels]>([
    // selectors and label-preserving functions
    ['up', inherit()],
    ['up{job="api"}[5m]', inherit()],
    ['rate(x[5m])', inherit()],
    ['irate(x[5m])', inherit()],
    ['increase(x[1h])', inherit()],
    ['delta(x[1h])', inherit()],
    ['avg_over_time(x[5m])', inherit()],
    ['quantile_over_time(0.9, x[5m])', inherit()],
    ['abs(x offset 5m)', inherit()],
    ['max_over_time(rate(x[5m])[1h:])', inherit()],
    ['histogram_fraction(0, 1, x)', inherit()],
    // aggregations
    ['sum(x)', exact([])],
    ['sum by (a, b) (x)', exact(['a', 'b'])],
    ['sum(rate(x[5m])) by (job)', exact(['job'])],
    ['avg without (cpu) (x)', inherit([], ['cpu'])],
    ['sum without (cpu, mode) (rate(node_cpu_seconds_total[5m]))', inherit([], ['cpu', 'mode'])],
    ['sum without (b) (sum by (a, b) (x))', exact(['a'])],
    ['topk(3, x)', inherit()],
    ['bottomk by (job) (3, sum by (job, instance) (x))', exact(['job', 'instance'])],
    ['quantile by (job) (0.9, x)', exact(['job'])],
    ['count_values("version", build_info)', exact(['version'])],
    ['count_values("version", build_info) by (job)', exact(['job', 'version'])],
    ['count_values without (instance) ("version", build_info)', inherit(['version'], ['instance'])],
    // label-changing functions
    ['histogram_quantile(0.9, rate(x_bucket[5m]))', inherit([], ['le'])],
    ['histogram_quantile(0.9, sum by (le, job) (rate(x_bucket[5m])))', exact(['job'])],
    ['label_replace(x, "host", "$1", "instance", "(.*):.*")', inherit(['host'])],
    ['label_replace(sum by (a) (x), "b", "$1", "a", "(.*)")', exact(['a', 'b'])],
    ['label_join(x, "all", ",", "a", "b")', inherit(['all'])],
    ['absent(up{job="api", env="prod", instance=~"a.*"})', exact(['job', 'env'])],
    ['absent(up{job="a", job="b"})', exact([])],
    ['absent(sum(x))', exact([])],
    ['absent_over_time(up{job="api"}[5m])', exact(['job'])],
    ['absent({__name__="x", job="j"} offset 5m)', exact(['job'])],
    ['vector(1)', exact([])],
    ['scalar(x)', exact([])],
    ['time()', exact([])],
    ['hour()', exact([])],
    ['hour(x)', inherit()],
    // binary operators
    ['1 + 2', exact([])],
    ['x * 100', inherit()],
    ['100 * sum by (a) (x)', exact(['a'])],
    ['sum by (a) (x) > bool 1', exact(['a'])],
    ['x / y', inherit()],
    ['sum by (a, b) (x) / sum by (a, c) (y)', exact(['a', 'b'])],
    ['x / on(a, b) y', exact(['a', 'b'])],
    ['x / ignoring(code) y', inherit([], ['code'])],
    ['sum by (a, b) (x) / ignoring(b) sum by (a) (y)', exact(['a'])],
    ['x * on(instance) group_left(node_name, team) y', inherit(['node_name', 'team'])],
    ['sum by (a) (x) * on(a) group_left(b) y', exact(['a', 'b'])],
    ['x * ignoring(c) group_right(d) sum by (a) (y)', exact(['a', 'd'])],
    ['x and y', inherit()],
    ['sum by (a) (x) unless on(a) y', exact(['a'])],
    ['sum by (a) (x) and sum by (b) (y)', exact(['a'])],
    ['x or y', inherit()],
    ['sum by (a) (x) or sum by (b) (y)', exact(['a', 'b'])],
    ['sum without (c) (x) or sum by (a) (y)', inherit(['a'], ['c'])],
    ['sum without (c, d) (x) or sum without (d) (y)', inherit([], ['d'])],
    ['-sum by (a) (x)', exact(['a'])],
    ['(sum by (a) (x))', exact(['a'])],
  ])('%s', (expr, labels) => {
    const a = analyzePromql(expr);
    expect(a.problems).toEqual([]);
    expect(a.outputLabels).toEqual(labels);
  });

  it('is the neutral value when the expression does not parse', () => {
    expect(analyzePromql('sum by (a) (x').outputLabels).toEqual(inherit());
  });
});

describe('metrics', () => {
  it('lists every selector that names a metric, in source order, with its matchers', () => {
    const expr = 'sum(rate(http_requests_total{job="api", code=~"5.."}[5m])) / ignoring(code) sum(rate(http_requests_total{job!="x"}[5m])) + up';
    expect(analyzePromql(expr).metrics).toEqual([
      {
        name: 'http_requests_total',
        ...at(expr, 'http_requests_total'),
        matchers: [
          { label: 'job', op: '=', value: 'api' },
          { label: 'code', op: '=~', value: '5..' },
        ],
      },
      { name: 'http_requests_total', ...at(expr, 'http_requests_total', 1), matchers: [{ label: 'job', op: '!=', value: 'x' }] },
      { name: 'up', ...at(expr, 'up', 0), matchers: [] },
    ]);
  });

  it('takes the name from a __name__ equality matcher, positioned on its value', () => {
    const expr = 'rate({__name__="http_requests_total", job="api"}[5m])';
    expect(analyzePromql(expr).metrics).toEqual([
      { name: 'http_requests_total', ...at(expr, 'http_requests_total'), matchers: [{ label: 'job', op: '=', value: 'api' }] },
    ]);
  });

  it('does not count a regex on __name__ or a selector without name as a metric', () => {
    expect(analyzePromql('{__name__=~"http_.*"} + {job="api"}').metrics).toEqual([]);
  });

  it('unescapes matcher values and keeps raw strings raw', () => {
    const a = analyzePromql('x{a="say \\"hi\\"\\n", b=`\\d+`, c=\'it\\\'s\'}');
    expect(a.metrics[0]?.matchers).toEqual([
      { label: 'a', op: '=', value: 'say "hi"\n' },
      { label: 'b', op: '=', value: '\\d+' },
      { label: 'c', op: '=', value: "it's" },
    ]);
  });

  it('handles recording-rule names and metric names shared with functions', () => {
    const expr = 'job:http:rate5m + time + rate{job="a"} + sum_over_time';
    const span = (fragment: string, nth = 0) => {
      const { start } = at(expr, fragment, nth);
      return [start, start + fragment.length];
    };
    expect(analyzePromql(expr).metrics.map((m) => [m.name, m.start, m.end])).toEqual([
      ['job:http:rate5m', ...span('job:http:rate5m')],
      ['time', ...span('time')],
      // 'rate' also occurs inside job:http:rate5m.
      ['rate', ...span('rate', 1)],
      ['sum_over_time', ...span('sum_over_time')],
    ]);
  });

  it('still lists the metrics of an expression with problems', () => {
    const expr = 'rate(foo) + bar(baz[5m])';
    expect(analyzePromql(expr).metrics.map((m) => m.name)).toEqual(['foo', 'baz']);
  });
});

describe('functions', () => {
  it('lists every call with the offsets of its name, unknown ones included, in source order', () => {
    const expr = 'sum(rate(x[5m])) + holt_winters(y[10m], 0.5, 0.5) - rat(z[5m]) * vector(1)';
    expect(analyzePromql(expr).functions).toEqual([
      { name: 'rate', ...at(expr, 'rate') },
      { name: 'holt_winters', ...at(expr, 'holt_winters') },
      { name: 'rat', start: at(expr, 'rat(').start, end: at(expr, 'rat(').start + 3 },
      { name: 'vector', ...at(expr, 'vector') },
    ]);
  });

  it('does not list aggregations', () => {
    expect(analyzePromql('sum(x) + topk(1, y)').functions).toEqual([]);
  });
});
