/**
 * An imported Grafana dashboard as a declarative Dashboard definition, where Vigil can say it exactly: each panel
 * Vigil models (timeseries, stat, gauge, table, bargauge with PromQL queries) becomes a declarative panel — title,
 * type, queries, unit, thresholds, size — whose remaining Grafana JSON rides along as `grafana:` (a merge patch over
 * what Vigil builds); any other panel is carried whole as `json:`. The conversion proves itself: the definition is
 * built with Vigil's own emitter and must give back the input, up to what Vigil adds to every dashboard (ids, the
 * ownership tag, its datasource where none is named, refIds, its defaults). When it does not, the caller carries the
 * whole dashboard as JSON instead.
 */
import { dashboardJson, grafanaUnit } from '../emit/grafana-dashboards.ts';
import { emptyModel } from '../model/build.ts';
import { promqlTargetsOf } from '../model/kinds/dashboard.ts';
import type { DashboardModel, Model, Origin } from '../model/types.ts';
import { formatJsonPath, validateDashboardJson } from '../spec/dashboard-json.ts';
import type { DashboardSpec, JsonPanel, Panel, PanelItem } from '../spec/types.gen.ts';
import { isPlainObject } from '../util/lookup.ts';
import { deepEqual, mergePatchBetween } from '../util/merge-patch.ts';

type Json = Record<string, unknown>;

/** Grafana 9 (schemaVersion 36) and later: datasource references and panel options as Vigil writes them (39). */
export const MIN_DECLARATIVE_SCHEMA_VERSION = 36;
const MODELLED_TYPES = new Set(['timeseries', 'stat', 'gauge', 'table', 'bargauge']);
const LEGEND_CALCS = new Set(['last', 'lastNotNull', 'mean', 'max', 'min', 'sum', 'count']);
/** What Vigil's finishing fills in when a dashboard lacks it: not a difference from an input without it. */
const DASHBOARD_FILL_INS = ['editable', 'timezone', 'time'] as const;
const EMPTY_LIST_FILL_INS = ['annotations', 'templating'] as const;

/**
 * What Grafana assumes when a panel leaves a field out (the option defaults of its panel plugins, which the Foundation
 * SDK writes out): a build that spells them out where the input says nothing has not changed the dashboard.
 */
const REDUCE_DEFAULTS = { calcs: ['lastNotNull'], values: false };
const PANEL_DEFAULTS: Record<string, Json> = {
  '*': { transparent: false, repeatDirection: 'h', fieldConfig: { defaults: { custom: {} }, overrides: [] } },
  timeseries: { options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true, calcs: [] }, tooltip: { mode: 'single', sort: 'none' } } },
  stat: { options: { graphMode: 'area', colorMode: 'value', justifyMode: 'auto', textMode: 'auto', wideLayout: true, showPercentChange: false, reduceOptions: REDUCE_DEFAULTS, percentChangeColorMode: 'standard', orientation: 'auto' } },
  gauge: { options: { showThresholdLabels: false, showThresholdMarkers: true, sizing: 'auto', minVizWidth: 75, minVizHeight: 75, reduceOptions: REDUCE_DEFAULTS, orientation: 'auto' } },
  bargauge: { options: { displayMode: 'gradient', valueMode: 'color', namePlacement: 'auto', showUnfilled: true, sizing: 'auto', minVizWidth: 8, minVizHeight: 16, maxVizHeight: 300, reduceOptions: REDUCE_DEFAULTS, orientation: 'auto' } },
  table: { options: { frameIndex: 0, showHeader: true, showTypeIcons: false, cellHeight: 'sm', footer: { show: false, reducer: [], countRows: false } }, fieldConfig: { defaults: { custom: { align: 'auto', inspect: false } } } },
};
/** A Prometheus query is a range query unless it says otherwise; an instant one is not also a range one. */
const TARGET_DEFAULTS: Json = { range: true, instant: false };
const INSTANT_TARGET_DEFAULTS: Json = { range: false };
const DASHBOARD_DEFAULTS: Json = { fiscalYearStartMonth: 0 };

export type DeclarativeImport = { spec: Json; panels: { declarative: number; json: number } } | { reason: string };

