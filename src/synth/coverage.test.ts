import { describe, expect, it } from 'vitest';
import { compileBase } from '../../test/helpers/model.ts';
import { computeCoverage, formatPercent } from './coverage.ts';

// The base project: QueueDeep (warning, critical) and TargetDown (critical): 3 levels.
const { model } = await compileBase();

describe('computeCoverage', () => {
  it('lists every level of every enabled alert, most severe first, untested when no case covers it', () => {
    const report = computeCoverage(model, [], [], 0);
    expect(report.levels.map((l) => [l.alert, l.level, l.status])).toEqual([
      ['QueueDeep', 'critical', 'untested'],
      ['QueueDeep', 'warning', 'untested'],
      ['TargetDown', 'critical', 'untested'],
    ]);
    expect(report).toMatchObject({ covered: 0, total: 3, percent: 0, required: 0, ok: true });
  });

  it('counts covered levels over all levels and compares with the policy', () => {
    const outcomes = [
      { name: 'a', covers: [{ alert: 'QueueDeep', level: 'warning' }], passed: true },
      { name: 'b', covers: [{ alert: 'QueueDeep', level: 'warning' }, { alert: 'TargetDown', level: 'critical' }], passed: true },
    ];
    const report = computeCoverage(model, outcomes, [], 66);
    expect(report.covered).toBe(2);
    expect(report.percent).toBeCloseTo(66.667, 2);
    expect(report.ok).toBe(true);
    expect(computeCoverage(model, outcomes, [], 67).ok).toBe(false);
    expect(report.uncovered.map((l) => `${l.alert} ${l.level}`)).toEqual(['QueueDeep critical']);
    expect(report.levels.find((l) => l.level === 'warning')!.cases).toEqual(['a', 'b']);
    expect(computeCoverage(model, outcomes, [], 100).ok).toBe(false);
  });

  it('a level with a failing case is failed (and still counts as tested); covers of unknown levels count for nothing', () => {
    const report = computeCoverage(
      model,
      [
        { name: 'ok', covers: [{ alert: 'QueueDeep', level: 'critical' }], passed: true },
        { name: 'bad', covers: [{ alert: 'QueueDeep', level: 'critical' }, { alert: 'QueueDeep', level: 'critical' }], passed: false },
        { name: 'ghost', covers: [{ alert: 'Nope', level: 'critical' }, { alert: 'TargetDown', level: 'info' }], passed: true },
      ],
      [],
      0,
    );
    const critical = report.levels[0]!;
    expect(critical).toMatchObject({ status: 'failed', cases: ['ok', 'bad'], failed: ['bad'] });
    expect(report.covered).toBe(1);
  });

  it('carries the synthesizer’s reason for an untested level', () => {
    const report = computeCoverage(model, [], [{ alert: 'TargetDown', level: 'critical', unsupported: 'absent() cannot be driven by a boundary series' }, { alert: 'QueueDeep', level: 'warning', cases: [] }], 0);
    expect(report.uncovered.find((l) => l.alert === 'TargetDown')!.unsupported).toBe('absent() cannot be driven by a boundary series');
    expect(report.uncovered.find((l) => l.level === 'warning')!.unsupported).toBeUndefined();
  });

  it('leaves disabled alerts out, and a project without levels is fully covered', async () => {
    const { model: disabled } = await compileBase({
      'alerts.yaml': `apiVersion: vigil/v1
kind: AlertRules
group: app
labels: { team: app }
alerts:
  - name: TargetDown
    expr: up == 0
    severity: critical
    summary: "{{ $labels.instance }} is down"
    runbook: https://runbooks.example.com/target-down
    enabled: false
`,
      'dashboard.yaml': '# nothing\n',
    });
    const report = computeCoverage(disabled, [], [], 100);
    expect(report).toMatchObject({ total: 0, covered: 0, percent: 100, ok: true });
  });
});

describe('formatPercent', () => {
  it('never rounds up to a figure that was not reached', () => {
    expect(formatPercent(100)).toBe('100');
    expect(formatPercent(99.96)).toBe('99.9');
    expect(formatPercent(66.6666)).toBe('66.6');
    expect(formatPercent(50)).toBe('50');
    expect(formatPercent(0)).toBe('0');
  });
});
