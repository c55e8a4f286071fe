import type { Origin } from '../model/types.ts';

/**
 * Tests in a promtool-neutral shape. Expectations are partial (severity + the labels that matter); the runner asks the
 * real promtool what actually fires and completes them (full labels, rendered annotations) before writing
 * generated/tests/*.test.yml, so the committed files are ordinary promtool unit tests that pass.
 */
export interface ExpectedFiring {
  /** The severity label, i.e. the alert level; '' for a level whose alerts carry none (its severity says `label: false`). */
  severity: string;
  /** Labels the firing alert must carry (a subset of its labels); alertname and severity are implied. */
  labels: Record<string, string>;
  /** Rendered annotations that must match exactly (only those listed). */
  annotations?: Record<string, string>;
}

export interface AlertCheck {
  /** Prometheus duration from the start of the test, e.g. `6m`. */
  evalTime: string;
  alertname: string;
  /** Exactly these firings of `alertname` at evalTime (matched one to one); [] = none. */
  expected: ExpectedFiring[];
}

export interface ExprCheck {
  evalTime: string;
  expr: string;
  /** Full series selectors as promtool writes them, e.g. `metric{a="1"}`. */
  expSamples: { labels: string; value: number }[];
}

/** The alert levels a test case proves. */
export interface Coverage {
  alert: string;
  level: string;
}

export interface TestCase {
  name: string;
  /** Step of the input series. */
  interval: string;
  inputSeries: { series: string; values: string }[];
  alertChecks: AlertCheck[];
  exprChecks: ExprCheck[];
  /** Rule groups (names) whose rule files the test loads; recorded series of other groups are plain inputs. */
  groups: string[];
  covers: Coverage[];
  /** promtool's evaluation step when the case needs its own (an SLO's burn spans days); else the project's. */
  evaluationInterval?: string;
  /** Where a user-written test was defined; absent for generated boundary tests. */
  origin?: Origin;
  source: 'generated' | 'user';
}

/** What the synthesizer made of one alert level. */
export type LevelSynthesis =
  | { alert: string; level: string; cases: TestCase[] }
  | { alert: string; level: string; unsupported: string };
