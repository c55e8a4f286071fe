import { levelExpression, spanOf } from '../model/types.ts';
import type { Check } from './check.ts';

export const alertRequiredLabelsCheck: Check = {
  id: 'alert/required-labels',
  description: "Every alert carries the labels the project's policies require: static (its own, its group's or its level's) or kept by its expression.",
  severity: 'error',
  dependsOn: ['Project'],
  run() {},
  // Each alert on its own (its labels, the Project's policy, the catalogue's labels): per file.
  perFile(ctx, file) {
    const required = ctx.model.project?.policies.requiredAlertLabels ?? [];
    if (required.length === 0) return;
    const hint = `add them under the alert's or the group's \`labels:\`, or keep them in the expression's aggregation (policy: requiredAlertLabels = [${required.join(', ')}])`;
    for (const group of file.groups) {
      for (const alert of group.alerts) {
        if (!alert.levels.some((l) => l.expression)) {
          // A required label may come from the expression itself (e.g. `service` kept by `sum by (service)`).
          const carried = ctx.labels.ofAlert(alert).labels;
          // Most alerts lack none: the list is made only for those that do.
          let lacking = false;
          // The alert's own labels: a required label may be named `toString` as well as `team`.
          for (const label of required) if (!Object.hasOwn(alert.labels, label) && !carried.has(label)) lacking = true;
          if (!lacking) continue;
          const missing = required.filter((label) => !Object.hasOwn(alert.labels, label) && !carried.has(label));
          ctx.report({ message: `alert ${alert.name} lacks required label${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`, span: spanOf(alert.origin, 'name'), uses: alert.expression, hint });
          continue;
        }
        // Levels of `rules:` are rules of their own: each must carry the labels.
        for (const level of alert.levels) {
          if (!level.expression) continue;
          const carried = ctx.labels.ofLevel(alert, level).labels;
          const missing = required.filter((label) => !carried.has(label));
          if (missing.length === 0) continue;
          ctx.report({
            message: `alert ${alert.name}, level ${level.severity}: lacks required label${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
            span: spanOf(level.origin, 'severity'),
            uses: levelExpression(alert, level),
            hint: `${hint}; a level of \`rules:\` may also set them in its own \`labels:\``,
          });
        }
      }
    }
  },
};
