/**
 * Grafana dashboards: one `grafana/dashboards/<uid>.json` per Dashboard definition.
 *
 * Declarative (YAML) dashboards are built with the Grafana Foundation SDK builders; dashboards written in TypeScript
 * arrive already built (`DashboardModel.built`). Both then go through the same finishing pass, which does what the SDK
 * leaves undone: panel ids, a grid layout that fits 24 columns, datasources on panels, targets and query variables,
 * target refIds, the ownership tag, and the dashboard fields Vigil owns (id null, no version, schemaVersion 39).
 *
 * The output is deterministic: keys sorted recursively, 2-space indent, trailing newline.
 */
import { dashboardPath } from '../build/paths.ts';
import { withLazyContent } from '../build/manifest.ts';
import { requirePackage } from '../util/packages.ts';
import type * as BarGaugeSdk from '@grafana/grafana-foundation-sdk/bargauge';
import type * as CommonSdk from '@grafana/grafana-foundation-sdk/common';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import type * as DashboardSdk from '@grafana/grafana-foundation-sdk/dashboard';
import type { Panel as GrafanaPanel, Threshold } from '@grafana/grafana-foundation-sdk/dashboard';
import type * as GaugeSdk from '@grafana/grafana-foundation-sdk/gauge';
import type * as PrometheusSdk from '@grafana/grafana-foundation-sdk/prometheus';
import type * as StatSdk from '@grafana/grafana-foundation-sdk/stat';
import type * as TableSdk from '@grafana/grafana-foundation-sdk/table';
import type * as TimeseriesSdk from '@grafana/grafana-foundation-sdk/timeseries';
import type { Definition } from '../load/definition.ts';
import type { AlertModel, DashboardModel, Model } from '../model/types.ts';
import { alertsByName } from '../model/types.ts';
import type { FileScopes } from '../compile-scopes.ts';
import type { DashboardSpec, Panel as PanelSpec, PanelItem } from '../spec/types.gen.ts';
import { uniqueSorted, type Artifact } from './artifact.ts';
import { isPlainObject } from '../util/lookup.ts';
import { severityRank } from '../model/severity-rank.ts';
import { isCarriedJson, isJsonPanel } from '../model/kinds/dashboard.ts';
import { applyGrafanaExtras } from './grafana-extras.ts';
import { resolveExportInputs } from '../spec/dashboard-json.ts';
import { setOwn } from '../util/own.ts';

/** Every dashboard Vigil writes carries this tag, so a deploy can tell its own dashboards from hand-made ones. */
export const OWNERSHIP_TAG = 'vigil-managed';
/** The dashboard JSON schema version Grafana 10.4 writes; Grafana 10 and 11 import it without migration surprises. */
export const SCHEMA_VERSION = 39;
export const GRID_COLUMNS = 24;
export const DEFAULT_PANEL_HEIGHT = 8;
export const MIN_DEFAULT_PANEL_WIDTH = 6;
export const DEFAULT_TIME = { from: 'now-6h', to: 'now' } as const;
export const DEFAULT_DATASOURCE_UID = 'prometheus';

/** Colours of alert levels by severity rank (0 = most severe); ranks past the list use the last colour. */
export const SEVERITY_COLORS = ['red', 'orange', 'yellow'] as const;
/** Colour of the region where no level of the alert fires. */
export const OK_COLOR = 'green';

/** Panel types that show no query data: they get no datasource. */
const NO_DATA_PANEL_TYPES = new Set(['row', 'text', 'news', 'dashlist', 'alertlist', 'annolist', 'welcome', 'gettingstarted']);

type Json = Record<string, unknown>;

/** Grafana's uid rule; the uid also names the file, so anything else (empty, `../x`) is never written. */
export const UID_PATTERN = /^[a-zA-Z0-9_-]{1,40}$/;

/**
 * One artifact per dashboard, ordered by uid. A uid given twice is emitted once (rule/duplicate reports it); an SDK
 * dashboard with a missing or invalid uid is not emitted (dashboard/json reports it).
 */
export function emitDashboards(model: Model, scopes?: FileScopes): Artifact[] {
  const artifacts: Artifact[] = [];
  const seen = new Set<string>();
  const dashboards = [...model.dashboards].sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
  for (const d of dashboards) {
    if (seen.has(d.uid) || !UID_PATTERN.test(d.uid)) continue;
    seen.add(d.uid);
    if (!scopes?.memoised) {
      artifacts.push(emitDashboard(model, d));
      continue;
    }
    // Taken from an earlier compile of the same definition, Project and threshold alerts when there was one.
    const reads = dashboardAlertReads(model, [d]);
    const made = scopes.memoText(d.origin.def.file, `dashboard ${d.origin.def.index} ${JSON.stringify(d.origin.path)} ${reads.part}`, () => {
      const { path, content, sources } = emitDashboard(model, d);
      return { path, content, sources };
    }, reads.files);
    artifacts.push(withLazyContent({ path: made.path, sources: [...made.sources] }, made.sha256, made.text));
  }
  return artifacts;
}

