import type { AlertLevel, AlertModel } from './types.ts';

/** A level, or just its severity where the caller has no level (a level of `rules:` may add labels of its own). */
export type LevelOrSeverity = string | Pick<AlertLevel, 'severity' | 'labels' | 'withoutSeverityLabel'>;

/** Whether this level's alerts carry the `severity` label (a severity of `label: false` leaves it off). */
export function carriesSeverityLabel(level: LevelOrSeverity): boolean {
  return typeof level === 'string' || !level.withoutSeverityLabel;
}

/**
 * The labels one level's alerting rule sets: the alert's (its group's merged in), the level's own, and the level's
 * severity, which wins over a `severity` written anywhere else. A level without a severity label sets none at all.
 * Prometheus adds `alertname` itself.
 */
export function ruleLabels(alert: Pick<AlertModel, 'labels'>, level: LevelOrSeverity): Record<string, string> {
  if (typeof level === 'string') return { ...alert.labels, severity: level };
  // Most levels (thresholds) add no labels and their alert writes no severity: one object, the same as below.
  if (carriesSeverityLabel(level) && addsNothing(alert.labels, level.labels)) return withFixed(alert.labels, level.severity);
  const { severity: _written, ...labels } = { ...alert.labels, ...level.labels };
  return carriesSeverityLabel(level) ? { ...labels, severity: level.severity } : labels;
}

/**
 * The fixed labels of every notification of one level, as Alertmanager routes and inhibits it: the rule's labels and
 * `alertname`. The series of the expression add their own labels underneath (these win).
 */
export function levelLabels(alert: Pick<AlertModel, 'name' | 'labels'>, level: LevelOrSeverity): Record<string, string> {
  if (typeof level !== 'string' && carriesSeverityLabel(level) && addsNothing(alert.labels, level.labels)) {
    return withFixed(alert.labels, level.severity, alert.name);
  }
  return { ...ruleLabels(alert, level), alertname: alert.name };
}

/**
 * `{ ...labels, severity, alertname }` (`alertname` when given), made as Object.assign and stores: V8 (Node 20) clones
 * an object fast but adds properties to the clone slowly (≈ 1 µs a level, 20,000 levels in a large project), and
 * assigning into a new object gives the same keys, order, values and prototype unless `labels` has a key `__proto__`
 * of its own, which assign would set as the prototype: then the spread.
 */
function withFixed(labels: Readonly<Record<string, string>>, severity: string, alertname?: string): Record<string, string> {
  if (Object.hasOwn(labels, '__proto__')) return alertname === undefined ? { ...labels, severity } : { ...labels, severity, alertname };
  const out: Record<string, string> = Object.assign({}, labels);
  out.severity = severity;
  if (alertname !== undefined) out.alertname = alertname;
  return out;
}

/** The alert's labels hold no `severity` of their own and the level's hold no key at all (spread copies symbols too). */
function addsNothing(alertLabels: Readonly<Record<string, string>>, levelLabels: Readonly<Record<string, string>> | undefined): boolean {
  return !Object.hasOwn(alertLabels, 'severity') && (levelLabels === undefined || levelLabels === null || Reflect.ownKeys(levelLabels).length === 0);
}

/** The severities of an alert whose alerts carry them: the only ones the automatic level inhibition can match. */
export function labelledSeverities(alert: Pick<AlertModel, 'levels'>): string[] {
  return alert.levels.filter(carriesSeverityLabel).map((l) => l.severity);
}
