/**
 * The routing half of an imported alertmanager.yml: the route tree, inhibit rules and time intervals, as a Routes
 * definition. Whatever Routes cannot say is listed for review, never dropped silently.
 */
import { DURATION, error, isObject, note, type ImportContext } from './alertmanager-context.ts';
import { matchersOf, matcherStrings } from './alertmanager-matchers.ts';
import type { ConfigPath } from './alertmanager-source.ts';

const ROUTE_KEYS = new Set(['receiver', 'group_by', 'group_wait', 'group_interval', 'repeat_interval', 'match', 'match_re', 'matchers', 'continue', 'routes', 'mute_time_intervals', 'active_time_intervals']);
const TIMING = [
  ['group_wait', 'groupWait'],
  ['group_interval', 'groupInterval'],
  ['repeat_interval', 'repeatInterval'],
] as const;

/** The Routes definition, and every `severity="x"` value its matchers use (for a Severities the build needs). */
export function importRoutes(ctx: ImportContext): { routes: Record<string, unknown>; severities: Set<string>; counts: { routes: number; inhibitRules: number; timeIntervals: number } } {
  const config = ctx.source.config;
  const severities = new Set<string>();
  const counts = { routes: 0, inhibitRules: 0, timeIntervals: 0 };
  const out: Record<string, unknown> = { apiVersion: 'vigil/v1', kind: 'Routes' };
  const root = config.route;
  if (!isObject(root)) error(ctx, 'expected `route:` (the root of the routing tree)', root === undefined ? [] : ['route'], 'alertmanager.yml has a `route:` with at least a `receiver:`');
  else {
    if (typeof root.receiver !== 'string' || root.receiver === '') error(ctx, 'the root route needs a `receiver:`', ['route']);
    else Object.assign(out, route(ctx, root, ['route'], true, severities, counts));
  }
  const inhibit = inhibitRules(ctx, severities);
  if (inhibit.length) out.inhibit = inhibit;
  counts.inhibitRules = inhibit.length;
  const intervals = timeIntervals(ctx);
  if (Object.keys(intervals).length) out.timeIntervals = intervals;
  counts.timeIntervals = Object.keys(intervals).length;
  return { routes: out, severities, counts };
}

function route(ctx: ImportContext, raw: Record<string, unknown>, path: ConfigPath, isRoot: boolean, severities: Set<string>, counts: { routes: number }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(raw)) if (!ROUTE_KEYS.has(key)) note(ctx, 'review', `${where(path)}: \`${key}\` is not carried (Vigil's Routes have no such field)`, [...path, key]);
  const { matchers, problems } = matchersOf(raw);
  for (const p of problems) error(ctx, `${where(path)}: ${p.message}`, [...path, ...p.path], p.hint);
  for (const m of matchers) if (m.label === 'severity' && m.op === '=') severities.add(m.value);
  if (isRoot) {
    for (const key of ['match', 'match_re', 'matchers', 'continue', 'mute_time_intervals', 'active_time_intervals']) {
      if (raw[key] !== undefined) note(ctx, 'review', `the root route's \`${key}\` is not carried: Vigil's root route has none (Alertmanager ignores or refuses it there)`, [...path, key]);
    }
  } else if (matchers.length) out.matchers = matcherStrings(matchers);
  if (typeof raw.receiver === 'string' && raw.receiver !== '') out.receiver = ctx.receivers.of(raw.receiver);
  if (!isRoot && raw.continue === true) out.continue = true;
  if (Array.isArray(raw.group_by)) out.groupBy = raw.group_by.map(String);
  for (const [from, to] of TIMING) {
    const value = raw[from];
    if (value === undefined || value === null) continue;
    if (typeof value === 'string' && DURATION.test(value)) out[to] = value;
    else error(ctx, `${where(path)}: ${from} ${JSON.stringify(value)} is not a duration`, [...path, from], 'a Prometheus duration such as 30s, 5m or 1h30m');
  }
  if (!isRoot) {
    for (const [from, to] of [
      ['mute_time_intervals', 'muteTimeIntervals'],
      ['active_time_intervals', 'activeTimeIntervals'],
    ] as const) {
      const names = raw[from];
      if (Array.isArray(names) && names.length) out[to] = [...new Set(names.map((n) => ctx.intervals.of(String(n))))];
    }
  }
  if (Array.isArray(raw.routes) && raw.routes.length) {
    out.routes = raw.routes.flatMap((child, i) => {
      if (!isObject(child)) {
        error(ctx, `${where([...path, 'routes', i])}: a route is a mapping`, [...path, 'routes', i]);
        return [];
      }
      counts.routes++;
      return [route(ctx, child, [...path, 'routes', i], false, severities, counts)];
    });
  }
  return out;
}

