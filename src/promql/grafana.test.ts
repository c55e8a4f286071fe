import { describe, expect, it } from 'vitest';
import { substituteGrafanaVariables, templateVariableName } from './grafana.ts';
import { analyzePromql } from './index.ts';
import { at } from './test-helpers.ts';

describe('substituteGrafanaVariables', () => {
  it.each([
    ['rate(x[$__rate_interval])', 'rate(x[5m])'],
    ['rate(x[${__rate_interval}])', 'rate(x[5m])'],
    ['rate(x[$__interval]) * $__interval_ms', 'rate(x[5m]) * 1'],
    ['x / $__range_s', 'x / 1'],
    ['x offset $shift', 'x offset 5m'],
    ['x[$win:$res]', 'x[5m:5m]'],
    ['rate(x[[[win]]])', 'rate(x[5m])'],
    ['topk($n, x)', 'topk(1, x)'],
    ['x > ${threshold:raw}', 'x > 1'],
    ['sum by ($group, job) (x)', 'sum by (grafana_var, job) (x)'],
    ['x * on(${l:csv}) group_left y', 'x * on(grafana_var) group_left y'],
    ['$metric{job="a"}', 'grafana_var{job="a"}'],
    ['rate($metric[5m])', 'rate(grafana_var[5m])'],
    ['${env}_requests_total', 'grafana_var'],
    ['histogram_quantile(0.$q, x)', 'histogram_quantile(1, x)'],
    ['x{job=~"$job", a="[[b]]", c="${c:regex}"}', 'x{job=~"$job", a="[[b]]", c="${c:regex}"}'],
    ['x # $not_a_variable_in_a_comment', 'x # $not_a_variable_in_a_comment'],
  ])('%s', (input, output) => {
    expect(substituteGrafanaVariables(input).text).toBe(output);
  });

  it('maps positions in the substituted text back to the original', () => {
    const original = 'rate(x[$__rate_interval]) + y';
    const { text, map } = substituteGrafanaVariables(original);
    expect(text).toBe('rate(x[5m]) + y');
    // Before the variable: unchanged.
    expect([map.start(5), map.end(6)]).toEqual([5, 6]);
    // The placeholder maps to the whole variable.
    expect(at(original, '$__rate_interval')).toEqual({ start: 7, end: 23 });
    expect([map.start(7), map.end(9)]).toEqual([7, 23]);
    // After it: shifted by the length difference.
    expect([map.start(14), map.end(15)]).toEqual([28, 29]);
  });

  it('knows the variable name in every syntax', () => {
    expect(['$a', '${a}', '${a:csv}', '[[a]]', '[[a:regex]]'].map(templateVariableName)).toEqual(['a', 'a', 'a', 'a', 'a']);
  });
});

describe('analyzePromql with grafana: true', () => {
  it.each([
    'rate(http_requests_total[$__rate_interval])',
    'sum by ($group) (rate(x{job=~"$job"}[$__interval]))',
    'histogram_quantile(0.$q, x)',
    'x / $__range_s',
    'topk($n, x)',
    'max_over_time(x[$__range:$__interval])',
    'x offset $shift',
    'x > ${threshold}',
    'rate(x[[[interval]]])',
    '$metric{job="a"}',
    'sum(rate(${env}_requests_total[5m])) by (job)',
  ])('%s parses', (expr) => {
    expect(analyzePromql(expr, { grafana: true }).problems).toEqual([]);
  });

  it('reports problems after a variable at their original offsets', () => {
    const expr = 'rate(foo[$__rate_interval]) + rat(x[5m])';
    const a = analyzePromql(expr, { grafana: true });
    const rat = at(expr, 'rat(').start;
    expect(a.problems).toEqual([
      { code: 'promql/unknown-function', message: 'unknown function "rat"', start: rat, end: rat + 3, hint: 'did you mean rate?' },
    ]);
    const x = at(expr, 'x[').start;
    expect(a.metrics.map((m) => ({ name: m.name, start: m.start, end: m.end }))).toEqual([
      { name: 'foo', ...at(expr, 'foo') },
      { name: 'x', start: x, end: x + 1 },
    ]);
    expect(a.functions.map((f) => [f.name, f.start])).toEqual([
      ['rate', 0],
      ['rat', at(expr, 'rat(').start],
    ]);
  });

  it('reports a problem on a variable over the whole variable', () => {
    const expr = 'sum($__interval_ms)';
    expect(analyzePromql(expr, { grafana: true }).problems).toEqual([
      {
        code: 'promql/type',
        message: 'expected type instant vector in aggregation expression, got scalar',
        ...at(expr, '$__interval_ms'),
        hint: 'wrap it in vector(...) to turn a number into a vector: vector($__interval_ms)',
      },
    ]);
  });

  it('flags a duration variable used as a number, as Prometheus 2.42 would after expansion', () => {
    const expr = 'x * $__interval';
    const [p] = analyzePromql(expr, { grafana: true }).problems;
    expect(p).toMatchObject({ code: 'promql/syntax', message: "unexpected duration '$__interval' where a number is expected", ...at(expr, '$__interval') });
    expect(p?.hint).toContain('$__interval_ms');
  });

  it('reports the end of input after a trailing variable correctly', () => {
    const expr = 'rate(x[$__rate_interval]) +';
    expect(analyzePromql(expr, { grafana: true }).problems).toMatchObject([
      { code: 'promql/syntax', message: 'unexpected end of input', start: expr.length - 1, end: expr.length },
    ]);
  });

  it('keeps variables inside label values verbatim in the matchers', () => {
    const a = analyzePromql('up{job=~"$job", env="${env:raw}"}', { grafana: true });
    expect(a.metrics[0]?.matchers).toEqual([
      { label: 'job', op: '=~', value: '$job' },
      { label: 'env', op: '=', value: '${env:raw}' },
    ]);
  });

  it('does not report a variable standing for a metric name as a metric', () => {
    expect(analyzePromql('rate($metric[5m]) + up', { grafana: true }).metrics.map((m) => m.name)).toEqual(['up']);
  });

  it('names grouping labels by the variable', () => {
    expect(analyzePromql('sum by ($group) (x)', { grafana: true }).outputLabels).toEqual({ exact: true, labels: ['$group'], removed: [] });
  });

  it('without the option, a variable is a syntax error that says so', () => {
    const expr = 'rate(x[$__rate_interval])';
    const [p] = analyzePromql(expr).problems;
    expect(p).toMatchObject({ code: 'promql/syntax', start: 7, end: 8 });
    expect(p?.hint).toContain('grafana');
  });
});
