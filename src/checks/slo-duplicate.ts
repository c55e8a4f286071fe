import type { Check } from './check.ts';
import { slosOf, type FoundSlo } from './slo-definitions.ts';

export const sloDuplicateCheck: Check = {
  id: 'slo/duplicate',
  description: 'SLO names are unique in the project: the name is the `slo` label of its series and alerts.',
  severity: 'error',
  run(ctx) {
    const first = new Map<string, FoundSlo>();
    for (const found of slosOf(ctx)) {
      const earlier = first.get(found.slo.name);
      if (!earlier) {
        first.set(found.slo.name, found);
        continue;
      }
      ctx.report({
        message: `SLO ${found.slo.name} is defined twice`,
        span: found.at('name'),
        hint: 'rename one: both would record the same series (slo="…") and their burn-rate alerts would read each other\'s',
        related: [{ message: 'first defined here', span: earlier.at('name') }],
      });
    }
  },
};
