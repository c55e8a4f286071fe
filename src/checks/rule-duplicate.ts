import type { Span } from '../diagnostics.ts';
import { spanOf } from '../model/types.ts';
import type { Check, CheckContext } from './check.ts';

/** Reports every repeat of a name after its first occurrence, pointing back at the first. Spans are computed only for repeats. */
function reportRepeats(ctx: CheckContext, what: string, items: { name: string; span: () => Span }[], hint: string, severity?: 'warning'): void {
  const first = new Map<string, () => Span>();
  for (const item of items) {
    const earlier = first.get(item.name);
    if (!earlier) {
      first.set(item.name, item.span);
      continue;
    }
    ctx.report({ message: `duplicate ${what} "${item.name}"`, span: item.span(), hint, related: [{ span: earlier(), message: 'first defined here' }], ...(severity ? { severity } : {}) });
  }
}

export const ruleDuplicateCheck: Check = {
  id: 'rule/duplicate',
  description: 'Names that must be unique are: alerts, rule groups, receivers, dashboards, metrics; recording rules of one name and labels are a warning.',
  severity: 'error',
  run(ctx) {
    const m = ctx.model;
    reportRepeats(ctx, 'rule group', m.groups.map((g) => ({ name: g.name, span: () => spanOf(g.origin) })), 'each group is written to its own prometheus/rules/<group>.yml, so two groups of one name would be one file (Prometheus itself only needs group names unique within a file); rename one group or merge them');
    reportRepeats(ctx, 'alert', m.groups.flatMap((g) => g.alerts.map((a) => ({ name: a.name, span: () => spanOf(a.origin, 'name') }))), 'alert names are unique in a project; levels of one alert belong under its `thresholds`, or under `rules:` when each has its own expression');
    // promtool only warns: rules of one name whose selectors keep disjoint label values write different series.
    reportRepeats(
      ctx,
      'recording rule',
      m.groups.flatMap((g) => g.rules.map((r) => ({ name: r.record + (Object.keys(r.labels).length ? JSON.stringify(Object.entries(r.labels).sort()) : ''), span: () => spanOf(r.origin, 'record') }))),
      'fine when their selectors keep disjoint label values (job="a" and job="b", kept in the result); otherwise both write the same series and Prometheus reports "duplicate sample": remove one or give them different labels',
      'warning',
    );
    reportRepeats(ctx, 'receiver', m.receivers.map((r) => ({ name: r.name, span: () => spanOf(r.origin, 'name') })), 'receiver names are unique; add channels to the existing receiver instead');
    reportRepeats(ctx, 'dashboard uid', m.dashboards.map((d) => ({ name: d.uid, span: () => (d.spec ? spanOf(d.origin, 'uid') : spanOf(d.origin)) })), 'Grafana identifies dashboards by uid; give each its own');
    reportRepeats(ctx, 'metric', m.metrics.map((x) => ({ name: x.name, span: () => spanOf(x.origin, 'name') })), 'catalogue each metric once');
    reportRepeats(ctx, 'severity level', m.severities.map((s) => ({ name: s.name, span: () => spanOf(s.origin, 'name') })), 'each level is defined once');
  },
};
