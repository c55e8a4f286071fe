import { keySpanOf, spanOf } from '../model/types.ts';
import type { Check } from './check.ts';

/** A silence has one end: endsAt or duration, exactly one, after its start. */
export const silenceWindowCheck: Check = {
  id: 'silence/window',
  description: 'A silence gives exactly one of endsAt and duration, and ends after it starts.',
  severity: 'error',
  run(ctx) {
    for (const s of ctx.model.silences) {
      const { given } = s;
      if (given.endsAt && given.duration) {
        ctx.report({ message: `silence "${s.name}" gives both endsAt and duration`, span: keySpanOf(s.origin, 'duration'), hint: 'keep one: endsAt: <RFC 3339 time>, or duration: 4h' });
      } else if (!given.endsAt && !given.duration) {
        ctx.report({ message: `silence "${s.name}" has no end`, span: keySpanOf(s.origin, 'name'), hint: 'add endsAt: <RFC 3339 time, e.g. 2026-12-05T05:00:00Z> or duration: 4h' });
      } else if (Number.isNaN(s.startsAt)) {
        ctx.report({ message: `silence "${s.name}": startsAt is not a date`, span: spanOf(s.origin, 'startsAt'), hint: 'write an RFC 3339 time with a zone, e.g. 2026-12-05T01:00:00Z' });
      } else if (Number.isNaN(s.endsAt)) {
        ctx.report({ message: `silence "${s.name}": ${given.endsAt ? 'endsAt is not a date' : 'duration is too long'}`, span: spanOf(s.origin, given.endsAt ? 'endsAt' : 'duration'), hint: 'write an RFC 3339 time with a zone, e.g. 2026-12-05T05:00:00Z' });
      } else if (s.endsAt <= s.startsAt) {
        ctx.report({
          message: `silence "${s.name}" ends (${new Date(s.endsAt).toISOString()}) ${s.endsAt === s.startsAt ? 'when' : 'before'} it starts (${new Date(s.startsAt).toISOString()})`,
          span: spanOf(s.origin, given.endsAt ? 'endsAt' : 'duration'),
          hint: 'endsAt must be after startsAt (mind the zones: Z is UTC)',
        });
      }
    }
  },
};
