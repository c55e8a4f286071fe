import type { PromqlAnalysis } from '../promql/index.ts';
import type { Catalog } from './catalog.ts';
import type { AlertModel, ExpressionModel, Model } from './types.ts';

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

  /** Labels of an alert's notifications: its expression's labels, its static labels, alertname and severity. */
  ofAlert(alert: AlertModel): LabelSet {
    const cached = this.alerts.get(alert);
    if (cached) return cached;
    const inner = this.ofExpression(alert.expression);
    const result: LabelSet = { labels: new Set([...inner.labels, ...Object.keys(alert.labels), 'alertname', 'severity']), complete: inner.complete };
    this.alerts.set(alert, result);
    return result;
  }

  /** Labels that tell two firings of one alert apart: what `equal` must list for level inhibition. */
  identityOf(alert: AlertModel): string[] {
    const { labels, complete } = this.ofAlert(alert);
    const identity = new Set(labels);
    if (!complete) ['instance', 'job'].forEach((l) => identity.add(l));
    for (const fixed of ['alertname', 'severity', ...Object.keys(alert.labels)]) identity.delete(fixed);
    return [...identity].sort();
  }
}