/** `route.routes[1].routes[0]` for a message. */
function where(path: ConfigPath): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : p === 'route' ? 'route' : `.${p}`)).join('');
}

function inhibitRules(ctx: ImportContext, severities: Set<string>): Record<string, unknown>[] {
  const rules = ctx.source.config.inhibit_rules;
  if (rules === undefined || rules === null) return [];
  if (!Array.isArray(rules)) {
    error(ctx, '`inhibit_rules` must be a list', ['inhibit_rules']);
    return [];
  }
  return rules.flatMap((raw, i) => {
    const path = ['inhibit_rules', i];
    if (!isObject(raw)) {
      error(ctx, 'an inhibit rule is a mapping', path);
      return [];
    }
    const rule: Record<string, unknown> = {};
    for (const side of ['source', 'target'] as const) {
      const { matchers, problems } = matchersOf(raw, `${side}_`);
      for (const p of problems) error(ctx, `inhibit_rules[${i}]: ${p.message}`, [...path, ...p.path], p.hint);
      for (const m of matchers) if (m.label === 'severity' && m.op === '=') severities.add(m.value);
      rule[`${side}Matchers`] = matcherStrings(matchers);
    }
    if (Array.isArray(raw.equal) && raw.equal.length) rule.equal = [...new Set(raw.equal.map(String))];
    for (const key of Object.keys(raw)) {
      if (!/^(source|target)_(match|match_re|matchers)$|^equal$/.test(key)) note(ctx, 'review', `inhibit_rules[${i}]: \`${key}\` is not carried`, [...path, key]);
    }
    return [rule];
  });
}

const WEEKDAY_OR_MONTH = /^[A-Za-z]+(:[A-Za-z]+)?$/;

/** `time_intervals` and the older `mute_time_intervals`, which Alertmanager 0.25 reads the same way, as one map. */
function timeIntervals(ctx: ImportContext): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const key of ['time_intervals', 'mute_time_intervals']) {
    const list = ctx.source.config[key];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) {
      error(ctx, `\`${key}\` must be a list of named time intervals`, [key]);
      continue;
    }
    if (key === 'mute_time_intervals' && list.length) note(ctx, 'by design', 'mute_time_intervals (deprecated) are written as time_intervals: Alertmanager reads both the same way');
    list.forEach((raw, i) => {
      if (!isObject(raw) || typeof raw.name !== 'string') return error(ctx, `${key}[${i}]: expected a mapping with \`name\` and \`time_intervals\``, [key, i]);
      const specs = Array.isArray(raw.time_intervals) ? raw.time_intervals : [];
      out[ctx.intervals.of(raw.name)] = specs.map((spec, j) => timeInterval(ctx, isObject(spec) ? spec : {}, [key, i, 'time_intervals', j]));
    });
  }
  return out;
}

/** One interval in Vigil's spelling: the lower-case weekday and month names the schema wants, numbers as text. */
export function timeInterval(ctx: ImportContext | undefined, spec: Record<string, unknown>, path: ConfigPath): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const list = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]).map((x) => String(x).replace(/\s+/g, ''));
  if (Array.isArray(spec.times)) out.times = spec.times.map((t) => ({ startTime: String((t as Record<string, unknown>)?.start_time), endTime: String((t as Record<string, unknown>)?.end_time) }));
  if (spec.weekdays !== undefined) out.weekdays = list(spec.weekdays).map((w) => w.toLowerCase());
  if (spec.days_of_month !== undefined) out.daysOfMonth = list(spec.days_of_month);
  if (spec.months !== undefined) out.months = list(spec.months).map((m) => (WEEKDAY_OR_MONTH.test(m) ? m.toLowerCase() : m));
  if (spec.years !== undefined) out.years = list(spec.years);
  if (spec.location !== undefined) out.location = String(spec.location);
  if (ctx) for (const key of Object.keys(spec)) if (!['times', 'weekdays', 'days_of_month', 'months', 'years', 'location'].includes(key)) note(ctx, 'review', `time interval field \`${key}\` is not carried`, [...path, key]);
  return out;
}
