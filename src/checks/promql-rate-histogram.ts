import type { Check } from './check.ts';
import { counterFunctionsOnCatalogued } from './promql-facts.ts';

/** A classic histogram has no series under its base name; a summary's base name holds quantiles (gauges). */
export const promqlRateHistogramCheck: Check = {
  id: 'promql/rate-histogram',
  description: 'rate(), irate() and increase() of a histogram or summary use its _bucket, _sum or _count series, not its base name.',
  severity: 'error',
  run() {},
  // Each expression on its own, with the catalogue: per file.
  perFile(ctx, file) {
    for (const { expression, selector, span, fn, range: selected, origin } of counterFunctionsOnCatalogued(ctx, file.expressions)) {
      if (origin.series !== origin.metric.name) continue;
      const { type, name } = origin.metric;
      if (type !== 'histogram' && type !== 'summary') continue;
      const range = selected.text;
      ctx.report({
        uses: expression,
        message:
          type === 'histogram'
            ? `${expression.owner}: ${fn}() of the histogram "${name}" by its base name, which has no series: the result is always empty`
            : `${expression.owner}: ${fn}() of the summary "${name}" by its base name, whose series are quantiles (gauges), not counters`,
        span: span(selector.at),
        hint:
          type === 'histogram'
            ? `use ${name}_bucket for quantiles (histogram_quantile(0.95, sum by (le) (${fn}(${name}_bucket[${range}])))), or ${name}_sum / ${name}_count for the average`
            : `use ${name}_sum / ${name}_count for the average, or ${name} itself (without ${fn}) for a quantile`,
      });
    }
  },
};
