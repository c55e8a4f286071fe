import type { Span } from '../diagnostics.ts';
import type { ExpressionModel } from '../model/types.ts';
import type { CheckContext } from '../checks/check.ts';

/** A label of `by (…)` or `without (…)`, with the metrics the aggregation reads. */
export interface GroupingUse {
  expression: ExpressionModel;
  label: string;
  kind: 'by' | 'without';
  span: Span;
  /** Every metric selected inside the aggregation. */
  metrics: string[];
}

/**
 * The grouping labels of aggregations whose labels can only come from the metrics they select (the analysis's
 * grouping facts that name their metrics). Panel queries are left out (their Grafana variables stand for labels).
 */
export function groupingUses(ctx: CheckContext): GroupingUse[] {
  const uses: GroupingUse[] = [];
  for (const expression of ctx.model.expressions) {
    if (expression.grafana) continue;
    for (const grouping of ctx.analyze(expression).facts?.groupings ?? []) {
      const metrics = grouping.metrics;
      if (!metrics) continue;
      for (const label of grouping.labels) {
        uses.push({ expression, label: label.name, kind: grouping.kind, span: expression.origin.def.locateInString(expression.origin.path, label.start, label.end), metrics });
      }
    }
  }
  return uses;
}
