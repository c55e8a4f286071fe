import type { PromqlAnalysis } from '../promql/index.ts';
import type { Catalog } from './catalog.ts';
import { carriesSeverityLabel, levelLabels } from './level-labels.ts';
import { alertExpressions, levelExpression, type AlertLevel, type AlertModel, type ExpressionModel, type Model } from './types.ts';

export interface LabelSet {
  labels: Set<string>;
  /** False when some series' labels are unknown (an uncatalogued external metric), so absence proves nothing. */
  complete: boolean;
}

export type Analyze = (expression: ExpressionModel) => PromqlAnalysis;

/**
 * Which labels the series of an expression carry: from `by (…)` when exact, else from the catalogue's labels of the
 * metrics it reads (recording rules resolved through their own expressions).
 */
export class LabelInference {
  private readonly memo = new Map<string, LabelSet>();
  private readonly alerts = new Map<AlertModel, LabelSet>();

  constructor(
    private readonly model: Model,
    private readonly catalog: Catalog,
    private readonly analyze: Analyze,
  ) {}

  /** A new Set each call: ofAlert and ofLevel extend it into their own. */
  ofExpression(expression: ExpressionModel, depth = 0): LabelSet {
    const analysis = this.analyze(expression);
    const out = analysis.outputLabels;
    if (out.exact) return { labels: new Set(out.labels), complete: true };
    const labels = new Set<string>();
    let complete = analysis.metrics.length > 0;
    for (const use of analysis.metrics) {
      const known = this.ofMetric(use.name, depth);
      if (!known.complete) complete = false;
      known.labels.forEach((l) => labels.add(l));
    }
    out.removed.forEach((l) => labels.delete(l));
    out.labels.forEach((l) => labels.add(l));
    labels.delete('__name__');
    return { labels, complete };
  }

  ofMetric(name: string, depth = 0): LabelSet {
    const cached = this.memo.get(name);
    if (cached) return cached;
    let result: LabelSet = { labels: new Set(), complete: false };
    const origin = this.catalog.resolve(name);
    if (origin?.kind === 'recording' && depth < 10) {
      const rule = origin.rule;
      const inner = this.ofExpression(rule.expression, depth + 1);
      result = { labels: new Set([...inner.labels, ...Object.keys(rule.labels)]), complete: inner.complete };
    } else {
      const labels = this.catalog.labelsOf(name);
      if (labels) result = { labels: new Set(labels), complete: true };
    }
    this.memo.set(name, result);
    return result;
  }

  /**
   * Labels of an alert's notifications: its expression's labels, its static labels, alertname and severity (unless a
   * level's severity says `label: false`). When the levels have expressions of their own (`rules:`), the labels every
   * level carries.
   */
  ofAlert(alert: AlertModel): LabelSet {
    const cached = this.alerts.get(alert);
    if (cached) return cached;
    let result: LabelSet;
    if (!alert.levels.some((l) => l.expression)) {
      const inner = this.ofExpression(alert.expression);
      // Added in the order of [...inner, ...static labels, 'alertname', 'severity'], without the arrays.
      const labels = inner.labels;
      addKeys(labels, alert.labels);
      labels.add('alertname');
      if (alert.levels.every(carriesSeverityLabel)) labels.add('severity');
      result = { labels, complete: inner.complete };
    } else {
      const each = alert.levels.map((l) => this.ofLevel(alert, l));
      result = { labels: new Set([...each[0]!.labels].filter((label) => each.every((s) => s.labels.has(label)))), complete: each.every((s) => s.complete) };
    }
    this.alerts.set(alert, result);
    return result;
  }

  /** Labels of one level's notifications: its expression's labels and the fixed ones (static labels, alertname, severity). */
  ofLevel(alert: AlertModel, level: AlertLevel): LabelSet {
    const inner = this.ofExpression(levelExpression(alert, level));
    const labels = inner.labels;
    addKeys(labels, levelLabels(alert, level));
    return { labels, complete: inner.complete };
  }

