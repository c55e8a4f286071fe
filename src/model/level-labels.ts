import type { AlertLevel, AlertModel } from './types.ts';

/** A level, or just its severity where the caller has no level (a level of `rules:` may add labels of its own). */
export type LevelOrSeverity = string | Pick<AlertLevel, 'severity' | 'labels'>;

/**
 * The labels one level's alerting rule sets: the alert's (its group's merged in), the level's own, and the level's
 * severity, which wins over a `severity` written anywhere else. Prometheus adds `alertname` itself.
 */
export function ruleLabels(alert: Pick<AlertModel, 'labels'>, level: LevelOrSeverity): Record<string, string> {
  return typeof level === 'string' ? { ...alert.labels, severity: level } : { ...alert.labels, ...level.labels, severity: level.severity };
}

/**
 * The fixed labels of every notification of one level, as Alertmanager routes and inhibits it: the rule's labels and
 * `alertname`. The series of the expression add their own labels underneath (these win).
 */
export function levelLabels(alert: Pick<AlertModel, 'name' | 'labels'>, level: LevelOrSeverity): Record<string, string> {
  return { ...ruleLabels(alert, level), alertname: alert.name, severity: typeof level === 'string' ? level : level.severity };
}
