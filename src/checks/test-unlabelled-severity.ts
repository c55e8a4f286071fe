import { carriesSeverityLabel } from '../model/level-labels.ts';
import { alertsByName, spanOf, type AlertModel, type Origin } from '../model/types.ts';
import type { Check } from './check.ts';

/** What a RuleTests expectation says about one alert: its level (or none) and labels, where they are written. */
interface Expectation {
  alert: string;
  level?: string;
  labels: Record<string, string>;
  origin: Origin;
}

/**
 * A RuleTests expectation that gives a `severity` label to a level whose severity says `label: false` describes an
 * alert that never exists: that level's alerts carry no severity label. Expected alerts, routing and inhibition
 * expectations alike.
 */
export const testUnlabelledSeverityCheck: Check = {
  id: 'test/unlabelled-severity',
  description: 'RuleTests expectations give no severity label to a level whose severity says label: false.',
  severity: 'warning',
  run(ctx) {
    const alerts = alertsByName(ctx.model);
    for (const test of ctx.model.ruleTests) {
      const expectations: Expectation[] = [
        ...test.expect.flatMap((entry) => (entry.alerts ?? []).map((a) => ({ alert: a.name, level: a.level, labels: a.labels, origin: a.origin }))),
        ...test.routes,
        ...test.inhibitions.flatMap((i) => [i.source, i.target]),
      ];
      for (const e of expectations) {
        if (!('severity' in e.labels)) continue;
        const alert = alerts.get(e.alert);
        const level = alert && levelNamed(alert, e.level);
        if (!level || carriesSeverityLabel(level)) continue;
        ctx.report({
          message: `test "${test.name}": ${alert.name} at ${level.severity} never carries severity="${e.labels.severity}": severity ${level.severity} says label: false, so its alerts carry no severity label`,
          span: spanOf(e.origin, 'labels', 'severity'),
          hint: `remove severity from labels${e.level === undefined ? '' : ` (level: ${e.level} already says which level)`}`,
        });
      }
    }
  },
};

/** The level an expectation names; a single-level alert's only level when it names none. */
function levelNamed(alert: AlertModel, name: string | undefined) {
  if (name === undefined) return alert.levels.length === 1 ? alert.levels[0] : undefined;
  return alert.levels.find((l) => l.severity === name);
}
