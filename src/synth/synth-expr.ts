import { promqlParser } from '../promql/lezer.ts';
import { child, childNodes, childrenNamed, firstErrorIn, isExprNode, modifierCore, toExpr, TooDeep, type Expr, type Node } from '../promql/ast.ts';
import { unquote } from '../promql/strings.ts';
import type { LabelMatcher, MatchOperator } from '../promql/types.ts';
import { parseDuration } from '../util/duration.ts';

/**
 * The synthesizer's view of a PromQL expression: the analyzer's tree (src/promql/ast.ts) plus the few readers the
 * evaluator and the solver need (matchers, grouping, vector matching, numbers, durations), all taken from the text.
 */
export class Unsupported extends Error {
  constructor(message: string) {
    // An expected outcome, thrown and caught inside the synthesizer many times: a stack trace would only cost time.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = 'Unsupported';
  }
}

export interface Parsed {
  text: string;
  root: Expr;
}

/** Parses an expression the analyzer has already accepted; throws Unsupported when lezer had to recover anywhere. */
export function parseExpr(text: string): Parsed {
  const tree = promqlParser().parse(text);
  const top = tree.topNode;
  if (firstErrorIn(top) !== Infinity) throw new Unsupported('the expression uses syntax or a function the synthesizer cannot read');
  const node = childNodes(top).find(isExprNode);
  if (!node) throw new Unsupported('the expression is empty');
  let root: Expr;
  try {
    root = toExpr(node);
  } catch (e) {
    if (e instanceof TooDeep) throw new Unsupported('the expression is nested too deeply');
    throw e;
  }
  const parsed = { text, root };
  assertWhole(parsed, root);
  return parsed;
}

function assertWhole(p: Parsed, e: Expr): void {
  if (e.kind === 'broken') throw new Unsupported(`cannot read "${p.text.slice(e.span.from, e.span.to)}"`);
  for (const child of children(e)) assertWhole(p, child);
}

export function children(e: Expr): Expr[] {
  switch (e.kind) {
    case 'paren':
    case 'unary':
    case 'range':
    case 'subquery':
    case 'offset':
    case 'at':
    case 'later-modifier':
      return [e.inner];
    case 'binary':
      return [e.lhs, e.rhs];
    case 'call':
    case 'aggregate':
      return e.args;
    case 'broken':
      return e.parts;
    default:
      return [];
  }
}

export const nodeText = (p: Parsed, n: { from: number; to: number }) => p.text.slice(n.from, n.to);

export function exprText(p: Parsed, e: Expr): string {
  return nodeText(p, e.span);
}

/** Drops parentheses. */
export function unparen(e: Expr): Expr {
  let n = e;
  while (n.kind === 'paren') n = n.inner;
  return n;
}

/** Text with whitespace removed, to recognise `x != x`. */
export function canonical(p: Parsed, e: Expr): string {
  return exprText(p, unparen(e)).replace(/\s+/g, '');
}

export function numberValue(p: Parsed, e: Extract<Expr, { kind: 'number' }>): number {
  return parseNumber(nodeText(p, e.node));
}

/** A PromQL number literal (decimal, hex, exponent, Inf, NaN). */
export function parseNumber(text: string): number {
  const t = text.trim();
  const sign = t.startsWith('-') ? -1 : 1;
  const body = t.replace(/^[+-]/, '');
  if (/^inf(inity)?$/i.test(body)) return sign * Infinity;
  if (/^nan$/i.test(body)) return NaN;
  const n = Number(body);
  if (Number.isNaN(n)) throw new Unsupported(`cannot read the number "${text}"`);
  return sign * n;
}

/** Seconds of a duration node (`5m`, `1h30m`). */
export function durationSeconds(p: Parsed, node: Node | null, what: string): number {
  if (!node) throw new Unsupported(`the ${what} has no duration`);
  const text = nodeText(p, node).trim();
  const negative = text.startsWith('-');
  const ms = parseDuration(text.replace(/^-/, ''));
  if (!Number.isFinite(ms)) throw new Unsupported(`cannot read the ${what} "${text}"`);
  return ((negative ? -1 : 1) * ms) / 1000;
}

