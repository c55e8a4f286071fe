import { ownValue } from '../util/own.ts';
import type { AlertLevel, AlertModel, Model, RouteModel, RoutesModel, RuleGroupModel } from '../model/types.ts';
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
      rows.push({ alert, level, labels, result: routeLabels(routes, labels) });
    }
  }
  return rows;
}

/**
 * What routeAlert gives these labels, shared by every label set that agrees on the labels the tree's matchers read:
 * the walk reads nothing else (a label absent reads as ""). 20,000 levels of a large project mostly differ in labels no
 * route looks at, so they are routed once per distinct combination, and their rows share one result (read only).
 */
function routeLabels(routes: RoutesModel, labels: Record<string, string>): RoutingResult {
  let memo = routedByTree.get(routes);
  if (!memo) routedByTree.set(routes, (memo = { names: [...matcherLabels(routes.root)].sort(), results: new Map() }));
  let key = '';
  for (const name of memo.names) {
    // Read as `matches` reads it: only the set's own labels count (`constructor` is a label name too).
    const value = ownValue(labels, name) ?? '';
    key += `${value.length}:${value}`;
  }
  let result = memo.results.get(key);
  if (!result) memo.results.set(key, (result = routeAlert(routes, labels)));
  return result;
}

const routedByTree = new WeakMap<RoutesModel, { names: string[]; results: Map<string, RoutingResult> }>();

/** Every label name a matcher of the tree reads (the root's matchers are ignored, as routeAlert ignores them). */
function matcherLabels(root: RouteModel): Set<string> {
  const names = new Set<string>();
  const visit = (route: RouteModel) => {
    for (const m of route.matchers) names.add(m.label);
    route.routes.forEach(visit);
  };
  root.routes.forEach(visit);
  return names;
}
