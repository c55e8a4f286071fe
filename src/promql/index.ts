export { analyzePromql } from './analyze.ts';
export { COUNTER_RANGE_FUNCTIONS, PER_TARGET_METRICS, TWO_SAMPLE_FUNCTIONS, type AbsentFact, type GroupingFact, type Located, type MatcherFact, type PromqlFacts, type QuantileFact, type SelectorFact } from './facts.ts';
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
