import { goYaml, sortedRecord } from '../emit/artifact.ts';
import type { AlertCheck, ExpectedFiring, TestCase } from './types.ts';

/** File-wide settings of a promtool unit-test file. */
export interface TestFileOptions {
  /** Paths of the rule files, relative to the test file (promtool resolves them from the test file's directory). */
  ruleFiles: string[];
  /** The project's evaluationInterval: promtool evaluates every loaded group at this step. */
  evaluationInterval: string;
  /**
   * `group_eval_order`: without it promtool 2.42 evaluates the groups of one step in a random order (an unstable sort
   * of a Go map), so an alert reading another group's recording rule sees this step's value or the previous one,
   * differently from run to run.
   */
  groupEvalOrder?: string[];
  /** The project's externalLabels, so annotations that read `$externalLabels` render as in production. */
  externalLabels?: Record<string, string>;
  /** A comment for the first line. */
  header?: string;
}

export interface FormatOptions {
  /**
   * A probe asks promtool what fires instead of asserting it: every alert check expects nothing (`exp_alerts: []`), so
   * promtool prints what actually fired at each (alertname, eval_time); duplicates of one pair are written once.
   */
  probe?: boolean;
  /** Replaces every test's name (probes use one test per file and a fixed name, so no name can confuse the parser). */
  name?: string;
}

/** `rule_files`, `evaluation_interval` and `tests` of one promtool unit-test file, as stable YAML. */
export function formatTestFile(cases: readonly TestCase[], file: TestFileOptions, options: FormatOptions = {}): string {
  const body: Record<string, unknown> = {
    rule_files: [...file.ruleFiles],
    evaluation_interval: file.evaluationInterval,
    ...(file.groupEvalOrder?.length ? { group_eval_order: [...file.groupEvalOrder] } : {}),
    tests: cases.map((c) => promtoolTest(c, file, options)),
  };
  return goYaml(body, file.header);
}

export function promtoolTest(testCase: TestCase, file: Pick<TestFileOptions, 'externalLabels'>, options: FormatOptions = {}): Record<string, unknown> {
  const test: Record<string, unknown> = {
    // promtool prints the name raw on its own line: a line break would split it.
    name: (options.name ?? testCase.name).replace(/\s*[\r\n]+\s*/g, ' '),
    interval: testCase.interval,
  };
  if (file.externalLabels && Object.keys(file.externalLabels).length) test.external_labels = sortedRecord(file.externalLabels);
  test.input_series = testCase.inputSeries.map((s) => ({ series: s.series, values: s.values }));
  const alertChecks = options.probe ? uniqueChecks(testCase.alertChecks) : testCase.alertChecks;
  if (alertChecks.length) {
    test.alert_rule_test = alertChecks.map((check) => ({
      eval_time: check.evalTime,
      alertname: check.alertname,
      exp_alerts: options.probe ? [] : check.expected.map(expAlert),
    }));
  }
  if (testCase.exprChecks.length) {
    test.promql_expr_test = testCase.exprChecks.map((check) => ({
      expr: check.expr,
      eval_time: check.evalTime,
      exp_samples: check.expSamples.map((s) => (s.labels === '' ? { value: s.value } : { labels: s.labels, value: s.value })),
    }));
  }
  return test;
}

/** promtool adds `alertname` itself; `severity` is a label like any other, absent for a level that carries none. */
function expAlert(firing: ExpectedFiring): Record<string, unknown> {
  const out: Record<string, unknown> = { exp_labels: sortedRecord(firing.severity === '' ? firing.labels : { ...firing.labels, severity: firing.severity }) };
  if (firing.annotations && Object.keys(firing.annotations).length) out.exp_annotations = sortedRecord(firing.annotations);
  return out;
}

function uniqueChecks(checks: readonly AlertCheck[]): AlertCheck[] {
  const seen = new Set<string>();
  return checks.filter((c) => {
    const key = `${c.alertname}\u0000${c.evalTime}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