/**
 * What a dashboard's JSON reads besides its own definition and the Project: the alerts its panels take thresholds
 * from (`thresholdsFrom`, resolved by name as dashboardJson does), named with the file each resolves to.
 */
export function dashboardAlertReads(model: Model, dashboards: readonly DashboardModel[]): { part: string; files: string[] } {
  const names = new Set<string>();
  for (const d of dashboards) for (const name of thresholdsFromNames(d)) names.add(name);
  if (names.size === 0) return { part: '', files: [] };
  const alerts = alertsByName(model);
  const resolved = [...names].sort().map((name) => [name, alerts.get(name)?.origin.def.file] as const);
  return {
    part: `thresholds from ${JSON.stringify(resolved)}`,
    files: [...new Set(resolved.flatMap(([, file]) => (file === undefined ? [] : [file])))],
  };
}

/** The alert names a dashboard's panels take thresholds from, found once per dashboard (its check and its emitter ask). */
const thresholdsFrom = new WeakMap<DashboardModel, readonly string[]>();

function thresholdsFromNames(d: DashboardModel): readonly string[] {
  let names = thresholdsFrom.get(d);
  if (names === undefined) {
    const found = new Set<string>();
    if (d.spec) collectThresholdsFrom(d.spec, found);
    thresholdsFrom.set(d, (names = [...found]));
  }
  return names;
}

function collectThresholdsFrom(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) for (const v of value) collectThresholdsFrom(v, into);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'thresholdsFrom' && typeof v === 'string') into.add(v);
      else collectThresholdsFrom(v, into);
    }
  }
}

/** The artifact of one dashboard, made once per compile: the dashboard/json check validates what the build writes. */
const emitted = new WeakMap<DashboardModel, Artifact>();

/**
 * Within sharingDashboards, artifacts by definition, the dashboard's place in it and everything else its JSON reads
 * (dashboardInputs): a Dashboard definition's DashboardModel is made from the definition alone (an SLO's from more:
 * the key holds its whole spec), so the same definition object (one no environment overrides is shared by every
 * compile of a run) and the same inputs give the same file.
 */
let shared: WeakMap<Definition, Map<string, Artifact>> | undefined;

/** Runs `work` (the compiles of one project) with one store of dashboard artifacts; nested calls share the outer one. */
export function sharingDashboards<T>(work: () => T): T {
  if (shared) return work();
  shared = new WeakMap();
  try {
    return work();
  } finally {
    shared = undefined;
  }
}

/**
 * Emitted once per dashboard (and within sharingDashboards once per definition and inputs: the compiles of the shared
 * definitions and of each environment share the file while nothing it reads differs). Artifacts are never changed
 * once made, so one object serves them all.
 */
export function emitDashboard(model: Model, d: DashboardModel): Artifact {
  const known = emitted.get(d);
  if (known) return known;
  const byInputs = shared && (shared.get(d.origin.def) ?? shared.set(d.origin.def, new Map()).get(d.origin.def)!);
  // A dashboard an SLO generates is made from the SLO and the severities too: its spec is named in full.
  const key = byInputs && `${JSON.stringify(d.origin.path)}\0${d.spec !== undefined && d.spec !== d.origin.def.value ? JSON.stringify([d.uid, d.title, d.spec]) : ''}\0${dashboardInputs(model, d)}`;
  let artifact = key === undefined ? undefined : byInputs!.get(key);
  if (!artifact) {
    const { json, alerts } = dashboardJson(model, d);
    artifact = {
      path: dashboardPath(dashboardFileName(d.uid)),
      content: renderJson(json),
      // A JSON dashboard's file is a source of its own (the definition names it).
      sources: uniqueSorted([d.origin.def.file, ...(d.origin.def.fileAt ? [d.origin.def.fileAt(['json', 'panels'])] : []), ...alerts.map((a) => a.origin.def.file)]),
    };
    if (key !== undefined) byInputs!.set(key, artifact);
  }
  emitted.set(d, artifact);
  return artifact;
}

/**
 * What a dashboard's artifact reads besides its definition: the Project's datasource uid and tags, and for each alert
 * its panels take thresholds from (`thresholdsFrom`, by name as dashboardJson resolves it) the alert's file and levels
 * with the severities' ladder that colours them. Nothing else of the model reaches dashboardJson (an environment's
 * relay, external labels, receivers and routes do not): test/checks/environment-reuse.test.ts compares the files
 * made with and without sharing over randomised overrides.
 */
