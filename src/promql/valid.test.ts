import { describe, expect, it } from 'vitest';
import { analyzePromql, FUNCTIONS, type ResultType } from './index.ts';

const valid: [string, ResultType][] = [
  // selectors
  ['up', 'vector'],
  ['up{job="api"}', 'vector'],
  ['{__name__="up"}', 'vector'],
  ['{__name__=~"http_.*", job="a"}', 'vector'],
  ['http_requests_total{method!="GET", code!~"2..", path=~"/api/.+",}', 'vector'],
  ['job:http_requests:rate5m', 'vector'],
  ["x{a='single', b=`raw\\d+`}", 'vector'],
  ['x{a="tab\\t quote\\" unicode\\u00e9 hex\\x41 octal\\101"}', 'vector'],
  ['rate{job="a"}', 'vector'],
  ['x[5m]', 'matrix'],
  ['x[1h30m]', 'matrix'],
  ['x[1d]', 'matrix'],
  ['x[5m:]', 'matrix'],
  ['x[1h:5m]', 'matrix'],
  // modifiers
  ['x offset 5m', 'vector'],
  ['x offset -5m', 'vector'],
  ['rate(x[5m] offset 1h)', 'vector'],
  ['x[1h:5m] offset 2m @ 100', 'matrix'],
  ['x @ 1609746000', 'vector'],
  ['x @ start()', 'vector'],
  ['rate(x[5m] @ end())', 'vector'],
  ['x @ 100 offset 5m', 'vector'],
  // Prometheus binds ranges, offset and @ to the nearest operand, not to the whole binary expression.
  ['x - x offset 1d', 'vector'],
  ['rate(x[5m]) / rate(x[5m] offset 1w)', 'vector'],
  ['x + y @ 100', 'vector'],
  ['-x offset 5m', 'vector'],
  ['a * b ^ c offset 1h', 'vector'],
  // literals
  ['1', 'scalar'],
  ['-1.5e3', 'scalar'],
  ['0x1F', 'scalar'],
  ['.5', 'scalar'],
  ['Inf', 'scalar'],
  ['NaN', 'scalar'],
  ['"a string"', 'string'],
  // operators
  ['x > 0.5', 'vector'],
  ['x > bool 0.5', 'vector'],
  ['1 > bool 2', 'scalar'],
  ['1 + 2 * 3 ^ 2 % 4', 'scalar'],
  ['x atan2 y', 'vector'],
  ['-x', 'vector'],
  ['- - 1', 'scalar'],
  ['(x + y) * 2', 'vector'],
  ['2 * x', 'vector'],
  ['x and y', 'vector'],
  ['x or y', 'vector'],
  ['x unless y', 'vector'],
  ['x and on(job) y', 'vector'],
  ['x or ignoring(a, b) y', 'vector'],
  ['x / on(job) group_left(team) y', 'vector'],
  ['x * ignoring(instance) group_right y', 'vector'],
  ['x == bool on(a) y', 'vector'],
  ['1 + on() 2', 'scalar'],
  // aggregations
  ['sum(x)', 'vector'],
  ['sum by (job) (rate(x[5m]))', 'vector'],
  ['sum(rate(x[5m])) by (job)', 'vector'],
  ['sum without (instance) (x)', 'vector'],
  ['SUM(x) BY (a)', 'vector'],
  ['sum by () (x)', 'vector'],
  ['sum by (a,) (x)', 'vector'],
  ['avg(x)', 'vector'],
  ['min(x)', 'vector'],
  ['max(x)', 'vector'],
  ['count(x)', 'vector'],
  ['group(x)', 'vector'],
  ['stddev(x)', 'vector'],
  ['stdvar(x)', 'vector'],
  ['topk(5, x)', 'vector'],
  ['bottomk(3, sum by (job) (x))', 'vector'],
  ['topk(scalar(y), x)', 'vector'],
  ['quantile(0.9, x)', 'vector'],
  ['count_values("version", build_info)', 'vector'],
  // functions, at least one call per signature shape
  ['rate(http_requests_total[5m])', 'vector'],
  ['irate(x[1m])', 'vector'],
  ['increase(x[1h])', 'vector'],
  ['delta(x[1h])', 'vector'],
  ['idelta(x[1h])', 'vector'],
  ['deriv(x[1h])', 'vector'],
  ['changes(x[1h])', 'vector'],
  ['resets(x[1h])', 'vector'],
  ['predict_linear(x[1h], 3600)', 'vector'],
  ['holt_winters(x[10m], 0.5, 0.5)', 'vector'],
  ['quantile_over_time(0.9, x[5m])', 'vector'],
  ['avg_over_time(x[5m]) + min_over_time(x[5m]) + max_over_time(x[5m]) + sum_over_time(x[5m])', 'vector'],
  ['count_over_time(x[5m]) + last_over_time(x[5m]) + present_over_time(x[5m])', 'vector'],
  ['stddev_over_time(x[5m]) + stdvar_over_time(x[5m])', 'vector'],
  ['max_over_time(rate(x[5m])[1h:1m])', 'vector'],
  ['absent(up{job="api"})', 'vector'],
  ['absent_over_time(up[5m])', 'vector'],
  ['histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))', 'vector'],
  ['histogram_fraction(0, 0.2, rate(x[5m]))', 'vector'],
  ['histogram_count(rate(x[5m])) / histogram_sum(rate(x[5m]))', 'vector'],
  ['label_replace(up, "host", "$1", "instance", "(.*):.*")', 'vector'],
  ['label_join(up, "all", ",", "job", "instance", "pod")', 'vector'],
  ['clamp(x, 0, 1) + clamp_min(x, 0) + clamp_max(x, 1)', 'vector'],
  ['round(x) + round(x, 0.5)', 'vector'],
  ['abs(x) + ceil(x) + floor(x) + exp(x) + ln(x) + log2(x) + log10(x) + sqrt(x) + sgn(x)', 'vector'],
  ['acos(x) + acosh(x) + asin(x) + asinh(x) + atan(x) + atanh(x) + cos(x) + cosh(x)', 'vector'],
  ['sin(x) + sinh(x) + tan(x) + tanh(x) + deg(x) + rad(x) * pi()', 'vector'],
  ['sort(x)', 'vector'],
  ['sort_desc(x)', 'vector'],
  ['timestamp(x)', 'vector'],
  ['vector(1)', 'vector'],
  ['time()', 'scalar'],
  ['pi()', 'scalar'],
  ['scalar(sum(x))', 'scalar'],
  ['time() - 300', 'scalar'],
  ['year() + month() + day_of_month() + day_of_week() + day_of_year() + days_in_month() + hour() + minute()', 'vector'],
  ['hour(timestamp(x))', 'vector'],
  // layout
  ['x # trailing comment', 'vector'],
  ['sum(\n  rate(x[5m])  # per second\n) by (job)\n', 'vector'],
  ['  up  ', 'vector'],
];

describe('valid expressions', () => {
  it.each(valid)('%s', (expr, resultType) => {
    const a = analyzePromql(expr);
    expect(a.problems).toEqual([]);
    expect(a.ok).toBe(true);
    expect(a.resultType).toBe(resultType);
  });

  it('call every function of the table at least once', () => {
    const uncalled = [...FUNCTIONS.keys()].filter((name) => !valid.some(([expr]) => new RegExp(`(^|[^a-z_])${name}\\(`).test(expr)));
    expect(uncalled).toEqual([]);
  });
});