const matcherCache = new WeakMap<Node, { name?: string; matchers: LabelMatcher[] }>();

/** The metric name and label matchers of a selector (read once per node). */
export function matchersOf(p: Parsed, selector: Node): { name?: string; matchers: LabelMatcher[] } {
  let hit = matcherCache.get(selector);
  if (!hit) {
    hit = readMatchers(p, selector);
    matcherCache.set(selector, hit);
  }
  return hit;
}

function readMatchers(p: Parsed, selector: Node): { name?: string; matchers: LabelMatcher[] } {
  const ident = child(selector, 'Identifier');
  const list = child(selector, 'LabelMatchers');
  const matchers: LabelMatcher[] = [];
  for (const m of list ? childNodes(list) : []) {
    if (m.name !== 'UnquotedLabelMatcher' && m.name !== 'QuotedLabelMatcher') continue;
    const nameNode = m.firstChild;
    const opNode = child(m, 'MatchOp');
    const value = child(m, 'StringLiteral');
    if (!nameNode || !opNode || !value) throw new Unsupported('cannot read a label matcher');
    const label = nameNode.name === 'QuotedLabelName' ? unquote(nodeText(p, nameNode)).value : nodeText(p, nameNode);
    matchers.push({ label, op: nodeText(p, opNode) as MatchOperator, value: unquote(nodeText(p, value)).value });
  }
  let name = ident ? nodeText(p, ident) : undefined;
  const nameMatcher = matchers.find((m) => m.label === '__name__' && m.op === '=');
  if (!name && nameMatcher) name = nameMatcher.value;
  const rest = matchers.filter((m) => m.label !== '__name__');
  if (matchers.some((m) => m.label === '__name__' && m.op !== '=')) throw new Unsupported('a selector matches metric names by pattern');
  return name === undefined ? { matchers: rest } : { name, matchers: rest };
}

export function functionName(p: Parsed, e: Extract<Expr, { kind: 'call' }>): string {
  return nodeText(p, e.id);
}

export interface Grouping {
  without: boolean;
  labels: string[];
  /** No by/without clause. */
  none: boolean;
}

function groupingLabels(p: Parsed, node: Node | null | undefined): string[] {
  const out: string[] = [];
  for (const c of node ? childNodes(node) : []) {
    if (c.name === 'LabelName') out.push(nodeText(p, c));
    else if (c.name === 'QuotedLabelName') out.push(unquote(nodeText(p, child(c, 'StringLiteral') ?? c)).value);
  }
  return out;
}

export function aggregateInfo(p: Parsed, e: Extract<Expr, { kind: 'aggregate' }>): { op: string; grouping: Grouping } {
  const op = nodeText(p, e.op).toLowerCase();
  if (!e.modifier) return { op, grouping: { without: false, labels: [], none: true } };
  return {
    op,
    grouping: { without: Boolean(child(e.modifier, 'Without')), labels: groupingLabels(p, child(e.modifier, 'GroupingLabels')), none: false },
  };
}

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '^' | 'atan2' | '==' | '!=' | '>' | '>=' | '<' | '<=' | 'and' | 'or' | 'unless';

const OP_BY_NODE: Record<string, BinaryOp> = {
  Add: '+',
  Sub: '-',
  Mul: '*',
  Div: '/',
  Mod: '%',
  Pow: '^',
  Atan2: 'atan2',
  Eql: '==',
  Neq: '!=',
  Gtr: '>',
  Gte: '>=',
  Lss: '<',
  Lte: '<=',
  And: 'and',
  Or: 'or',
  Unless: 'unless',
};

export interface Matching {
  /** on(...) (true), ignoring(...) (false), or neither (undefined). */
  on: boolean | undefined;
  labels: string[];
  group: 'left' | 'right' | undefined;
  include: string[];
}

export interface BinaryInfo {
  op: BinaryOp;
  bool: boolean;
  matching: Matching;
}

