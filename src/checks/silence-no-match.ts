import { spanOf } from '../model/types.ts';
import { silencesFor } from '../silences/document.ts';
import { mutedLevels } from '../silences/mutes.ts';
import type { Check } from './check.ts';

/**
 * A silence that can mute no alert level any definition produces: its matchers against each level's labels (the
 * fixed ones decide; a label only the series carry, like instance, may have any value). A wrong alertname or
 * severity is caught; an unknown instance is not (it may exist at run time).
 */
export const silenceNoMatchCheck: Check = {
  id: 'silence/no-match',
  description: 'A silence matches at least one alert level the definitions can produce.',
  severity: 'warning',
  dependsOn: ['AlertRules', 'Project', 'Environment'],
  run(ctx) {
    // An Environment can change the alerts and the external labels (env="prod"): with Environments, each silence is
    // judged in the compile of every Environment it applies to, and the shared compile judges none.
    const environment = ctx.model.environment?.name;
    if (environment === undefined && ctx.model.environments.length > 0) return;
    for (const s of silencesFor(ctx.model, environment)) {
      if (s.matchers.length === 0 || s.matchers.length !== s.written.length) continue; // silence/matcher reports it
      if (mutedLevels(ctx.model, s, ctx.labels).length) continue;
      ctx.report({
        message: `silence "${s.name}" matches no alert the definitions produce${environment === undefined ? '' : ` in Environment ${environment}`}`,
        span: spanOf(s.origin, 'matchers'),
        hint: 'check alertname, severity and the other fixed labels against the alert definitions (`vigil test` lists what each silence mutes)',
      });
    }
  },
};
