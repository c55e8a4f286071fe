import type { Check } from './check.ts';
import { carriesSeverityLabel } from '../model/level-labels.ts';
import { groupLevelRouting, type LevelRoute } from '../routing/levels.ts';

/**
 * Each alert level must reach a receiver through a route made for it. Falling through to the root (default) receiver
 * usually means a typo in a matcher or a missing team route; `defaultOk: true` on a matching route says it is intended.
 */
export const routeUnreachableSeverityCheck: Check = {
  id: 'route/unreachable-severity',
  description: 'Every alert level reaches a receiver through the routes, not only the root (default) receiver, unless a route says defaultOk.',
  severity: 'error',
  dependsOn: ['Routes', 'Severities'],
  run() {},
  // Each alert level is routed through the tree on its own: the file's alerts, the Routes and the Severities.
  perFile(ctx, file) {
    const routes = ctx.model.routes;
    if (!routes) return;
    const root = routes.root.receivers[0];
    const defined = new Set(ctx.model.severities.map((s) => s.name));
    for (const row of file.groups.flatMap((g) => groupLevelRouting(ctx.model, g))) {
      if (!defined.has(row.level.severity)) continue; // ref/severity reports it
      if (!row.result.reachesOnlyRoot || row.result.matchedDefaultOk) continue;
      const span = row.level.op ? row.level.origin.def.locateKey(row.level.origin.path) : row.level.origin.def.locate(row.level.origin.path);
      ctx.report({
        message: `alert ${row.alert.name} at ${row.level.severity} reaches no route: only the root receiver "${root}" would get it`,
        span,
        hint: `${routeToAdd(row)}, or mark the route it should take with defaultOk: true`,
      });
    }
  },
};

/** A route that would catch the level: by its fixed labels, which lack `severity` when its severity says `label: false`. */
function routeToAdd(row: LevelRoute): string {
  const fixed = Object.entries(row.labels).filter(([k]) => k !== 'alertname');
  const matching = fixed.length > 0 ? fixed.map(([k, v]) => `${k}="${v}"`).join(', ') : `alertname="${row.alert.name}" or a label of its series`;
  if (carriesSeverityLabel(row.level)) return `add a route matching ${matching}`;
  return `its alerts carry no severity label (severity ${row.level.severity} says label: false), so no severity matcher catches them: add a route matching ${matching}`;
}
