import { levelExpression } from '../model/types.ts';
import type { Check } from './check.ts';
import { groupTemplates } from './template-syntax.ts';

/** `avg by (instance) (…)` drops `gpu`; a summary that prints {{ $labels.gpu }} would then print nothing. */
export const templateLabelCheck: Check = {
  id: 'template/label',
  description: "Annotation templates only read labels the alert's series can carry.",
  severity: 'error',
  dependsOn: ['Project'],
  run() {},
  // Each alert on its own (its templates, the labels its series carry, the Project): per file.
  perFile(ctx, file) {
    const external = Object.keys(ctx.model.project?.externalLabels ?? {});
    for (const group of file.groups) {
      const lists = groupTemplates(group);
      for (let i = 0; i < group.alerts.length; i++) {
        const alert = group.alerts[i]!;
        for (const t of lists[i]!) {
          const refs = ctx.templates(t.text).labelRefs;
          if (refs.length === 0) continue;
          // A level's own annotations render with its rule only; the alert's with every level's (ofAlert: what all carry).
          const { labels, complete } = t.level ? ctx.labels.ofLevel(alert, t.level) : ctx.labels.ofAlert(alert);
          if (!complete) continue;
          for (const ref of refs) {
            if (labels.has(ref.name) || external.includes(ref.name)) continue;
            ctx.report({
              message: `alert ${alert.name}, ${t.field}: uses label "${ref.name}", but the expression's series carry only ${[...labels].filter((l) => l !== 'alertname' && l !== 'severity').sort().join(', ') || '(no labels)'}`,
              span: alert.origin.def.locateInString(t.path, ref.start, ref.end),
              uses: t.level ? levelExpression(alert, t.level) : alert.expression,
              hint: `keep "${ref.name}" in the expression's aggregation (e.g. by (…, ${ref.name})), or stop using it in the template`,
            });
          }
        }
      }
    }
  },
};
