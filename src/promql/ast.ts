import type { NodeType } from '@lezer/common';

/**
 * The part of lezer's Node the analysis reads. Lezer's nodes are such nodes, and so are the plain objects of
 * the hand-written parser (fast-parse.ts), which builds lezer's exact tree for the common, valid expression.
 */
export interface Node {
  readonly name: string;
  readonly from: number;
  readonly to: number;
  readonly type: NodeType;
  readonly firstChild: Node | null;
  readonly nextSibling: Node | null;
}

/** A range in the parsed text. */
export interface Span {
  from: number;
  to: number;
}

/**
 * The expression tree the checks run on: lezer's tree with Prometheus's operator binding restored
 * and the places lezer had to recover marked as `broken`.
 */
export type Expr =
  | { kind: 'selector'; span: Span; node: Node }
  | { kind: 'number'; span: Span; node: Node }
  | { kind: 'string'; span: Span; node: Node }
  | { kind: 'paren'; span: Span; inner: Expr }
  | { kind: 'unary'; span: Span; op: Node; inner: Expr }
  /** `node` is lezer's BinaryExpr, which holds the bool/on/ignoring/group modifiers. */
  | { kind: 'binary'; span: Span; op: Node; lhs: Expr; rhs: Expr; node: Node }
  | { kind: 'call'; span: Span; id: Node; args: Expr[] }
  | { kind: 'aggregate'; span: Span; op: Node; modifier: Node | null; args: Expr[] }
  | { kind: 'range'; span: Span; inner: Expr; duration: Node | null }
  | { kind: 'subquery'; span: Span; inner: Expr; range: Node | null; step: Node | null }
  /** `modifier` spans the keyword and its argument (`offset 5m`, `@ end()`). */
  | { kind: 'offset'; span: Span; inner: Expr; modifier: Span; duration: Node | null }
  | { kind: 'at'; span: Span; inner: Expr; modifier: Span; timestamp: Node | null }
  /** Modifiers of later Prometheus versions (`anchored`, `smoothed`). */
  | { kind: 'later-modifier'; span: Span; inner: Expr; keyword: Node }
  /** Lezer recovered from an error inside; only `parts` (the operands before the error) are trustworthy. */
  | { kind: 'broken'; span: Span; parts: Expr[] };

const BINARY_OPS = new Set([
  'Pow', 'Mul', 'Div', 'Mod', 'Atan2', 'Add', 'Sub', 'TrimUpper', 'TrimLower',
  'Eql', 'Neq', 'Gtr', 'Gte', 'Lss', 'Lte', 'And', 'Or', 'Unless',
]);

/** Whether each node type (by id) is in the grammar's Expr group: `type.is('Expr')` looks the group prop up every time. */
const EXPR_TYPE: (boolean | undefined)[] = [];

export const isExprNode = (n: Node): boolean => {
  const type = n.type;
  let is = EXPR_TYPE[type.id];
  if (is === undefined) is = EXPR_TYPE[type.id] = type.is('Expr');
  return is;
};

/**
 * The first child of this type name, or null: `node.getChild(name)` for the grammar's node names (only `Expr` is a
 * group, and it is never asked for here). Lezer's getChild makes a cursor and an array of every match per call, ≈ a
 * tenth of a cold build's PromQL analysis.
 */
export function child(node: Node, name: string): Node | null {
  for (let c = node.firstChild; c; c = c.nextSibling) if (c.name === name) return c;
  return null;
}

/** Every child of this type name: `node.getChildren(name)` (see `child`). */
export function childrenNamed(node: Node, name: string): Node[] {
  const out: Node[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) if (c.name === name) out.push(c);
  return out;
}

