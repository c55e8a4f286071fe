import { spanOf } from '../model/types.ts';
import type { Check } from './check.ts';

export const alertRequiredLabelsCheck: Check = {
  id: 'alert/required-labels',
  description: "Every alert carries the labels the project's policies require: static (its own or its group's) or kept by its expression.",
  severity: 'error',
  dependsOn: ['Project'],
  run(ctx) {
    const required = ctx.model.project?.policies.requiredAlertLabels ?? [];
    for (const group of ctx.model.groups) {
      for (const alert of group.alerts) {
        // A required label may come from the expression itself (e.g. `service` kept by `sum by (service)`).
        const carried = ctx.labels.ofAlert(alert).labels;
        const missing = required.filter((label) => !(label in alert.labels) && !carried.has(label));
        if (missing.length === 0) continue;
        ctx.report({
          message: `alert ${alert.name} lacks required label${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
          span: spanOf(alert.origin, 'name'),
          uses: alert.expression,
          hint: `add them under the alert's or the group's \`labels:\`, or keep them in the expression's aggregation (policy: requiredAlertLabels = [${required.join(', ')}])`,
        });
      }
    }
  },
};
