import { spanOf } from '../model/types.ts';
import type { Check } from './check.ts';

/**
 * A silence whose end has passed does nothing (deploy creates nothing for it): the only check that reads the clock,
 * through the context's `now` so that tests can fix it.
 */
export const silenceExpiredCheck: Check = {
  id: 'silence/expired',
  description: 'A silence whose endsAt has passed: remove it from the definitions.',
  severity: 'warning',
  run(ctx) {
    const now = (ctx.now ?? new Date()).getTime();
    for (const s of ctx.model.silences) {
      if (Number.isNaN(s.endsAt) || s.endsAt > now || s.endsAt <= s.startsAt) continue;
      ctx.report({
        message: `silence "${s.name}" ended at ${new Date(s.endsAt).toISOString()}`,
        span: spanOf(s.origin, s.given.endsAt ? 'endsAt' : 'duration'),
        hint: 'remove it from the definitions: deploy creates nothing for a silence that has ended',
      });
    }
  },
};