/** `json`: the dashboard as it will be compared (export inputs resolved; id, uid and version removed). */
export function declarativeDashboard(json: Json, uid: string, datasourceUid: string): DeclarativeImport {
  const schemaVersion = json.schemaVersion;
  if (typeof schemaVersion !== 'number' || schemaVersion < MIN_DECLARATIVE_SCHEMA_VERSION) {
    return { reason: `schemaVersion ${JSON.stringify(schemaVersion ?? null)} is older than Grafana 9's (${MIN_DECLARATIVE_SCHEMA_VERSION}): Grafana migrates such a dashboard when it loads it, so it stays as it was written` };
  }
  if (json.rows !== undefined) return { reason: 'it has legacy rows' };
  if (typeof json.title !== 'string' || json.title === '') return { reason: 'it has no title' };
  const layout = layoutOf(json.panels);
  if ('reason' in layout) return layout;

  // A panel whose Grafana JSON a definition cannot state beside its declarative fields is carried whole instead.
  const first = attempt(json, layout, uid, datasourceUid, new Set());
  const result = 'unstated' in first ? attempt(json, layout, uid, datasourceUid, first.unstated) : first;
  if ('unstated' in result) return { reason: 'a panel has Grafana JSON a definition cannot state' };
  return result;
}

function attempt(json: Json, layout: Layout, uid: string, datasourceUid: string, carry: ReadonlySet<Json>): DeclarativeImport | { unstated: Set<Json> } {
  const counts = { declarative: 0, json: 0 };
  const inputOf = new Map<PanelItem, Json>();
  const item = (p: Json): PanelItem => {
    const core = carry.has(p) ? undefined : declarativeCore(p, json.templating);
    if (core) counts.declarative++;
    else counts.json++;
    const out = core ?? { json: withoutId(p) as JsonPanel['json'] };
    inputOf.set(out, p);
    return out;
  };
  const spec: Json = { apiVersion: 'vigil/v1', kind: 'Dashboard', uid, title: json.title };
  if (typeof json.description === 'string' && json.description !== '') spec.description = json.description;
  const tags = Array.isArray(json.tags) ? [...new Set(json.tags.filter((t): t is string => typeof t === 'string'))] : [];
  if (tags.length) spec.tags = tags;
  if (typeof json.refresh === 'string' && json.refresh !== '') spec.refresh = json.refresh;
  if (isPlainObject(json.time) && typeof json.time.from === 'string' && typeof json.time.to === 'string') spec.time = { from: json.time.from, to: json.time.to };
  if (layout.top.length) spec.panels = layout.top.map(item);
  if (layout.rows.length) spec.rows = layout.rows.map((r) => ({ title: r.row.title, ...(r.row.collapsed === true ? { collapsed: true } : {}), panels: r.panels.map(item) }));

  // Build once without extras; what the build lacks or has beyond the input becomes each part's `grafana:`.
  const first = build(spec, uid, datasourceUid);
  const extras = extrasOf(spec, json, first);
  if ('reason' in extras) return extras;
  if (extras.unstated.length) return { unstated: new Set(extras.unstated.map((i) => inputOf.get(i)!)) };
  const second = build(spec, uid, datasourceUid);
  const differs = firstDifference(withoutVigilAdditions(second, json), comparable(json));
  if (differs !== undefined) return { reason: `its declarative build would differ at ${differs}` };
  const [problem] = validateDashboardJson(second);
  if (problem) return { reason: `its declarative build would not be valid: ${problem.path}: ${problem.message}` };
  return { spec, panels: counts };
}

interface Layout {
  top: Json[];
  rows: { row: Json; panels: Json[] }[];
}

/** Panels before the first row, then each row with its panels (nested when collapsed, following it when open). */
function layoutOf(panels: unknown): Layout | { reason: string } {
  const list = Array.isArray(panels) ? panels : [];
  if (!list.every(isPlainObject)) return { reason: 'a panel is not an object' };
  const out: Layout = { top: [], rows: [] };
  for (const p of list as Json[]) {
    if (p.type !== 'row') {
      const current = out.rows.at(-1);
      if (!current) out.top.push(p);
      else if (current.row.collapsed === true) return { reason: 'a panel follows a collapsed row outside it' };
      else current.panels.push(p);
      continue;
    }
    if (typeof p.title !== 'string' || p.title === '') return { reason: 'a row has no title' };
    const nested = Array.isArray(p.panels) ? p.panels : [];
    if (p.collapsed !== true && nested.length > 0) return { reason: 'an open row has panels nested in it' };
    if (!nested.every((n) => isPlainObject(n) && n.type !== 'row')) return { reason: 'a collapsed row holds something other than panels' };
    out.rows.push({ row: p, panels: [...nested] as Json[] });
  }
  return out;
}

