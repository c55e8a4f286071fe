import { describe, expect, it } from 'vitest';
import { analyzePromql, type PromqlProblemCode } from './index.ts';
import { at } from './test-helpers.ts';

interface Case {
  expr: string;
  code: PromqlProblemCode;
  message: string;
  /** The fragment of `expr` the problem covers, or explicit offsets. */
  where: string | [number, number];
  /** Which occurrence of the fragment. */
  nth?: number;
  /** A substring the hint must contain. */
  hint?: string;
}

const span = (c: Case) => (typeof c.where === 'string' ? at(c.expr, c.where, c.nth) : { start: c.where[0], end: c.where[1] });

/** Each expression has exactly one problem: the one listed. */
function table(cases: Case[]) {
  it.each(cases.map((c) => [c.expr, c] as const))('%s', (_, c) => {
    const a = analyzePromql(c.expr);
    expect(a.ok).toBe(false);
    expect(a.problems).toEqual([
      { code: c.code, message: c.message, ...span(c), hint: c.hint ? expect.stringContaining(c.hint) : expect.any(String) },
    ]);
  });
}

describe('syntax errors', () => {
  table([
    { expr: 'sum(rate(x[5m])', code: 'promql/syntax', message: 'unclosed parenthesis', where: [3, 4], hint: "add the matching ')'" },
    { expr: '(x', code: 'promql/syntax', message: 'unclosed parenthesis', where: [0, 1] },
    { expr: 'x[5m', code: 'promql/syntax', message: 'unclosed bracket', where: '[', hint: "']'" },
    { expr: 'x{job="a"', code: 'promql/syntax', message: 'unclosed brace', where: '{', hint: "'}'" },
    { expr: 'x)', code: 'promql/syntax', message: "unexpected token ')'", where: ')', hint: "no '('" },
    { expr: 'sum(x)) + 1', code: 'promql/syntax', message: "unexpected token ')'", where: ')', nth: 1 },
    { expr: 'rate(x[5m]) +', code: 'promql/syntax', message: 'unexpected end of input', where: '+', hint: "'+' needs an expression on its right-hand side" },
    { expr: 'rate(x[5m]) + \n  # nothing follows\n', code: 'promql/syntax', message: 'unexpected end of input', where: '+' },
    { expr: 'sum(x) by', code: 'promql/syntax', message: 'unexpected end of input', where: [8, 9], hint: 'by (job)' },
    { expr: 'x offset', code: 'promql/syntax', message: 'unexpected end of input', where: [7, 8], hint: 'offset 5m' },
    { expr: 'x @', code: 'promql/syntax', message: 'unexpected end of input', where: '@', hint: 'start()' },
    { expr: 'sum(x,', code: 'promql/syntax', message: 'unclosed parenthesis', where: '(' },
    { expr: '', code: 'promql/syntax', message: 'empty expression', where: [0, 0] },
    { expr: '  # just a comment', code: 'promql/syntax', message: 'empty expression', where: [0, 18] },
    { expr: 'x{a=b}', code: 'promql/syntax', message: "unexpected token 'b'", where: 'b', hint: 'label values must be quoted' },
    { expr: 'x{a="b" c="d"}', code: 'promql/syntax', message: "unexpected token 'c'", where: 'c', hint: "separate label matchers with ','" },
    { expr: 'x +* y', code: 'promql/syntax', message: "unexpected token '*'", where: '*', hint: "an expression is missing before '*'" },
    { expr: 'x ; y', code: 'promql/syntax', message: "unexpected character ';'", where: ';' },
    { expr: 'x = 1', code: 'promql/syntax', message: "unexpected token '='", where: '=', hint: "'=='" },
    { expr: 'up{job="api"} 5', code: 'promql/syntax', message: "unexpected token '5'", where: '5', hint: 'an operator' },
    { expr: 'x{a="b}', code: 'promql/syntax', message: 'unterminated string literal', where: '"b}', hint: 'closing "' },
    { expr: "x{a='b", code: 'promql/syntax', message: 'unterminated string literal', where: "'b" },
    { expr: 'x{a="\\q"}', code: 'promql/syntax', message: "unknown escape sequence '\\q'", where: '\\q', hint: 'raw string' },
    { expr: 'x{a="\\xZZ"}', code: 'promql/syntax', message: "invalid escape sequence '\\xZZ'", where: '\\xZZ' },
    { expr: 'rate(x[$__rate_interval])', code: 'promql/syntax', message: "unexpected character '$'", where: '$', hint: 'grafana option' },
    // Prometheus 2.42 rules the newer lezer grammar accepts.
    { expr: 'x > 5m', code: 'promql/syntax', message: "unexpected duration '5m' where a number is expected", where: '5m', hint: '300' },
    { expr: 'predict_linear(x[1h], 4h)', code: 'promql/syntax', message: "unexpected duration '4h' where a number is expected", where: '4h', hint: '14400' },
    { expr: 'x[5]', code: 'promql/syntax', message: "the range must be a duration with a unit, got '5'", where: '5', hint: '5s' },
    { expr: 'x[1m+1m]', code: 'promql/syntax', message: 'duration expressions are not supported by Prometheus 2.42', where: '1m+1m' },
    { expr: 'x[5m:step()]', code: 'promql/syntax', message: 'duration expressions are not supported by Prometheus 2.42', where: 'step()' },
    { expr: 'x offset +5m', code: 'promql/syntax', message: 'duration expressions are not supported by Prometheus 2.42', where: '+5m' },
    {
      expr: 'rate(x[5m]) offset 1m',
      code: 'promql/syntax',
      message: 'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery',
      where: 'offset 1m',
      hint: 'rate(x[5m] offset 1h)',
    },
    {
      expr: 'sum(x) @ 100',
      code: 'promql/syntax',
      message: '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery',
      where: '@ 100',
    },
    { expr: 'x offset 1m offset 2m', code: 'promql/syntax', message: 'offset may not be set multiple times', where: 'offset 2m' },
    { expr: 'x @ 1 @ 2', code: 'promql/syntax', message: '@ <timestamp> may not be set multiple times', where: '@ 2' },
    { expr: 'x offset 5m [5m]', code: 'promql/syntax', message: 'no offset modifiers allowed before range', where: 'x offset 5m' },
    { expr: 'x @ 100 [5m]', code: 'promql/syntax', message: 'no @ modifiers allowed before range', where: 'x @ 100' },
    { expr: 'x + bool y', code: 'promql/syntax', message: 'bool modifier can only be used on comparison operators', where: 'bool' },
    { expr: 'x and on(a) group_left y', code: 'promql/syntax', message: 'no grouping allowed for "and" operation', where: 'group_left' },
    {
      expr: 'x * on(a) group_left(a) y',
      code: 'promql/syntax',
      message: 'label "a" must not occur in ON and GROUP clause at once',
      where: 'on(a) group_left(a)',
    },
    { expr: '{}', code: 'promql/syntax', message: 'vector selector must contain at least one non-empty matcher', where: '{}' },
    { expr: '{job=~".*"}', code: 'promql/syntax', message: 'vector selector must contain at least one non-empty matcher', where: '{job=~".*"}' },
    { expr: '{job!="a"}', code: 'promql/syntax', message: 'vector selector must contain at least one non-empty matcher', where: '{job!="a"}' },
    { expr: 'x{__name__="y"}', code: 'promql/syntax', message: 'metric name must not be set twice: "x" or "y"', where: 'x{__name__="y"}' },
    { expr: '{"a"="b"}', code: 'promql/syntax', message: 'quoted label and metric names are not supported by Prometheus 2.42', where: '"a"' },
    { expr: 'sum by ("a") (x)', code: 'promql/syntax', message: 'quoted label names are not supported by Prometheus 2.42', where: '"a"' },
    { expr: 'x anchored', code: 'promql/syntax', message: "the 'anchored' modifier is not supported by Prometheus 2.42", where: 'anchored' },
    { expr: 'x + fill(0) y', code: 'promql/syntax', message: 'fill modifiers are not supported by Prometheus 2.42', where: 'fill(0)' },
  ]);

  it('reports a stray closer and an unclosed opener separately, sorted by position', () => {
    const a = analyzePromql('sum(x]');
    expect(a.problems.map((p) => [p.message, p.start, p.end])).toEqual([
      ['unclosed parenthesis', 3, 4],
      ["unexpected token ']'", 5, 6],
    ]);
  });
});

