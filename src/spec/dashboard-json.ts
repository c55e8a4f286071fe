/**
 * Strict structural validation of a finished Grafana dashboard (the JSON Vigil posts to Grafana 10/11).
 *
 * Grafana stores whatever JSON it is given and only fails when someone opens the dashboard, so Vigil rejects a
 * malformed one before deploying it. A JSON Schema (compiled once with ajv) says what each field must look like; code
 * below it checks what a schema cannot: unique panel ids and refIds, the 24-column grid, rows, threshold order,
 * Prometheus queries and variable names.
 *
 * Unknown fields are allowed, as Grafana allows them (the Foundation SDK writes many); known fields are typed.
 */
import { pointerToPath } from '../util/json-pointer.ts';
import type { ErrorObject, ValidateFunction } from 'ajv';
import precompiled from './validators.gen.cjs';
import { isPlainObject } from '../util/lookup.ts';

export interface DashboardProblem {
  /** Where in the dashboard JSON, e.g. `panels[3].gridPos.w`; `(dashboard)` for the whole document. */
  path: string;
  message: string;
}

export const GRID_COLUMNS = 24;

/** Panel types of Grafana 10/11 core. Plugin panels (ids ending in `-panel`) are accepted as well. */
export const KNOWN_PANEL_TYPES: ReadonlySet<string> = new Set([
  'alertlist',
  'annolist',
  'barchart',
  'bargauge',
  'candlestick',
  'canvas',
  'dashlist',
  'datagrid',
  'flamegraph',
  'gauge',
  'geomap',
  'gettingstarted',
  'heatmap',
  'histogram',
  'live',
  'logs',
  'news',
  'nodeGraph',
  'piechart',
  'row',
  'stat',
  'state-timeline',
  'status-history',
  'table',
  'text',
  'timeseries',
  'traces',
  'trend',
  'welcome',
  'xychart',
]);

/** AngularJS panels: removed from Grafana 11 and migrated on load at best; a generated dashboard must not use them. */
const ANGULAR_PANEL_TYPES: Readonly<Record<string, string>> = {
  graph: 'timeseries',
  singlestat: 'stat',
  'table-old': 'table',
  'grafana-piechart-panel': 'piechart',
  'grafana-worldmap-panel': 'geomap',
};

const PLUGIN_PANEL_TYPE = /^[a-z0-9]+(?:-[a-z0-9]+)*-panel$/;

export const VARIABLE_TYPES = ['query', 'adhoc', 'constant', 'datasource', 'interval', 'textbox', 'custom', 'groupby', 'switch'] as const;

const nonEmptyString = { type: 'string', minLength: 1 } as const;

