import { matches } from '../model/matchers.ts';
import { spanOf, type MatcherModel, type RouteModel } from '../model/types.ts';
import type { Check } from './check.ts';

/**
 * A route matcher on `severity` that only a severity label can satisfy never catches the alerts of a level whose
 * severity says `label: false`: they carry no severity label. (A matcher the empty value satisfies, `severity=~"x|"`,
 * does catch them.)
 */
export const routeUnlabelledSeverityCheck: Check = {
  id: 'route/unlabelled-severity',
  description: 'A route matcher on severity does not name a level whose severity says label: false (its alerts carry no severity label).',
  severity: 'warning',
  run(ctx) {
    const unlabelled = ctx.model.severities.filter((s) => s.label === false).map((s) => s.name);
    if (unlabelled.length === 0 || !ctx.model.routes) return;
    const visit = (route: RouteModel) => {
      for (const m of route.matchers) {
        const missed = unlabelled.filter((name) => neverCatches(m, name));
        if (missed.length === 0) continue;
        const [levels, say] = missed.length === 1 ? [`level ${missed[0]}`, `severity ${missed[0]} says`] : [`levels ${missed.join(', ')}`, `severities ${missed.join(', ')} say`];
        ctx.report({
          message: `route matcher ${m.text} never catches alerts of ${levels}: ${say} label: false, so those alerts carry no severity label`,
          span: spanOf(m.origin),
          hint: `match them by another label (alertname, team, a label of their rule)${m.op === '=~' ? `, or take ${missed.join(', ')} out of the regex` : ''}, or drop label: false from the severity`,
        });
      }
      route.routes.forEach(visit);
    };
    visit(ctx.model.routes.root);
  },
};

/** The matcher is meant for this level (it accepts its name as a severity) but rejects alerts without the label. */
function neverCatches(m: MatcherModel, level: string): boolean {
  if (m.label !== 'severity' || (m.op !== '=' && m.op !== '=~')) return false;
  return matches(m, { severity: level }) && !matches(m, {});
}
