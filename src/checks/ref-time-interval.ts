import { spanOf, type RouteModel } from '../model/types.ts';
import { limitedGuesses } from '../util/closest.ts';
import type { Check } from './check.ts';

/** Routes mute or activate by the names of Routes' `timeIntervals`: Alertmanager refuses to load a name it lacks. */
export const refTimeIntervalCheck: Check = {
  id: 'ref/time-interval',
  description: "Routes' muteTimeIntervals and activeTimeIntervals name time intervals defined in Routes' timeIntervals.",
  severity: 'error',
  run(ctx) {
    const routes = ctx.model.routes;
    if (!routes) return;
    const names = new Set((routes.timeIntervals ?? []).map((t) => t.name));
    const guessOf = limitedGuesses(names);
    const visit = (route: RouteModel) => {
      for (const field of ['muteTimeIntervals', 'activeTimeIntervals'] as const) {
        (route[field] ?? []).forEach((name, i) => {
          if (names.has(name)) return;
          const guess = guessOf(name);
          ctx.report({
            message: `a route's ${field} names time interval "${name}", which is not defined`,
            span: spanOf(route.origin, field, i),
            hint: guess ? `did you mean "${guess}"?` : `define it in the Routes' timeIntervals: { ${name}: [{ weekdays: ['saturday:sunday'] }] }`,
          });
        });
      }
      route.routes.forEach(visit);
    };
    visit(routes.root);
  },
};