/**
 * The declarative fields of a panel Vigil models; undefined for any other panel. Its queries must all be PromQL
 * (`templating`: the dashboard's, whose datasource variables tell a Loki `expr` from a Prometheus one).
 */
function declarativeCore(p: Json, templating: unknown): Panel | undefined {
  if (typeof p.type !== 'string' || !MODELLED_TYPES.has(p.type) || typeof p.title !== 'string' || p.title === '' || p.panels !== undefined) return undefined;
  const targets = Array.isArray(p.targets) ? p.targets : [];
  if (targets.length === 0 || !targets.every((t) => isPlainObject(t) && typeof t.expr === 'string' && t.expr !== '')) return undefined;
  if (promqlTargetsOf({ templating, panels: [p] }).length !== targets.length) return undefined;
  const core: Json = { title: p.title, type: p.type };
  if (typeof p.description === 'string' && p.description !== '') core.description = p.description;
  const defaults = isPlainObject(p.fieldConfig) && isPlainObject(p.fieldConfig.defaults) ? p.fieldConfig.defaults : {};
  if (typeof defaults.unit === 'string' && defaults.unit !== '' && grafanaUnit(defaults.unit) === defaults.unit) core.unit = defaults.unit;
  if (Number.isInteger(defaults.decimals) && (defaults.decimals as number) >= 0 && (defaults.decimals as number) <= 10) core.decimals = defaults.decimals;
  if (typeof defaults.min === 'number') core.min = defaults.min;
  if (typeof defaults.max === 'number') core.max = defaults.max;
  const grid = isPlainObject(p.gridPos) ? p.gridPos : {};
  if (Number.isInteger(grid.w) && (grid.w as number) >= 1 && (grid.w as number) <= 24) core.width = grid.w;
  if (Number.isInteger(grid.h) && (grid.h as number) >= 1 && (grid.h as number) <= 60) core.height = grid.h;
  const steps = isPlainObject(defaults.thresholds) && Array.isArray(defaults.thresholds.steps) ? defaults.thresholds.steps : undefined;
  if (steps && steps.every((s) => isPlainObject(s) && (s.value === null || typeof s.value === 'number') && typeof s.color === 'string' && s.color !== '')) {
    core.thresholds = steps.map((s) => ({ value: (s as Json).value, color: (s as Json).color }));
  }
  const legend = p.type === 'timeseries' && isPlainObject(p.options) && isPlainObject(p.options.legend) ? p.options.legend : undefined;
  if (legend) {
    const out: Json = {};
    if (typeof legend.showLegend === 'boolean') out.show = legend.showLegend;
    if (legend.placement === 'bottom' || legend.placement === 'right') out.placement = legend.placement;
    if (Array.isArray(legend.calcs) && legend.calcs.length > 0 && legend.calcs.every((c) => LEGEND_CALCS.has(c as string))) out.calcs = legend.calcs;
    if (Object.keys(out).length) core.legend = out;
  }
  core.queries = (targets as Json[]).map((t) => {
    const q: Json = { expr: t.expr };
    if (typeof t.legendFormat === 'string') q.legend = t.legendFormat;
    if (t.instant === true) q.instant = true;
    if (typeof t.interval === 'string' && t.interval !== '' && t.interval.length <= 64) q.interval = t.interval;
    return q;
  });
  return core as unknown as Panel;
}

/**
 * Sets `grafana:` on the dashboard, its rows, panels and queries: what the first build differs by from the input.
 * `unstated`: the declarative panels whose difference a `grafana:` cannot state.
 */