/** The shape of a Grafana 10/11 dashboard, as far as Vigil relies on it. `x-message` replaces ajv's wording. */
export const DASHBOARD_JSON_SCHEMA = {
  $id: 'https://vigil.dev/schemas/grafana-dashboard.json',
  type: 'object',
  required: ['uid', 'title', 'schemaVersion', 'time', 'panels'],
  properties: {
    id: { type: 'null', 'x-message': 'must be null: an instance-local id makes Grafana answer 404 on any other instance; the uid identifies the dashboard' },
    uid: { type: 'string', pattern: '^[a-zA-Z0-9_-]{1,40}$', 'x-message': 'must be 1-40 characters of a-z, A-Z, 0-9, _ and -' },
    title: { type: 'string', pattern: '\\S', 'x-message': 'must be a non-blank string (Grafana rejects an empty title)' },
    description: { type: 'string' },
    tags: { type: 'array', items: nonEmptyString, uniqueItems: true },
    schemaVersion: { type: 'integer', minimum: 0 },
    version: { type: 'integer', minimum: 0 },
    editable: { type: 'boolean' },
    graphTooltip: { enum: [0, 1, 2] },
    timezone: { type: 'string' },
    weekStart: { type: 'string' },
    fiscalYearStartMonth: { type: 'integer', minimum: 0, maximum: 11 },
    liveNow: { type: 'boolean' },
    refresh: {
      type: ['string', 'boolean'],
      pattern: '^(?:$|auto|\\d+(?:ms|s|m|h|d|w|M|y))$',
      'x-message': 'must be an interval such as 30s, 1m or 1h, auto, or empty/false for no auto-refresh',
    },
    time: {
      type: 'object',
      required: ['from', 'to'],
      properties: { from: nonEmptyString, to: nonEmptyString },
    },
    timepicker: { type: 'object', properties: { hidden: { type: 'boolean' }, refresh_intervals: { type: 'array', items: { type: 'string' } } } },
    links: { type: 'array', items: { type: 'object' } },
    annotations: {
      type: 'object',
      properties: {
        list: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name'],
            properties: { name: { type: 'string' }, enable: { type: 'boolean' }, hide: { type: 'boolean' }, iconColor: { type: 'string' }, datasource: { $ref: '#/definitions/datasourceRef' } },
          },
        },
      },
    },
    templating: {
      type: 'object',
      properties: { list: { type: 'array', items: { $ref: '#/definitions/variable' } } },
    },
    panels: { type: 'array', items: { $ref: '#/definitions/panel' } },
  },
  definitions: {
    datasourceRef: {
      type: 'object',
      required: ['uid'],
      properties: { uid: nonEmptyString, type: nonEmptyString },
      'x-message': 'must be a datasource reference {type, uid}',
    },
    gridPos: {
      type: 'object',
      required: ['x', 'y', 'w', 'h'],
      properties: {
        x: { type: 'integer', minimum: 0, maximum: GRID_COLUMNS - 1 },
        y: { type: 'integer', minimum: 0 },
        w: { type: 'integer', minimum: 1, maximum: GRID_COLUMNS },
        h: { type: 'integer', minimum: 1 },
        static: { type: 'boolean' },
      },
    },
    // Grafana fills a missing mode (absolute) and steps when it loads a dashboard: neither is required.
    thresholds: {
      type: 'object',
      properties: {
        mode: { enum: ['absolute', 'percentage'] },
        steps: {
          type: 'array',
          items: {
            type: 'object',
            required: ['color'],
            properties: { value: { type: ['number', 'null'] }, color: nonEmptyString },
          },
        },
      },
    },
    // Grafana fills missing defaults and overrides when it loads a dashboard: neither is required.
    fieldConfig: {
      type: 'object',
      properties: {
        defaults: {
          type: 'object',
          properties: {
            unit: { type: 'string' },
            decimals: { type: ['integer', 'null'], minimum: 0, maximum: 20 },
            min: { type: ['number', 'null'] },
            max: { type: ['number', 'null'] },
            displayName: { type: 'string' },
            noValue: { type: 'string' },
            thresholds: { $ref: '#/definitions/thresholds' },
            color: { type: 'object', required: ['mode'], properties: { mode: nonEmptyString } },
            mappings: { type: 'array', items: { type: 'object', required: ['type'], properties: { type: { enum: ['value', 'range', 'regex', 'special'] } } } },
            links: { type: 'array', items: { type: 'object' } },
            custom: { type: 'object' },
          },
        },
        overrides: {
          type: 'array',
          items: {
            type: 'object',
            required: ['matcher', 'properties'],
            properties: {
              matcher: { type: 'object', required: ['id'], properties: { id: nonEmptyString } },
              properties: { type: 'array', items: { type: 'object', required: ['id'], properties: { id: nonEmptyString } } },
            },
          },
        },
      },
    },
    target: {
      type: 'object',
      required: ['refId', 'datasource'],
      properties: {
        refId: nonEmptyString,
        datasource: { $ref: '#/definitions/datasourceRef' },
        expr: { type: 'string' },
        legendFormat: { type: 'string' },
        instant: { type: 'boolean' },
        range: { type: 'boolean' },
        exemplar: { type: 'boolean' },
        hide: { type: 'boolean' },
        interval: { type: 'string' },
        intervalFactor: { type: 'integer', minimum: 1 },
        format: { enum: ['time_series', 'table', 'heatmap'] },
      },
    },
    panel: {
      type: 'object',
      required: ['id', 'type', 'gridPos'],
      properties: {
        id: { type: 'integer', minimum: 1 },
        type: nonEmptyString,
        title: { type: 'string' },
        description: { type: 'string' },
        gridPos: { $ref: '#/definitions/gridPos' },
        datasource: { $ref: '#/definitions/datasourceRef' },
        targets: { type: 'array', items: { $ref: '#/definitions/target' } },
        fieldConfig: { $ref: '#/definitions/fieldConfig' },
        options: { type: 'object' },
        transparent: { type: 'boolean' },
        collapsed: { type: 'boolean' },
        panels: { type: 'array', items: { $ref: '#/definitions/panel' } },
        repeat: { type: 'string' },
        repeatDirection: { enum: ['h', 'v'] },
        maxPerRow: { type: 'integer', minimum: 1 },
        maxDataPoints: { type: 'integer', minimum: 1 },
        interval: { type: 'string' },
        timeFrom: { type: 'string' },
        timeShift: { type: 'string' },
        hideTimeOverride: { type: 'boolean' },
        links: { type: 'array', items: { type: 'object' } },
        transformations: { type: 'array', items: { type: 'object', required: ['id'], properties: { id: nonEmptyString, disabled: { type: 'boolean' }, options: { type: 'object' } } } },
        libraryPanel: { type: 'object', required: ['uid', 'name'], properties: { uid: nonEmptyString, name: { type: 'string' } } },
      },
    },
    variable: {
      type: 'object',
      required: ['name', 'type'],
      properties: {
        name: { type: 'string', pattern: '^(?!__)[A-Za-z0-9_]+$', 'x-message': 'must be letters, digits and _ only, not starting with __ (reserved for Grafana)' },
        type: { enum: [...VARIABLE_TYPES] },
        label: { type: ['string', 'null'] },
        description: { type: ['string', 'null'] },
        hide: { enum: [0, 1, 2] },
        multi: { type: 'boolean' },
        includeAll: { type: 'boolean' },
        allValue: { type: ['string', 'null'] },
        datasource: { $ref: '#/definitions/datasourceRef' },
        refresh: { enum: [0, 1, 2] },
        sort: { type: 'integer', minimum: 0, maximum: 8 },
        query: { type: ['string', 'object'] },
        definition: { type: 'string' },
        regex: { type: 'string' },
        current: { type: 'object' },
        options: { type: 'array', items: { type: 'object' } },
        skipUrlSync: { type: 'boolean' },
      },
    },
  },
} as const;

