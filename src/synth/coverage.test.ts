import { describe, expect, it } from 'vitest';
import { baseFile, compileBase } from '../../test/helpers/model.ts';
import { Catalog } from '../model/catalog.ts';
import { analyzePromql } from '../promql/index.ts';
import { computeCoverage, formatPercent } from './coverage.ts';
import { synthesizeAlert } from './synthesize.ts';

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

describe('computeCoverage of generated cases for levels of `rules:` and without a severity label', () => {
  it('counts every such level the synthesiser generated cases for as tested', async () => {
    const burn = [
      'apiVersion: vigil/v1',
      'kind: AlertRules',
      'group: burn',
      'labels: { team: app }',
      'alerts:',
      '  - name: QueueBurn',
      '    summary: burn',
      '    rules:',
      '      - { severity: critical, expr: "max by (service) (queue_depth) > 500", for: 2m }',
      '      - { severity: note, expr: "max by (service) (queue_depth) > 100", labels: { notice: board } }',
      '',
    ].join('\n');
    const severities = `${await baseFile('severities.yaml')}  - { name: note, label: false }\n`;
    const burnModel = (await compileBase({ 'severities.yaml': severities, 'burn.yaml': burn })).model;
    const ctx = { analyze: (e: { text: string; grafana: boolean }) => analyzePromql(e.text, { grafana: e.grafana }), catalog: new Catalog(burnModel) };
    const alert = burnModel.groups.flatMap((g) => g.alerts).find((a) => a.name === 'QueueBurn')!;
    const syntheses = synthesizeAlert(burnModel, alert, ctx);
    const outcomes = syntheses.flatMap((s) => ('cases' in s ? s.cases.map((c) => ({ name: c.name, covers: c.covers, passed: true })) : []));
    const report = computeCoverage(burnModel, outcomes, syntheses, 0);
    expect(report.levels.filter((l) => l.alert === 'QueueBurn').map((l) => [l.level, l.status, l.cases.length, l.unsupported])).toEqual([
      ['critical', 'passed', 2, undefined],
      ['note', 'passed', 2, undefined],
    ]);
  });
});