describe('unknown functions', () => {
  table([
    { expr: 'rat(x[5m])', code: 'promql/unknown-function', message: 'unknown function "rat"', where: 'rat', hint: 'did you mean rate?' },
    { expr: 'Rate(x[5m])', code: 'promql/unknown-function', message: 'unknown function "Rate"', where: 'Rate', hint: 'case-sensitive: did you mean rate?' },
    {
      expr: 'histogram_quantil(0.9, x)',
      code: 'promql/unknown-function',
      message: 'unknown function "histogram_quantil"',
      where: 'histogram_quantil',
      hint: 'did you mean histogram_quantile?',
    },
    { expr: 'summ(x)', code: 'promql/unknown-function', message: 'unknown function "summ"', where: 'summ', hint: 'did you mean sum?' },
    { expr: 'sum(x) + foo(y)', code: 'promql/unknown-function', message: 'unknown function "foo"', where: 'foo', hint: 'querying/functions' },
    { expr: 'my:recording:rule(x)', code: 'promql/unknown-function', message: 'unknown function "my:recording:rule"', where: 'my:recording:rule' },
    { expr: 'sort_by_label(x, "a")', code: 'promql/unknown-function', message: 'unknown function "sort_by_label"', where: 'sort_by_label', hint: 'added after Prometheus 2.42' },
    { expr: 'first_over_time(x[5m])', code: 'promql/unknown-function', message: 'unknown function "first_over_time"', where: 'first_over_time' },
    {
      expr: 'double_exponential_smoothing(x[5m], 0.5, 0.5)',
      code: 'promql/unknown-function',
      message: 'unknown function "double_exponential_smoothing"',
      where: 'double_exponential_smoothing',
      hint: 'use holt_winters',
    },
    { expr: 'limitk(2, x)', code: 'promql/unknown-function', message: 'unknown aggregation "limitk"', where: 'limitk' },
  ]);

  it('without a plausible candidate there is no "did you mean"', () => {
    expect(analyzePromql('foo(x)').problems[0]?.hint).not.toMatch(/did you mean/);
  });
});

