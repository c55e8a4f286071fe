import { alertExpressions, type ExpressionModel } from '../model/types.ts';
import type { Check } from './check.ts';

/**
 * A multi-level alert whose series keep labels nobody declared gets no automatic level inhibition (an `equal` that
 * misses a label would let one series' critical mute another's warning): say so, and how to get it back.
 */
export const alertInhibitionLabelsCheck: Check = {
  id: 'alert/inhibition-labels',
  description: "A multi-level alert's series carry known labels, so its more severe level can mute the less severe one.",
  severity: 'warning',
  run() {},
  // Per alert: its expressions' analyses and the catalogue's (and recording rules') labels, project-wide facts.
  perFile(ctx, file) {
    for (const group of file.groups) {
      for (const alert of group.alerts) {
        // Fewer than two distinct severities (asked without a Set per alert): nothing to inhibit.
        if (!alert.enabled || alert.levels.every((l) => l.severity === alert.levels[0]!.severity)) continue;
        if (ctx.labels.identityOf(alert) !== undefined) continue;
        // Levels of `rules:` each have an expression: the first one reading a metric of unknown labels is the cause.
        const cause = alertExpressions(alert)
          .map((expression) => ({ expression, unknown: ctx.analyze(expression).metrics.find((m) => !ctx.labels.ofMetric(m.name).complete) }))
          .find((c) => c.unknown);
        if (!cause) continue;
        const { expression, unknown } = cause as { expression: ExpressionModel; unknown: NonNullable<typeof cause.unknown> };
        const origin = ctx.catalog.resolve(unknown.name);
        const source = origin?.kind === 'external' ? `external source ${origin.external.source}` : 'its source';
        ctx.report({
          uses: expression,
          message: `alert ${alert.name}: the labels of "${unknown.name}" are not declared, so its levels get no automatic inhibition (a label left out of \`equal\` would let one series mute another)`,
          span: expression.origin.def.locateInString(expression.origin.path, unknown.start, unknown.end),
          hint: `declare the labels its series carry (\`labels:\` of ${source}), or aggregate with by (…) to the labels that identify a firing`,
        });
      }
    }
  },
};
