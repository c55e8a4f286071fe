import type { Span } from '../diagnostics.ts';
import { carriesSeverityLabel, ruleLabels } from '../model/level-labels.ts';
import { keySpanOf, spanOf, type AlertLevel, type AlertModel } from '../model/types.ts';
import { lookup } from '../util/lookup.ts';
import type { Check, CheckContext } from './check.ts';

/**
 * An alert is multi-level (`expr` + `thresholds`), single-level (`expr` + `severity` and its own comparison), or has
 * levels with expressions of their own (`rules:`), never a mix.
 */
export const alertLevelsCheck: Check = {
  id: 'alert/levels',
  description: 'An alert has either expr with thresholds or a severity, or rules with an expression per level; its `for` sits where it applies.',
  severity: 'error',
  run() {},
  // Each alert on its own (its definition, the severities): per file.
  perFile(ctx, file) {
    for (const group of file.groups) {
      for (const alert of group.alerts) {
        const raw = lookup(alert.origin.def.value, alert.origin.path) as Record<string, unknown>;
        if (raw.rules !== undefined) checkOwnExpressionLevels(ctx, alert, raw);
        else checkSharedExpressionLevels(ctx, alert, raw);
        reportIndistinguishableLevels(ctx, alert);
      }
    }
  },
};

function checkSharedExpressionLevels(ctx: CheckContext, alert: AlertModel, raw: Record<string, unknown>): void {
  const hasThresholds = raw.thresholds !== undefined;
  const hasSeverity = raw.severity !== undefined;
  if (raw.expr === undefined) {
    ctx.report({ message: `alert ${alert.name} has no expression`, span: spanOf(alert.origin, 'name'), hint: 'add `expr:` (with `thresholds:` or `severity:`), or `rules:` with an `expr` for each level' });
  } else if (hasThresholds && hasSeverity) {
    ctx.report({ message: `alert ${alert.name} has both thresholds and severity`, span: spanOf(alert.origin, 'severity'), hint: 'keep `thresholds:` for a multi-level alert, or `severity:` for a single-level one' });
  } else if (!hasThresholds && !hasSeverity) {
    ctx.report({ message: `alert ${alert.name} has neither thresholds nor severity`, span: spanOf(alert.origin, 'name'), hint: 'add `thresholds: { warning: { op: ">", value: 80, for: 5m } }` or `severity: warning`' });
  } else if (hasThresholds && (raw.for !== undefined || raw.keepFiringFor !== undefined)) {
    const key = raw.for !== undefined ? 'for' : 'keepFiringFor';
    ctx.report({ message: `alert ${alert.name}: \`${key}\` belongs inside each threshold level`, span: alert.origin.def.locateKey([...alert.origin.path, key]), hint: `move it into thresholds, e.g. warning: { op: ">", value: 80, ${key}: 5m }` });
  }
}

/** `rules:` carries everything a level's rule evaluates; the alert-wide fields that would compete with it are errors. */
function checkOwnExpressionLevels(ctx: CheckContext, alert: AlertModel, raw: Record<string, unknown>): void {
  const competing = ['expr', 'thresholds', 'severity', 'for', 'keepFiringFor'].filter((key) => raw[key] !== undefined);
  for (const key of competing) {
    ctx.report({
      message: `alert ${alert.name} has both \`rules:\` and \`${key}\``,
      span: alert.origin.def.locateKey([...alert.origin.path, key]),
      hint: key === 'expr' || key === 'thresholds' ? 'keep `rules:` (an expression per level) or `expr:` with `thresholds:`, not both' : `each entry of \`rules:\` sets its own \`${key}\`; move it there`,
    });
  }
}

/**
 * Two rules of one alert with the same labels fire the same alert: Prometheus cannot tell them apart. Levels of one
 * severity (`rules:`) can collide so, and so can levels of two severities whose alerts carry no severity label.
 */
function reportIndistinguishableLevels(ctx: CheckContext, alert: AlertModel): void {
  // Levels that all carry their severity label, each a severity of its own, differ in it: nothing can collide (most
  // alerts; their label sets are not worth writing out).
  if (distinctSeverityLabels(alert.levels)) return;
  const seen = new Map<string, AlertLevel>();
  for (const level of alert.levels) {
    const key = JSON.stringify(Object.entries(ruleLabels(alert, level)).sort());
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, level);
      continue;
    }
    const unlabelled = !carriesSeverityLabel(level);
    ctx.report({
      message: unlabelled
        ? `alert ${alert.name}: levels ${first.severity} and ${level.severity} both carry no severity label and the same labels, so their alerts are indistinguishable`
        : `alert ${alert.name}: two levels have severity ${level.severity} and the same labels, so their alerts are indistinguishable`,
      span: levelSpan(level),
      hint: unlabelled
        ? `give one of them a label that tells them apart (in \`rules:\`), or a severity whose alerts carry its label`
        : 'give each level of one severity a label that tells them apart (e.g. `labels: { window: 1h }`), or merge their expressions with `or`',
      related: [{ span: levelSpan(first), message: 'the other level' }],
    });
  }
}

function distinctSeverityLabels(levels: readonly AlertLevel[]): boolean {
  for (let i = 0; i < levels.length; i++) {
    if (!carriesSeverityLabel(levels[i]!)) return false;
    for (let j = 0; j < i; j++) if (levels[j]!.severity === levels[i]!.severity) return false;
  }
  return true;
}

/** A level of `rules:` at its severity; a threshold level at its key (the severity's name). */
function levelSpan(level: AlertLevel): Span {
  return level.expression ? spanOf(level.origin, 'severity') : keySpanOf(level.origin);
}
