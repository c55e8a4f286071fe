import type { RouteModel } from '../model/types.ts';
import type { SimpleMatcher } from './matchers.ts';

/**
 * One node of the routing tree exactly as Alertmanager sees it: at most one receiver per node. The emitter writes
 * these nodes and the router walks them, so the two cannot disagree about the `receivers:` sugar.
 */
export interface ExpandedRoute {
  matchers: SimpleMatcher[];
  /** Absent when the node inherits its parent's receiver. */
  receiver?: string;
  continue: boolean;
  routes: ExpandedRoute[];
  /** The Vigil route this node was expanded from. */
  source: RouteModel;
  /** Position of this node among the siblings its source route expands to (0-based), and how many there are. */
  sibling: number;
  siblings: number;
}

/**
 * Expands the `receivers: [a, b, …]` sugar. A Vigil route with n receivers becomes n sibling Alertmanager routes with
 * the same matchers (and the same grouping and timing):
 *
 *   { matchers, receiver: a, continue: true }
 *   { matchers, receiver: b, continue: <route.continue>, routes: <children> }
 *
 * Every sibling but the last has `continue: true`, so an alert matching the route is delivered to each receiver in
 * order; the last sibling carries the route's own `continue` and its child routes. Children therefore refine the
 * LAST receiver only: when a child matches, it replaces the last receiver, while the earlier receivers are still
 * notified. A route without receivers becomes one node that inherits its parent's receiver.
 */
export function expandRoute(route: RouteModel): ExpandedRoute[] {
  const children = route.routes.flatMap(expandRoute);
  if (route.receivers.length === 0) {
    return [{ matchers: route.matchers, continue: route.continue, routes: children, source: route, sibling: 0, siblings: 1 }];
  }
  const n = route.receivers.length;
  return route.receivers.map((receiver, i) => {
    const last = i === n - 1;
    return {
      matchers: route.matchers,
      receiver,
      continue: last ? route.continue : true,
      routes: last ? children : [],
      source: route,
      sibling: i,
      siblings: n,
    };
  });
}

const expandedRoots = new WeakMap<RouteModel, ExpandedRoute>();

/** The root route: its matchers are ignored and its receiver is the first (only) one given. Expanded once per tree. */
export function expandRoot(root: RouteModel): ExpandedRoute {
  let expanded = expandedRoots.get(root);
  if (!expanded) {
    expanded = expandRootOnce(root);
    expandedRoots.set(root, expanded);
  }
  return expanded;
}

function expandRootOnce(root: RouteModel): ExpandedRoute {
  return {
    matchers: [],
    receiver: root.receivers[0],
    continue: false,
    routes: root.routes.flatMap(expandRoute),
    source: root,
    sibling: 0,
    siblings: 1,
  };
}