/** Precompiled from DASHBOARD_JSON_SCHEMA by `npm run gen:types` (src/spec/gen-validators.ts). */
function validator(): ValidateFunction {
  return precompiled.GrafanaDashboard!;
}

type Json = Record<string, unknown>;
type Seg = string | number;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

export function formatJsonPath(path: readonly Seg[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out || '(dashboard)';
}

export interface ValidateOptions {
  /**
   * A dashboard carried as its own Grafana JSON (`json:` of a Dashboard definition) keeps its schemaVersion, so it is
   * checked as Grafana loads it: legacy `rows` laid out on the grid, datasource names as references (schemaVersion
   * before 33), and AngularJS panels accepted (Grafana 11 migrates graph, singlestat and table-old panels on load).
   */
  carried?: boolean;
}

/** Every problem of the dashboard JSON, in document order; empty when Grafana 10/11 can use it as it is. */
export function validateDashboardJson(json: unknown, options: ValidateOptions = {}): DashboardProblem[] {
  const problems: { path: Seg[]; message: string }[] = [];
  const loaded = options.carried && isPlainObject(json) ? asGrafanaLoadsIt(json) : { json, originalPath: (p: Seg[]) => p };
  const report = (path: Seg[], message: string) => problems.push({ path: loaded.originalPath(path), message });
  const validate = validator();
  if (!validate(loaded.json)) for (const e of validate.errors ?? []) report(...describe(e));
  if (isPlainObject(loaded.json)) crossFieldRules(loaded.json, report, options.carried === true);
  if (options.carried && isPlainObject(json)) legacyRowRules(json, report);
  // Document order, so the first problem named is the first one a reader meets; the same problem once.
  const seen = new Set<string>();
  return problems
    .map((p, i) => ({ ...p, i }))
    .sort((a, b) => comparePaths(a.path, b.path) || a.i - b.i)
    .map((p) => ({ path: formatJsonPath(p.path), message: p.message }))
    .filter((p) => {
      const key = `${p.path}\u0000${p.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/** Grafana reads `rows` only when migrating a dashboard older than schemaVersion 16; later, they are silently dropped. */
function legacyRowRules(d: Json, report: Report): void {
  const version = typeof d.schemaVersion === 'number' ? d.schemaVersion : 0;
  if (Array.isArray(d.rows) && d.rows.length > 0 && version >= LEGACY_ROWS_BEFORE) {
    report(['rows'], `Grafana ignores legacy rows from schemaVersion ${LEGACY_ROWS_BEFORE} on (this dashboard has ${version}): move their panels into panels, or set the schemaVersion the rows were written for`);
  }
}

/** Grafana lays legacy rows out on the grid when loading a dashboard older than this schemaVersion. */
export const LEGACY_ROWS_BEFORE = 16;
/** Grafana turns datasource names into references when loading a dashboard older than this schemaVersion. */
const DATASOURCE_NAMES_BEFORE = 33;
/** Grafana's legacy span (12 columns) and row height (pixels), and its grid cell height with margin. */
const LEGACY_SPAN = 4;
const LEGACY_ROW_HEIGHT = 250;
const GRID_CELL_PIXELS = 38;

/**
 * The dashboard as Grafana holds it after its load-time migrations (a copy), and the way from a path in it back to the
 * path in the JSON as written: problems are reported where the author wrote the value.
 */
function asGrafanaLoadsIt(original: Json): { json: Json; originalPath: (path: Seg[]) => Seg[] } {
  const json = structuredClone(original);
  const version = typeof json.schemaVersion === 'number' ? json.schemaVersion : 0;
  const converted: { original: Seg[]; children: Seg[][] }[] = [];
  const before = Array.isArray(json.panels) ? json.panels.length : 0;
  if (version < LEGACY_ROWS_BEFORE && Array.isArray(json.rows)) {
    json.panels = [...(Array.isArray(json.panels) ? json.panels : []), ...legacyRowsOnGrid(json.rows, converted)];
    delete json.rows;
  }
  // Grafana resolves a datasource named by a string at any schemaVersion (and migrates the names before 33).
  datasourceNamesAsReferences(json);
  targetsInheritTheirPanelsDatasource(json.panels);
  panelsAsGrafanaLoadsThem(json.panels);
  // A variable without a name loads (nothing can refer to it); only a name that is there must be well-formed.
  if (isPlainObject(json.templating) && Array.isArray(json.templating.list)) {
    json.templating.list.forEach((v, i) => isPlainObject(v) && v.name === '' && (v.name = `unnamed_${i}`));
  }
  const originalPath = (path: Seg[]): Seg[] => {
    if (path[0] !== 'panels' || typeof path[1] !== 'number' || path[1] < before) return path;
    const entry = converted[path[1] - before];
    if (!entry) return path;
    if (path[2] === 'panels' && typeof path[3] === 'number' && entry.children[path[3]]) return [...entry.children[path[3]]!, ...path.slice(4)];
    return [...entry.original, ...path.slice(2)];
  };
  return { json, originalPath };
}

/** Grafana's upgradeToGridLayout: a row panel per row (when there are several, or one shows its title), spans doubled. */
function legacyRowsOnGrid(rows: unknown[], converted: { original: Seg[]; children: Seg[][] }[]): Json[] {
  const out: Json[] = [];
  const showRows = rows.length > 1 || rows.some((r) => isPlainObject(r) && r.showTitle === true);
  let y = 0;
  rows.forEach((row, r) => {
    if (!isPlainObject(row)) return;
    const px = typeof row.height === 'number' ? row.height : typeof row.height === 'string' ? Number.parseInt(row.height, 10) : LEGACY_ROW_HEIGHT;
    const h = Math.max(1, Math.ceil((Number.isFinite(px) ? px : LEGACY_ROW_HEIGHT) / GRID_CELL_PIXELS));
    const collapsed = row.collapse === true;
    let rowPanel: Json | undefined;
    let rowEntry: { original: Seg[]; children: Seg[][] } | undefined;
    if (showRows) {
      rowPanel = { type: 'row', title: typeof row.title === 'string' ? row.title : '', collapsed, panels: [], gridPos: { x: 0, y, w: GRID_COLUMNS, h: 1 } };
      rowEntry = { original: ['rows', r], children: [] };
      out.push(rowPanel);
      converted.push(rowEntry);
      y += 1;
    }
    let x = 0;
    let lineH = 0;
    (Array.isArray(row.panels) ? row.panels : []).forEach((p, i) => {
      if (!isPlainObject(p)) return;
      const w = Math.floor((typeof p.span === 'number' && p.span > 0 ? p.span : LEGACY_SPAN) * 2);
      if (x > 0 && x + w > GRID_COLUMNS) {
        y += lineH;
        x = 0;
        lineH = 0;
      }
      const panel: Json = { ...p, gridPos: { x, y, w, h } };
      delete panel.span;
      x += w;
      lineH = Math.max(lineH, h);
      const at: Seg[] = ['rows', r, 'panels', i];
      if (collapsed && rowPanel && rowEntry) {
        (rowPanel.panels as Json[]).push(panel);
        rowEntry.children.push(at);
      } else {
        out.push(panel);
        converted.push({ original: at, children: [] });
      }
    });
    y += lineH;
  });
  return out;
}

/**
 * What Grafana's PanelModel does to a panel it loads: null fields are unset, a missing grid position is its default
 * ({x 0, y 0, w 6, h 3}, x and y 0 when only they are missing), a missing id is assigned, and a row's queries are ignored.
 */
function panelsAsGrafanaLoadsThem(panels: unknown): void {
  if (!Array.isArray(panels)) return;
  const all: Json[] = [];
  const collect = (list: unknown) => Array.isArray(list) && list.filter(isPlainObject).forEach((p) => (all.push(p), collect(p.panels)));
  collect(panels);
  const ids = new Set(all.map((p) => p.id).filter(isInt));
  let next = 1;
  for (const p of all) {
    for (const key of Object.keys(p)) if (p[key] === null && key !== 'datasource' && key !== 'id') delete p[key];
    if (p.id === undefined || p.id === null) {
      while (ids.has(next)) next++;
      p.id = next;
      ids.add(next);
    }
    if (p.gridPos === undefined) p.gridPos = { x: 0, y: 0, w: 6, h: 3 };
    else if (isPlainObject(p.gridPos)) p.gridPos = { x: 0, y: 0, ...p.gridPos };
    if (p.type === 'row') delete p.targets;
  }
}

/** Grafana's default datasource, which a panel naming none (or null) queries. */
const DEFAULT_DATASOURCE = { uid: 'default' };

/** A query naming no datasource runs on its panel's, or on the default datasource. */
function targetsInheritTheirPanelsDatasource(panels: unknown): void {
  if (!Array.isArray(panels)) return;
  for (const p of panels) {
    if (!isPlainObject(p)) continue;
    if (Array.isArray(p.targets)) {
      for (const t of p.targets) if (isPlainObject(t) && t.datasource === undefined) t.datasource = p.datasource ?? DEFAULT_DATASOURCE;
    }
    targetsInheritTheirPanelsDatasource(p.panels);
  }
}

/** Before schemaVersion 33 a datasource was named by a string (or null for the default); Grafana turns it into a reference. */
function datasourceNamesAsReferences(d: Json): void {
  const fix = (holder: Json) => {
    if (holder.datasource === null) delete holder.datasource;
    else if (typeof holder.datasource === 'string') holder.datasource = { uid: holder.datasource };
  };
  const visit = (panels: unknown) => {
    if (!Array.isArray(panels)) return;
    for (const p of panels) {
      if (!isPlainObject(p)) continue;
      fix(p);
      if (Array.isArray(p.targets)) p.targets.filter(isPlainObject).forEach(fix);
      visit(p.panels);
    }
  };
  visit(d.panels);
  for (const list of [isPlainObject(d.templating) ? d.templating.list : undefined, isPlainObject(d.annotations) ? d.annotations.list : undefined]) {
    if (Array.isArray(list)) list.filter(isPlainObject).forEach(fix);
  }
}

function comparePaths(a: readonly Seg[], b: readonly Seg[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return a.length - b.length;
}

function shown(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function describe(e: ErrorObject): [Seg[], string] {
  const path = pointerToPath(e.instancePath);
  const custom = (e.parentSchema as Json | undefined)?.['x-message'];
  const got = e.data === undefined || isPlainObject(e.data) || Array.isArray(e.data) ? '' : ` (got ${shown(e.data)})`;
  switch (e.keyword) {
    case 'required':
      return [[...path, (e.params as { missingProperty: string }).missingProperty], 'is required'];
    case 'enum':
      return [path, `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map(shown).join(', ')}${got}`];
    case 'type':
    case 'pattern':
    case 'minLength':
      if (typeof custom === 'string') return [path, `${custom}${got}`];
      return [path, `${e.message ?? 'is invalid'}${got}`];
    default:
      return [path, `${e.message ?? 'is invalid'}${got}`];
  }
}

type Report = (path: Seg[], message: string) => void;

function crossFieldRules(d: Json, report: Report, carried: boolean): void {
  // Template variables: unique names, and a query for the kinds that need one.
  const list = isPlainObject(d.templating) && Array.isArray(d.templating.list) ? d.templating.list : [];
  const names = new Map<string, number>();
  list.forEach((v, i) => {
    if (!isPlainObject(v)) return;
    const at: Seg[] = ['templating', 'list', i];
    if (typeof v.name === 'string') {
      const first = names.get(v.name);
      if (first !== undefined) report([...at, 'name'], `duplicate variable name "${v.name}" (also templating.list[${first}])`);
      else names.set(v.name, i);
    }
    if ((v.type === 'query' || v.type === 'custom' || v.type === 'interval') && !hasQuery(v.query)) {
      report([...at, 'query'], `a ${v.type} variable needs a non-empty query`);
    }
  });

  if (!Array.isArray(d.panels)) return;
  const ids = new Map<number, Seg[]>();
  const visit = (panels: unknown[], base: Seg[], parentRow: Json | undefined) => {
    panels.forEach((p, i) => {
      if (!isPlainObject(p)) return;
      const at: Seg[] = [...base, i];
      if (isInt(p.id)) {
        const first = ids.get(p.id);
        if (first) report([...at, 'id'], `duplicate panel id ${p.id} (also ${formatJsonPath(first)})`);
        else ids.set(p.id, [...at, 'id']);
      }
      panelRules(p, at, parentRow, report, carried);
      if (Array.isArray(p.panels)) visit(p.panels, [...at, 'panels'], p.type === 'row' ? p : undefined);
    });
  };
  visit(d.panels, ['panels'], undefined);
}

function hasQuery(q: unknown): boolean {
  if (typeof q === 'string') return q.trim() !== '';
  if (isPlainObject(q)) return typeof q.query !== 'string' || q.query.trim() !== '';
  return false;
}

function panelRules(p: Json, at: Seg[], parentRow: Json | undefined, report: Report, carried: boolean): void {
  const type = p.type;
  if (typeof type === 'string' && type !== '') {
    if (Object.hasOwn(ANGULAR_PANEL_TYPES, type)) {
      if (!carried) report([...at, 'type'], `"${type}" is a deprecated AngularJS panel that Grafana 11 no longer runs; use "${ANGULAR_PANEL_TYPES[type]}"`);
    } else if (!KNOWN_PANEL_TYPES.has(type) && !PLUGIN_PANEL_TYPE.test(type)) {
      report([...at, 'type'], `unknown panel type "${type}"; known: ${[...KNOWN_PANEL_TYPES].sort().join(', ')} (or a plugin id ending in -panel)`);
    }
  }

  const g = isPlainObject(p.gridPos) ? p.gridPos : undefined;
  if (g && isInt(g.x) && isInt(g.w) && g.x >= 0 && g.w >= 1 && g.x + g.w > GRID_COLUMNS) {
    report([...at, 'gridPos'], `x + w = ${g.x} + ${g.w} = ${g.x + g.w} runs past the ${GRID_COLUMNS}-column grid`);
  }

  if (type === 'row') {
    if (parentRow) report([...at, 'type'], 'rows cannot be nested in rows');
    if (g && (g.x !== 0 || g.w !== GRID_COLUMNS || g.h !== 1)) report([...at, 'gridPos'], `a row spans the grid: gridPos must have x 0, w ${GRID_COLUMNS} and h 1`);
    if (p.collapsed !== true && Array.isArray(p.panels) && p.panels.length > 0) {
      report([...at, 'panels'], 'an expanded row must not nest panels (Grafana drops them): put them after the row, or set collapsed: true');
    }
    if (!carried && Array.isArray(p.targets) && p.targets.length > 0) report([...at, 'targets'], 'a row has no queries');
  } else if (Array.isArray(p.panels) && p.panels.length > 0) {
    report([...at, 'panels'], 'only a row can hold panels');
  }

  // Targets: unique refIds; Prometheus queries need an expression.
  const panelDsType = isPlainObject(p.datasource) ? p.datasource.type : undefined;
  if (Array.isArray(p.targets)) {
    const refIds = new Map<string, number>();
    p.targets.forEach((t, j) => {
      if (!isPlainObject(t)) return;
      const tat: Seg[] = [...at, 'targets', j];
      if (typeof t.refId === 'string' && t.refId !== '') {
        const first = refIds.get(t.refId);
        if (first !== undefined) report([...tat, 'refId'], `duplicate refId "${t.refId}" in this panel (also targets[${first}])`);
        else refIds.set(t.refId, j);
      }
      const dsType = isPlainObject(t.datasource) && typeof t.datasource.type === 'string' ? t.datasource.type : panelDsType;
      if (dsType === 'prometheus' && t.hide !== true && (typeof t.expr !== 'string' || t.expr.trim() === '')) {
        report([...tat, 'expr'], 'a Prometheus query needs a non-empty expr');
      }
    });
  }

  // Thresholds: the base step first (value null = -Infinity), then strictly ascending values.
  const fc = isPlainObject(p.fieldConfig) ? p.fieldConfig : undefined;
  const defaults = fc && isPlainObject(fc.defaults) ? fc.defaults : undefined;
  if (defaults && isPlainObject(defaults.thresholds)) thresholdRules(defaults.thresholds.steps, [...at, 'fieldConfig', 'defaults', 'thresholds', 'steps'], report, carried);
  if (fc && Array.isArray(fc.overrides)) {
    fc.overrides.forEach((o, k) => {
      if (!isPlainObject(o) || !Array.isArray(o.properties)) return;
      o.properties.forEach((prop, m) => {
        if (isPlainObject(prop) && prop.id === 'thresholds' && isPlainObject(prop.value)) {
          thresholdRules(prop.value.steps, [...at, 'fieldConfig', 'overrides', k, 'properties', m, 'value', 'steps'], report, carried);
        }
      });
    });
  }
}

/** `carried`: Grafana sorts the steps of a dashboard it loads and makes the first the base, so only Vigil's own output must. */
function thresholdRules(steps: unknown, at: Seg[], report: Report, carried: boolean): void {
  if (!Array.isArray(steps)) return;
  let previous: number | undefined;
  steps.forEach((s, i) => {
    if (!isPlainObject(s)) return;
    if (i === 0) {
      // Grafana makes the first step the base whatever its value; in a dashboard Vigil builds, a value there is a mistake.
      if (!carried && 'value' in s && s.value !== null) report([...at, 0, 'value'], `the first step is the base colour and must have value null (got ${shown(s.value)})`);
      if (!carried && typeof s.value === 'number') previous = s.value;
      return;
    }
    if (!('value' in s)) {
      if (!carried) report([...at, i, 'value'], 'is required (only the first step, the base colour, may leave it out)');
      return;
    }
    const value = s.value;
    if (value === null) {
      report([...at, i, 'value'], 'only the first step may have value null');
      return;
    }
    if (typeof value !== 'number' || carried) return;
    if (previous !== undefined && value <= previous) report([...at, i, 'value'], `steps must ascend: ${value} does not follow ${previous}`);
    previous = value;
  });
}

/** What Grafana's export ("share externally") adds to a dashboard, and never reads back but through its import dialog. */
const EXPORT_ONLY_FIELDS = ['__inputs', '__requires', '__elements'] as const;

/**
 * Turns Grafana's export format back into a dashboard, in place: references to a datasource input (`${DS_PROMETHEUS}`)
 * are removed, so the dashboard's own datasource (Vigil's) applies; constant inputs are replaced by their value.
 * Returns the names of the datasource inputs that were resolved.
 */
export function resolveExportInputs(json: Json): string[] {
  const inputs = Array.isArray(json.__inputs) ? json.__inputs.filter(isPlainObject) : [];
  for (const field of EXPORT_ONLY_FIELDS) delete json[field];
  const datasources = new Set(inputs.filter((i) => i.type === 'datasource' && typeof i.name === 'string').map((i) => `\${${i.name as string}}`));
  // Exports whose inputs were dropped still name them: ${DS_<NAME>} is Grafana's name for a datasource input.
  const variables = new Set(isPlainObject(json.templating) && Array.isArray(json.templating.list) ? json.templating.list.filter(isPlainObject).map((v) => `\${${String(v.name)}}`) : []);
  for (const name of new Set(JSON.stringify(json).match(/\$\{DS_[A-Za-z0-9_]+\}/g) ?? [])) if (!variables.has(name)) datasources.add(name);
  const constants = new Map(inputs.filter((i) => i.type === 'constant' && typeof i.name === 'string').map((i) => [`\${${i.name as string}}`, String(i.value ?? '')]));
  if (datasources.size === 0 && constants.size === 0) return [];
  const isInput = (v: unknown) => (typeof v === 'string' && datasources.has(v)) || (isPlainObject(v) && typeof v.uid === 'string' && datasources.has(v.uid));
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (typeof node === 'string') {
      let out = node;
      for (const [name, value] of constants) out = out.split(name).join(value);
      return out;
    }
    if (!isPlainObject(node)) return node;
    if ('datasource' in node && isInput(node.datasource)) delete node.datasource;
    for (const key of Object.keys(node)) node[key] = visit(node[key]);
    return node;
  };
  visit(json);
  return [...datasources].map((d) => d.slice(2, -1));
}