const binaryCache = new WeakMap<Node, BinaryInfo>();

export function binaryInfo(p: Parsed, e: Extract<Expr, { kind: 'binary' }>): BinaryInfo {
  let hit = binaryCache.get(e.node);
  if (!hit) {
    hit = readBinary(p, e);
    binaryCache.set(e.node, hit);
  }
  return hit;
}

function readBinary(p: Parsed, e: Extract<Expr, { kind: 'binary' }>): BinaryInfo {
  const op = OP_BY_NODE[e.op.name];
  if (!op) throw new Unsupported(`the operator "${nodeText(p, e.op)}" is not supported`);
  if (child(e.node, 'FillModifier')) throw new Unsupported('fill modifiers are not supported');
  const clause = child(e.node, 'MatchingModifierClause');
  const matching: Matching = { on: undefined, labels: [], group: undefined, include: [] };
  if (clause) {
    matching.on = child(clause, 'On') !== null;
    const lists = childrenNamed(clause, 'GroupingLabels');
    matching.labels = groupingLabels(p, lists[0]);
    const g = child(clause, 'GroupLeft') ?? child(clause, 'GroupRight');
    if (g) {
      matching.group = g.name === 'GroupLeft' ? 'left' : 'right';
      matching.include = groupingLabels(p, lists[1]);
    }
  }
  return { op, bool: child(e.node, 'BoolModifier') !== null, matching };
}

export const COMPARISONS: ReadonlySet<BinaryOp> = new Set(['==', '!=', '>', '>=', '<', '<=']);
export const SET_OPS: ReadonlySet<BinaryOp> = new Set(['and', 'or', 'unless']);

/** `c < x` means `x > c`. */
export function flipComparison(op: BinaryOp): BinaryOp {
  return ({ '>': '<', '<': '>', '>=': '<=', '<=': '>=' } as Record<string, BinaryOp>)[op] ?? op;
}

/** A range argument (`x[5m]`, `x[5m] offset 1h`, `expr[1h:1m]`) unpacked. */
export type RangeArg =
  | { kind: 'selector'; selector: Extract<Expr, { kind: 'selector' }>; range: number; offset: number }
  | { kind: 'subquery'; inner: Expr; range: number; step: number | undefined; offset: number };

export function rangeArg(p: Parsed, arg: Expr | undefined): RangeArg {
  if (!arg) throw new Unsupported('a range function has no argument');
  let e = unparen(arg);
  let offset = 0;
  const takeModifiers = () => {
    for (;;) {
      if (e.kind === 'offset') {
        offset += durationSeconds(p, e.duration, 'offset');
        e = e.inner;
      } else if (e.kind === 'at') {
        throw new Unsupported('the @ modifier pins a time; it is not supported');
      } else return;
    }
  };
  takeModifiers();
  if (e.kind === 'range') {
    const range = durationSeconds(p, e.duration, 'range');
    e = e.inner;
    takeModifiers();
    if (offset < 0) throw new Unsupported('a negative offset reads samples from the future');
    if (e.kind !== 'selector') throw new Unsupported('ranges apply only to selectors');
    return { kind: 'selector', selector: e, range, offset };
  }
  if (e.kind === 'subquery') {
    if (offset < 0) throw new Unsupported('a negative offset reads samples from the future');
    const range = durationSeconds(p, e.range, 'subquery range');
    const step = e.step ? durationSeconds(p, e.step, 'subquery step') : undefined;
    return { kind: 'subquery', inner: e.inner, range, step, offset };
  }
  throw new Unsupported(`expected a range vector, got "${exprText(p, arg)}"`);
}

/** Whether the expression reads no series at all (numbers and arithmetic on them). */
export function isStatic(e: Expr): boolean {
  const n = modifierCore(unparen(e));
  if (n.kind === 'number') return true;
  if (n.kind === 'unary') return isStatic(n.inner);
  if (n.kind === 'binary') return isStatic(n.lhs) && isStatic(n.rhs);
  return false;
}
