import { closest } from '../util/closest.ts';
import type { Check } from './check.ts';

const HINTED = 50;

export const refMetricCheck: Check = {
  id: 'ref/metric',
  description: 'Every metric an expression or panel uses is catalogued, a recording rule output, or a declared external metric.',
  severity: 'error',
  needsCompleteModel: true,
  run(ctx) {
    let known: string[] | undefined;
    // Each guess compares a name with the whole catalogue, so only the first HINTED unknown names get one: a large
    // catalogue with thousands of unknown names stays linear (issue #8 §7).
    const guesses = new Map<string, string | undefined>();
    for (const expression of ctx.model.expressions) {
      for (const use of ctx.analyze(expression).metrics) {
        if (ctx.catalog.resolve(use.name)) continue;
        known ??= ctx.catalog.knownNames();
        if (!guesses.has(use.name) && guesses.size < HINTED) guesses.set(use.name, closest(use.name, known));
        const guess = guesses.get(use.name);
        ctx.report({
          message: `${expression.owner}: metric "${use.name}" is not in the catalogue`,
          span: expression.origin.def.locateInString(expression.origin.path, use.start, use.end),
          hint: guess ? `did you mean "${guess}"? Otherwise add it to a Metrics definition` : 'add it to a Metrics definition, or declare its exporter under `external:`',
        });
      }
    }
  },
};