export function childNodes(node: Node): Node[] {
  const out: Node[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

function exprChildren(node: Node): Node[] {
  const out: Node[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) if (isExprNode(c)) out.push(c);
  return out;
}

function binaryOp(node: Node): Node | undefined {
  for (let c = node.firstChild; c; c = c.nextSibling) if (BINARY_OPS.has(c.name)) return c;
  return undefined;
}

/** Set while the nodes read belong to a tree with no error node at all (see `readingErrorFreeTree`). */
let errorFree = false;

/**
 * Runs `read` with firstErrorIn answering Infinity at once, for nodes of a tree known to hold no error node: the
 * analysis asks it of most nodes it reads (≈ 4 % of a cold analysis, nearly always for a clean tree).
 */
export function readingErrorFreeTree<T>(read: () => T): T {
  const before = errorFree;
  errorFree = true;
  try {
    return read();
  } finally {
    errorFree = before;
  }
}

/** Where lezer's first recovery inside this node's own syntax starts (Infinity if none); operands report for themselves. */
export function firstErrorIn(node: Node): number {
  if (errorFree) return Infinity;
  for (let c = node.firstChild; c; c = c.nextSibling) {
    if (c.type.isError) return c.from;
    if (!isExprNode(c)) {
      const inner = firstErrorIn(c);
      if (inner !== Infinity) return inner;
    }
  }
  return Infinity;
}

/** The expressions directly below `node`, looking through argument lists and skipping error nodes. */
function operands(node: Node): Node[] {
  const out: Node[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) {
    if (c.type.isError) continue;
    if (isExprNode(c)) out.push(c);
    else out.push(...operands(c));
  }
  return out;
}

const span = (n: Span): Span => ({ from: n.from, to: n.to });

/**
 * Prometheus binds `[5m]`, `[5m:1m]`, `offset` and `@` tighter than any operator, so `a - b offset 1d` is
 * `a - (b offset 1d)`. The lezer grammar binds them to everything on their left; this moves such a modifier
 * down onto the rightmost operand.
 */
export function attach(inner: Expr, make: (target: Expr) => Expr): Expr {
  if (inner.kind === 'binary') {
    const rhs = attach(inner.rhs, make);
    return { ...inner, rhs, span: { from: inner.span.from, to: rhs.span.to } };
  }
  if (inner.kind === 'unary') {
    const operand = attach(inner.inner, make);
    return { ...inner, inner: operand, span: { from: inner.span.from, to: operand.span.to } };
  }
  return make(inner);
}

/** Converts a lezer Expr node. `depth` bounds the recursion for pathological input. */
export function toExpr(node: Node, depth = 0): Expr {
  if (depth > MAX_DEPTH) throw new TooDeep(node);
  const firstError = firstErrorIn(node);
  if (firstError !== Infinity) {
    const sub = (n: Node) => toExpr(n, depth + 1);
    return { kind: 'broken', span: span(node), parts: operands(node).filter((o) => o.from < firstError).map(sub) };
  }
  return convert(node, depth);
}

/** The expressions below `node` (its Expr children), converted: `exprChildren(node).map(sub)` without the closure and the copy. */
function convertChildren(node: Node, depth: number): Expr[] {
  const out: Expr[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) if (isExprNode(c)) out.push(toExpr(c, depth));
  return out;
}

/** toExpr of a node without an error inside. */
function convert(node: Node, depth: number): Expr {
  // The leaves first: they have no expression below them to list.
  switch (node.name) {
    case 'VectorSelector':
      return { kind: 'selector', span: span(node), node };
    case 'NumberDurationLiteral':
      return { kind: 'number', span: span(node), node };
    case 'StringLiteral':
      return { kind: 'string', span: span(node), node };
  }
  const kids = exprChildren(node);
  const inner = kids[0];
  const to = node.to;
  switch (node.name) {
    case 'ParenExpr':
      if (!inner) break;
      return { kind: 'paren', span: span(node), inner: toExpr(inner, depth + 1) };
    case 'UnaryExpr': {
      const op = child(node, 'UnaryOp');
      if (!inner || !op) break;
      return { kind: 'unary', span: span(node), op, inner: toExpr(inner, depth + 1) };
    }
    case 'BinaryExpr': {
      const op = binaryOp(node);
      if (kids.length !== 2 || !op) break;
      return { kind: 'binary', span: span(node), op, lhs: toExpr(kids[0]!, depth + 1), rhs: toExpr(kids[1]!, depth + 1), node };
    }
    case 'FunctionCall': {
      const id = child(node, 'FunctionIdentifier');
      const body = child(node, 'FunctionCallBody');
      if (!id || !body) break;
      return { kind: 'call', span: span(node), id, args: convertChildren(body, depth + 1) };
    }
    case 'AggregateExpr': {
      const op = child(node, 'AggregateOp');
      const body = child(node, 'FunctionCallBody');
      if (!op || !body) break;
      return { kind: 'aggregate', span: span(node), op, modifier: child(node, 'AggregateModifier'), args: convertChildren(body, depth + 1) };
    }
    case 'MatrixSelector': {
      if (!inner) break;
      const duration = child(node, 'DurationExpr');
      return attach(toExpr(inner, depth + 1), (target) => ({ kind: 'range', span: { from: target.span.from, to }, inner: target, duration }));
    }
    case 'SubqueryExpr': {
      if (!inner) break;
      const [range = null, step = null] = childrenNamed(node, 'DurationExpr');
      return attach(toExpr(inner, depth + 1), (target) => ({ kind: 'subquery', span: { from: target.span.from, to }, inner: target, range, step }));
    }
    case 'OffsetExpr': {
      const keyword = child(node, 'Offset');
      if (!inner || !keyword) break;
      const duration = child(node, 'OffsetDurationExpr');
      const modifier = { from: keyword.from, to };
      return attach(toExpr(inner, depth + 1), (target) => ({ kind: 'offset', span: { from: target.span.from, to }, inner: target, modifier, duration }));
    }
    case 'StepInvariantExpr': {
      const keyword = child(node, 'At');
      if (!inner || !keyword) break;
      const timestamp = child(node, 'NumberDurationLiteral');
      const modifier = { from: keyword.from, to };
      return attach(toExpr(inner, depth + 1), (target) => ({ kind: 'at', span: { from: target.span.from, to }, inner: target, modifier, timestamp }));
    }
    case 'AnchoredExpr':
    case 'SmoothedExpr': {
      const keyword = child(node, node.name === 'AnchoredExpr' ? 'Anchored' : 'Smoothed');
      if (!inner || !keyword) break;
      return attach(toExpr(inner, depth + 1), (target) => ({ kind: 'later-modifier', span: { from: target.span.from, to }, inner: target, keyword }));
    }
  }
  return { kind: 'broken', span: span(node), parts: operands(node).map((n) => toExpr(n, depth + 1)) };
}

/** No hand-written PromQL nests this deep; the bound keeps every recursion far from the stack limit. */
export const MAX_DEPTH = 1000;

export class TooDeep extends Error {
  constructor(readonly node: Node) {
    super('expression nested too deeply');
  }
}

/** Looks through `offset` and `@`, which Prometheus stores on the selector they follow. */
export function modifierCore(e: Expr): Expr {
  let n = e;
  while (n.kind === 'offset' || n.kind === 'at') n = n.inner;
  return n;
}
