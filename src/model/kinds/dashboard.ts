import type { Diagnostic } from '../../diagnostics.ts';
import type { Definition, Path } from '../../load/definition.ts';
import { SDK_DASHBOARD_KEY } from '../../spec/sdk.ts';
import type { DashboardSpec, JsonPanel, PanelItem } from '../../spec/types.gen.ts';
import { isPlainObject } from '../../util/lookup.ts';
import type { DashboardModel, ExpressionModel } from '../types.ts';
import { keySpanOf, spanOf } from '../types.ts';
import { at, type KindMapper } from './mapper.ts';

/** A YAML Dashboard carries Grafana's own JSON (embedded, or read from the file it names) under this key. */
export const JSON_DASHBOARD_KEY = 'json';

/** Fields of a declarative dashboard that a JSON dashboard has in its JSON instead. */
const DECLARATIVE_ONLY = ['panels', 'rows', 'variables', 'time', 'refresh', 'description'] as const;

/** Whether a definition's value is a Dashboard built from Vigil's declarative fields (with the Foundation SDK, when emitted). */
export function isDeclarativeDashboard(value: unknown): boolean {
  return isPlainObject(value) && value.kind === 'Dashboard' && !(SDK_DASHBOARD_KEY in value) && !(JSON_DASHBOARD_KEY in value);
}

export const mapDashboard: KindMapper = (def, { model, diagnostics }) => {
  const value = def.value as Record<string, unknown>;
  const dashboard = SDK_DASHBOARD_KEY in value ? sdkDashboard(def, value) : JSON_DASHBOARD_KEY in value ? jsonDashboard(def, value, diagnostics) : declarativeDashboard(def, value, diagnostics);
  if (!dashboard) return;
  model.dashboards.push(dashboard);
  model.expressions.push(...dashboardExpressions(dashboard));
};

function schemaProblem(message: string, span: Diagnostic['span'], hint: string): Diagnostic {
  return { code: 'schema', severity: 'error', message, span, hint };
}

function sdkDashboard(def: Definition, value: Record<string, unknown>): DashboardModel {
  // The key a TypeScript definition hands its DashboardBuilder's JSON under; YAML may use it too. Either way the JSON
  // was checked against the SDK's shape (spec/validate.ts) and is validated strictly by dashboard/json, as Vigil's own.
  const built = value[SDK_DASHBOARD_KEY] as Record<string, unknown>;
  return { uid: String(built.uid ?? ''), title: String(built.title ?? ''), built, origin: at(def) };
}

function jsonDashboard(def: Definition, value: Record<string, unknown>, diagnostics: Diagnostic[]): DashboardModel | undefined {
  const spec = value as unknown as DashboardSpec;
  const extra = DECLARATIVE_ONLY.filter((k) => k in value);
  for (const k of extra) {
    diagnostics.push(schemaProblem(`"${k}" and "${JSON_DASHBOARD_KEY}" cannot be used together: a JSON dashboard has its ${k} in its JSON`, keySpanOf(at(def), k), `remove "${k}" here, or edit it in the dashboard JSON`));
  }
  const json = value[JSON_DASHBOARD_KEY];
  if (!isPlainObject(json)) {
    // The loader replaces a file name by the file's JSON; one left here was given without its directory (tests, editors).
    diagnostics.push(schemaProblem(`${JSON_DASHBOARD_KEY}: the file ${JSON.stringify(json)} was not read`, spanOf(at(def), JSON_DASHBOARD_KEY), 'load the definitions from their directory (vigil build DIR), or embed the JSON'));
    return undefined;
  }
  if (extra.length > 0) return undefined;
  return { uid: spec.uid, title: spec.title ?? (typeof json.title === 'string' ? json.title : ''), built: json, origin: at(def) };
}

function declarativeDashboard(def: Definition, value: Record<string, unknown>, diagnostics: Diagnostic[]): DashboardModel | undefined {
  const spec = value as unknown as DashboardSpec;
  if (spec.title === undefined) {
    diagnostics.push(schemaProblem('missing required field "title"', spanOf(at(def), 'kind'), `add "title", or give the dashboard as Grafana JSON under "${JSON_DASHBOARD_KEY}:"`));
    return undefined;
  }
  return { uid: spec.uid, title: spec.title, spec, origin: at(def) };
}

/** A panel of a declarative dashboard given as Grafana's own panel JSON. */
export function isJsonPanel(p: PanelItem): p is JsonPanel {
  return 'json' in p;
}

/** Whether a dashboard is carried as the JSON a YAML definition gave (rather than built by Vigil or the SDK). */
export function isCarriedJson(d: DashboardModel): boolean {
  return d.built !== undefined && d.origin.def.origin === 'yaml' && JSON_DASHBOARD_KEY in (d.origin.def.value as object);
}