export function dashboardInputs(model: Model, d: DashboardModel): string {
  const grafana = model.project?.grafana;
  const names = thresholdsFromNames(d);
  const project = [grafana?.datasourceUid ?? null, grafana?.tags ?? null];
  if (names.length === 0) return JSON.stringify(project);
  const alerts = alertsByName(model);
  const levels = [...names].sort().map((name) => {
    const alert = alerts.get(name);
    return alert ? [name, alert.origin.def.file, alert.levels.map((l) => [l.severity, l.op ?? null, typeof l.value === 'number' && Number.isFinite(l.value) ? l.value : null])] : [name];
  });
  return JSON.stringify([...project, model.severities.map((s) => ({ severity: s.name, rank: s.rank })), levels]);
}

/** The finished Grafana JSON of a dashboard (keys not yet sorted) and the alerts whose levels it draws. */
export function dashboardJson(model: Model, d: DashboardModel): { json: Json; alerts: AlertModel[] } {
  const ds = datasourceOf(model);
  if (d.spec) {
    const alerts: AlertModel[] = [];
    const json = buildDeclarative(model, d.spec, ds, alerts);
    finishDashboard(json, { model, ds, reflow: true });
    // What the definition states in Grafana's own JSON goes over Vigil's build and its layout; finishing again puts
    // back what Vigil owns (ids, tags, datasources where none is named) and keeps a layout that fits.
    if (applyGrafanaExtras(json, d.spec)) finishDashboard(json, { model, ds, reflow: false });
    return { json, alerts };
  }
  // A deep copy: finishing must not change the model other stages read.
  const json = JSON.parse(JSON.stringify(d.built ?? {})) as Json;
  if (isCarriedJson(d)) finishCarried(json, d, { model, ds, reflow: false });
  else finishDashboard(json, { model, ds, reflow: false });
  return { json, alerts: [] };
}

/** Sorted keys at every level, 2-space indent, trailing newline: identical bytes on every machine. */
export function renderJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Json = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Json)[key];
      // `__proto__` is a key like any other in Grafana's JSON: written, not taken for the object's prototype.
      if (v !== undefined) setOwn(out, key, sortKeys(v));
    }
    return out;
  }
  return value;
}

interface Sdk {
  dashboard: typeof DashboardSdk;
  common: typeof CommonSdk;
  bargauge: typeof BarGaugeSdk;
  gauge: typeof GaugeSdk;
  prometheus: typeof PrometheusSdk;
  stat: typeof StatSdk;
  table: typeof TableSdk;
  timeseries: typeof TimeseriesSdk;
}
let loadedSdk: Sdk | undefined;

/**
 * The Foundation SDK (CommonJS), loaded when the first declarative dashboard is built: importing it costs every
 * command ≈ 60 ms at start-up, and test, plan and deploy never build a dashboard. Loading it early (while the
 * TypeScript loader process runs, see cli/validate.ts) only moves that cost.
 */
export function loadDashboardSdk(): void {
  sdk();
}

function sdk(): Sdk {
  if (!loadedSdk) {
    const pkg = (name: 'dashboard' | 'common' | 'bargauge' | 'gauge' | 'prometheus' | 'stat' | 'table' | 'timeseries') => requirePackage<unknown>(`@grafana/grafana-foundation-sdk/${name}`);
    loadedSdk = {
      dashboard: pkg('dashboard') as Sdk['dashboard'],
      common: pkg('common') as Sdk['common'],
      bargauge: pkg('bargauge') as Sdk['bargauge'],
      gauge: pkg('gauge') as Sdk['gauge'],
      prometheus: pkg('prometheus') as Sdk['prometheus'],
      stat: pkg('stat') as Sdk['stat'],
      table: pkg('table') as Sdk['table'],
      timeseries: pkg('timeseries') as Sdk['timeseries'],
    };
  }
  return loadedSdk;
}

function datasourceOf(model: Model): DataSourceRef {
  return { type: 'prometheus', uid: model.project?.grafana.datasourceUid || DEFAULT_DATASOURCE_UID };
}

// ---------------------------------------------------------------------------------------------------------------------
// Declarative dashboards, built with the Foundation SDK

