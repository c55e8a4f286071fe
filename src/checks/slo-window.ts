import { burnRatesOf } from '../slo/index.ts';
import { parseDuration } from '../util/duration.ts';
import type { Check } from './check.ts';
import { slosOf } from './slo-definitions.ts';

const DAY = 86_400_000;

export const sloWindowCheck: Check = {
  id: 'slo/window',
  description: 'An SLO\'s window is between 1d and 90d, and no burn-rate window is longer than it.',
  severity: 'error',
  run(ctx) {
    for (const found of slosOf(ctx)) {
      const { slo } = found;
      const period = parseDuration(slo.window);
      if (Number.isNaN(period)) continue; // duration/range reports it
      if (period < DAY || period > 90 * DAY) {
        ctx.report({
          message: `SLO ${slo.name}: window ${slo.window} is ${period < DAY ? 'shorter than 1d' : 'longer than 90d'}`,
          span: found.at('window'),
          hint: period < DAY ? 'an SLO window is the period its error budget covers: 28d or 30d are usual; the alert windows are chosen apart (alert.burnRates)' : 'Prometheus would read months of samples for it; 28d or 30d are usual',
        });
        continue;
      }
      for (const rate of burnRatesOf(slo)) {
        for (const which of ['long', 'short'] as const) {
          if (!(parseDuration(rate[which]) > period)) continue;
          const written = rate.index !== undefined;
          ctx.report({
            message: `SLO ${slo.name}: the ${rate.severity} burn rate's ${which} window ${rate[which]} is longer than the SLO window ${slo.window}`,
            span: written ? found.at('alert', 'burnRates', rate.index!, which) : found.at('window'),
            hint: written ? `a burn over more than the window spends more than the whole budget; use a ${which} window within ${slo.window}` : `the default burn rates need a window of at least 3d; write alert.burnRates for a shorter window`,
          });
        }
      }
    }
  },
};
