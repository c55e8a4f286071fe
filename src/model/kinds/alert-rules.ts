import type { AlertRulesSpec } from '../../spec/types.gen.ts';
import type { AlertLevel, ExpressionModel, RuleGroupModel, ThresholdOp } from '../types.ts';
import { at, type KindMapper } from './mapper.ts';

export const mapAlertRules: KindMapper = (def, { model }) => {
  const g = def.value as AlertRulesSpec;
  const group: RuleGroupModel = { name: g.group, type: 'alerting', interval: g.interval, alerts: [], rules: [], origin: at(def, ['group']) };
  g.alerts.forEach((a, i) => {
    // A `thresholds` map and a single `severity` become the same uniform list of levels.
    const levels: AlertLevel[] = [];
    if (a.thresholds) {
      for (const [severity, t] of Object.entries(a.thresholds)) {
        levels.push({ severity, op: t.op as ThresholdOp, value: t.value, for: t.for, keepFiringFor: t.keepFiringFor, origin: at(def, ['alerts', i, 'thresholds', severity]) });
      }
    } else if (a.severity) {
      levels.push({ severity: a.severity, for: a.for, keepFiringFor: a.keepFiringFor, origin: at(def, ['alerts', i, 'severity']) });
    }
    const expression: ExpressionModel = { text: a.expr, grafana: false, owner: `alert ${a.name}`, origin: at(def, ['alerts', i, 'expr']), exact: true };
    model.expressions.push(expression);
    group.alerts.push({
      expression,
      name: a.name,
      group: g.group,
      expr: a.expr,
      levels,
      summary: a.summary,
      description: a.description,
      runbook: a.runbook,
      dashboard: a.dashboard,
      labels: { ...(g.labels ?? {}), ...(a.labels ?? {}) },
      annotations: { ...(a.annotations ?? {}) },
      enabled: a.enabled !== false,
      origin: at(def, ['alerts', i]),
    });
  });
  model.groups.push(group);
};
