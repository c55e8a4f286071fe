import { parse as parseYaml } from 'yaml';
import type { BuildView } from './read.ts';

/**
 * What changed between two builds of one environment, in the words of the definitions — alerts and their levels,
 * recording rules, routes, receivers, inhibit rules, dashboards — read from the built files alone (no definitions are
 * compiled for the old side, so a pull request's base needs nothing but its generated/ tree).
 */
export type ChangeKind = 'alert' | 'recording rule' | 'route' | 'receiver' | 'inhibit rule' | 'dashboard' | 'environment' | 'file';

export interface Change {
  kind: ChangeKind;
  change: 'added' | 'removed' | 'changed';
  /** The object's name as the definitions spell it (an alert's name, a receiver's, a route's matchers). */
  name: string;
  details: ChangeDetail[];
}

/** One fact about a change: `what` in words; `from`/`to` are values shown literally (code), when there are any. */
export interface ChangeDetail {
  what: string;
  from?: string;
  to?: string;
}

type Rule = Record<string, unknown>;

/** The changes from `before` to `after` (either undefined: the environment is new, or gone), in a stable order. */
export function buildChanges(before: BuildView | undefined, after: BuildView | undefined): Change[] {
  return [
    ...alertChanges(rules(before, 'alert'), rules(after, 'alert')),
    ...keyed('recording rule', byKey(rules(before, 'record'), recordKey), byKey(rules(after, 'record'), recordKey), ruleDetails),
    ...routeChanges(alertmanager(before), alertmanager(after)),
    ...keyed('receiver', receivers(before), receivers(after), (a, b) => changedKeys(a, b).map((k) => ({ what: `${k} changed` }))),
    ...inhibitChanges(alertmanager(before), alertmanager(after)),
    ...dashboardChanges(before, after),
    ...otherFileChanges(before, after),
  ];
}

function rules(view: BuildView | undefined, kind: 'alert' | 'record'): Rule[] {
  return (view?.ruleGroups ?? []).flatMap((f) => f.groups.flatMap((g) => (g.rules ?? []).filter((r) => typeof r[kind] === 'string').map((r) => ({ ...r, group: g.name }))));
}

const text = (v: unknown) => (v === undefined ? undefined : typeof v === 'string' ? v : JSON.stringify(v));
const labelsOf = (r: Rule) => (r.labels && typeof r.labels === 'object' ? (r.labels as Record<string, unknown>) : {});
const recordKey = (r: Rule) => `${String(r.record)}${labelText(labelsOf(r))}`;

function labelText(labels: Record<string, unknown>): string {
  const entries = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length ? `{${entries.map(([k, v]) => `${k}=${JSON.stringify(String(v))}`).join(', ')}}` : '';
}

/** Map by key; a repeated key gets ` #2`, ` #3` (rules of one name in two groups stay apart). */
function byKey<T>(items: readonly T[], key: (t: T) => string): Map<string, T> {
  const out = new Map<string, T>();
  for (const item of items) {
    const k = key(item);
    let name = k;
    for (let n = 2; out.has(name); n++) name = `${k} #${n}`;
    out.set(name, item);
  }
  return out;
}

function keyed<T>(kind: ChangeKind, before: Map<string, T>, after: Map<string, T>, details: (a: T, b: T) => ChangeDetail[]): Change[] {
  const out: Change[] = [];
  for (const [name, b] of after) {
    const a = before.get(name);
    if (a === undefined) out.push({ kind, change: 'added', name, details: [] });
    else if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ kind, change: 'changed', name, details: details(a, b) });
  }
  for (const name of before.keys()) if (!after.has(name)) out.push({ kind, change: 'removed', name, details: [] });
  return out;
}

/** An expression on one line, its layout spaces collapsed (the YAML's line breaks are not part of a change). */
const expression = (v: unknown) => (text(v) ?? '').replace(/\s+/g, ' ').trim();
const withoutComparison = (e: string) => e.replace(/\s*(?:[<>]=?|[!=]=)\s*[-+]?[0-9.]+(?:e[-+]?[0-9]+)?$/i, '');

