/**
 * The round trip of `vigil import dashboards --verify`: each dashboard Vigil builds from the imported definitions,
 * compared with the dashboard that went in. The same panels in the same order (type, title, grid position — or the
 * legacy span), the same queries (expression up to whitespace and redundant parentheses, legendFormat), units and
 * thresholds, and the same title. Vigil's additions (uid, tags, datasource, ids, refIds) are not differences.
 */
import { dashboardPath } from '../build/paths.ts';
import { dashboardFileName } from '../emit/grafana-dashboards.ts';
import { substituteGrafanaVariables } from '../promql/grafana.ts';
import { promqlShape } from '../promql/shape.ts';
import { isPlainObject } from '../util/lookup.ts';
import { panelsOf, type ImportedDashboard } from './dashboards.ts';

export interface DashboardsRoundTrip {
  differences: string[];
  compared: { dashboards: number; panels: number; queries: number };
}

type Json = Record<string, unknown>;

/** `files`: the built files by path (grafana/dashboards/<uid>.json among them). */
export function verifyDashboards(imported: readonly ImportedDashboard[], files: ReadonlyMap<string, string>): DashboardsRoundTrip {
  const differences: string[] = [];
  const compared = { dashboards: 0, panels: 0, queries: 0 };
  for (const d of imported) {
    const text = files.get(dashboardPath(dashboardFileName(d.uid)));
    if (text === undefined) {
      differences.push(`dashboard ${d.uid}: not built`);
      continue;
    }
    compared.dashboards++;
    const differ = (what: string, input: unknown, built: unknown) => differences.push(`dashboard ${d.uid}: ${what}: input ${shown(input)}, built ${shown(built)}`);
    const built = JSON.parse(text) as Json;
    if (built.title !== d.json.title) differ('title', d.json.title, built.title);
    const inputPanels = panelsOf(d.json);
    const builtPanels = panelsOf(built);
    if (inputPanels.length !== builtPanels.length) differ('number of panels', inputPanels.length, builtPanels.length);
    inputPanels.forEach((p, i) => {
      const b = builtPanels[i];
      if (!b) return;
      compared.panels++;
      const where = `panel ${i + 1} ${JSON.stringify(String(p.title ?? ''))}`;
      for (const [what, of] of PANEL_FACTS) {
        const [x, y] = [of(p), of(b)];
        if (JSON.stringify(x) !== JSON.stringify(y)) differ(`${where} ${what}`, x, y);
      }
      const [inputTargets, builtTargets] = [targetsOf(p), targetsOf(b)];
      if (inputTargets.length !== builtTargets.length) differ(`${where} number of queries`, inputTargets.length, builtTargets.length);
      inputTargets.forEach((t, j) => {
        const u = builtTargets[j];
        if (!u) return;
        compared.queries++;
        if (!sameExpr(t.expr, u.expr)) differ(`${where} query ${j + 1} expr`, t.expr, u.expr);
        if (t.legendFormat !== u.legendFormat) differ(`${where} query ${j + 1} legendFormat`, t.legendFormat, u.legendFormat);
      });
    });
  }
  return { differences, compared };
}

const PANEL_FACTS: [string, (p: Json) => unknown][] = [
  ['type', (p) => p.type],
  ['title', (p) => p.title],
  ['layout', layoutOf],
  ['unit', unitOf],
  ['thresholds', thresholdsOf],
];

/** gridPos {x, y, w, h}; a legacy panel (in rows) has a span instead. */
function layoutOf(p: Json): unknown {
  if (isPlainObject(p.gridPos)) {
    const { x, y, w, h } = p.gridPos;
    return { x, y, w, h };
  }
  return p.span !== undefined ? { span: p.span } : undefined;
}

/** The panel's unit: fieldConfig's, or a legacy panel's format (singlestat) or left axis format (graph). */
function unitOf(p: Json): unknown {
  const defaults = isPlainObject(p.fieldConfig) && isPlainObject(p.fieldConfig.defaults) ? p.fieldConfig.defaults : undefined;
  if (defaults?.unit !== undefined) return defaults.unit;
  if (p.format !== undefined) return p.format;
  if (Array.isArray(p.yaxes) && isPlainObject(p.yaxes[0])) return p.yaxes[0].format;
  return undefined;
}

/** Threshold steps as [value, colour]; a legacy panel's thresholds as written. */
function thresholdsOf(p: Json): unknown {
  const defaults = isPlainObject(p.fieldConfig) && isPlainObject(p.fieldConfig.defaults) ? p.fieldConfig.defaults : undefined;
  if (defaults && isPlainObject(defaults.thresholds) && Array.isArray(defaults.thresholds.steps)) {
    return { mode: defaults.thresholds.mode, steps: defaults.thresholds.steps.map((s) => (isPlainObject(s) ? [s.value ?? null, s.color] : s)) };
  }
  return p.thresholds;
}

function targetsOf(p: Json): { expr?: string; legendFormat?: string }[] {
  return (Array.isArray(p.targets) ? p.targets : []).map((t) => (isPlainObject(t) ? { expr: typeof t.expr === 'string' ? t.expr : undefined, legendFormat: typeof t.legendFormat === 'string' ? t.legendFormat : undefined } : {}));
}

/** Equal as written, up to whitespace, or of the same shape (Grafana variables read as such). */
export function sameExpr(a: string | undefined, b: string | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  if (a.replace(/\s+/g, ' ').trim() === b.replace(/\s+/g, ' ').trim()) return true;
  const shape = (e: string) => promqlShape(substituteGrafanaVariables(e).text)?.canonical;
  const x = shape(a);
  return x !== undefined && x === shape(b);
}

function shown(v: unknown): string {
  const text = JSON.stringify(v) ?? 'nothing';
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