function buildDeclarative(model: Model, spec: DashboardSpec, ds: DataSourceRef, usedAlerts: AlertModel[]): Json {
  const { DashboardBuilder, DashboardCursorSync, RowBuilder } = sdk().dashboard;
  const builder = new DashboardBuilder(spec.title ?? '')
    .uid(spec.uid)
    .tags(dashboardTags(model, spec.tags))
    .timezone('browser')
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: spec.time?.from ?? DEFAULT_TIME.from, to: spec.time?.to ?? DEFAULT_TIME.to });
  if (spec.description !== undefined) builder.description(spec.description);
  if (spec.refresh !== undefined) builder.refresh(spec.refresh);
  for (const v of spec.variables ?? []) builder.withVariable(variableBuilder(v, ds));

  const alerts = alertsByName(model);
  const ctx: PanelContext = { model, ds, usedAlerts, alerts };
  const top = spec.panels ?? [];
  top.forEach((p) => builder.withPanel(panelBuilder(p, defaultWidth(top.length), ctx)));
  for (const row of spec.rows ?? []) {
    const width = defaultWidth(row.panels.length);
    if (row.collapsed === true) {
      // A collapsed row nests its panels (RowBuilder.withPanel also marks the row collapsed).
      const rowBuilder = new RowBuilder(row.title);
      row.panels.forEach((p) => rowBuilder.withPanel(panelBuilder(p, width, ctx)));
      builder.withRow(rowBuilder.collapsed(true));
    } else {
      // An expanded row is a header; its panels follow it at the top level (Grafana drops panels nested in it).
      builder.withRow(new RowBuilder(row.title).collapsed(false));
      row.panels.forEach((p) => builder.withPanel(panelBuilder(p, width, ctx)));
    }
  }
  // Plain JSON from here on: the SDK's objects carry functions, which patches and copies must not meet.
  return JSON.parse(JSON.stringify(builder.build())) as Json;
}

/** Project tags + the dashboard's own + the ownership tag, sorted and unique. */
function dashboardTags(model: Model, own: readonly unknown[] | undefined): string[] {
  const tags = [...(model.project?.grafana.tags ?? []), ...(own ?? []).filter((t): t is string => typeof t === 'string'), OWNERSHIP_TAG];
  return uniqueSorted(tags.filter((t) => t.length > 0));
}

/** 24 columns shared by the panels of a row, but never narrower than 6 (more panels wrap onto further lines). */
export function defaultWidth(panelsInRow: number): number {
  return Math.max(MIN_DEFAULT_PANEL_WIDTH, Math.floor(GRID_COLUMNS / Math.max(1, panelsInRow)));
}

type VariableSpec = NonNullable<DashboardSpec['variables']>[number];

function variableBuilder(v: VariableSpec, ds: DataSourceRef) {
  const { ConstantVariableBuilder, CustomVariableBuilder, IntervalVariableBuilder, QueryVariableBuilder, VariableRefresh, VariableSort } = sdk().dashboard;
  switch (v.type ?? 'query') {
    case 'custom': {
      const values = v.values !== undefined ? v.values.map((s) => s.replace(/,/g, '\\,')).join(',') : (v.query ?? '');
      const b = new CustomVariableBuilder(v.name).values(values);
      if (v.label !== undefined) b.label(v.label);
      if (v.multi !== undefined) b.multi(v.multi);
      if (v.includeAll !== undefined) b.includeAll(v.includeAll);
      return b;
    }
    case 'interval': {
      const b = new IntervalVariableBuilder(v.name).values(v.values !== undefined ? v.values.join(',') : (v.query ?? ''));
      if (v.label !== undefined) b.label(v.label);
      return b;
    }
    case 'constant': {
      const b = new ConstantVariableBuilder(v.name).value(v.query ?? v.values?.[0] ?? '');
      if (v.label !== undefined) b.label(v.label);
      return b;
    }
    default: {
      const query = v.query ?? '';
      const b = new QueryVariableBuilder(v.name)
        .datasource(ds)
        .query(query)
        .definition(query)
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc);
      if (v.label !== undefined) b.label(v.label);
      if (v.multi !== undefined) b.multi(v.multi);
      if (v.includeAll !== undefined) b.includeAll(v.includeAll);
      return b;
    }
  }
}

interface PanelContext {
  model: Model;
  ds: DataSourceRef;
  usedAlerts: AlertModel[];
  /** By name; the first of a duplicated name (rule/duplicate reports the others). */
  alerts: Map<string, AlertModel>;
}

/** What every Foundation SDK panel builder offers and Vigil uses. */
interface CommonPanelBuilder {
  title(title: string): this;
  description(description: string): this;
  datasource(datasource: DataSourceRef): this;
  unit(unit: string): this;
  decimals(decimals: number): this;
  min(min: number): this;
  max(max: number): this;
  thresholds(thresholds: DashboardSdk.ThresholdsConfigBuilder): this;
  span(w: number): this;
  height(h: number): this;
  withTarget(target: PrometheusSdk.DataqueryBuilder): this;
  build(): GrafanaPanel;
}

/** A panel given as Grafana JSON is built as it is; finishing numbers it and lays it out like the others. */
function panelBuilder(p: PanelItem, defaultW: number, ctx: PanelContext): { build(): GrafanaPanel } {
  if (isJsonPanel(p)) return { build: () => structuredClone(p.json) as unknown as GrafanaPanel };
  return declarativePanelBuilder(p, defaultW, ctx);
}

