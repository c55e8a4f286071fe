import type { ResultType } from './types.ts';

/** How a function's result labels relate to its arguments' labels. */
export type LabelRule =
  /** The labels of argument `arg` (rate, abs, *_over_time, …). */
  | { kind: 'keep'; arg: number }
  /** No labels at all (time(), vector(), scalar results). */
  | { kind: 'none' }
  /** absent()/absent_over_time(): the equality matchers of the selector argument. */
  | { kind: 'absent' }
  /** The labels of argument `arg` minus `labels` (histogram_quantile drops `le`). */
  | { kind: 'remove'; arg: number; labels: string[] }
  /** The labels of argument `arg` plus the label named by string argument `dstArg` (label_replace, label_join). */
  | { kind: 'add-dst'; arg: number; dstArg: number };

export interface FunctionSpec {
  name: string;
  argTypes: ResultType[];
  /**
   * Prometheus's convention: 0 = exactly argTypes.length args; otherwise the last arg is optional and
   * may appear up to `variadic` times (-1 = without bound).
   */
  variadic: number;
  returnType: ResultType;
  labels: LabelRule;
}

function fn(name: string, argTypes: ResultType[], returnType: ResultType, labels: LabelRule, variadic = 0): FunctionSpec {
  return { name, argTypes, variadic, returnType, labels };
}

const KEEP0: LabelRule = { kind: 'keep', arg: 0 };
const NONE: LabelRule = { kind: 'none' };

const vectorMath = (name: string) => fn(name, ['vector'], 'vector', KEEP0);
const overTime = (name: string) => fn(name, ['matrix'], 'vector', KEEP0);
// The date functions default to vector(time()) when called without an argument.
const dateFn = (name: string) => fn(name, ['vector'], 'vector', KEEP0, 1);

/** Every function of Prometheus 2.42, with its signature. */
export const FUNCTIONS: ReadonlyMap<string, FunctionSpec> = new Map(
  [
    vectorMath('abs'),
    fn('absent', ['vector'], 'vector', { kind: 'absent' }),
    fn('absent_over_time', ['matrix'], 'vector', { kind: 'absent' }),
    vectorMath('acos'),
    vectorMath('acosh'),
    vectorMath('asin'),
    vectorMath('asinh'),
    vectorMath('atan'),
    vectorMath('atanh'),
    overTime('avg_over_time'),
    vectorMath('ceil'),
    overTime('changes'),
    fn('clamp', ['vector', 'scalar', 'scalar'], 'vector', KEEP0),
    fn('clamp_max', ['vector', 'scalar'], 'vector', KEEP0),
    fn('clamp_min', ['vector', 'scalar'], 'vector', KEEP0),
    vectorMath('cos'),
    vectorMath('cosh'),
    overTime('count_over_time'),
    dateFn('days_in_month'),
    dateFn('day_of_month'),
    dateFn('day_of_week'),
    dateFn('day_of_year'),
    vectorMath('deg'),
    overTime('delta'),
    overTime('deriv'),
    vectorMath('exp'),
    vectorMath('floor'),
    vectorMath('histogram_count'),
    fn('histogram_fraction', ['scalar', 'scalar', 'vector'], 'vector', { kind: 'keep', arg: 2 }),
    fn('histogram_quantile', ['scalar', 'vector'], 'vector', { kind: 'remove', arg: 1, labels: ['le'] }),
    vectorMath('histogram_sum'),
    fn('holt_winters', ['matrix', 'scalar', 'scalar'], 'vector', KEEP0),
    dateFn('hour'),
    overTime('idelta'),
    overTime('increase'),
    overTime('irate'),
    fn('label_join', ['vector', 'string', 'string', 'string'], 'vector', { kind: 'add-dst', arg: 0, dstArg: 1 }, -1),
    fn('label_replace', ['vector', 'string', 'string', 'string', 'string'], 'vector', {
      kind: 'add-dst',
      arg: 0,
      dstArg: 1,
    }),
    overTime('last_over_time'),
    vectorMath('ln'),
    vectorMath('log10'),
    vectorMath('log2'),
    overTime('max_over_time'),
    overTime('min_over_time'),
    dateFn('minute'),
    dateFn('month'),
    fn('pi', [], 'scalar', NONE),
    fn('predict_linear', ['matrix', 'scalar'], 'vector', KEEP0),
    overTime('present_over_time'),
    fn('quantile_over_time', ['scalar', 'matrix'], 'vector', { kind: 'keep', arg: 1 }),
    vectorMath('rad'),
    overTime('rate'),
    overTime('resets'),
    fn('round', ['vector', 'scalar'], 'vector', KEEP0, 1),
    fn('scalar', ['vector'], 'scalar', NONE),
    vectorMath('sgn'),
    vectorMath('sin'),
    vectorMath('sinh'),
    vectorMath('sort'),
    vectorMath('sort_desc'),
    vectorMath('sqrt'),
    overTime('stddev_over_time'),
    overTime('stdvar_over_time'),
    overTime('sum_over_time'),
    vectorMath('tan'),
    vectorMath('tanh'),
    fn('time', [], 'scalar', NONE),
    vectorMath('timestamp'),
    fn('vector', ['scalar'], 'vector', NONE),
    dateFn('year'),
  ].map((f) => [f.name, f]),
);