describe('type errors', () => {
  table([
    {
      expr: 'rate(http_requests_total)',
      code: 'promql/type',
      message: 'expected type range vector in call to function "rate", got instant vector',
      where: 'http_requests_total',
      hint: 'add a range, e.g. rate(http_requests_total[5m])',
    },
    {
      expr: 'max_over_time(sum(x))',
      code: 'promql/type',
      message: 'expected type range vector in call to function "max_over_time", got instant vector',
      where: 'sum(x)',
      hint: '(sum(x))[5m:]',
    },
    {
      expr: 'sum(x[5m])',
      code: 'promql/type',
      message: 'expected type instant vector in aggregation expression, got range vector',
      where: 'x[5m]',
      hint: 'sum(rate(x[5m]))',
    },
    { expr: 'abs(x[5m])', code: 'promql/type', message: 'expected type instant vector in call to function "abs", got range vector', where: 'x[5m]' },
    {
      expr: 'histogram_quantile(x, y)',
      code: 'promql/type',
      message: 'expected type scalar in call to function "histogram_quantile", got instant vector',
      where: 'x',
      nth: 0,
      hint: 'scalar(x)',
    },
    { expr: 'vector(x)', code: 'promql/type', message: 'expected type scalar in call to function "vector", got instant vector', where: 'x', nth: 0 },
    { expr: 'abs(1)', code: 'promql/type', message: 'expected type instant vector in call to function "abs", got scalar', where: '1', hint: 'vector(1)' },
    {
      expr: 'label_replace(x, 1, "a", "b", "c")',
      code: 'promql/type',
      message: 'expected type string in call to function "label_replace", got scalar',
      where: '1',
    },
    // The repeated last parameter of a variadic function is checked too.
    {
      expr: 'label_join(x, "d", ",", 1)',
      code: 'promql/type',
      message: 'expected type string in call to function "label_join", got scalar',
      where: [24, 25],
    },
    {
      expr: 'x[5m] + 1',
      code: 'promql/type',
      message: 'binary expression must contain only scalar and instant vector types, got range vector',
      where: 'x[5m]',
      hint: 'rate(x[5m])',
    },
    {
      expr: 'y > x[5m]',
      code: 'promql/type',
      message: 'binary expression must contain only scalar and instant vector types, got range vector',
      where: 'x[5m]',
    },
    { expr: 'x + "a"', code: 'promql/type', message: 'binary expression must contain only scalar and instant vector types, got string', where: '"a"' },
    { expr: 'topk(x, y)', code: 'promql/type', message: 'expected type scalar in aggregation parameter, got instant vector', where: 'x' },
    { expr: 'quantile("0.9", x)', code: 'promql/type', message: 'expected type scalar in aggregation parameter, got string', where: '"0.9"' },
    { expr: 'count_values(1, x)', code: 'promql/type', message: 'expected type string in aggregation parameter, got scalar', where: '1' },
    { expr: '1 > 2', code: 'promql/type', message: 'comparisons between scalars must use BOOL modifier', where: '>', hint: "'> bool'" },
    { expr: 'time() == 0', code: 'promql/type', message: 'comparisons between scalars must use BOOL modifier', where: '==' },
    { expr: 'x and 1', code: 'promql/type', message: 'set operator "and" not allowed in binary scalar expression', where: 'and' },
    { expr: '1 or x', code: 'promql/type', message: 'set operator "or" not allowed in binary scalar expression', where: 'or' },
    { expr: '1 + on(a) x', code: 'promql/type', message: 'vector matching only allowed between instant vectors', where: 'on(a)' },
    {
      expr: 'rate(x[5m])[1h]',
      code: 'promql/type',
      message: 'ranges only allowed for vector selectors',
      where: 'rate(x[5m])[1h]',
      hint: 'rate(x[5m])[1h:]',
    },
    { expr: 'x[5m][10m:]', code: 'promql/type', message: 'subquery is only allowed on instant vector, got range vector instead', where: 'x[5m]' },
    {
      expr: '-x[5m]',
      code: 'promql/type',
      message: 'unary expression only allowed on expressions of type scalar or instant vector, got "range vector"',
      where: 'x[5m]',
    },
    {
      expr: 'a / b[5m:1m]',
      code: 'promql/type',
      message: 'binary expression must contain only scalar and instant vector types, got range vector',
      where: 'b[5m:1m]',
    },
    {
      expr: '-"a"',
      code: 'promql/type',
      message: 'unary expression only allowed on expressions of type scalar or instant vector, got "string"',
      where: '"a"',
    },
    {
      expr: 'rate(x[5m]) by (job)',
      code: 'promql/type',
      message: `'by' is only allowed on aggregation operators (sum, avg, max, …), not on function "rate"`,
      where: 'by (job)',
      hint: 'sum by (job) (rate(x[5m]))',
    },
    {
      expr: 'x without (a)',
      code: 'promql/type',
      message: `'without' is only allowed on aggregation operators (sum, avg, max, …), not on a selector`,
      where: 'without (a)',
    },
  ]);
});

