import { keySpanOf } from '../model/types.ts';
import type { Check } from './check.ts';
import { reportRepeats } from './repeats.ts';

/** Two Environments with one name would make `--env NAME` pick one silently. */
export const envDuplicateCheck: Check = {
  id: 'env/duplicate',
  description: 'Environment names are unique.',
  severity: 'error',
  run(ctx) {
    reportRepeats(
      ctx,
      ctx.model.environments.map((env) => ({ name: env.name, span: () => keySpanOf(env.origin, 'name'), file: env.origin.def.file })),
      { message: (env) => `a second Environment named "${env.name}"`, hint: (_, first) => `rename one; the first is in ${first.file}` },
    );
  },
};
