import { burnRatesOf, burnSeverities } from '../slo/index.ts';
import type { SeveritiesSpec } from '../spec/types.gen.ts';
import { parseDuration } from '../util/duration.ts';
import type { Check } from './check.ts';
import { slosOf } from './slo-definitions.ts';

export const sloBurnRateCheck: Check = {
  id: 'slo/burn-rate',
  description: 'Each written burn rate has a positive factor, a short window shorter than its long one, and a threshold (factor × error budget) an error ratio can exceed.',
  severity: 'error',
  run(ctx) {
    const first = ctx.model.definitionsByKind.get('Severities')?.[0];
    const severities = first ? (first.value as SeveritiesSpec).levels.map((l) => l.name) : [];
    for (const found of slosOf(ctx)) {
      const { slo } = found;
      if (slo.alert !== false) {
        const chosen = burnSeverities(slo, severities);
        for (const burn of ['page', 'ticket'] as const) {
          if (chosen[burn] !== false || slo.alert?.[burn] === false || !burnRatesOf(slo).some((r) => r.severity === burn)) continue;
          // Written `false` drops the level on purpose; a default with no severity to stand for drops it silently.
          ctx.report({
            severity: 'warning',
            message: `SLO ${slo.name}: the ${burn} burn rates alert at no level: Severities declares ${severities.length === 0 ? 'no levels' : `one level (${severities[0]})`}, and alert.${burn} is not written`,
            span: found.at('alert'),
            hint: `write alert.${burn}: <a severity> (it may be the page's), declare a ${burn === 'page' ? 'first' : 'second'} level in Severities, or write alert.${burn}: false to drop these burn rates on purpose`,
          });
        }
      }
      const budget = 1 - slo.objective / 100;
      if (!(budget > 0 && budget < 1)) continue; // slo/objective reports it
      const rates = burnRatesOf(slo);
      const unreachable = rates.filter((r) => r.index === undefined && r.factor * budget >= 1);
      if (unreachable.length) {
        const listed = unreachable.map((r) => `${r.severity} ${r.factor}×`).join(', ');
        ctx.report({
          message: `SLO ${slo.name}: with a ${percent(budget)}% error budget the default burn rates ${listed} need an error ratio over 100%: those alerts can never fire`,
          span: found.at('objective'),
          hint: `write the objective as a percentage (99.9, not 0.999), or choose alert.burnRates with factors below ${Number((1 / budget).toPrecision(6))}`,
        });
      }
      for (const rate of rates) {
        if (rate.index === undefined) continue;
        const at = (field: string) => found.at('alert', 'burnRates', rate.index!, field);
        if (!(rate.factor > 0)) {
          ctx.report({ message: `SLO ${slo.name}: burn rate factor ${rate.factor} is not positive`, span: at('factor'), hint: 'the factor says how many times faster than allowed the budget burns: 14.4 pages when 2% of a 30d budget goes in 1h' });
          continue;
        }
        const long = parseDuration(rate.long);
        const short = parseDuration(rate.short);
        if (short >= long) {
          ctx.report({ message: `SLO ${slo.name}: burn rate short window ${rate.short} is not shorter than its long window ${rate.long}`, span: at('short'), hint: 'the short window (about 1/12 of the long one in the SRE workbook) only confirms the burn still goes on, e.g. long: 1h, short: 5m' });
        }
        const threshold = rate.factor * budget;
        if (threshold >= 1) {
          ctx.report({
            message: `SLO ${slo.name}: burn rate ${rate.factor}× of a ${percent(budget)}% error budget needs an error ratio of ${percent(threshold)}%, which no SLI reaches: the ${rate.severity} alert can never fire`,
            span: at('factor'),
            hint: `use a factor below ${Number((1 / budget).toPrecision(6))}: even an error ratio of 100% burns this budget only ${Number((1 / budget).toPrecision(6))}× too fast`,
          });
        }
      }
    }
  },
};

const percent = (ratio: number): number => Number((ratio * 100).toPrecision(6));