function declarativePanelBuilder(p: PanelSpec, defaultW: number, ctx: PanelContext): CommonPanelBuilder {
  const { ThresholdsConfigBuilder, ThresholdsMode } = sdk().dashboard;
  const { GraphThresholdsStyleConfigBuilder, GraphThresholdsStyleMode, LegendDisplayMode, LegendPlacement, ReduceDataOptionsBuilder, SortOrder, StackingConfigBuilder, StackingMode, TooltipDisplayMode, VizLegendOptionsBuilder, VizTooltipOptionsBuilder } = sdk().common;
  const { DataqueryBuilder, PromQueryFormat } = sdk().prometheus;
  const steps = panelThresholds(p, ctx);
  const lastValue = () => new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);
  let b: CommonPanelBuilder;
  switch (p.type) {
    case 'timeseries': {
      const ts = new (sdk().timeseries.PanelBuilder)();
      const legend = new VizLegendOptionsBuilder()
        .showLegend(p.legend?.show !== false)
        .displayMode(LegendDisplayMode.List)
        .placement(p.legend?.placement === 'right' ? LegendPlacement.Right : LegendPlacement.Bottom)
        .calcs([...(p.legend?.calcs ?? [])]);
      ts.legend(legend);
      // Grafana's own default (the SDK would write "asc", the first value of the enum, which Grafana never assumes).
      ts.tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Single).sort(SortOrder.None));
      if (p.stack === true) ts.stacking(new StackingConfigBuilder().mode(StackingMode.Normal).group('A'));
      if (steps) ts.thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.LineAndArea));
      b = ts;
      break;
    }
    case 'stat':
      b = new (sdk().stat.PanelBuilder)().reduceOptions(lastValue());
      break;
    case 'gauge':
      b = new (sdk().gauge.PanelBuilder)().reduceOptions(lastValue());
      break;
    case 'bargauge':
      b = new (sdk().bargauge.PanelBuilder)().reduceOptions(lastValue());
      break;
    case 'table':
      b = new (sdk().table.PanelBuilder)();
      break;
  }
  b.title(p.title)
    .datasource(ctx.ds)
    .span(p.width ?? defaultW)
    .height(p.height ?? DEFAULT_PANEL_HEIGHT);
  if (p.description !== undefined) b.description(p.description);
  if (p.unit !== undefined) b.unit(grafanaUnit(p.unit));
  if (p.decimals !== undefined) b.decimals(p.decimals);
  if (p.min !== undefined) b.min(p.min);
  if (p.max !== undefined) b.max(p.max);
  if (steps) b.thresholds(new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps));
  p.queries.forEach((q, i) => {
    const t = new DataqueryBuilder().datasource(ctx.ds).refId(refIdOf(i)).expr(q.expr);
    if (q.legend !== undefined) t.legendFormat(q.legend);
    if (q.interval !== undefined) t.interval(q.interval);
    if (q.instant === true) t.instant();
    else t.range();
    // One row per series with its labels as columns, rather than one frame per series behind a drop-down.
    if (p.type === 'table') t.format(PromQueryFormat.Table);
    b.withTarget(t);
  });
  return b;
}

/** Explicit `thresholds` win; else the levels of the `thresholdsFrom` alert; else none (Grafana's default). */
function panelThresholds(p: PanelSpec, ctx: PanelContext): Threshold[] | undefined {
  if (p.thresholds !== undefined) {
    return p.thresholds.map((t) => ({ value: (t as { value?: number | null }).value ?? null, color: t.color }));
  }
  if (p.thresholdsFrom === undefined) return undefined;
  const alert = ctx.alerts.get(p.thresholdsFrom);
  if (!alert) return undefined; // ref/dashboard reports the unknown name
  const steps = alertThresholdSteps(ctx.model, alert);
  if (steps && !ctx.usedAlerts.includes(alert)) ctx.usedAlerts.push(alert);
  return steps;
}

/**
 * Grafana colours a value with the last step whose value it reaches; the first step (value null, i.e. -Infinity) is
 * the base. So the bad region must get the level colours:
 * - `>` / `>=`: base green, then one step per level at its value, ascending (warning 85 orange, critical 95 red);
 * - `<` / `<=`: the base is the most severe colour (below the lowest value everything fires), each level's value
 *   starts the colour of the next less severe level, and the highest value starts green.
 * Levels without a comparison, `==` / `!=`, or mixed directions give no thresholds (threshold/order reports mixing).
 * Colours follow the severity rank (red, orange, yellow), so a warning level is orange on every dashboard.
 */
