import type { PromqlFacts } from './facts.ts';

export type PromqlProblemCode = 'promql/syntax' | 'promql/unknown-function' | 'promql/type' | 'promql/arity';

/** One problem in an expression. `start`/`end` are offsets into the ORIGINAL string given to analyzePromql. */
export interface PromqlProblem {
  code: PromqlProblemCode;
  message: string;
  start: number;
  end: number;
  hint?: string;
}

export type MatchOperator = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  label: string;
  op: MatchOperator;
  value: string;
}

/** A vector selector that names a metric. `start`/`end` cover the name token, or the value of its `__name__="…"` matcher. */
export interface MetricUse {
  name: string;
  start: number;
  end: number;
  /** The selector's matchers, without the `__name__` matcher that named the metric. */
  matchers: LabelMatcher[];
}

export interface OutputLabels {
  /**
   * exact=true: the result series carry exactly `labels`.
   * exact=false: they carry the labels of the underlying metric(s), minus `removed`, plus `labels`.
   */
  exact: boolean;
  labels: string[];
  removed: string[];
}

export interface FunctionUse {
  name: string;
  start: number;
  end: number;
}

export type ResultType = 'vector' | 'matrix' | 'scalar' | 'string';

export interface PromqlAnalysis {
  /** No problems. */
  ok: boolean;
  /** Every problem found, sorted by start. */
  problems: PromqlProblem[];
  /** Every vector selector that names a metric, in source order. */
  metrics: MetricUse[];
  /** Every function call (known or not), in source order; offsets cover the function name. */
  functions: FunctionUse[];
  /** Absent when the expression could not be parsed. */
  resultType?: ResultType;
  outputLabels: OutputLabels;
  /** What each selector is used for (semantic checks); absent when the expression could not be parsed. */
  facts?: PromqlFacts;
}

export interface AnalyzeOptions {
  /** Substitute Grafana template variables ($__rate_interval, $var, ${var:fmt}, [[var]]) before analysing. */
  grafana?: boolean;
}

/** Prometheus's name for each value type, as used in its error messages. */
export const DOCUMENTED_TYPE: Record<ResultType, string> = {
  vector: 'instant vector',
  matrix: 'range vector',
  scalar: 'scalar',
  string: 'string',
};