function extrasOf(spec: Json, input: Json, built: Json): { unstated: PanelItem[] } | { reason: string } {
  const builtPanels = (built.panels ?? []) as Json[];
  const inputPanels = (input.panels ?? []) as Json[];
  let failure: string | undefined;
  const unstated: PanelItem[] = [];
  const onPanel = (item: PanelItem, inputPanel: Json, builtPanel: Json | undefined) => {
    if (!builtPanel) return (failure ??= 'its build lost a panel');
    if ('json' in item) return;
    if (!panelExtras(item, inputPanel, builtPanel)) unstated.push(item);
  };
  const specPanels = (spec.panels ?? []) as PanelItem[];
  let i = 0;
  for (const item of specPanels) onPanel(item, inputPanels[i]!, builtPanels[i++]);
  for (const row of (spec.rows ?? []) as { title: string; collapsed?: boolean; panels: PanelItem[]; grafana?: Json }[]) {
    const [inputRow, builtRow] = [inputPanels[i]!, builtPanels[i++]];
    if (!builtRow) return { reason: 'its build lost a row' };
    const patch = patchOf(omit(builtRow, ['id', 'panels']), omit(inputRow, ['id', 'panels']), ['type', 'title', 'collapsed']);
    if (!patch) return { reason: `row ${JSON.stringify(inputRow.title)} has Grafana JSON a definition cannot state` };
    if (Object.keys(patch).length) row.grafana = patch;
    if (row.collapsed === true) {
      const [inputNested, builtNested] = [(inputRow.panels ?? []) as Json[], (builtRow.panels ?? []) as Json[]];
      row.panels.forEach((item, j) => onPanel(item, inputNested[j]!, builtNested[j]));
    } else for (const item of row.panels) onPanel(item, inputPanels[i]!, builtPanels[i++]);
  }
  if (failure) return { reason: failure };
  const dashboardPatch = patchOf(withoutVigilAdditions(omit(built, ['panels']), input), comparable(omit(input, ['panels'])), []);
  if (!dashboardPatch) return { reason: 'it has Grafana JSON a definition cannot state (a null value)' };
  if (Object.keys(dashboardPatch).length) spec.grafana = dashboardPatch;
  return { unstated };
}

/** Sets the panel's and each query's `grafana:`; false when they cannot state the difference. */
function panelExtras(item: Panel & { grafana?: Json }, input: Json, built: Json): boolean {
  const ours = panelWithoutAdditions(built, input);
  const inputTargets = (input.targets ?? []) as Json[];
  const builtTargets = (ours.targets ?? []) as Json[];
  const queryPatches = item.queries.map((_, j) => patchOf(builtTargets[j] ?? {}, inputTargets[j]!, ['expr', 'refId']));
  const patch = patchOf(omit(ours, ['targets']), omit(input, ['id', 'targets']), ['type', 'title']);
  if (!patch || queryPatches.some((q) => q === undefined)) return false;
  item.queries.forEach((q, j) => {
    if (Object.keys(queryPatches[j]!).length) (q as { grafana?: Json }).grafana = queryPatches[j];
  });
  if (Object.keys(patch).length) item.grafana = patch;
  return true;
}

/** The merge patch from Vigil's build to the input, unless it has to change a field the definition states itself. */
function patchOf(from: Json, to: Json, stated: readonly string[]): Json | undefined {
  const found = mergePatchBetween(from, to);
  if (!found || stated.some((k) => k in found.patch)) return undefined;
  return found.patch;
}

function build(spec: Json, uid: string, datasourceUid: string): Json {
  const model: Model = { ...emptyModel(), project: { name: 'import', evaluationInterval: '1m', scrapeInterval: '1m', externalLabels: {}, grafana: { datasourceUid, tags: [] }, policies: { requiredAlertLabels: [], testCoverage: 0, checks: {} } } };
  const d: DashboardModel = { uid, title: String(spec.title), spec: structuredClone(spec) as unknown as DashboardSpec, origin: {} as Origin };
  return JSON.parse(JSON.stringify(dashboardJson(model, d).json)) as Json;
}

/**
 * A dashboard as a build is compared with it: what Vigil always sets (ids, uid, tags, schemaVersion) aside, an open
 * row's empty `panels` (Grafana keeps an open row's panels after it either way), and positions with x and y spelt out.
 */
function comparable(input: Json): Json {
  const out = omit(input, ['id', 'uid', 'version', 'tags', 'schemaVersion']);
  const panel = (p: unknown): unknown => {
    if (!isPlainObject(p)) return p;
    const emptyOpenRow = p.type === 'row' && p.collapsed !== true && Array.isArray(p.panels) && p.panels.length === 0;
    const own = omit(p, emptyOpenRow ? ['id', 'panels'] : ['id']);
    // Grafana reads a position without x or y as 0 (the first column, the top).
    if (isPlainObject(own.gridPos)) own.gridPos = { x: 0, y: 0, ...own.gridPos };
    return Array.isArray(own.panels) ? { ...own, panels: own.panels.map(panel) } : own;
  };
  if (Array.isArray(out.panels)) out.panels = out.panels.map(panel);
  return out;
}

