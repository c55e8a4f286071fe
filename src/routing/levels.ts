import type { AlertLevel, AlertModel, Model, RuleGroupModel } from '../model/types.ts';
import { routeAlert, type RoutingResult } from './route.ts';
import { levelLabels } from '../model/level-labels.ts';

export interface LevelRoute {
  alert: AlertModel;
  level: AlertLevel;
  /** The labels every notification of this level carries for sure: static labels, alertname, severity (unless its severity says `label: false`). */
  labels: Record<string, string>;
  result: RoutingResult;
}

const matrices = new WeakMap<Model, LevelRoute[]>();

/** Routes every enabled alert level through the routing tree: the routing matrix (computed once per model). */
export function levelRouting(model: Model): LevelRoute[] {
  const cached = matrices.get(model);
  if (cached) return cached;
  const rows = computeLevelRouting(model);
  matrices.set(model, rows);
  return rows;
}

function computeLevelRouting(model: Model): LevelRoute[] {
  return model.groups.flatMap((group) => groupLevelRouting(model, group));
}

const groupRows = new WeakMap<Model, WeakMap<RuleGroupModel, LevelRoute[]>>();

/**
 * The rows of levelRouting for one group's alerts: they read the group and the routing tree only. Computed once per
 * model and group: the check, the catalogue and the routing matrix route the same levels.
 */
export function groupLevelRouting(model: Model, group: RuleGroupModel): LevelRoute[] {
  let ofModel = groupRows.get(model);
  if (!ofModel) groupRows.set(model, (ofModel = new WeakMap()));
  let rows = ofModel.get(group);
  if (!rows) ofModel.set(group, (rows = routeGroup(model, group)));
  return rows;
}

function routeGroup(model: Model, group: RuleGroupModel): LevelRoute[] {
  const routes = model.routes;
  if (!routes) return [];
  const rows: LevelRoute[] = [];
  for (const alert of group.alerts) {
    if (!alert.enabled) continue;
    for (const level of alert.levels) {
      const labels = levelLabels(alert, level);
      rows.push({ alert, level, labels, result: routeAlert(routes, labels) });
    }
  }
  return rows;
}
