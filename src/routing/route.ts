import { ownValue } from '../util/own.ts';
import type { Origin, RouteModel, RoutesModel } from '../model/types.ts';
import { expandRoot, type ExpandedRoute } from './expand.ts';
import { matchesAll, parseAlertmanagerMatchers, type SimpleMatcher } from './matchers.ts';

/** The tree shape both the Vigil model (expanded) and parsed Alertmanager YAML reduce to. */
interface Node<N> {
  matchers: readonly SimpleMatcher[];
  receiver?: string;
  continue: boolean;
  routes: readonly N[];
}

interface Walk<N> {
  /**
   * Each delivering node with its receiver (inherited if the node has none), the node that named that receiver and
   * the nodes from the root to it.
   */
  deliveries: { receiver: string; from: N; path: N[] }[];
  /** Every node whose matchers matched, in visit order (the root first). */
  matched: N[];
}

/**
 * Alertmanager's dispatch.Route.Match (0.25), generic over the node type: a node matches when all its matchers match;
 * its children are tried in order, each matching child contributes its own matches, and the search stops at the
 * first matching child that does not have `continue`; a matching node none of whose children matched delivers itself.
 */
function walk<N extends Node<N>>(root: N, labels: Record<string, string>): Walk<N> {
  const deliveries: Walk<N>['deliveries'] = [];
  const matched: N[] = [];
  const visit = (node: N, path: N[], inherited: N): boolean => {
    if (path.length > 0 && !matchesAll(node.matchers, labels)) return false;
    matched.push(node);
    const here = [...path, node];
    const from = node.receiver !== undefined ? node : inherited;
    let any = false;
    for (const child of candidateChildren(node, labels)) {
      const hit = visit(child, here, from);
      any ||= hit;
      if (hit && !child.continue) break;
    }
    if (!any) deliveries.push({ receiver: from.receiver ?? '', from, path: here });
    return true;
  };
  visit(root, [], root);
  return { deliveries, matched };
}

/**
 * The children of `node` that may match `labels`, in order: all of them, except that among many siblings those with an
 * equality matcher on the label most of them test (`team="a"`, `team="b"`, …) are looked up by the labels' value
 * instead of each being tried. A child left out would not have matched (that matcher fails), and trying a child that
 * does not match changes nothing, so the walk is Alertmanager's. Without it, routing every alert of a project through
 * one route per team costs alerts × teams (issue #8 §7: cost linear in the input).
 */
function candidateChildren<N extends Node<N>>(node: N, labels: Record<string, string>): readonly N[] {
  if (node.routes.length < INDEXED_FROM) return node.routes;
  let index = childIndexes.get(node) as ChildIndex<N> | null | undefined;
  if (index === undefined) childIndexes.set(node, (index = childIndex(node.routes)));
  if (index === null) return node.routes;
  // Read as `matches` reads it: only the set's own labels count.
  const value = ownValue(labels, index.label) ?? '';
  const found = index.byValue.get(value);
  if (!found) return index.unindexed;
  // Both lists are in child order: merge them.
  const out: N[] = [];
  let i = 0;
  let j = 0;
  while (i < index.unindexedAt.length || j < found.length) {
    if (j >= found.length || (i < index.unindexedAt.length && index.unindexedAt[i]! < found[j]!)) out.push(node.routes[index.unindexedAt[i++]!]!);
    else out.push(node.routes[found[j++]!]!);
  }
  return out;
}

/** Fewer siblings than this are tried one by one. */
const INDEXED_FROM = 8;

interface ChildIndex<N> {
  label: string;
  /** The positions of the children with `label="value"` among their matchers, by value. */
  byValue: Map<string, number[]>;
  /** The children without one, and their positions. */
  unindexed: N[];
  unindexedAt: number[];
}

const childIndexes = new WeakMap<object, ChildIndex<unknown> | null>();