describe('arity errors', () => {
  table([
    { expr: 'rate()', code: 'promql/arity', message: 'expected 1 argument(s) in call to "rate", got 0', where: 'rate()', hint: 'rate(range vector)' },
    { expr: 'clamp(x, 1)', code: 'promql/arity', message: 'expected 3 argument(s) in call to "clamp", got 2', where: 'clamp(x, 1)', hint: 'clamp(instant vector, scalar, scalar)' },
    { expr: 'round(x, 1, 2)', code: 'promql/arity', message: 'expected at most 2 argument(s) in call to "round", got 3', where: '2' },
    { expr: 'hour(x, y)', code: 'promql/arity', message: 'expected at most 1 argument(s) in call to "hour", got 2', where: 'y' },
    { expr: 'label_join(x, "a")', code: 'promql/arity', message: 'expected at least 3 argument(s) in call to "label_join", got 2', where: 'label_join(x, "a")' },
    { expr: 'time(1)', code: 'promql/arity', message: 'expected 0 argument(s) in call to "time", got 1', where: '1' },
    { expr: 'histogram_quantile(0.9, x, y, z)', code: 'promql/arity', message: 'expected 2 argument(s) in call to "histogram_quantile", got 4', where: 'y, z' },
    { expr: 'sum()', code: 'promql/arity', message: 'no arguments for aggregate expression provided', where: 'sum()', hint: 'sum(instant vector)' },
    {
      expr: 'topk(x)',
      code: 'promql/arity',
      message: 'wrong number of arguments for aggregate expression provided, expected 2, got 1',
      where: 'topk(x)',
      hint: 'topk(k, instant vector)',
    },
    { expr: 'sum(x, y)', code: 'promql/arity', message: 'wrong number of arguments for aggregate expression provided, expected 1, got 2', where: 'y' },
  ]);
});

