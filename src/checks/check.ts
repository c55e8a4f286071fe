import type { Diagnostic, Severity, Span } from '../diagnostics.ts';
import type { ExpressionModel, Model } from '../model/types.ts';
import type { PromqlAnalysis } from '../promql/index.ts';
import type { Catalog } from '../model/catalog.ts';
import type { LabelInference } from '../model/alert-labels.ts';
import type { TemplateAnalysis } from '../templates/go-template.ts';

export interface Report {
  message: string;
  span?: Span;
  hint?: string;
  /** Defaults to the check's severity. */
  severity?: Severity;
  related?: Diagnostic['related'];
  /** Defaults to the check's id; a check may report under a narrower id of its family (promql/type). */
  code?: string;
}

export interface CheckContext {
  model: Model;
  catalog: Catalog;
  /** PromQL analysis of an expression, computed once per expression and shared by every check. */
  analyze(expression: ExpressionModel): PromqlAnalysis;
  /** Which labels alerts and expressions carry. */
  labels: LabelInference;
  /** Go-template analysis of an annotation, cached. */
  templates(text: string): TemplateAnalysis;
  report(problem: Report): void;
}

/** One check = one stable id, one module, one doc line. Checks read the model and report; they never throw for user input. */
export interface Check {
  id: string;
  description: string;
  severity: Severity;
  /**
   * Cross-reference checks need every definition: while some file fails to parse or match its schema, they are
   * skipped, so one typo does not also show up as a dozen dangling references.
   */
  needsCompleteModel?: boolean;
  run(ctx: CheckContext): void;
}
