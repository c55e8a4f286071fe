import { spanOf } from '../model/types.ts';
import type { Check } from './check.ts';

const CAMEL_CASE = /^[A-Z][a-zA-Z0-9]*$/;

/** A style opinion, not a validity rule: Prometheus accepts any text as an alert name, and so does Vigil. */
export const alertNameStyleCheck: Check = {
  id: 'alert/name-style',
  description: 'Alert names are CamelCase, as in the Prometheus and mixin conventions (a style warning; any name is valid).',
  severity: 'warning',
  run() {},
  // Each alert on its own: per file.
  perFile(ctx, file) {
    for (const group of file.groups) {
      for (const alert of group.alerts) {
        if (CAMEL_CASE.test(alert.name)) continue;
        const suggestion = alert.name
          .split(/[^a-zA-Z0-9]+/)
          .filter(Boolean)
          .map((w) => w[0]!.toUpperCase() + w.slice(1))
          .join('');
        const rename = /^[A-Z]/.test(suggestion) ? `e.g. "${suggestion}"; ` : '';
        ctx.report({
          message: `alert name "${alert.name}" is not CamelCase`,
          span: spanOf(alert.origin, 'name'),
          hint: `${rename}Prometheus accepts the name as it is: to keep such names, set policies.checks: { alert/name-style: off }`,
        });
      }
    }
  },
};
