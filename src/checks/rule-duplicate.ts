import { spanOf, type Model, type RuleGroupModel } from '../model/types.ts';
import { parseDuration } from '../util/duration.ts';
import type { Check, CheckContext } from './check.ts';
import { reportRepeats, type Occurrence } from './repeats.ts';

/** `duplicate <what> "<name>"` at every repeat of a name, with one hint for all. */
function reportRepeatedNames(ctx: CheckContext, what: string, items: Occurrence[], hint: string, severity?: 'warning'): void {
  reportRepeats(ctx, items, { message: (item) => `duplicate ${what} "${item.name}"`, hint: () => hint, ...(severity ? { severity } : {}) });
}

export const ruleDuplicateCheck: Check = {
  id: 'rule/duplicate',
  description: 'Names that must be unique are: alerts, rule groups (an AlertRules and a RecordingRules may share one, with the same options), receivers, dashboards, metrics; recording rules of one name and labels are a warning.',
  severity: 'error',
  run(ctx) {
    const m = ctx.model;
    // An AlertRules and a RecordingRules of one name are one Prometheus group (as in a rule file): only a repeat of a kind repeats.
    reportRepeatedNames(
      ctx,
      'rule group',
      m.groups.map((g) => ({ name: g.name, key: `${g.type}\u0000${g.name}`, span: () => spanOf(g.origin) })),
      'each group is written to its own prometheus/rules/<group>.yml, so two groups of one name would be one file (an AlertRules and a RecordingRules may share a name: they are one group); rename one group or merge them',
    );
    reportOptionConflicts(ctx, m);
    reportRepeatedNames(ctx, 'alert', m.groups.flatMap((g) => g.alerts.map((a) => ({ name: a.name, span: () => spanOf(a.origin, 'name') }))), 'alert names are unique in a project; levels of one alert belong under its `thresholds`, or under `rules:` when each has its own expression');
    // promtool only warns: rules of one name whose selectors keep disjoint label values write different series.
    reportRepeatedNames(
      ctx,
      'recording rule',
      m.groups.flatMap((g) => g.rules.map((r) => ({ name: r.record + (Object.keys(r.labels).length ? JSON.stringify(Object.entries(r.labels).sort()) : ''), span: () => spanOf(r.origin, 'record') }))),
      'fine when their selectors keep disjoint label values (job="a" and job="b", kept in the result); otherwise both write the same series and Prometheus reports "duplicate sample": remove one or give them different labels',
      'warning',
    );
    reportRepeatedNames(ctx, 'receiver', m.receivers.map((r) => ({ name: r.name, span: () => spanOf(r.origin, 'name') })), 'receiver names are unique; add channels to the existing receiver instead');
    reportRepeatedNames(ctx, 'dashboard uid', m.dashboards.map((d) => ({ name: d.uid, span: () => (d.spec ? spanOf(d.origin, 'uid') : spanOf(d.origin)) })), 'Grafana identifies dashboards by uid; give each its own');
    reportRepeatedNames(ctx, 'metric', m.metrics.map((x) => ({ name: x.name, span: () => spanOf(x.origin, 'name') })), 'catalogue each metric once');
    reportRepeatedNames(ctx, 'severity level', m.severities.map((s) => ({ name: s.name, span: () => spanOf(s.origin, 'name') })), 'each level is defined once');
  },
};

const GROUP_OPTIONS = ['interval', 'limit', 'queryOffset'] as const;

/** Durations by their length (1m is 60s); one that does not parse (NaN) equals nothing but its own text. */
const sameOption = (a: string | number | undefined, b: string | number | undefined) => a === b || (typeof a === 'string' && typeof b === 'string' && parseDuration(a) === parseDuration(b));

/** The AlertRules and RecordingRules that share a group name are one Prometheus group with one set of options. */
function reportOptionConflicts(ctx: CheckContext, m: Model): void {
  const firstOfKind = new Map<string, RuleGroupModel>();
  for (const g of m.groups) if (!firstOfKind.has(`${g.type}\u0000${g.name}`)) firstOfKind.set(`${g.type}\u0000${g.name}`, g);
  for (const alerting of firstOfKind.values()) {
    if (alerting.type !== 'alerting') continue;
    const recording = firstOfKind.get(`recording\u0000${alerting.name}`);
    if (!recording) continue;
    for (const written of GROUP_OPTIONS) {
      const a = alerting[written];
      const r = recording[written];
      if (sameOption(a, r)) continue;
      const shown = (v: unknown) => (v === undefined ? 'none' : String(v));
      ctx.report({
        message: `rule group "${alerting.name}" has ${written} ${shown(a)} in its AlertRules and ${shown(r)} in its RecordingRules; they are one Prometheus group, which has one ${written}`,
        span: spanOf(recording.origin),
        hint: `give both definitions the same ${written} (or leave it out of both), or give the recording rules a group of their own`,
        related: [{ span: spanOf(alerting.origin), message: `the AlertRules of group "${alerting.name}"` }],
      });
    }
  }
}

