import { keySpanOf } from '../model/types.ts';
import type { Check } from './check.ts';

/** Two Environments with one name would make `--env NAME` pick one silently. */
export const envDuplicateCheck: Check = {
  id: 'env/duplicate',
  description: 'Environment names are unique.',
  severity: 'error',
  run(ctx) {
    const first = new Map<string, (typeof ctx.model.environments)[number]>();
    for (const env of ctx.model.environments) {
      const earlier = first.get(env.name);
      if (!earlier) {
        first.set(env.name, env);
        continue;
      }
      ctx.report({
        message: `a second Environment named "${env.name}"`,
        span: keySpanOf(env.origin, 'name'),
        hint: `rename one; the first is in ${earlier.origin.def.file}`,
        related: [{ span: keySpanOf(earlier.origin, 'name'), message: 'first defined here' }],
      });
    }
  },
};
