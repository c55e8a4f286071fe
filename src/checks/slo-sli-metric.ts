import type { Span } from '../diagnostics.ts';
import type { Check, CheckContext } from './check.ts';
import { catalogued } from './promql-facts.ts';
import { slosOf, type FoundSlo } from './slo-definitions.ts';

const SELECTOR = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{.*\})?\s*$/s;

/**
 * A ratio SLI takes rate() of its selectors and a latency SLI of its histogram's bucket: counters, or the ratio means
 * nothing. Names the catalogue does not know are ref/metric's; external metrics of unknown type are not judged.
 */
export const sloSliMetricCheck: Check = {
  id: 'slo/sli-metric',
  description: 'A ratio SLI\'s good and total are series selectors of counters; a latency SLI\'s bucket is a histogram\'s _bucket and its le one of the histogram\'s buckets.',
  severity: 'error',
  run(ctx) {
    for (const found of slosOf(ctx)) {
      const { ratio, latency } = found.slo.sli;
      if (ratio) for (const key of ['good', 'total'] as const) checkCounterSelector(ctx, found, ratio[key], found.at('sli', 'ratio', key));
      if (latency) checkLatency(ctx, found, latency);
    }
  },
};

function checkCounterSelector(ctx: CheckContext, found: FoundSlo, selector: string, span: Span): void {
  const m = SELECTOR.exec(selector);
  if (!m) {
    ctx.report({ message: `SLO ${found.slo.name}: "${selector}" is not a series selector`, span, hint: 'write a counter and its matchers, e.g. requests_total{code!~"5.."}; Vigil takes sum(rate(…)) of it' });
    return;
  }
  const origin = catalogued(ctx, m[1]);
  // A histogram's or summary's _count, _sum and _bucket series are counters.
  if (!origin || origin.metric.type === 'counter' || origin.series !== origin.metric.name) return;
  ctx.report({
    message: `SLO ${found.slo.name}: ${m[1]} is a ${origin.metric.type}, not a counter`,
    span,
    hint: origin.metric.type === 'histogram' ? `use its ${origin.metric.name}_count (all events) or a latency SLI (bucket: ${origin.metric.name}_bucket)` : 'a ratio SLI divides rates of event counters; for other signals write an events SLI with your own queries',
  });
}

function checkLatency(ctx: CheckContext, found: FoundSlo, latency: { bucket: string; le: string }): void {
  const origin = catalogued(ctx, latency.bucket);
  if (!origin) return;
  if (origin.metric.type !== 'histogram' || origin.series !== `${origin.metric.name}_bucket`) {
    ctx.report({ message: `SLO ${found.slo.name}: ${latency.bucket} is not a histogram's _bucket series`, span: found.at('sli', 'latency', 'bucket'), hint: 'name the _bucket series of a histogram in the catalogue' });
    return;
  }
  const le = Number(latency.le);
  const buckets = origin.metric.buckets;
  if (!Number.isFinite(le)) {
    ctx.report({ message: `SLO ${found.slo.name}: le "${latency.le}" is not a bucket bound`, span: found.at('sli', 'latency', 'le'), hint: 'write the latency threshold as a number, e.g. "0.5"' });
  } else if (buckets && !buckets.includes(le)) {
    ctx.report({
      message: `SLO ${found.slo.name}: ${origin.metric.name} has no bucket le="${latency.le}"`,
      span: found.at('sli', 'latency', 'le'),
      hint: `its buckets are ${buckets.join(', ')}; the SLI counts requests under a bucket bound, so pick one or add it to the histogram's buckets`,
    });
  } else if (String(le) !== latency.le) {
    ctx.report({ message: `SLO ${found.slo.name}: le "${latency.le}" is written differently from the le label Prometheus clients expose ("${le}")`, span: found.at('sli', 'latency', 'le'), hint: `write "${le}": le is matched as a string` });
  }
}
