export { analyzePromql } from './analyze.js';
export { AGGREGATIONS, FUNCTIONS, type AggregationSpec, type FunctionSpec } from './functions.js';
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
} from './types.js';
