import { validateDashboardJson } from '../spec/dashboard-json.ts';
import { dashboardAlertReads, emitDashboard } from '../emit/grafana-dashboards.ts';
import type { Span } from '../diagnostics.ts';
import type { DashboardModel } from '../model/types.ts';
import { spanOf } from '../model/types.ts';
import { builtJsonPath, isCarriedJson, isJsonPanel } from '../model/kinds/dashboard.ts';
import type { PanelItem } from '../spec/types.gen.ts';
import type { Check, Report } from './check.ts';
import type { Artifact } from '../emit/artifact.ts';

/**
 * Grafana stores any JSON it is given and only breaks when someone opens the dashboard, so every dashboard is emitted
 * here exactly as `vigil build` writes it and validated against what Grafana 10/11 expects.
 */
export const dashboardJsonCheck: Check = {
  id: 'dashboard/json',
  description: 'Every dashboard compiles to Grafana JSON that Grafana 10/11 can use: ids, grid, queries, thresholds, variables.',
  severity: 'error',
  run() {},
  // Each dashboard on its own: its definition, the Project, and the alerts its panels take thresholds from.
  perFileReads: (ctx, file) => dashboardAlertReads(ctx.model, file.dashboards),
  perFile(ctx, file) {
    for (const d of file.dashboards) {
      let artifact: Artifact;
      try {
        artifact = emitDashboard(ctx.model, d);
      } catch (e) {
        ctx.report({
          message: `${dashboardName(d)}: cannot be compiled to Grafana JSON: ${e instanceof Error ? e.message : String(e)}`,
          span: spanOf(d.origin),
          hint: d.spec ? 'this is a Vigil bug: please report it with the dashboard definition' : isCarriedJson(d) ? 'check the dashboard JSON' : 'check what the DashboardBuilder in this file builds',
        });
        continue;
      }
      let reports = checked.get(artifact);
      if (reports === undefined) checked.set(artifact, (reports = problems(d, JSON.parse(artifact.content))));
      for (const report of reports) ctx.report(report);
    }
  },
};

/**
 * The reports of a dashboard by its artifact: emitDashboard gives one artifact object per definition, place in it
 * and inputs, and the reports read only that JSON and the dashboard (made from the same definition), so the compiles
 * of a run that share the artifact share its reports too.
 */
const checked = new WeakMap<Artifact, Report[]>();

function problems(d: DashboardModel, json: unknown): Report[] {
  const span = spanOf(d.origin);
  const name = dashboardName(d);
  return validateDashboardJson(json, { carried: isCarriedJson(d) }).map((problem) => {
    const where = panelAt(json, problem.path);
    return {
      message: `${name}: ${problem.path}: ${problem.message}`,
      span: d.spec ? ((where && panelTitleSpan(d, where.title)) ?? topLevelFieldSpan(d, problem.path) ?? span) : builtSpan(d, problem.path),
      hint: `${where ? `in ${where.label}; ` : ''}${fixHint(d)}`,
    };
  });
}

/** `dashboard app`; a dashboard without a uid by its title, so the message does not read "dashboard : …". */
function dashboardName(d: DashboardModel): string {
  if (d.uid !== '') return `dashboard ${d.uid}`;
  return d.title !== '' ? `dashboard "${d.title}" (no uid)` : 'dashboard (no uid, no title)';
}

/** Where a top-level field of a YAML-declared dashboard (`uid`, `title`) is written, when the problem is about one. */
function topLevelFieldSpan(d: DashboardModel, path: string): Span | undefined {
  return /^[A-Za-z]+$/.test(path) ? spanOf(d.origin, path) : undefined;
}

/**
 * An SDK-built dashboard keeps its panels, targets and variables where the definition put them (finishing only adds
 * fields), so a problem's path is found in the definition; a field finishing added is placed at its nearest ancestor.
 */
function builtSpan(d: DashboardModel, path: string): Span {
  const segments = [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
  return d.origin.def.locate([...builtJsonPath(d), ...(path === '(dashboard)' ? [] : segments)]);
}

function fixHint(d: DashboardModel): string {
  if (d.spec) return 'Grafana would store this dashboard as it is and fail when it is opened: fix the dashboard definition';
  if (isCarriedJson(d)) return 'Grafana would store this dashboard as it is and fail when it is opened: fix the dashboard JSON';
  return 'Grafana would store this dashboard as it is and fail when it is opened: fix what the DashboardBuilder in this file builds';
}

/** Where the panel with this title is written: its `title` in a YAML dashboard, its title string in a TypeScript one. */
function panelTitleSpan(d: DashboardModel, title: string | undefined): Span | undefined {
  if (title === undefined) return undefined;
  if (d.spec) {
    const candidates: (string | number)[][] = [
      ...(d.spec.panels ?? []).map((p, i) => (titleOf(p) === title ? titlePath(p, ['panels', i]) : [])),
      ...(d.spec.rows ?? []).flatMap((row, r) => [row.title === title ? ['rows', r, 'title'] : [], ...row.panels.map((p, i) => (titleOf(p) === title ? titlePath(p, ['rows', r, 'panels', i]) : []))]),
    ].filter((path) => path.length > 0);
    return candidates[0] ? spanOf(d.origin, ...candidates[0]) : undefined;
  }
  const base = builtJsonPath(d);
  const path = findPanelPath((d.origin.def.value as Record<string, unknown>)[base[0] as string], title, [...base]);
  return path ? d.origin.def.locate([...path, 'title']) : undefined;
}

function findPanelPath(node: unknown, title: string, path: (string | number)[]): (string | number)[] | undefined {
  const panels = node && typeof node === 'object' ? (node as { panels?: unknown }).panels : undefined;
  if (!Array.isArray(panels)) return undefined;
  for (const [i, panel] of panels.entries()) {
    if ((panel as { title?: unknown })?.title === title) return [...path, 'panels', i];
    const nested = findPanelPath(panel, title, [...path, 'panels', i]);
    if (nested) return nested;
  }
  return undefined;
}

/** `panel "Title" (id 3)` for a problem path inside a panel, so a reader finds it in the definition. */
function panelAt(json: unknown, path: string): { label: string; title?: string } | undefined {
  const match = /^panels\[(\d+)\](?:\.panels\[(\d+)\])?/.exec(path);
  if (!match || json === null || typeof json !== 'object') return undefined;
  const panels = (json as { panels?: unknown }).panels;
  let panel: unknown = Array.isArray(panels) ? panels[Number(match[1])] : undefined;
  if (match[2] !== undefined && panel !== null && typeof panel === 'object') {
    const nested = (panel as { panels?: unknown }).panels;
    panel = Array.isArray(nested) ? nested[Number(match[2])] : undefined;
  }
  if (panel === null || typeof panel !== 'object') return undefined;
  const { title, id, type } = panel as { title?: unknown; id?: unknown; type?: unknown };
  const name = typeof title === 'string' && title !== '' ? `"${title}"` : '(untitled)';
  return { label: `${type === 'row' ? 'row' : 'panel'} ${name}${typeof id === 'number' ? ` (id ${id})` : ''}`, title: typeof title === 'string' ? title : undefined };
}

function titleOf(p: PanelItem): unknown {
  return isJsonPanel(p) ? p.json.title : p.title;
}

function titlePath(p: PanelItem, at: (string | number)[]): (string | number)[] {
  return isJsonPanel(p) ? [...at, 'json', 'title'] : [...at, 'title'];
}
