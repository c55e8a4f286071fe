import type { PromqlAnalysis } from '../promql/index.ts';
import type { TemplateAnalysis } from '../templates/go-template.ts';
import type { LabelInference } from './alert-labels.ts';
import type { Catalog } from './catalog.ts';
import type { ExpressionModel, Model } from './types.ts';

/** What is computed once from a model and shared by the checks and the emitters. */
export interface ModelAnalyses {
  model: Model;
  catalog: Catalog;
  /** PromQL analysis of an expression, computed once per expression and shared by every check. */
  analyze(expression: ExpressionModel): PromqlAnalysis;
  /** Which labels alerts and expressions carry. */
  labels: LabelInference;
  /** Go-template analysis of an annotation, cached. */
  templates(text: string): TemplateAnalysis;
}
