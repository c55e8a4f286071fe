/**
 * `vigil import alertmanager --verify`, the part without processes: the label sets worth routing, and the comparison
 * of the input's routing decisions, inhibit rules and time intervals with those of the built alertmanager.yml. Both
 * trees are routed with the same implementation of Alertmanager's algorithm (routeEmittedConfig), so a difference is
 * a difference between the files, not between two routers; the amtool half (alertmanager-amtool.ts) adds the real one.
 */
import { setOwn } from '../util/own.ts';
import type { SimpleMatcher } from '../model/matchers.ts';
import { routeEmittedConfig } from '../routing/route.ts';
import { prometheusRegexTest } from '../util/re2-match.ts';
import { isObject } from './alertmanager-context.ts';
import { matchersOf, matcherStrings } from './alertmanager-matchers.ts';
import { timeInterval } from './alertmanager-routes.ts';

export type Labels = Record<string, string>;

export interface Renamed {
  receivers: ReadonlyMap<string, string>;
  intervals: ReadonlyMap<string, string>;
}

export interface AlertmanagerRoundTrip {
  differences: string[];
  compared: { labelSets: number; inhibitRules: number; timeIntervals: number; receivers: number };
}

/**
 * Every label set the input's routes make worth trying: for each route, its matchers and its ancestors' satisfied
 * together, and for each of those matchers the same set with that one matcher failing (a regex's value that does not
 * match, a negative matcher's value that does); plus the empty set, which only the root takes.
 */
export function labelSetsOf(route: unknown): Labels[] {
  const seen = new Map<string, Labels>();
  const add = (labels: Labels) => seen.set(JSON.stringify(Object.entries(labels).sort()), labels);
  add({});
  const visit = (node: unknown, path: SimpleMatcher[]) => {
    if (!isObject(node) || !Array.isArray(node.routes)) return;
    for (const child of node.routes) {
      if (!isObject(child)) continue;
      const here = [...path, ...matchersOf(child).matchers];
      const base = satisfying(here);
      add(base);
      here.forEach((m) => {
        const other = { ...base };
        const value = failing(m);
        if (value === undefined || value === '') delete other[m.label];
        else setOwn(other, m.label, value);
        add(other);
      });
      visit(child, here);
    }
  };
  visit(route, []);
  return [...seen.values()];
}

function satisfying(matchers: readonly SimpleMatcher[]): Labels {
  const labels: Labels = {};
  for (const m of matchers) {
    const value = m.op === '=' ? m.value : m.op === '!=' ? (m.value === '' ? 'x' : undefined) : m.op === '=~' ? sample(m.value, true) : sample(m.value, false);
    if (value === undefined || value === '') delete labels[m.label];
    else setOwn(labels, m.label, value);
  }
  return labels;
}

/** A value that makes the matcher fail (undefined: leaving the label out does). */
function failing(m: SimpleMatcher): string | undefined {
  if (m.op === '=') return m.value === '' ? 'x' : undefined;
  if (m.op === '!=') return m.value === '' ? undefined : m.value;
  if (m.op === '=~') return sample(m.value, false);
  return sample(m.value, true);
}

/** A value the regex matches (`wanted`) or does not, from its own literal alternatives first; '' means leave the label out. */
function sample(regex: string, wanted: boolean): string | undefined {
  const test = prometheusRegexTest(regex);
  if (!test) return undefined;
  const literals = regex
    .replace(/^\^|\$$/g, '')
    .replace(/^\((\?:)?|\)$/g, '')
    .split('|')
    .map((alt) => alt.replace(/\\(.)/g, '$1').replace(/[.*+?^${}()[\]]/g, ''));
  const candidates = wanted ? [...literals, 'x', 'a', '0', ''] : ['', 'vigil-verify-no-match', ...literals.map((l) => `${l}-no-match`)];
  return candidates.find((c) => test(c) === wanted);
}

