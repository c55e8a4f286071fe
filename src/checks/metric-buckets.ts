import { spanOf } from '../model/types.ts';
import type { Check } from './check.ts';

/**
 * A histogram's buckets, as generated instrumentation creates them: Prometheus clients refuse bounds that do not
 * ascend, and add +Inf themselves.
 */
export const metricBucketsCheck: Check = {
  id: 'metric/buckets',
  description: "A histogram's buckets ascend, and only histograms have buckets (the schema keeps them finite).",
  severity: 'error',
  run(ctx) {
    for (const metric of ctx.model.metrics) {
      const buckets = metric.buckets;
      if (!buckets) continue;
      if (metric.type !== 'histogram') {
        ctx.report({ message: `${metric.type} "${metric.name}" has buckets; only histograms have them`, span: spanOf(metric.origin, 'buckets'), hint: metric.type === 'summary' ? 'remove "buckets" (a summary computes quantiles, not buckets), or make it a histogram' : 'remove "buckets", or make the metric a histogram' });
        continue;
      }
      const step = buckets.findIndex((b, i) => i > 0 && b <= buckets[i - 1]!);
      if (step >= 0) {
        ctx.report({ message: `histogram "${metric.name}": bucket ${buckets[step]} does not follow ${buckets[step - 1]} in ascending order`, span: spanOf(metric.origin, 'buckets', step), hint: 'list the upper bounds in strictly ascending order (Prometheus clients refuse any other)' });
      }
    }
  },
};
