import type { Span } from '../diagnostics.ts';
import type { ExpressionModel } from '../model/types.ts';
import type { MatchOperator } from '../promql/index.ts';
import type { CheckContext } from '../checks/check.ts';
import { selectorsOf } from '../checks/promql-facts.ts';

export interface LiveMatcher {
  label: string;
  op: MatchOperator;
  value: string;
  /** The label name as written. */
  span: Span;
}

/** One selector of one expression, as the live checks ask about it. */
export interface LiveSelector {
  expression: ExpressionModel;
  metric: string;
  matchers: LiveMatcher[];
  /** The metric name. */
  span: Span;
  /** The recording rule of the project that writes the metric, when one does. */
  recordedBy?: { group: string };
}

/**
 * Every selector that names its metric, with the matchers the server can be asked about: a matcher whose value holds
 * a Grafana variable is left out (the server would be asked about the variable's name).
 */
export function liveSelectors(ctx: CheckContext): LiveSelector[] {
  const out: LiveSelector[] = [];
  for (const { expression, selector, span } of selectorsOf(ctx)) {
    if (selector.metric === undefined) continue;
    const matchers: LiveMatcher[] = [];
    for (const m of selector.matchers) {
      const written = expression.text.slice(m.valueAt.start, m.valueAt.end);
      if (expression.grafana && /\$|\[\[/.test(written)) continue;
      matchers.push({ label: m.label, op: m.op, value: m.value, span: span(m.labelAt) });
    }
    const origin = ctx.catalog.resolve(selector.metric);
    out.push({
      expression,
      metric: selector.metric,
      matchers,
      span: span(selector.at),
      ...(origin?.kind === 'recording' ? { recordedBy: { group: origin.rule.group } } : {}),
    });
  }
  return out;
}

/** The selector as PromQL, in a canonical form: identical selectors are asked about once. */
export function selectorText(metric: string, matchers: readonly Pick<LiveMatcher, 'label' | 'op' | 'value'>[]): string {
  const parts = [`__name__="${escape(metric)}"`, ...matchers.map((m) => `${m.label}${m.op}"${escape(m.value)}"`)];
  return `{${parts.join(', ')}}`;
}

/** A PromQL double-quoted string's content (Go escapes: JSON's are a subset Prometheus reads). */
function escape(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}