function ruleDetails(a: Rule, b: Rule): ChangeDetail[] {
  const out: ChangeDetail[] = [];
  const annotations = (r: Rule) => (r.annotations && typeof r.annotations === 'object' ? (r.annotations as Record<string, unknown>) : {});
  const threshold = (r: Rule) => text(annotations(r).threshold);
  if (threshold(a) !== threshold(b)) out.push({ what: 'threshold', from: threshold(a) ?? '(none)', to: threshold(b) ?? '(none)' });
  const [was, now] = [expression(a.expr), expression(b.expr)];
  // A new threshold rewrites the comparison that ends the expression: said once, as the threshold.
  const onlyTheThreshold = threshold(a) !== threshold(b) && withoutComparison(was) === withoutComparison(now);
  if (was !== now && !onlyTheThreshold) out.push({ what: 'expression', from: was, to: now });
  for (const key of ['for', 'keep_firing_for', 'group']) if (text(a[key]) !== text(b[key])) out.push({ what: key === 'group' ? 'rule group' : key, from: text(a[key]) ?? '(none)', to: text(b[key]) ?? '(none)' });
  if (labelText(labelsOf(a)) !== labelText(labelsOf(b))) out.push({ what: 'labels', from: labelText(labelsOf(a)) || '{}', to: labelText(labelsOf(b)) || '{}' });
  const changedAnnotations = changedKeys(annotations(a), annotations(b)).filter((k) => k !== 'threshold');
  if (changedAnnotations.length) out.push({ what: `annotations changed: ${changedAnnotations.join(', ')}` });
  return out;
}

/** Alerts by name; each level (the severity label, or none) compared on its own. */
function alertChanges(before: Rule[], after: Rule[]): Change[] {
  const group = (rs: Rule[]) => {
    const out = new Map<string, Rule[]>();
    for (const r of rs) out.set(String(r.alert), [...(out.get(String(r.alert)) ?? []), r]);
    return out;
  };
  const level = (r: Rule) => (labelsOf(r).severity === undefined ? '(no severity label)' : String(labelsOf(r).severity));
  const levels = (rs: Rule[]) => byKey(rs, level);
  const a = group(before);
  const b = group(after);
  const out: Change[] = [];
  for (const [name, rs] of b) {
    const was = a.get(name);
    if (!was) out.push({ kind: 'alert', change: 'added', name, details: [{ what: `levels ${[...levels(rs).keys()].join(', ')}` }] });
    else if (JSON.stringify(was) !== JSON.stringify(rs)) {
      const details: ChangeDetail[] = [];
      const [old, now] = [levels(was), levels(rs)];
      for (const [l, r] of now) {
        const o = old.get(l);
        if (!o) details.push({ what: `level ${l} added` });
        else for (const d of ruleDetails(o, r)) details.push({ ...d, what: `level ${l}: ${d.what}` });
      }
      for (const l of old.keys()) if (!now.has(l)) details.push({ what: `level ${l} removed` });
      if (details.length) out.push({ kind: 'alert', change: 'changed', name, details });
    }
  }
  for (const name of a.keys()) if (!b.has(name)) out.push({ kind: 'alert', change: 'removed', name, details: [] });
  return out;
}

function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

interface AlertmanagerConfig {
  route?: Route;
  receivers?: ({ name?: unknown } & Record<string, unknown>)[];
  inhibit_rules?: Record<string, unknown>[];
}
interface Route extends Record<string, unknown> {
  routes?: Route[];
}

function alertmanager(view: BuildView | undefined): AlertmanagerConfig {
  const content = view?.alertmanagerConfig?.content;
  if (content === undefined) return {};
  const doc = parseYaml(content) as unknown;
  return doc && typeof doc === 'object' ? (doc as AlertmanagerConfig) : {};
}

function receivers(view: BuildView | undefined): Map<string, Record<string, unknown>> {
  return byKey((alertmanager(view).receivers ?? []).filter((r) => typeof r === 'object' && r !== null), (r) => String(r.name));
}

/** Routes by their place in the tree: the matchers from the root down (siblings with the same matchers numbered). */
function flattenRoutes(root: Route | undefined): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  const walk = (route: Route, path: string) => {
    const { routes, ...settings } = route;
    out.set(path, settings);
    const seen = new Map<string, number>();
    for (const child of routes ?? []) {
      const own = matchersOf(child);
      const n = (seen.get(own) ?? 0) + 1;
      seen.set(own, n);
      walk(child, `${path} > ${own}${n > 1 ? ` #${n}` : ''}`);
    }
  };
  if (root) walk(root, 'root');
  return out;
}

function matchersOf(route: Route): string {
  const list = [...(Array.isArray(route.matchers) ? route.matchers.map(String) : []), ...Object.entries((route.match as Record<string, unknown>) ?? {}).map(([k, v]) => `${k}="${String(v)}"`), ...Object.entries((route.match_re as Record<string, unknown>) ?? {}).map(([k, v]) => `${k}=~"${String(v)}"`)];
  return list.length ? `{${list.join(', ')}}` : '{}';
}

