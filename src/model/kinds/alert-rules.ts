import type { AlertRulesSpec } from '../../spec/types.gen.ts';
import type { Definition } from '../../load/definition.ts';
import type { AlertLevel, ExpressionModel, RuleGroupModel, ThresholdOp } from '../types.ts';
import { at, type KindMapper } from './mapper.ts';
import { objectArray } from '../../util/object-array.ts';

type AlertSpec = AlertRulesSpec['alerts'][number];

export const mapAlertRules: KindMapper = (def, { model }) => {
  const g = def.value as AlertRulesSpec;
  const group: RuleGroupModel = { name: g.group, type: 'alerting', interval: g.interval, limit: g.limit, queryOffset: g.queryOffset, alerts: objectArray(), rules: objectArray(), origin: at(def, ['group']) };
  g.alerts.forEach((a, i) => {
    const expression = (text: string, path: (string | number)[], level?: string): ExpressionModel => {
      const e: ExpressionModel = { text, grafana: false, owner: level ? `alert ${a.name}, level ${level}` : `alert ${a.name}`, origin: at(def, path), exact: true };
      model.expressions.push(e);
      return e;
    };
    // `rules:` wins when an alert also has `expr` (alert/levels reports the mix): its levels are complete rules.
    const levels = a.rules ? ownExpressionLevels(def, a, i, expression) : sharedExpressionLevels(def, a, i);
    // An alert without any expression (alert/levels reports it) keeps an empty one that no check analyses.
    const shared = a.rules ? levels[0]!.expression! : a.expr !== undefined ? expression(a.expr, ['alerts', i, 'expr']) : emptyExpression(def, a, i);
    group.alerts.push({
      expression: shared,
      name: a.name,
      group: g.group,
      expr: shared.text,
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

/**
 * A `thresholds` map and a single `severity` become the same uniform list of levels, sharing the alert's expression.
 * Built by push, never by `map`: an array made by `map` is packed or holey depending on whether the caller runs
 * optimised, and every check that reads `levels` then met two array shapes, deoptimised and was compiled again.
 */
function sharedExpressionLevels(def: Definition, a: AlertSpec, i: number): AlertLevel[] {
  const levels = objectArray<AlertLevel>();
  if (a.thresholds) {
    for (const severity of Object.keys(a.thresholds)) {
      const t = a.thresholds[severity]!;
      levels.push({ severity, op: t.op as ThresholdOp, value: t.value, for: t.for, keepFiringFor: t.keepFiringFor, origin: at(def, ['alerts', i, 'thresholds', severity]) });
    }
  } else if (a.severity) {
    levels.push({ severity: a.severity, for: a.for, keepFiringFor: a.keepFiringFor, origin: at(def, ['alerts', i, 'severity']) });
  }
  return levels;
}

/** `rules:`: each level is one rule of its own, with its expression (comparison included), labels and annotations. */
function ownExpressionLevels(def: Definition, a: AlertSpec, i: number, expression: (text: string, path: (string | number)[], level?: string) => ExpressionModel): AlertLevel[] {
  const levels = objectArray<AlertLevel>();
  const rules = a.rules ?? [];
  for (let j = 0; j < rules.length; j++) {
    const r = rules[j]!;
    levels.push({
      severity: r.severity,
      for: r.for,
      keepFiringFor: r.keepFiringFor,
      expr: r.expr,
      expression: expression(r.expr, ['alerts', i, 'rules', j, 'expr'], r.severity),
      ...(r.labels ? { labels: { ...r.labels } } : {}),
      ...(r.annotations ? { annotations: { ...r.annotations } } : {}),
      origin: at(def, ['alerts', i, 'rules', j]),
    });
  }
  return levels;
}

function emptyExpression(def: Definition, a: AlertSpec, i: number): ExpressionModel {
  return { text: '', grafana: false, owner: `alert ${a.name}`, origin: at(def, ['alerts', i]), exact: false };
}
