import type { Check } from './check.ts';
import { slosOf } from './slo-definitions.ts';

export const sloObjectiveCheck: Check = {
  id: 'slo/objective',
  description: 'An SLO\'s objective is a percentage strictly between 0 and 100.',
  severity: 'error',
  run(ctx) {
    for (const found of slosOf(ctx)) {
      const { objective, name } = found.slo;
      if (objective > 0 && objective < 100) continue;
      ctx.report({
        message: `SLO ${name}: objective ${objective} is not a percentage in (0, 100)`,
        span: found.at('objective'),
        hint: objective >= 100 ? '100% leaves no error budget: any error would burn it infinitely fast; write e.g. 99.9' : 'write the percentage of good events, e.g. 99.9',
      });
    }
  },
};
