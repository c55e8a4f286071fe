import type { Check } from './check.ts';

/**
 * absent(x) returns a series only when x has none. Decided offline, x always has one when it is a per-target metric
 * Prometheus writes for every scraped target (up, scrape_*) selected without any matcher, vector(…), an aggregation
 * of such an expression, or an `or` with such a side: then the alert can never fire.
 */
export const promqlAbsentAlwaysCheck: Check = {
  id: 'promql/absent-always',
  description: 'absent() and absent_over_time() are given something that can be missing, not an expression that always has a series.',
  severity: 'error',
  run() {},
  // Each expression on its own, with nothing else: per file.
  perFile(ctx, file) {
    for (const expression of file.expressions) {
      for (const absent of ctx.analyze(expression).facts?.absents ?? []) {
        if (!absent.alwaysBecause) continue;
        ctx.report({
          message: `${expression.owner}: ${absent.name}() can never return a series: ${absent.alwaysBecause}`,
          span: expression.origin.def.locateInString(expression.origin.path, absent.at.start, absent.at.end),
          hint: 'name what must be present, e.g. absent(up{job="api"}) for a missing scrape job, or up{job="api"} == 0 for a target that is down',
        });
      }
    }
  },
};
