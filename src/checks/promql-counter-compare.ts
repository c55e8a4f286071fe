import type { ExpressionModel } from '../model/types.ts';
import type { Check } from './check.ts';
import { selectorsOf } from './promql-facts.ts';

/**
 * A counter only grows (until its process restarts), so comparing its raw value with a threshold fires once the total
 * passes it and stays firing, and stops after any restart: the threshold means nothing.
 */
export const promqlCounterCompareCheck: Check = {
  id: 'promql/counter-compare',
  description: "A counter is compared with a number only through rate(), increase() or similar, never by its raw total (also via an alert's thresholds).",
  severity: 'warning',
  run() {},
  // Each expression on its own, with the file's alerts and the catalogue: per file.
  perFile(ctx, file) {
    // The expressions an alert's thresholds compare: needed only for a bare selector, listed once per file then.
    let thresholded: Set<ExpressionModel> | undefined;
    const comparedByThresholds = (e: ExpressionModel) => (thresholded ??= new Set(file.groups.flatMap((g) => g.alerts).filter((a) => a.levels.some((l) => l.op)).map((a) => a.expression))).has(e);
    for (const { expression, selector, span } of selectorsOf(ctx, file.expressions)) {
      if (selector.call || selector.range || !selector.metric) continue;
      const viaThresholds = selector.bare && comparedByThresholds(expression);
      if (!selector.compared && !viaThresholds) continue;
      const origin = ctx.catalog.resolve(selector.metric);
      if (origin?.kind !== 'catalog') continue;
      const { type } = origin.metric;
      const counterSeries = type === 'counter' || (type === 'histogram' && origin.series !== origin.metric.name) || (type === 'summary' && origin.series !== origin.metric.name);
      if (!counterSeries) continue;
      ctx.report({
        uses: expression,
        message: `${expression.owner}: the counter "${selector.metric}" is compared with a threshold by its raw total${viaThresholds ? " (the alert's thresholds compare the expression itself)" : ''}: it passes the threshold once and stays there until the process restarts`,
        span: span(selector.at),
        hint: `compare its rate instead, e.g. rate(${selector.metric}[5m]) ${selector.compared?.op ?? '>'} …, or increase(${selector.metric}[1h]) for a count per period`,
      });
    }
  },
};