/** Functions of later Prometheus releases, which 2.42 rejects as unknown. Value: the hint to give. */
export const LATER_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  ['double_exponential_smoothing', 'double_exponential_smoothing is the Prometheus 3 name of holt_winters; use holt_winters(...) with Prometheus 2.42'],
  ...[
    'first_over_time',
    'histogram_avg',
    'histogram_quantiles',
    'histogram_stddev',
    'histogram_stdvar',
    'info',
    'integral',
    'limit_ratio',
    'limitk',
    'mad_over_time',
    'sort_by_label',
    'sort_by_label_desc',
    'start_timestamp',
    'start',
    'end',
    'range',
    'step',
    'ts_of_first_over_time',
    'ts_of_last_over_time',
    'ts_of_max_over_time',
    'ts_of_min_over_time',
  ].map((name): [string, string] => [name, `${name} was added after Prometheus 2.42 and is not available there`]),
]);

export interface AggregationSpec {
  name: string;
  /** Type of the leading parameter (topk's k, count_values' label), if the aggregation takes one. */
  param?: ResultType;
  /** How the result labels are derived. */
  labels: 'grouping' | 'input' | 'count-values';
}

/** Aggregation operators of Prometheus 2.42. */
export const AGGREGATIONS: ReadonlyMap<string, AggregationSpec> = new Map(
  (
    [
      { name: 'avg', labels: 'grouping' },
      { name: 'bottomk', param: 'scalar', labels: 'input' },
      { name: 'count', labels: 'grouping' },
      { name: 'count_values', param: 'string', labels: 'count-values' },
      { name: 'group', labels: 'grouping' },
      { name: 'max', labels: 'grouping' },
      { name: 'min', labels: 'grouping' },
      { name: 'quantile', param: 'scalar', labels: 'grouping' },
      { name: 'stddev', labels: 'grouping' },
      { name: 'stdvar', labels: 'grouping' },
      { name: 'sum', labels: 'grouping' },
      { name: 'topk', param: 'scalar', labels: 'input' },
    ] satisfies AggregationSpec[]
  ).map((a) => [a.name, a]),
);

/** Minimum and maximum (Infinity = unbounded) argument count of a function. */
export function arityOf(spec: FunctionSpec): { min: number; max: number } {
  const n = spec.argTypes.length;
  if (spec.variadic === 0) return { min: n, max: n };
  return { min: n - 1, max: spec.variadic < 0 ? Infinity : n - 1 + spec.variadic };
}
