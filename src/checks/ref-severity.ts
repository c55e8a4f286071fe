import { spanOf, type RouteModel } from '../model/types.ts';
import { closest } from '../util/closest.ts';
import type { Check } from './check.ts';

export const refSeverityCheck: Check = {
  id: 'ref/severity',
  description: 'Alert levels and severity matchers name levels defined in Severities.',
  severity: 'error',
  run(ctx) {
    if (ctx.model.severities.length === 0) return; // project/singleton reports the missing definition
    const names = ctx.model.severities.map((s) => s.name);
    const hint = (name: string) => {
      const guess = closest(name, names);
      return guess ? `did you mean "${guess}"? Defined levels: ${names.join(', ')}` : `defined levels: ${names.join(', ')}`;
    };
    for (const group of ctx.model.groups) {
      for (const alert of group.alerts) {
        for (const level of alert.levels) {
          if (names.includes(level.severity)) continue;
          const span = level.op ? level.origin.def.locateKey(level.origin.path) : spanOf(level.origin);
          ctx.report({ message: `alert ${alert.name}: unknown severity "${level.severity}"`, span, hint: hint(level.severity), dangling: { namespace: 'severity', name: level.severity } });
        }
      }
    }
    const visit = (route: RouteModel) => {
      for (const m of route.matchers) {
        if (m.label === 'severity' && m.op === '=' && !names.includes(m.value)) {
          ctx.report({ message: `route matcher ${m.text} names an unknown severity`, span: spanOf(m.origin), hint: hint(m.value), severity: 'error', dangling: { namespace: 'severity', name: m.value } });
        }
      }
      route.routes.forEach(visit);
    };
    if (ctx.model.routes) visit(ctx.model.routes.root);
  },
};
