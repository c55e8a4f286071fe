import type { AlertModel } from './types.ts';

/**
 * The labels one level's alerting rule sets: the alert's (its group's merged in) and the level's severity, which wins
 * over a `severity` written on the alert. Prometheus adds `alertname` itself.
 */
export function ruleLabels(alert: Pick<AlertModel, 'labels'>, severity: string): Record<string, string> {
  return { ...alert.labels, severity };
}

/**
 * The fixed labels of every notification of one level, as Alertmanager routes and inhibits it: the rule's labels and
 * `alertname`. The series of the expression add their own labels underneath (these win).
 */
export function levelLabels(alert: Pick<AlertModel, 'name' | 'labels'>, severity: string): Record<string, string> {
  return { ...alert.labels, alertname: alert.name, severity };
}
