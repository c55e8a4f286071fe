import type { Check } from './check.ts';
import { reportRepeats } from './repeats.ts';
import { slosOf } from './slo-definitions.ts';

export const sloDuplicateCheck: Check = {
  id: 'slo/duplicate',
  description: 'SLO names are unique in the project: the name is the `slo` label of its series and alerts.',
  severity: 'error',
  run(ctx) {
    reportRepeats(
      ctx,
      slosOf(ctx).map((found) => ({ name: found.slo.name, span: () => found.at('name') })),
      { message: (s) => `SLO ${s.name} is defined twice`, hint: () => 'rename one: both would record the same series (slo="…") and their burn-rate alerts would read each other\'s' },
    );
  },
};
