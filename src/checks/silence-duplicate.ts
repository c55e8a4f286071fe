import { keySpanOf } from '../model/types.ts';
import type { Check } from './check.ts';
import { reportRepeats } from './repeats.ts';

/** A silence's name identifies it in Alertmanager across deploys: two entries with one name would fight over it. */
export const silenceDuplicateCheck: Check = {
  id: 'silence/duplicate',
  description: 'Silence names are unique in the project.',
  severity: 'error',
  run(ctx) {
    reportRepeats(
      ctx,
      ctx.model.silences.map((s) => ({ name: s.name, span: () => keySpanOf(s.origin, 'name'), file: s.origin.def.file })),
      { message: (s) => `a second silence named "${s.name}"`, hint: (_, first) => `rename one (the name identifies the silence in Alertmanager); the first is in ${first.file}` },
    );
  },
};