export function alertThresholdSteps(model: Model, alert: AlertModel): Threshold[] | undefined {
  const ladder = severityRank(model);
  const levels = alert.levels.filter((l) => l.op !== undefined && typeof l.value === 'number' && Number.isFinite(l.value));
  if (levels.length === 0) return undefined;
  const up = levels.every((l) => l.op === '>' || l.op === '>=');
  const down = levels.every((l) => l.op === '<' || l.op === '<=');
  if (!up && !down) return undefined;
  // Without a rank for every level (no Severities, or a name ref/severity reports), the levels rank among themselves
  // by value: the most extreme one is the most severe, as threshold/order requires.
  const known = levels.every((l) => ladder.declares(l.severity));
  const extremes = [...new Set(levels.map((l) => l.value!))].sort((a, b) => (up ? b - a : a - b));
  const rankOfLevel = new Map(levels.map((l) => [l.severity, known ? ladder.of(l.severity)! : extremes.indexOf(l.value!)]));
  const rank = (severity: string) => rankOfLevel.get(severity)!;
  const colour = (severity: string) => SEVERITY_COLORS[Math.min(rank(severity), SEVERITY_COLORS.length - 1)]!;
  // One level per value (the more severe one if two share it), in ascending order of value.
  const byValue = new Map<number, { value: number; severity: string }>();
  for (const l of levels) {
    const prev = byValue.get(l.value!);
    if (!prev || rank(l.severity) < rank(prev.severity)) byValue.set(l.value!, { value: l.value!, severity: l.severity });
  }
  const sorted = [...byValue.values()].sort((a, b) => a.value - b.value);
  if (up) return [{ value: null, color: OK_COLOR }, ...sorted.map((l) => ({ value: l.value, color: colour(l.severity) }))];
  return [
    { value: null, color: colour(sorted[0]!.severity) },
    ...sorted.map((l, i) => ({ value: l.value, color: i + 1 < sorted.length ? colour(sorted[i + 1]!.severity) : OK_COLOR })),
  ];
}

