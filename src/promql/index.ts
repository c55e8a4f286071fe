export { analyzePromql } from './analyze.ts';
export { AGGREGATIONS, FUNCTIONS, type AggregationSpec, type FunctionSpec } from './functions.ts';
export type {
  AnalyzeOptions,
  FunctionUse,
  LabelMatcher,
  MatchOperator,
  MetricUse,
  OutputLabels,
  PromqlAnalysis,
  PromqlProblem,
  PromqlProblemCode,
  ResultType,
} from './types.ts';