/** The index on the label most children test for equality; none when fewer than half of them do. */
function childIndex<N extends Node<N>>(children: readonly N[]): ChildIndex<N> | null {
  const counts = new Map<string, number>();
  for (const child of children) {
    const labels = new Set(child.matchers.filter((m) => m.op === '=').map((m) => m.label));
    for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  let label: string | undefined;
  for (const [name, count] of counts) if (label === undefined || count > counts.get(label)!) label = name;
  if (label === undefined || counts.get(label)! * 2 < children.length) return null;
  const index: ChildIndex<N> = { label, byValue: new Map(), unindexed: [], unindexedAt: [] };
  children.forEach((child, at) => {
    const equal = child.matchers.find((m) => m.op === '=' && m.label === label);
    if (!equal) {
      index.unindexed.push(child);
      index.unindexedAt.push(at);
      return;
    }
    const list = index.byValue.get(equal.value);
    if (list) list.push(at);
    else index.byValue.set(equal.value, [at]);
  });
  return index;
}

export interface Delivery {
  receiver: string;
  /** The Vigil routes from the root to the delivering route, the root first. */
  path: RouteModel[];
  /** Their origins, for diagnostics. */
  origins: Origin[];
  /** The Alertmanager node that delivered (after sugar expansion). */
  node: ExpandedRoute;
  /** The Vigil route that named the receiver: the delivering route, or the ancestor it inherits from (maybe the root). */
  receiverFrom: RouteModel;
}

export interface RoutingResult {
  /** Receivers in delivery order, as Alertmanager lists them (a receiver reached twice appears twice). */
  receivers: string[];
  deliveries: Delivery[];
  /** Every Vigil route whose matchers matched, in visit order, the root first (a sugared route once). */
  matched: RouteModel[];
  /** No route below the root matched: the alert falls through to the root (default) receiver. */
  fellThrough: boolean;
  /**
   * Every receiver comes from the root by default: no matched route names a receiver of its own (routes that match
   * but only inherit do not count; a route that names the root's receiver explicitly does).
   */
  reachesOnlyRoot: boolean;
  /** Some matched route (not the root) says that reaching only the root receiver is intended. */
  matchedDefaultOk: boolean;
}

/** Routes one label set through the Vigil routing tree with Alertmanager's algorithm. */
export function routeAlert(routes: RoutesModel, labels: Record<string, string>): RoutingResult {
  const root = expandRoot(routes.root);
  const result = walk(root, labels);
  const deliveries: Delivery[] = result.deliveries.map((d) => {
    const path = d.path.map((n) => n.source);
    return { receiver: d.receiver, path, origins: path.map((r) => r.origin), node: d.path[d.path.length - 1]!, receiverFrom: d.from.source };
  });
  const matched = [...new Set(result.matched.map((n) => n.source))];
  return {
    receivers: deliveries.map((d) => d.receiver),
    deliveries,
    matched,
    fellThrough: deliveries.length === 1 && deliveries[0]!.node === root,
    reachesOnlyRoot: result.deliveries.every((d) => d.from === root),
    matchedDefaultOk: matched.some((r) => r !== routes.root && r.defaultOk),
  };
}

interface AmNode {
  matchers: SimpleMatcher[];
  receiver?: string;
  continue: boolean;
  routes: AmNode[];
  /** Child indices from the root. */
  index: number[];
}

function amNode(raw: unknown, index: number[]): AmNode {
  const r = (raw ?? {}) as Record<string, unknown>;
  const matchers: SimpleMatcher[] = [];
  for (const [label, value] of Object.entries((r.match ?? {}) as Record<string, string>)) matchers.push({ label, op: '=', value });
  for (const [label, value] of Object.entries((r.match_re ?? {}) as Record<string, string>)) matchers.push({ label, op: '=~', value });
  for (const text of (r.matchers ?? []) as string[]) matchers.push(...parseAlertmanagerMatchers(text));
  const receiver = typeof r.receiver === 'string' && r.receiver !== '' ? r.receiver : undefined;
  const routes = ((r.routes ?? []) as unknown[]).map((child, i) => amNode(child, [...index, i]));
  return { matchers, receiver, continue: r.continue === true, routes, index };
}

export interface EmittedRoutingResult {
  receivers: string[];
  /** Each delivery with the child indices leading to the delivering route ([] = the root). */
  deliveries: { receiver: string; index: number[] }[];
}

/**
 * The same algorithm on an emitted Alertmanager `route:` object (parsed YAML): `matchers` strings, legacy
 * `match` / `match_re`, `receiver` inheritance and `continue`. Lets tests compare the model with what was written.
 */
export function routeEmittedConfig(amRoute: object, labels: Record<string, string>): EmittedRoutingResult {
  const root = amNode(amRoute, []);
  const { deliveries } = walk(root, labels);
  return {
    receivers: deliveries.map((d) => d.receiver),
    deliveries: deliveries.map((d) => ({ receiver: d.receiver, index: d.path[d.path.length - 1]!.index })),
  };
}
