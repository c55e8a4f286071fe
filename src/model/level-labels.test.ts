import { describe, expect, it } from 'vitest';
import { labelledSeverities, levelLabels, ruleLabels } from './level-labels.ts';
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

describe('the label set of a level of `rules:`', () => {
  const a = alert({ team: 'web', window: '5m' });

  it('adds the level labels over the alert labels; the severity still wins', () => {
    const level = { severity: 'critical', labels: { window: '1h', severity: 'info', long: '1d' } };
    expect(ruleLabels(a, level)).toEqual({ team: 'web', window: '1h', long: '1d', severity: 'critical' });
    expect(levelLabels(a, level)).toEqual({ team: 'web', window: '1h', long: '1d', severity: 'critical', alertname: 'HighLatency' });
  });

  it('a level without labels gives what its severity alone gives', () => {
    expect(levelLabels(a, { severity: 'warning' })).toEqual(levelLabels(a, 'warning'));
  });
});

describe('the label set of a level whose severity says `label: false`', () => {
  const a = alert({ team: 'web', severity: 'written' });
  const unlabelled = { severity: 'none', labels: { window: '1h' }, withoutSeverityLabel: true as const };

  it('carries no severity label, not even one written on the alert', () => {
    expect(ruleLabels(a, unlabelled)).toEqual({ team: 'web', window: '1h' });
    expect(levelLabels(a, unlabelled)).toEqual({ team: 'web', window: '1h', alertname: 'HighLatency' });
  });

  it('leaves its level out of the severities the automatic inhibition can match', () => {
    const levels = [{ severity: 'critical' }, { severity: 'none', withoutSeverityLabel: true as const }, { severity: 'warning' }];
    expect(labelledSeverities({ levels } as AlertModel)).toEqual(['critical', 'warning']);
  });
});