  /**
   * Labels that tell two firings of one alert apart: what `equal` must list for level inhibition. Both levels come
   * from one expression, so their series carry its output labels. Undefined when those labels are not all known (an
   * external metric declared without `labels` whose labels the expression keeps): no list is then safe, since a
   * missing label lets one firing inhibit another. Levels with expressions of their own (`rules:`) need the labels of
   * every one: a label only one level carries then differs, and the safe side is no inhibition.
   */
  identityOf(alert: AlertModel): string[] | undefined {
    // Asked by alert/inhibition-labels and again by the Alertmanager emitter: worked out once per alert. The lookup
    // reads `get` first, on every call: the first calls (none of them a repeat) then teach V8 both reads, and the
    // optimised code is not thrown away at the first repeat.
    const known = this.identities.get(alert);
    if (known !== undefined || this.identities.has(alert)) return known;
    const identity = this.identityOfUncached(alert);
    this.identities.set(alert, identity);
    return identity;
  }

  private readonly identities = new Map<AlertModel, string[] | undefined>();

  private identityOfUncached(alert: AlertModel): string[] | undefined {
    // One expression (no level of `rules:`, the common case): its identity is a Set of its own already.
    const identity = alert.levels.some((l) => l.expression) ? this.identityOfExpressions(alertExpressions(alert)) : this.identityOfExpression(alert.expression);
    if (!identity) return undefined;
    // Without the labels every level fixes (alertname, severity, the alert's and each level's static labels).
    const out: string[] = [];
    for (const label of identity) if (!fixedIn(alert, label)) out.push(label);
    return out.sort();
  }

  private identityOfExpressions(expressions: ExpressionModel[]): Set<string> | undefined {
    const identity = new Set<string>();
    for (const expression of expressions) {
      const labels = this.identityOfExpression(expression);
      if (!labels) return undefined;
      labels.forEach((l) => identity.add(l));
    }
    return identity;
  }

  /** A new Set each call. */
  private identityOfExpression(expression: ExpressionModel): Set<string> | undefined {
    const analysis = this.analyze(expression);
    if (analysis.outputLabels.exact) {
      const identity = new Set(analysis.outputLabels.labels);
      // A grouping label no metric carries is absent on both levels, so leaving it out changes nothing; a function
      // that writes labels may create it, so then every grouping label stays. (The metrics' labels are read where
      // they are kept, not gathered into one more Set per expression.)
      const metrics = analysis.metrics;
      if (metrics.every((use) => this.ofMetric(use.name).complete) && !writesLabels(analysis, expression.text)) {
        for (const label of identity) if (!metrics.some((use) => this.ofMetric(use.name).labels.has(label))) identity.delete(label);
      }
      return identity;
    }
    const { labels, complete } = this.ofExpression(expression);
    return complete ? labels : undefined;
  }
}

/** Whether every notification of the alert has `label` fixed: alertname, severity, or a static label of the alert or of a level. */
function fixedIn(alert: AlertModel, label: string): boolean {
  if (label === 'alertname' || label === 'severity' || ownEnumerable(alert.labels, label)) return true;
  for (const level of alert.levels) if (level.labels != null && ownEnumerable(level.labels, label)) return true;
  return false;
}

/** Whether Object.keys(record) lists `key`. */
const ownEnumerable = (record: object, key: string): boolean => Object.prototype.propertyIsEnumerable.call(record, key);

/** Adds each own enumerable key of `record` (Object.keys' order) to `set`. */
function addKeys(set: Set<string>, record: Readonly<Record<string, string>>): void {
  const keys = Object.keys(record);
  for (let i = 0; i < keys.length; i++) set.add(keys[i]!);
}

/** Functions and aggregations whose result series may carry labels their input metrics do not. */
const LABEL_WRITERS = new Set(['label_replace', 'label_join', 'absent', 'absent_over_time']);

function writesLabels(analysis: PromqlAnalysis, text: string): boolean {
  return analysis.functions.some((f) => LABEL_WRITERS.has(f.name)) || /\bcount_values\b/i.test(text);
}