/** Spreadsheet-style refIds, as Grafana assigns them: A … Z, AA, AB … */
export function refIdOf(index: number): string {
  let n = index + 1;
  let out = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    out = String.fromCharCode(65 + r) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// Units

/** Unit ids of Grafana 10/11 (packages/grafana-data/src/valueFormats/categories.ts). */
const GRAFANA_UNITS = new Set(
  (
    'none string short sishort percent percentunit humidity dB candela hex0x hex sci locale pixel ' +
    'accMS2 accFS2 accG degree radian grad arcmin arcsec areaM2 areaF2 areaMI2 acres hectares ' +
    'flops mflops gflops tflops pflops eflops zflops yflops ' +
    'ppm conppb conngm3 conngNm3 conμgm3 conμgNm3 conmgm3 conmgNm3 congm3 congNm3 conmgdL conmmolL ' +
    'currencyUSD currencyGBP currencyEUR currencyJPY currencyRUB currencyUAH currencyBRL currencyDKK currencyISK ' +
    'currencyNOK currencySEK currencyCZK currencyCHF currencyPLN currencyBTC currencymBTC currencyμBTC currencyZAR ' +
    'currencyINR currencyKRW currencyIDR currencyPHP currencyVND currencyTRY currencyMYR currencyXPF currencyBGN ' +
    'currencyPYG currencyUYU currencyILS ' +
    'bits bytes kbytes mbytes gbytes tbytes pbytes decbits decbytes deckbytes decmbytes decgbytes dectbytes decpbytes ' +
    'pps binBps Bps binbps bps KiBs Kibits KBs Kbits MiBs Mibits MBs Mbits GiBs Gibits GBs Gbits TiBs Tibits TBs Tbits ' +
    'PiBs Pibits PBs Pbits ' +
    'dateTimeAsIso dateTimeAsIsoNoDateIfToday dateTimeAsUS dateTimeAsUSNoDateIfToday dateTimeAsLocal ' +
    'dateTimeAsLocalNoDateIfToday dateTimeAsSystem dateTimeFromNow ' +
    'watt kwatt megwatt gwatt mwatt Wm2 voltamp kvoltamp voltampreact kvoltampreact watth watthperkg kwatth kwattm ' +
    'mwatth amph kamph mamph joule ev amp kamp mamp volt kvolt mvolt dBm mohm ohm kohm Mohm farad µfarad nfarad ' +
    'pfarad ffarad henry mhenry µhenry lumens ' +
    'flowgpm flowcms flowcfs flowcfm litreh flowlpm flowmlpm lux ' +
    'forceNm forcekNm forceN forcekN Hs KHs MHs GHs THs PHs EHs massmg massg masslb masskg masst ' +
    'lengthmm lengthin lengthft lengthm lengthkm lengthmi ' +
    'pressurembar pressurebar pressurekbar pressurepa pressurehpa pressurekpa pressurehg pressurepsi ' +
    'radbq radci radgy radrad radsv radmsv radusv radrem radexpckg radr radsvh radmsvh radusvh ' +
    'rotrpm rothz rotkhz rotmhz rotghz rotrads rotdegs celsius fahrenheit kelvin ' +
    'hertz ns µs ms s m h d dtdurationms dtdurations dthms dtdhms timeticks clockms clocks ' +
    'cps ops reqps rps wps iops eps mps recps rowsps cpm opm reqpm rpm wpm epm mpm recpm rowspm ' +
    'velocityms velocitykmh velocitymph velocityknot mlitre litre m3 Nm3 dm3 gallons ' +
    'bool bool_yes_no bool_on_off'
  ).split(' '),
);

/** Grafana's custom unit forms (`suffix:req`, `si:B`, …), which it formats itself. */
const CUSTOM_UNIT = /^(prefix|suffix|si|count|currency|time):/;

/** Grafana unit ids pass through; free text such as `samples/s` becomes Grafana's custom form `suffix:samples/s`. */
export function grafanaUnit(unit: string): string {
  if (GRAFANA_UNITS.has(unit) || CUSTOM_UNIT.test(unit)) return unit;
  return `suffix:${unit}`;
}

// ---------------------------------------------------------------------------------------------------------------------
// Finishing: what the SDK leaves undone, for declarative and SDK-built dashboards alike

interface FinishOptions {
  model: Model;
  ds: DataSourceRef;
  /** Lay every panel out again; otherwise only when the existing layout does not fit the grid. */
  reflow: boolean;
}


export function finishDashboard(json: Json, opts: FinishOptions): void {
  // Grafana keys dashboards by uid; an instance-local id would make the POST a 404 on any other instance.
  json.id = null;
  delete json.version;
  json.schemaVersion = SCHEMA_VERSION;
  json.tags = dashboardTags(opts.model, Array.isArray(json.tags) ? json.tags : []);
  if (json.editable === undefined) json.editable = true;
  if (json.timezone === undefined) json.timezone = 'browser';
  if (!isPlainObject(json.time)) json.time = { ...DEFAULT_TIME };

  if (!isPlainObject(json.annotations)) json.annotations = {};
  const annotations = json.annotations as Json;
  if (annotations.list === undefined) annotations.list = [];

  if (!isPlainObject(json.templating)) json.templating = {};
  const templating = json.templating as Json;
  if (templating.list === undefined) templating.list = [];
  if (Array.isArray(templating.list)) {
    for (const v of templating.list) {
      if (isPlainObject(v) && v.type === 'query' && v.datasource === undefined) v.datasource = { ...opts.ds };
    }
  }

  if (json.panels === undefined) json.panels = [];
  if (!Array.isArray(json.panels)) return; // dashboard/json reports it
  const panels = json.panels as unknown[];
  assignIds(panels);
  for (const p of allPanels(panels)) finishPanel(p, opts.ds);
  if (opts.reflow || !layoutFits(panels)) layout(panels);
}

/**
 * A dashboard carried as its own Grafana JSON keeps everything it has — schemaVersion, panel ids, layout, legacy rows,
 * the datasources it names — and gets only what Vigil adds to every dashboard: the definition's uid (and title, when
 * it gives one), the tags, id null, its datasource on panels that name none, and the ids and refIds Grafana would
 * otherwise assign itself. Export inputs (${DS_PROMETHEUS}) become Vigil's datasource.
 */
function finishCarried(json: Json, d: DashboardModel, opts: FinishOptions): void {
  resolveExportInputs(json);
  json.id = null;
  delete json.version;
  json.uid = d.uid;
  const title = (d.origin.def.value as { title?: unknown }).title;
  if (typeof title === 'string') json.title = title;
  json.tags = dashboardTags(opts.model, Array.isArray(json.tags) ? json.tags : []);
  if (!isPlainObject(json.time)) json.time = { ...DEFAULT_TIME };
  if (isPlainObject(json.templating) && Array.isArray(json.templating.list)) {
    for (const v of json.templating.list) {
      if (isPlainObject(v) && v.type === 'query' && v.datasource === undefined) v.datasource = { ...opts.ds };
    }
  }
  const rows = Array.isArray(json.rows) ? json.rows.filter(isPlainObject) : [];
  if (json.panels === undefined && rows.length === 0) json.panels = [];
  const panels = [...(Array.isArray(json.panels) ? allPanels(json.panels) : []), ...rows.flatMap((r) => (Array.isArray(r.panels) ? allPanels(r.panels) : []))];
  const taken = new Set<number>();
  const unnumbered = panels.filter((p) => {
    const keep = typeof p.id === 'number' && Number.isInteger(p.id) && p.id >= 1 && !taken.has(p.id);
    if (keep) taken.add(p.id as number);
    return !keep;
  });
  let next = 1;
  for (const p of unnumbered) {
    while (taken.has(next)) next++;
    p.id = next;
    taken.add(next);
  }
  for (const p of panels) finishCarriedPanel(p, opts.ds);
}

/** A panel naming no datasource gets Vigil's; its targets inherit the panel's as in Grafana, and get refIds. */
function finishCarriedPanel(p: Json, ds: DataSourceRef): void {
  const type = typeof p.type === 'string' ? p.type : '';
  if (NO_DATA_PANEL_TYPES.has(type)) return;
  if (p.datasource === undefined) p.datasource = { ...ds };
  const targets = Array.isArray(p.targets) ? p.targets.filter(isPlainObject) : [];
  const used = new Set(targets.map((t) => t.refId).filter((r): r is string => typeof r === 'string' && r !== ''));
  let next = 0;
  for (const t of targets) {
    if (typeof t.refId === 'string' && t.refId !== '') continue;
    while (used.has(refIdOf(next))) next++;
    const refId = refIdOf(next);
    t.refId = refId;
    used.add(refId);
  }
}

/** Row panels and the panels nested in collapsed rows, in layout order. */
function allPanels(panels: readonly unknown[]): Json[] {
  const out: Json[] = [];
  for (const p of panels) {
    if (!isPlainObject(p)) continue;
    out.push(p);
    if (Array.isArray(p.panels)) out.push(...allPanels(p.panels));
  }
  return out;
}

/** 1..n in layout order: a row, then the panels nested in it, then whatever follows. */
function assignIds(panels: readonly unknown[]): void {
  allPanels(panels).forEach((p, i) => {
    p.id = i + 1;
  });
}

function finishPanel(p: Json, ds: DataSourceRef): void {
  const type = typeof p.type === 'string' ? p.type : '';
  if (NO_DATA_PANEL_TYPES.has(type)) return;
  const targets = Array.isArray(p.targets) ? p.targets.filter(isPlainObject) : [];
  if (p.datasource === undefined || p.datasource === null) {
    const uids = new Set(targets.map((t) => (isPlainObject(t.datasource) ? String(t.datasource.uid) : ds.uid)));
    if (uids.size > 1) p.datasource = { type: 'datasource', uid: '-- Mixed --' };
    else {
      const own = targets.find((t) => isPlainObject(t.datasource))?.datasource;
      p.datasource = own !== undefined ? { ...(own as Json) } : { ...ds };
    }
  }
  const panelDs = isPlainObject(p.datasource) && p.datasource.uid !== '-- Mixed --' ? p.datasource : ds;
  const used = new Set(targets.map((t) => t.refId).filter((r): r is string => typeof r === 'string' && r !== ''));
  let next = 0;
  for (const t of targets) {
    if (t.datasource === undefined || t.datasource === null) t.datasource = { ...panelDs };
    if (typeof t.refId !== 'string' || t.refId === '') {
      while (used.has(refIdOf(next))) next++;
      const refId = refIdOf(next);
      t.refId = refId;
      used.add(refId);
    }
  }
}

interface Size {
  w: number;
  h: number;
}

function sizeOf(p: Json): Size {
  const g = isPlainObject(p.gridPos) ? p.gridPos : {};
  const int = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : fallback);
  return { w: int(g.w, 12), h: int(g.h, 9) };
}

