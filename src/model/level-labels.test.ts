import { describe, expect, it } from 'vitest';
import { levelLabels, ruleLabels } from './level-labels.ts';
import type { AlertModel } from './types.ts';

const alert = (labels: Record<string, string>) => ({ name: 'HighLatency', labels }) as AlertModel;

describe('the label set of one alert level', () => {
  const cases: { labels: Record<string, string>; severity: string; rule: Record<string, string> }[] = [
    { labels: {}, severity: 'critical', rule: { severity: 'critical' } },
    { labels: { team: 'web', service: 'api' }, severity: 'warning', rule: { team: 'web', service: 'api', severity: 'warning' } },
    // The level's severity wins over a severity label written on the alert or its group.
    { labels: { severity: 'info', team: 'db' }, severity: 'critical', rule: { severity: 'critical', team: 'db' } },
    { labels: { 'a.b': 'x', empty: '' }, severity: 'page', rule: { 'a.b': 'x', empty: '', severity: 'page' } },
  ];

  it.each(cases)('rule labels of $severity with $labels', ({ labels, severity, rule }) => {
    expect(ruleLabels(alert(labels), severity)).toEqual(rule);
  });

  it.each(cases)('notification labels of $severity with $labels add alertname', ({ labels, severity, rule }) => {
    const out = levelLabels(alert(labels), severity);
    expect(out).toEqual({ ...rule, alertname: 'HighLatency' });
  });

  it('alertname is the alert name even when a label says otherwise; the alert is not changed', () => {
    const a = alert({ alertname: 'Other', team: 'web' });
    expect(levelLabels(a, 'info')).toEqual({ alertname: 'HighLatency', team: 'web', severity: 'info' });
    expect(a.labels).toEqual({ alertname: 'Other', team: 'web' });
  });
});
