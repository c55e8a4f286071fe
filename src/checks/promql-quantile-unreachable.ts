import { levelExpression, spanOf, type AlertLevel, type AlertModel, type ExpressionModel } from '../model/types.ts';
import type { QuantileFact } from '../promql/index.ts';
import type { Check, CheckContext } from './check.ts';
import { catalogued } from './promql-facts.ts';

/**
 * histogram_quantile() interpolates inside the bucket the quantile falls in, and when it falls in the +Inf bucket it
 * answers the largest finite bound: it never returns more than that. `> 120` over buckets that end at 60 never fires
 * (the example's TrainingStepSlow did exactly this with the client libraries' default buckets, which end at 10).
 * Judged only where the catalogue states the buckets: a histogram that declares none may be instrumented with any.
 */
export const promqlQuantileUnreachableCheck: Check = {
  id: 'promql/quantile-unreachable',
  description: "histogram_quantile() is never compared with a value above the histogram's largest finite bucket: it cannot return more, so the comparison never holds.",
  severity: 'error',
  run() {},
  // Each expression on its own, with the file's alerts and the catalogue: per file.
  perFile(ctx, file) {
    // The thresholds that compare each expression (levels of one alert share it, a level of `rules:` has its own):
    // listed only for a file with a histogram_quantile() whose buckets the catalogue states, which most have none of.
    let levels: Map<ExpressionModel, { alert: string; level: AlertLevel }[]> | undefined;
    const levelsOf = (e: ExpressionModel) => (levels ??= thresholdsByExpression(file.groups)).get(e);
    for (const expression of file.expressions) {
      const facts = ctx.analyze(expression).facts;
      if (!facts?.quantiles.length) continue;
      for (const q of facts.quantiles) {
        const ceiling = largestBound(ctx, q);
        if (!ceiling) continue;
        if (q.compared?.value !== undefined && unreachable(q.compared.op, q.compared.value, ceiling.bound)) {
          ctx.report({
            uses: expression,
            message: `${expression.owner}: histogram_quantile(…) ${q.compared.op} ${q.compared.value} never holds: ${ceiling.what}, and histogram_quantile() returns at most that`,
            span: expression.origin.def.locateInString(expression.origin.path, q.at.start, q.at.end),
            hint: ceiling.hint,
          });
        }
        if (!q.bare) continue;
        for (const { alert, level } of levelsOf(expression) ?? []) {
          if (!unreachable(level.op!, level.value!, ceiling.bound)) continue;
          ctx.report({
            uses: expression,
            message: `alert ${alert}: the ${level.severity} threshold ${level.op} ${level.value} is never reached: ${ceiling.what}, and histogram_quantile() returns at most that`,
            span: spanOf(level.origin, 'value'),
            hint: ceiling.hint,
          });
        }
      }
    }
  },
};

function thresholdsByExpression(groups: readonly { alerts: readonly AlertModel[] }[]): Map<ExpressionModel, { alert: string; level: AlertLevel }[]> {
  const byExpression = new Map<ExpressionModel, { alert: string; level: AlertLevel }[]>();
  for (const g of groups) {
    for (const a of g.alerts) {
      for (const l of a.levels) {
        if (!l.op || l.value === undefined) continue;
        const e = levelExpression(a, l);
        (byExpression.get(e) ?? byExpression.set(e, []).get(e)!).push({ alert: a.name, level: l });
      }
    }
  }
  return byExpression;
}

/** `x > v` cannot hold for any x ≤ bound when v ≥ bound; `x >= v` when v > bound. */
function unreachable(op: string, value: number, bound: number): boolean {
  return (op === '>' && value >= bound) || (op === '>=' && value > bound);
}

/** The smallest of the largest finite bounds of the histograms inside the call, when the catalogue states each. */
function largestBound(ctx: CheckContext, q: QuantileFact): { bound: number; what: string; hint: string } | undefined {
  let found: { bound: number; what: string; hint: string } | undefined;
  for (const series of q.buckets) {
    const origin = catalogued(ctx, series);
    const buckets = origin?.metric.type === 'histogram' && origin.series === series ? origin.metric.buckets : undefined;
    if (!origin || !buckets?.length) return undefined;
    const bound = buckets[buckets.length - 1]!;
    if (found && found.bound <= bound) continue;
    found = {
      bound,
      what: `the largest finite bucket of ${origin.metric.name} is ${bound}`,
      hint: `add buckets above the threshold to ${origin.metric.name}'s \`buckets:\` in the catalogue (e.g. …, ${bound}, ${bound * 2}, ${bound * 4}) and instrument with them, or lower the threshold`,
    };
  }
  return found;
}
