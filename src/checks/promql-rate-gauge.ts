import type { Check } from './check.ts';
import { counterFunctionsOnCatalogued } from './promql-facts.ts';

/** rate() assumes a counter: on a gauge every decrease reads as a counter reset, so the result is meaningless. */
export const promqlRateGaugeCheck: Check = {
  id: 'promql/rate-gauge',
  description: 'rate(), irate() and increase() are applied to counters, never to a metric the catalogue declares as a gauge.',
  severity: 'error',
  run() {},
  // Each expression on its own, with the catalogue: per file.
  perFile(ctx, file) {
    for (const { expression, selector, span, fn, range, origin } of counterFunctionsOnCatalogued(ctx, file.expressions)) {
      if (origin.metric.type !== 'gauge') continue;
      ctx.report({
        uses: expression,
        message: `${expression.owner}: ${fn}() of "${selector.metric}", which the catalogue declares as a gauge: every decrease is read as a counter reset`,
        span: span(selector.call!),
        hint: `use deriv(${selector.metric}[${range.text}]) or delta(…) for the change of a gauge, or the value itself; if it really is a counter, fix its type in the catalogue`,
      });
    }
  },
};