/** A build without what Vigil adds where the input says nothing: ids, tags, its datasource, refIds, its defaults. */
function withoutVigilAdditions(built: Json, input: Json): Json {
  const out = withoutDefaults(comparable(built), input, DASHBOARD_DEFAULTS);
  for (const key of DASHBOARD_FILL_INS) if (input[key] === undefined) delete out[key];
  for (const key of EMPTY_LIST_FILL_INS) {
    const v = out[key];
    if (input[key] === undefined && isPlainObject(v) && Array.isArray(v.list) && v.list.length === 0 && Object.keys(v).length === 1) delete out[key];
  }
  const inputVariables = isPlainObject(input.templating) && Array.isArray(input.templating.list) ? input.templating.list : [];
  if (isPlainObject(out.templating) && Array.isArray(out.templating.list)) {
    out.templating = { ...out.templating, list: out.templating.list.map((v, i) => (isPlainObject(v) && isPlainObject(inputVariables[i]) && inputVariables[i].datasource === undefined ? omit(v, ['datasource']) : v)) };
  }
  if (Array.isArray(out.panels)) {
    const inputPanels = Array.isArray(input.panels) ? input.panels : [];
    out.panels = out.panels.map((p, i) => (isPlainObject(p) ? panelWithoutAdditions(p, isPlainObject(inputPanels[i]) ? inputPanels[i] : {}) : p));
  }
  return out;
}

function panelWithoutAdditions(built: Json, input: Json): Json {
  const type = typeof built.type === 'string' ? built.type : '';
  const out = withoutDefaults(withoutDefaults(omit(built, ['id']), input, PANEL_DEFAULTS['*']!), input, PANEL_DEFAULTS[type] ?? {});
  if (input.datasource === undefined) delete out.datasource;
  if (Array.isArray(out.targets)) {
    const inputTargets = Array.isArray(input.targets) ? input.targets : [];
    out.targets = out.targets.map((t, j) => {
      if (!isPlainObject(t)) return t;
      const it = isPlainObject(inputTargets[j]) ? inputTargets[j] : {};
      return withoutDefaults(omit(t, [...(it.datasource === undefined ? ['datasource'] : []), ...(it.refId === undefined ? ['refId'] : [])]), it, it.instant === true ? INSTANT_TARGET_DEFAULTS : TARGET_DEFAULTS);
    });
  }
  if (Array.isArray(out.panels)) {
    const nested = Array.isArray(input.panels) ? input.panels : [];
    out.panels = out.panels.map((p, j) => (isPlainObject(p) ? panelWithoutAdditions(p, isPlainObject(nested[j]) ? nested[j] : {}) : p));
  }
  return out;
}

/** `built` without the defaults it spells out where `input` leaves them to Grafana (an object left empty goes too). */
function withoutDefaults(built: Json, input: Json, defaults: Json): Json {
  const out = { ...built };
  for (const [key, value] of Object.entries(defaults)) {
    if (key in input && !isPlainObject(input[key])) continue;
    const inner = isPlainObject(input[key]) ? (input[key] as Json) : undefined;
    if (isPlainObject(value) && isPlainObject(out[key])) {
      const stripped = withoutDefaults(out[key] as Json, inner ?? {}, value);
      if (Object.keys(stripped).length === 0 && inner === undefined) delete out[key];
      else out[key] = stripped;
    } else if (!(key in input) && deepEqual(out[key], value)) delete out[key];
  }
  return out;
}

/** Where two JSON values first differ, as a JSON path; undefined when they are equal. */
function firstDifference(a: unknown, b: unknown, path: (string | number)[] = []): string | undefined {
  if (deepEqual(a, b)) return undefined;
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (const [i, v] of a.entries()) {
      const found = firstDifference(v, b[i], [...path, i]);
      if (found) return found;
    }
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const found = firstDifference(a[key], b[key], [...path, key]);
      if (found) return found;
    }
  }
  return formatJsonPath(path);
}

function withoutId(p: Json): Json {
  return omit(p, ['id']);
}

function omit(json: Json, keys: readonly string[]): Json {
  const out = { ...json };
  for (const k of keys) delete out[k];
  return out;
}
