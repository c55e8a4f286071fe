import { sampleIntervalOf } from '../model/sample-interval.ts';
import { parseDuration } from '../util/duration.ts';
import { TWO_SAMPLE_FUNCTIONS } from '../promql/index.ts';
import type { Check } from './check.ts';
import { selectorsOf } from './promql-facts.ts';

/**
 * A range holds about range / interval samples, fewer when a scrape is late; under two intervals the function often
 * sees one sample and returns nothing, so the alert flickers or never fires. The interval is the one the metric is
 * written at: its source's scrape interval in the environment, else the project's (per environment); for a recording
 * rule's output, its group's evaluation interval.
 */
export const promqlRangeShortCheck: Check = {
  id: 'promql/range-short',
  description: 'The range of rate(), increase(), deriv() and similar spans at least two scrape (or evaluation) intervals of the metric.',
  severity: 'error',
  dependsOn: ['Project', 'Environment'],
  run() {},
  // Each expression on its own, with the catalogue, the Project and the environments: per file.
  perFile(ctx, file) {
    const env = ctx.model.environment;
    for (const { expression, selector, span } of selectorsOf(ctx, file.expressions)) {
      const fn = selector.call?.name;
      const seconds = selector.range?.seconds;
      if (!fn || !TWO_SAMPLE_FUNCTIONS.has(fn) || seconds === undefined || !selector.metric) continue;
      const sample = sampleIntervalOf(ctx.model, ctx.catalog, selector.metric);
      if (!sample) continue;
      const { interval, what } = sample;
      const intervalSeconds = parseDuration(interval) / 1000;
      if (!(seconds < 2 * intervalSeconds)) continue;
      const where = env ? ` in environment ${env.name}` : '';
      ctx.report({
        uses: expression,
        message: `${expression.owner}: the range [${selector.range!.text}] of ${fn}() is shorter than twice the ${what} (${interval}${where}): it often holds a single sample and ${fn}() returns nothing`,
        span: span(selector.range!),
        hint: `use at least [${formatSeconds(2 * intervalSeconds)}]; four intervals ([${formatSeconds(4 * intervalSeconds)}]) tolerate a missed scrape`,
      });
    }
  },
};

function formatSeconds(s: number): string {
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  return Number.isInteger(s) ? `${s}s` : `${Math.ceil(s * 1000)}ms`;
}