/** Whether every panel has an integer position inside the 24 columns, so an SDK author's own layout can stay. */
function layoutFits(panels: readonly unknown[]): boolean {
  return allPanels(panels).every((p) => {
    const g = p.gridPos;
    if (!isPlainObject(g)) return false;
    const { x, y, w, h } = g;
    const ints = [x, y, w, h].every((v) => typeof v === 'number' && Number.isInteger(v));
    return ints && (x as number) >= 0 && (y as number) >= 0 && (w as number) >= 1 && (h as number) >= 1 && (x as number) + (w as number) <= GRID_COLUMNS;
  });
}

/**
 * Panels flow left to right in 24 columns and wrap when the next one does not fit; a line is as tall as its tallest
 * panel. A row takes a full-width 1-high slot; panels of a collapsed row are laid out below it as if it were open, and
 * what follows starts right under the row. Widths and heights are kept (a width over 24 is left for dashboard/json).
 */
function layout(panels: readonly unknown[]): void {
  let lineY = 0;
  let lineH = 0;
  let x = 0;
  const place = (p: Json) => {
    const { w, h } = sizeOf(p);
    if (x > 0 && x + w > GRID_COLUMNS) {
      lineY += lineH;
      lineH = 0;
      x = 0;
    }
    p.gridPos = { ...(isPlainObject(p.gridPos) ? p.gridPos : {}), x, y: lineY, w, h };
    x += w;
    lineH = Math.max(lineH, h);
  };
  for (const p of panels) {
    if (!isPlainObject(p)) continue;
    if (p.type !== 'row') {
      place(p);
      continue;
    }
    const rowY = lineY + lineH;
    p.gridPos = { x: 0, y: rowY, w: GRID_COLUMNS, h: 1 };
    lineY = rowY + 1;
    lineH = 0;
    x = 0;
    if (p.collapsed === true && Array.isArray(p.panels)) {
      for (const child of p.panels) if (isPlainObject(child)) place(child);
      lineY = rowY + 1;
      lineH = 0;
      x = 0;
    }
  }
}

/** The file a dashboard is written to; checks use it to find names that collide on the file system. */
export function dashboardFileName(uid: string): string {
  return `${uid}.json`;
}
