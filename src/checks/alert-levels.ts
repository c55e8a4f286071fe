import { spanOf } from '../model/types.ts';
import { lookup } from '../util/lookup.ts';
import type { Check } from './check.ts';

/** An alert is either multi-level (`thresholds`) or single-level (`severity` + its own comparison). */
export const alertLevelsCheck: Check = {
  id: 'alert/levels',
  description: 'An alert has either thresholds or a severity, and its `for` sits where it applies.',
  severity: 'error',
  run(ctx) {
    for (const group of ctx.model.groups) {
      for (const alert of group.alerts) {
        const raw = lookup(alert.origin.def.value, alert.origin.path) as Record<string, unknown>;
        const hasThresholds = raw.thresholds !== undefined;
        const hasSeverity = raw.severity !== undefined;
        if (hasThresholds && hasSeverity) {
          ctx.report({ message: `alert ${alert.name} has both thresholds and severity`, span: spanOf(alert.origin, 'severity'), hint: 'keep `thresholds:` for a multi-level alert, or `severity:` for a single-level one' });
        } else if (!hasThresholds && !hasSeverity) {
          ctx.report({ message: `alert ${alert.name} has neither thresholds nor severity`, span: spanOf(alert.origin, 'name'), hint: 'add `thresholds: { warning: { op: ">", value: 80, for: 5m } }` or `severity: warning`' });
        } else if (hasThresholds && (raw.for !== undefined || raw.keepFiringFor !== undefined)) {
          const key = raw.for !== undefined ? 'for' : 'keepFiringFor';
          ctx.report({ message: `alert ${alert.name}: \`${key}\` belongs inside each threshold level`, span: alert.origin.def.locateKey([...alert.origin.path, key]), hint: `move it into thresholds, e.g. warning: { op: ">", value: 80, ${key}: 5m }` });
        }
      }
    }
  },
};
