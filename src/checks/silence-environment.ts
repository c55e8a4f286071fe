import { closest } from '../util/closest.ts';
import { spanOf } from '../model/types.ts';
import type { Check } from './check.ts';

/** `environments:` names only declared Environments (a typo would leave the silence out of every build). */
export const silenceEnvironmentCheck: Check = {
  id: 'silence/environment',
  description: 'A silence names only declared Environments.',
  severity: 'error',
  dependsOn: ['Environment'],
  run(ctx) {
    // An Environment's compile holds only that Environment; the shared compile, which every build runs, holds them all.
    if (ctx.model.environment) return;
    const known = ctx.model.environments.map((e) => e.name);
    for (const s of ctx.model.silences) {
      (s.environments ?? []).forEach((name, i) => {
        if (known.includes(name)) return;
        ctx.report({
          message: `silence "${s.name}" names the Environment "${name}", which is not defined`,
          span: spanOf(s.origin, 'environments', i),
          hint: known.length ? `${closest(name, known) ? `did you mean "${closest(name, known)}"? ` : ''}the Environments are ${known.join(', ')}` : 'this project declares no Environment: remove environments (a silence without it applies to every Environment)',
        });
      });
    }
  },
};
