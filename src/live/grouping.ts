import type { SyntaxNode } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';
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

/** Functions that make labels: a by() label may come from them rather than from a metric. */
const LABEL_MAKERS = new Set(['label_replace', 'label_join']);

/**
 * The grouping labels of aggregations whose labels can only come from the metrics they select: no nested
 * aggregation (which already chose the labels), no label_replace()/label_join(), no selector without a name.
 * Panel queries are left out (their Grafana variables are rewritten before parsing).
 */
export function groupingUses(ctx: CheckContext): GroupingUse[] {
  const uses: GroupingUse[] = [];
  for (const expression of ctx.model.expressions) {
    if (expression.grafana || !/\b(by|without)\s*\(/i.test(expression.text)) continue;
    if (!ctx.analyze(expression).facts) continue;
    const text = expression.text;
    let top: SyntaxNode;
    try {
      top = parser.parse(text).topNode;
    } catch {
      continue;
    }
    const cursor = top.cursor();
    do {
      if (cursor.name !== 'AggregateExpr') continue;
      const node = cursor.node;
      const modifier = node.getChild('AggregateModifier');
      const body = node.getChild('FunctionCallBody');
      if (!modifier || !body) continue;
      const metrics = readMetrics(body, text);
      if (!metrics) continue;
      const kind = modifier.getChild('Without') ? 'without' : 'by';
      for (const label of modifier.getChild('GroupingLabels')?.getChildren('LabelName') ?? []) {
        uses.push({ expression, label: text.slice(label.from, label.to), kind, span: expression.origin.def.locateInString(expression.origin.path, label.from, label.to), metrics });
      }
    } while (cursor.next());
  }
  return uses;
}

/** The metric names selected under `body`, or undefined when a label could come from elsewhere. */
function readMetrics(body: SyntaxNode, text: string): string[] | undefined {
  const metrics = new Set<string>();
  const cursor = body.cursor();
  const end = body.to;
  do {
    if (cursor.from >= end) break;
    if (cursor.name === 'AggregateExpr') return undefined;
    if (cursor.name === 'FunctionIdentifier' && LABEL_MAKERS.has(text.slice(cursor.from, cursor.to))) return undefined;
    if (cursor.name === 'VectorSelector') {
      const name = cursor.node.getChild('Identifier');
      if (!name) return undefined;
      metrics.add(text.slice(name.from, name.to));
    }
  } while (cursor.next());
  return metrics.size ? [...metrics] : undefined;
}