/** Compares the input configuration with the built one. */
export function compareAlertmanager(input: Record<string, unknown>, built: Record<string, unknown>, renamed: Renamed, labelSets: readonly Labels[]): AlertmanagerRoundTrip {
  const differences: string[] = [];
  const receiver = (name: string) => renamed.receivers.get(name) ?? name;
  const interval = (name: string) => renamed.intervals.get(name) ?? name;
  for (const labels of labelSets) {
    const want = routeEmittedConfig(input.route as object, labels);
    const got = routeEmittedConfig(built.route as object, labels);
    const wantReceivers = want.receivers.map(receiver);
    if (wantReceivers.join('\u0000') !== got.receivers.join('\u0000')) {
      differences.push(`${showLabels(labels)}: the input routes to ${showList(wantReceivers)}, the build to ${showList(got.receivers)}`);
      continue;
    }
    want.deliveries.forEach((d, i) => {
      const a = settingsAt(input.route, d.index, interval);
      const b = settingsAt(built.route, got.deliveries[i]!.index, (n) => n);
      for (const key of Object.keys(a) as (keyof typeof a)[]) {
        if (a[key] !== b[key]) differences.push(`${showLabels(labels)} → ${got.receivers[i]}: ${key} is ${a[key] || '(none)'} in the input, ${b[key] || '(none)'} in the build`);
      }
    });
  }
  const inputInhibit = inhibitKeys(input.inhibit_rules);
  const builtInhibit = inhibitKeys(built.inhibit_rules);
  for (const k of difference(inputInhibit, builtInhibit)) differences.push(`inhibit rule ${k} is not in the build`);
  for (const k of difference(builtInhibit, inputInhibit)) differences.push(`the build has an inhibit rule the input does not: ${k}`);
  const inputIntervals = intervalsOf(input, interval);
  const builtIntervals = intervalsOf(built, (n) => n);
  for (const [name, spec] of inputIntervals) {
    if (!builtIntervals.has(name)) differences.push(`time interval ${name} is not in the build`);
    else if (builtIntervals.get(name) !== spec) differences.push(`time interval ${name}: ${spec} in the input, ${builtIntervals.get(name)} in the build`);
  }
  for (const name of builtIntervals.keys()) if (!inputIntervals.has(name)) differences.push(`the build has a time interval the input does not: ${name}`);
  const inputReceivers = receiverNames(input).map(receiver);
  const builtReceivers = receiverNames(built);
  for (const r of difference(inputReceivers, builtReceivers)) differences.push(`receiver ${r} is not in the build`);
  for (const r of difference(builtReceivers, inputReceivers)) differences.push(`the build has a receiver the input does not: ${r}`);
  return { differences, compared: { labelSets: labelSets.length, inhibitRules: inputInhibit.length, timeIntervals: inputIntervals.size, receivers: inputReceivers.length } };
}

/** What a delivering route decides besides the receiver: grouping and timing (inherited), its own time intervals. */
function settingsAt(route: unknown, index: readonly number[], interval: (n: string) => string): Record<'group_by' | 'group_wait' | 'group_interval' | 'repeat_interval' | 'mute_time_intervals' | 'active_time_intervals', string> {
  const out = { group_by: '', group_wait: '30s', group_interval: '5m', repeat_interval: '4h', mute_time_intervals: '', active_time_intervals: '' };
  let node = route as Record<string, unknown>;
  const apply = (n: Record<string, unknown>) => {
    if (Array.isArray(n.group_by)) out.group_by = [...new Set(n.group_by.map(String))].sort().join(',');
    for (const k of ['group_wait', 'group_interval', 'repeat_interval'] as const) if (n[k] !== undefined) out[k] = String(n[k]);
    for (const k of ['mute_time_intervals', 'active_time_intervals'] as const) out[k] = Array.isArray(n[k]) ? [...new Set(n[k].map((x) => interval(String(x))))].sort().join(',') : '';
  };
  apply(node);
  for (const i of index) {
    node = (node.routes as Record<string, unknown>[])[i]!;
    apply(node);
  }
  return out;
}

function inhibitKeys(rules: unknown): string[] {
  if (!Array.isArray(rules)) return [];
  return rules
    .filter(isObject)
    .map((r) => {
      const equal = Array.isArray(r.equal) ? [...new Set(r.equal.map(String))].sort() : [];
      return `{source: [${matcherStrings(matchersOf(r, 'source_').matchers).join(', ')}], target: [${matcherStrings(matchersOf(r, 'target_').matchers).join(', ')}], equal: [${equal.join(', ')}]}`;
    })
    .sort();
}

function intervalsOf(config: Record<string, unknown>, name: (n: string) => string): Map<string, string> {
  const out = new Map<string, string>();
  for (const key of ['time_intervals', 'mute_time_intervals']) {
    const list = config[key];
    if (!Array.isArray(list)) continue;
    for (const t of list.filter(isObject)) {
      const specs = Array.isArray(t.time_intervals) ? t.time_intervals : [];
      out.set(name(String(t.name)), JSON.stringify(specs.map((s) => timeInterval(undefined, isObject(s) ? s : {}, []))));
    }
  }
  return out;
}

const receiverNames = (config: Record<string, unknown>): string[] => (Array.isArray(config.receivers) ? config.receivers.filter(isObject).map((r) => String(r.name)) : []);

/** Items of `a` not in `b`, counting repeats. */
function difference(a: readonly string[], b: readonly string[]): string[] {
  const left = [...b];
  return a.filter((x) => {
    const i = left.indexOf(x);
    if (i < 0) return true;
    left.splice(i, 1);
    return false;
  });
}

export const showLabels = (labels: Labels): string => `{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
const showList = (names: readonly string[]): string => (names.length ? names.join(', ') : 'nothing');
