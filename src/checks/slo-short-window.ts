import { sampleIntervalOf } from '../model/sample-interval.ts';
import { burnRatesOf, CURRENT_WINDOW } from '../slo/index.ts';
import { parseDuration } from '../util/duration.ts';
import type { Check } from './check.ts';
import { sloExpressions, slosOf } from './slo-definitions.ts';

/**
 * promql/range-short for the windows an SLO's queries are evaluated over: a rate() over less than two samples returns
 * nothing, so the burn-rate condition of that window is never true.
 */
export const sloShortWindowCheck: Check = {
  id: 'slo/short-window',
  description: 'Every window an SLO\'s error ratio is recorded at spans at least two scrape intervals of the SLI\'s metrics.',
  severity: 'error',
  dependsOn: ['Project', 'Environment'],
  run(ctx) {
    const env = ctx.model.environment;
    for (const found of slosOf(ctx)) {
      const intervals = sloExpressions(ctx, found)
        .flatMap((e) => ctx.analyze(e).metrics.map((m) => sampleIntervalOf(ctx.model, ctx.catalog, m.name)))
        .filter((s) => s !== undefined);
      const slowest = intervals.sort((a, b) => parseDuration(b.interval) - parseDuration(a.interval))[0];
      if (!slowest) continue;
      const need = 2 * parseDuration(slowest.interval);
      const where = env ? ` in environment ${env.name}` : '';
      // Places are looked up only for a window that is too short: finding one parses the file's positions.
      const windows = [{ window: CURRENT_WINDOW, span: () => found.at('sli'), what: 'current burn rate' }];
      for (const rate of burnRatesOf(found.slo)) {
        for (const which of ['short', 'long'] as const) {
          windows.push({ window: rate[which], span: () => (rate.index === undefined ? found.at('sli') : found.at('alert', 'burnRates', rate.index, which)), what: `${rate.severity} burn rate's ${which}` });
        }
      }
      const reported = new Set<string>();
      for (const { window, span: spanOf, what } of windows) {
        if (!(parseDuration(window) < need)) continue;
        const span = spanOf();
        if (reported.has(`${window}@${span.start}`)) continue;
        reported.add(`${window}@${span.start}`);
        ctx.report({
          message: `SLO ${found.slo.name}: the ${what} window ${window} is shorter than twice the ${slowest.what} (${slowest.interval}${where}): its error ratio often has a single sample and is empty`,
          span,
          hint: `scrape the SLI's metrics at most every ${formatMs(parseDuration(window) / 2)}${rateHint(what)}`,
        });
      }
    }
  },
};

const rateHint = (what: string) => (what === 'current burn rate' ? '' : ', or lengthen the window');

function formatMs(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
