import type { Path } from '../load/definition.ts';
import { SDK_DASHBOARD_KEY } from './sdk.ts';

/** A place in an SDK-built dashboard whose shape no later stage can read, and what it must be instead. */
export interface ShapeProblem {
  path: Path;
  message: string;
}

/**
 * An SDK-built dashboard is JSON the definition computed, so it has no schema; but the model, the checks and the
 * emitter walk its panels and targets. These are the shapes they rely on; everything else in it (uid, title, grid, …) is left to dashboard/json.
 */
export function sdkDashboardShapeProblems(built: unknown): ShapeProblem[] {
  const base: Path = [SDK_DASHBOARD_KEY];
  if (!isMapping(built)) return [{ path: base, message: `must be the dashboard JSON a DashboardBuilder builds (a mapping), got ${kindOf(built)}` }];
  const problems: ShapeProblem[] = [];
  panelsProblems(built.panels, [...base, 'panels'], problems);
  return problems;
}

function panelsProblems(panels: unknown, path: Path, problems: ShapeProblem[]): void {
  if (panels === undefined) return;
  if (!Array.isArray(panels)) {
    problems.push({ path, message: `must be a list of panels, got ${kindOf(panels)}` });
    return;
  }
  panels.forEach((panel, i) => {
    const at = [...path, i];
    if (!isMapping(panel)) {
      problems.push({ path: at, message: `a panel must be a mapping, got ${kindOf(panel)}` });
      return;
    }
    const targets = panel.targets;
    if (targets !== undefined) {
      if (!Array.isArray(targets)) problems.push({ path: [...at, 'targets'], message: `must be a list of queries such as [{ expr: "up" }], got ${kindOf(targets)}` });
      else
        targets.forEach((t, j) => {
          if (!isMapping(t)) problems.push({ path: [...at, 'targets', j], message: `a target must be a mapping such as { expr: "up" }, got ${kindOf(t)}` });
        });
    }
    panelsProblems(panel.panels, [...at, 'panels'], problems);
  });
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}
