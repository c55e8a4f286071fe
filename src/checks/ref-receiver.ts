import { spanOf, type RouteModel } from '../model/types.ts';
import { limitedGuesses } from '../util/closest.ts';
import { lookup } from '../util/lookup.ts';
import type { Check } from './check.ts';
import { checkFallbacks } from './receiver-fallback.ts';

export const refReceiverCheck: Check = {
  id: 'ref/receiver',
  description: 'Routes, escalation steps and fallbacks name receivers that exist (a fallback: another receiver the relay delivers to, no circle).',
  severity: 'error',
  run(ctx) {
    const names = new Set(ctx.model.receivers.map((r) => r.name));
    const guessOf = limitedGuesses(names);
    const check = (name: string, span: ReturnType<typeof spanOf>, where: string) => {
      if (names.has(name)) return;
      const guess = guessOf(name);
      ctx.report({
        message: `${where} names receiver "${name}", which is not defined`,
        span,
        dangling: { namespace: 'receiver', name },
        hint: guess ? `did you mean "${guess}"?` : 'define it in a Receivers file',
      });
    };
    const routes = ctx.model.routes;
    if (routes) {
      check(routes.root.receivers[0]!, spanOf(routes.root.origin), 'the root route');
      const visit = (route: RouteModel) => {
        for (const child of route.routes) {
          const field = (child.origin.def.value && lookup(child.origin.def.value, child.origin.path)) as Record<string, unknown> | undefined;
          const list = field && Array.isArray(field.receivers) ? 'receivers' : 'receiver';
          if (field && field.receiver !== undefined && field.receivers !== undefined) {
            ctx.report({
              message: 'a route has both `receiver` and `receivers`; only `receivers` would be used',
              span: spanOf(child.origin, 'receiver'),
              hint: 'keep one: `receiver: a` or `receivers: [a, b]`',
            });
          }
          child.receivers.forEach((name, i) => check(name, list === 'receivers' ? spanOf(child.origin, 'receivers', i) : spanOf(child.origin, 'receiver'), 'a route'));
          visit(child);
        }
      };
      visit(routes.root);
    }
    for (const severity of ctx.model.severities) {
      for (const step of severity.escalation) {
        step.receivers.forEach((name, i) => check(name, spanOf(step.origin, 'receivers', i), `escalation of ${severity.name}`));
      }
    }
    checkFallbacks(ctx);
  },
};
