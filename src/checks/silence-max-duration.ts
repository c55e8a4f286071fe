import { formatLength } from '../silences/time.ts';
import { parseDuration } from '../util/duration.ts';
import { spanOf } from '../model/types.ts';
import type { Check } from './check.ts';

export const DEFAULT_SILENCE_MAX_DURATION = '7d';

/** A silence longer than the Project's policy (default 7 days) is a forgotten silence in the making. */
export const silenceMaxDurationCheck: Check = {
  id: 'silence/max-duration',
  description: 'A silence lasts no longer than policies.silenceMaxDuration (default 7d).',
  severity: 'error',
  dependsOn: ['Project'],
  run(ctx) {
    const policy = ctx.model.project?.policies.silenceMaxDuration ?? DEFAULT_SILENCE_MAX_DURATION;
    const max = parseDuration(policy);
    if (Number.isNaN(max)) return;
    for (const s of ctx.model.silences) {
      const length = s.endsAt - s.startsAt;
      if (!(length > max)) continue; // NaN or within the policy; silence/window reports a bad window
      ctx.report({
        message: `silence "${s.name}" lasts ${formatLength(length)}, longer than the ${policy} policies.silenceMaxDuration allows`,
        span: spanOf(s.origin, s.given.endsAt ? 'endsAt' : 'duration'),
        hint: `shorten it, or split the maintenance into windows of at most ${policy}; a longer-lived exception belongs in the routes (a time interval) or the alert itself`,
      });
    }
  },
};
