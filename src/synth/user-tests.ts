import type { Diagnostic } from '../diagnostics.ts';
import { carriesSeverityLabel } from '../model/level-labels.ts';
import { alertsByName, spanOf, type AlertModel, type ExpectedAlert, type Model, type Origin, type RuleTestModel } from '../model/types.ts';
import type { AlertCheck, Coverage, ExpectedFiring, ExprCheck, TestCase } from './types.ts';

/** A user-written test (kind RuleTests) as a TestCase, with the way back to where each expectation was written. */
export interface UserCase {
  testCase: TestCase;
  test: RuleTestModel;
  /** The `expect` entry each alert check came from, and the `alerts[k]` entry of each of its expected firings. */
  alertOrigins: Map<AlertCheck, { entry: Origin; firings: Origin[] }>;
  exprOrigins: Map<ExprCheck, Origin>;
}

/**
 * RuleTestModel → TestCase:
 * - `series` become the input series;
 * - every `expect` entry with `alerts` becomes one AlertCheck per alert name the TEST mentions anywhere, so
 *   `alerts: []` means none of them fires, and an entry that lists only GpuMemoryHigh says TrainingStalled (mentioned
 *   at another time) is quiet;
 * - `level` becomes the severity (none for a level whose severity says `label: false`); a single-level alert's level
 *   defaults to its severity;
 * - `values` become expression checks;
 * - a user test loads every rule group (it exercises the whole rule set: recording rules compute from raw inputs);
 * - it covers each (alert, level) it expects to fire.
 * Unknown alerts and missing levels are reported by the test/refs check; here they become problems and the test is
 * left out.
 */
export function userTestCases(model: Model): { cases: UserCase[]; problems: Diagnostic[] } {
  const alerts = alertsByName(model);
  const groups = [...new Set(model.groups.map((g) => g.name))].sort();
  const cases: UserCase[] = [];
  const problems: Diagnostic[] = [];
  for (const test of model.ruleTests) {
    const before = problems.length;
    const severityOf = (expected: ExpectedAlert): string | undefined => {
      if (expected.level !== undefined) return expected.level;
      const alert = alerts.get(expected.name);
      if (!alert) {
        problems.push({ code: 'test/refs', severity: 'error', message: `test "${test.name}" expects unknown alert "${expected.name}"`, span: spanOf(expected.origin, 'name') });
        return undefined;
      }
      if (alert.levels.length === 1) return alert.levels[0]!.severity;
      problems.push({
        code: 'test/refs',
        severity: 'error',
        message: `test "${test.name}": alert ${alert.name} has levels ${alert.levels.map((l) => l.severity).join(', ')}; say which one fires`,
        span: spanOf(expected.origin),
        hint: `add \`level: ${alert.levels[0]!.severity}\` (or another level)`,
      });
      return undefined;
    };

    const names: string[] = [];
    for (const e of test.expect) for (const a of e.alerts ?? []) if (!names.includes(a.name)) names.push(a.name);

    const alertChecks: AlertCheck[] = [];
    const exprChecks: ExprCheck[] = [];
    const alertOrigins: UserCase['alertOrigins'] = new Map();
    const exprOrigins: UserCase['exprOrigins'] = new Map();
    const covers: Coverage[] = [];
    for (const entry of test.expect) {
      if (entry.alerts) {
        for (const alertname of names) {
          const mine = entry.alerts.filter((a) => a.name === alertname);
          const expected: ExpectedFiring[] = [];
          for (const a of mine) {
            const severity = severityOf(a);
            if (severity === undefined) continue;
            expected.push({ severity: severityLabel(alerts.get(alertname), severity), labels: { ...a.labels }, ...(Object.keys(a.annotations).length ? { annotations: { ...a.annotations } } : {}) });
            if (!covers.some((c) => c.alert === alertname && c.level === severity)) covers.push({ alert: alertname, level: severity });
          }
          const check: AlertCheck = { evalTime: entry.at, alertname, expected };
          alertChecks.push(check);
          alertOrigins.set(check, { entry: entry.origin, firings: mine.map((a) => a.origin) });
        }
      }
      for (const v of entry.values) {
        const check: ExprCheck = { evalTime: entry.at, expr: v.expr, expSamples: v.samples.map((s) => ({ labels: s.labels ?? '', value: s.value })) };
        exprChecks.push(check);
        exprOrigins.set(check, v.origin);
      }
    }
    if (problems.length > before) continue;
    cases.push({
      testCase: {
        name: test.name,
        interval: test.interval,
        inputSeries: test.series.map((s) => ({ series: s.selector, values: s.values })),
        alertChecks,
        exprChecks,
        groups,
        covers,
        origin: test.origin,
        source: 'user',
      },
      test,
      alertOrigins,
      exprOrigins,
    });
  }
  return { cases, problems };
}

/** The severity label an expected firing of this level carries: '' when its severity says `label: false`. */
function severityLabel(alert: AlertModel | undefined, level: string): string {
  const known = alert?.levels.find((l) => l.severity === level);
  return known && !carriesSeverityLabel(known) ? '' : level;
}
