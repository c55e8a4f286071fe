import { keySpanOf, type SilenceModel } from '../model/types.ts';
import type { Check } from './check.ts';

/** A silence's name identifies it in Alertmanager across deploys: two entries with one name would fight over it. */
export const silenceDuplicateCheck: Check = {
  id: 'silence/duplicate',
  description: 'Silence names are unique in the project.',
  severity: 'error',
  run(ctx) {
    const first = new Map<string, SilenceModel>();
    for (const s of ctx.model.silences) {
      const earlier = first.get(s.name);
      if (!earlier) {
        first.set(s.name, s);
        continue;
      }
      ctx.report({
        message: `a second silence named "${s.name}"`,
        span: keySpanOf(s.origin, 'name'),
        hint: `rename one (the name identifies the silence in Alertmanager); the first is in ${earlier.origin.def.file}`,
        related: [{ span: keySpanOf(earlier.origin, 'name'), message: 'first defined here' }],
      });
    }
  },
};
