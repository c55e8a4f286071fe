import { spanOf } from '../model/types.ts';
import type { Check } from './check.ts';

const CAMEL_CASE = /^[A-Z][a-zA-Z0-9]*$/;

export const alertNameStyleCheck: Check = {
  id: 'alert/name-style',
  description: 'Alert names are CamelCase, as in the Prometheus and mixin conventions.',
  severity: 'error',
  run(ctx) {
    for (const group of ctx.model.groups) {
      for (const alert of group.alerts) {
        if (CAMEL_CASE.test(alert.name)) continue;
        const suggestion = alert.name
          .split(/[^a-zA-Z0-9]+/)
          .filter(Boolean)
          .map((w) => w[0]!.toUpperCase() + w.slice(1))
          .join('');
        ctx.report({ message: `alert name "${alert.name}" is not CamelCase`, span: spanOf(alert.origin, 'name'), hint: suggestion ? `e.g. "${suggestion}"` : undefined });
      }
    }
  },
};