function routeChanges(before: AlertmanagerConfig, after: AlertmanagerConfig): Change[] {
  const a = flattenRoutes(before.route);
  const b = flattenRoutes(after.route);
  const settings = (r: Record<string, unknown>) => Object.entries(r).filter(([k]) => !['matchers', 'match', 'match_re'].includes(k));
  const out: Change[] = [];
  for (const [name, r] of b) {
    const o = a.get(name);
    if (!o) out.push({ kind: 'route', change: 'added', name, details: settings(r).map(([k, v]) => ({ what: k, to: text(v) ?? '' })) });
    else {
      const details = changedKeys(o, r).map((k) => ({ what: k, from: text(o[k]) ?? '(none)', to: text(r[k]) ?? '(none)' }));
      if (details.length) out.push({ kind: 'route', change: 'changed', name, details });
    }
  }
  for (const [name, r] of a) if (!b.has(name)) out.push({ kind: 'route', change: 'removed', name, details: settings(r).filter(([k]) => k === 'receiver').map(([k, v]) => ({ what: k, from: text(v) ?? '' })) });
  return out;
}

/** Inhibit rules have no name: each is told by what it is, so a changed one is one removed and one added. */
function inhibitChanges(before: AlertmanagerConfig, after: AlertmanagerConfig): Change[] {
  const describe = (r: Record<string, unknown>) => {
    const side = (k: string) => (Array.isArray(r[`${k}_matchers`]) ? `{${(r[`${k}_matchers`] as unknown[]).map(String).join(', ')}}` : text(r[`${k}_match`] ?? r[`${k}_match_re`]) ?? '{}');
    return `${side('source')} mutes ${side('target')}${Array.isArray(r.equal) && r.equal.length ? ` when equal in ${(r.equal as unknown[]).map(String).join(', ')}` : ''}`;
  };
  const a = new Set((before.inhibit_rules ?? []).map(describe));
  const b = new Set((after.inhibit_rules ?? []).map(describe));
  return [
    ...[...b].filter((r) => !a.has(r)).map((name): Change => ({ kind: 'inhibit rule', change: 'added', name, details: [] })),
    ...[...a].filter((r) => !b.has(r)).map((name): Change => ({ kind: 'inhibit rule', change: 'removed', name, details: [] })),
  ];
}

function dashboardChanges(before: BuildView | undefined, after: BuildView | undefined): Change[] {
  const titled = (view: BuildView | undefined) => new Map([...(view?.dashboards ?? new Map<string, Record<string, unknown>>())].map(([file, d]) => [`${String(d.title ?? file)} (${file.replace(/\.json$/, '')})`, d]));
  const panels = (d: Record<string, unknown>) => {
    const flat: Record<string, unknown>[] = [];
    const walk = (list: unknown) => {
      for (const p of Array.isArray(list) ? list : []) {
        flat.push(p as Record<string, unknown>);
        walk((p as { panels?: unknown }).panels);
      }
    };
    walk(d.panels);
    return byKey(flat, (p) => String(p.title ?? `panel ${String(p.id)}`));
  };
  return keyed('dashboard', titled(before), titled(after), (a, b) => {
    const [old, now] = [panels(a), panels(b)];
    const out: ChangeDetail[] = [];
    const list = (what: string, names: string[]) => names.length && out.push({ what: `${what}: ${names.join(', ')}` });
    list('panels added', [...now.keys()].filter((k) => !old.has(k)));
    list('panels removed', [...old.keys()].filter((k) => !now.has(k)));
    list('panels changed', [...now].filter(([k, p]) => old.has(k) && JSON.stringify(old.get(k)) !== JSON.stringify(p)).map(([k]) => k));
    const settings = changedKeys({ ...a, panels: undefined }, { ...b, panels: undefined });
    if (settings.length) out.push({ what: `settings changed: ${settings.join(', ')}` });
    return out;
  });
}

/** Files none of the above reads (templates, prometheus.yml, relay.yml, environment.json, …): named when they change. */
function otherFileChanges(before: BuildView | undefined, after: BuildView | undefined): Change[] {
  // The manifest and the docs follow from the rest; a fresh build carries its manifest, a build read from disk does not.
  const described = /^(prometheus\/rules\/|alertmanager\/alertmanager\.yml$|grafana\/dashboards\/|docs\/|manifest\.json$)/;
  const files = (v: BuildView | undefined) => new Map((v?.files ?? []).filter((f) => !described.test(f.path)).map((f) => [f.path, f.content]));
  return keyed('file', files(before), files(after), () => []);
}
