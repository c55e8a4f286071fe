import { limitedGuesses } from '../util/closest.ts';
import type { Check } from './check.ts';

export const refMetricCheck: Check = {
  id: 'ref/metric',
  description: 'Every metric an expression or panel uses is catalogued, a recording rule output, or a declared external metric.',
  severity: 'error',
  run(ctx) {
    let guess: ((name: string) => string | undefined) | undefined;
    for (const expression of ctx.model.expressions) {
      for (const use of ctx.analyze(expression).metrics) {
        if (ctx.catalog.resolve(use.name)) continue;
        guess ??= limitedGuesses(ctx.catalog.knownNames());
        const near = guess(use.name);
        ctx.report({
          message: `${expression.owner}: metric "${use.name}" is not in the catalogue`,
          span: expression.origin.def.locateInString(expression.origin.path, use.start, use.end),
          dangling: { namespace: 'metric', name: use.name },
          hint: near ? `did you mean "${near}"? Otherwise add it to a Metrics definition` : 'add it to a Metrics definition, or declare its exporter under `external:`',
        });
      }
    }
  },
};