describe('several problems', () => {
  it('reports every problem, not just the first, sorted by start', () => {
    const expr = 'rate(x) + foo(y) + abs(z[5m])';
    const a = analyzePromql(expr);
    expect(a.problems.map((p) => ({ code: p.code, start: p.start, end: p.end }))).toEqual([
      { code: 'promql/type', ...at(expr, 'x') },
      { code: 'promql/unknown-function', ...at(expr, 'foo') },
      { code: 'promql/type', ...at(expr, 'z[5m]') },
    ]);
  });

  it('keeps analysing the rest of the expression after a syntax error', () => {
    const expr = 'sum(rate(x)) + (y';
    const a = analyzePromql(expr);
    expect(a.problems.map((p) => [p.code, p.message, p.start])).toEqual([
      ['promql/type', 'expected type range vector in call to function "rate", got instant vector', at(expr, 'x').start],
      ['promql/syntax', 'unclosed parenthesis', at(expr, '(y').start],
    ]);
    expect(a.resultType).toBeUndefined();
  });

  it('does not report type errors inside what lezer had to recover around', () => {
    // The user most likely meant `rate(x[5m]) + 1`; complaining about `x[5m] + 1` would be noise.
    const a = analyzePromql('rate(x[5m] + 1');
    expect(a.problems.map((p) => [p.code, p.message])).toEqual([['promql/syntax', 'unclosed parenthesis']]);
    expect(a.metrics.map((m) => m.name)).toEqual(['x']);
  });
});

describe('durations Prometheus 2.42 refuses (model.ParseDuration, then > 0)', () => {
  table([
    { expr: 'rate(x[293y])', code: 'promql/syntax', message: "the range '293y': duration out of range", where: '293y', hint: '292y' },
    { expr: 'rate(x[99999999999999999999y])', code: 'promql/syntax', message: "the range '99999999999999999999y': duration out of range", where: '99999999999999999999y' },
    { expr: 'x offset 9223372036855ms', code: 'promql/syntax', message: "the offset '9223372036855ms': duration out of range", where: '9223372036855ms' },
    { expr: 'max_over_time(x[292y1000w:])', code: 'promql/syntax', message: "the subquery range '292y1000w': duration out of range", where: '292y1000w' },
    { expr: 'max_over_time(x[5m:0s])', code: 'promql/syntax', message: "the subquery resolution '0s': duration must be greater than 0", where: '0s' },
    { expr: 'rate(x[0m])', code: 'promql/syntax', message: "the range '0m': duration must be greater than 0", where: '0m' },
    { expr: 'rate(x[30m1h])', code: 'promql/syntax', message: 'not a valid duration string: "30m1h"', where: '30m1h', hint: '1h30m' },
    { expr: 'x offset 1m1m', code: 'promql/syntax', message: 'not a valid duration string: "1m1m"', where: '1m1m' },
  ]);

  it.each(['rate(x[292y])', 'rate(x[9223372036854ms])', 'x offset 292y24w3d23h47m16s854ms', 'rate(x[1y1w1d1h1m1s1ms])'])('accepts %s', (expr) => {
    expect(analyzePromql(expr).problems).toEqual([]);
  });
});

describe('regexes are RE2, located inside the string', () => {
  table([
    { expr: 'x{a=~"(?!b)"}', code: 'promql/syntax', message: 'invalid regex in matcher a=~: error parsing regexp: invalid or unsupported Perl syntax: `(?!`', where: '(?!', hint: 'RE2' },
    { expr: 'x{a!~"(b)\\\\1"}', code: 'promql/syntax', message: 'invalid regex in matcher a!~: error parsing regexp: invalid escape sequence: `\\1`', where: '\\\\1' },
    { expr: 'x{a=~`b)(c`}', code: 'promql/syntax', message: 'invalid regex in matcher a=~: error parsing regexp: unexpected ): `b)(c`', where: ')' },
    {
      expr: 'label_replace(x, "d", "$1", "s", "(.*")',
      code: 'promql/syntax',
      message: 'invalid regular expression in label_replace(): error parsing regexp: missing closing ): `(.*`',
      where: '(.*',
    },
  ]);

  it.each(['x{a=~"(?P<n>b)|\\\\pL|[[:alpha:]]|\\\\Qa.b\\\\E|a(?i)b"}', 'label_replace(x, "d", "$1", "s", "a)(b")'])('accepts %s', (expr) => {
    expect(analyzePromql(expr).problems).toEqual([]);
  });
});