/** Where a built or carried dashboard's JSON sits in its definition. */
export function builtJsonPath(d: DashboardModel): Path {
  return [isCarriedJson(d) ? JSON_DASHBOARD_KEY : SDK_DASHBOARD_KEY];
}

/** Every PromQL query of a dashboard: panel targets of declarative, SDK and JSON dashboards alike. */
export function dashboardExpressions(d: DashboardModel): ExpressionModel[] {
  const out: ExpressionModel[] = [];
  if (d.spec) {
    // A panel given as Grafana JSON has its queries where Grafana keeps them; a datasource variable it names is
    // declared in the dashboard's own Grafana JSON.
    const templating = isPlainObject(d.spec.grafana) ? { templating: (d.spec.grafana as Record<string, unknown>).templating } : {};
    const visit = (panels: DashboardSpec['panels'], base: Path) =>
      (panels ?? []).forEach((panel, i) => {
        if (isJsonPanel(panel)) {
          for (const q of promqlTargetsOf({ ...templating, panels: [panel.json] })) {
            out.push({ text: q.expr, grafana: true, owner: `dashboard ${d.uid}, panel "${q.panelTitle}"`, origin: { def: d.origin.def, path: [...base, i, 'json', ...q.path.slice(2)] }, exact: false });
          }
          return;
        }
        panel.queries.forEach((q, j) =>
          out.push({ text: q.expr, grafana: true, owner: `dashboard ${d.uid}, panel "${panel.title}"`, origin: { def: d.origin.def, path: [...base, i, 'queries', j, 'expr'] }, exact: true }),
        );
      });
    visit(d.spec.panels, ['panels']);
    (d.spec.rows ?? []).forEach((row, r) => visit(row.panels, ['rows', r, 'panels']));
  } else if (d.built) {
    const base = builtJsonPath(d);
    for (const q of promqlTargetsOf(d.built)) {
      out.push({ text: q.expr, grafana: true, owner: `dashboard ${d.uid}, panel "${q.panelTitle}"`, origin: { def: d.origin.def, path: [...base, ...q.path] }, exact: false });
    }
  }
  return out;
}

/** The PromQL queries of a dashboard's JSON, with where each is (Loki, Elasticsearch and other datasources' are not PromQL). */
export function promqlTargetsOf(json: Record<string, unknown>): { expr: string; panelTitle: string; path: Path }[] {
  const out: { expr: string; panelTitle: string; path: Path }[] = [];
  const pluginOf = datasourcePlugins(json);
  const visit = (list: unknown, path: Path, panelDatasource: string | undefined) => {
    if (!Array.isArray(list)) return;
    list.forEach((panel: unknown, i) => {
      if (!isPlainObject(panel)) return;
      const own = datasourceType(panel.datasource, pluginOf) ?? panelDatasource;
      (Array.isArray(panel.targets) ? panel.targets : []).forEach((t: unknown, j) => {
        if (!isPlainObject(t) || typeof t.expr !== 'string') return;
        const type = datasourceType(t.datasource, pluginOf) ?? own;
        if (type !== undefined && type !== 'prometheus') return;
        out.push({ expr: t.expr, panelTitle: String(panel.title ?? ''), path: [...path, i, 'targets', j, 'expr'] });
      });
      visit(panel.panels, [...path, i, 'panels'], own);
    });
  };
  visit(json.panels, ['panels'], undefined);
  // Legacy rows (before schemaVersion 16), as carried JSON may still have them.
  if (Array.isArray(json.rows)) json.rows.forEach((row: unknown, r) => isPlainObject(row) && visit(row.panels, ['rows', r, 'panels'], undefined));
  return out;
}

/** The plugin of each datasource template variable (`$loki` → loki), by the names panels refer to it with. */
function datasourcePlugins(json: Record<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  const list = isPlainObject(json.templating) && Array.isArray(json.templating.list) ? json.templating.list : [];
  for (const v of list) {
    if (!isPlainObject(v) || v.type !== 'datasource' || typeof v.name !== 'string' || typeof v.query !== 'string') continue;
    for (const ref of [`$${v.name}`, `\${${v.name}}`, `[[${v.name}]]`]) out.set(ref, v.query);
  }
  return out;
}

/** A datasource's plugin type where the reference tells it (its type, or a datasource variable's plugin). */
function datasourceType(ref: unknown, pluginOf: ReadonlyMap<string, string>): string | undefined {
  if (typeof ref === 'string') return pluginOf.get(ref);
  if (!isPlainObject(ref)) return undefined;
  if (typeof ref.type === 'string' && ref.type !== 'datasource') return ref.type;
  return typeof ref.uid === 'string' ? pluginOf.get(ref.uid) : undefined;
}
