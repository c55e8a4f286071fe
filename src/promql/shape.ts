/**
 * The shape of an expression, for telling whether two spellings are the same query: whitespace, comments and
 * redundant parentheses do not count, the binding of operators does (`a * (b + c)` is not `a * b + c`), and a
 * number is its value (`95`, `95.0`, `9.5e1`). Used by `vigil import` to fold thresholds and to prove its round trip.
 */
import { promqlParser } from './lezer.ts';
import { childNodes, firstErrorIn, isExprNode, toExpr, TooDeep, type Expr, type Node } from './ast.ts';
import { scan, significant, type Token } from './scanner.ts';

export interface ComparisonShape {
  /** The left operand as written. */
  lhs: string;
  op: '>' | '>=' | '<' | '<=' | '==' | '!=';
  value: number;
}

export interface PromqlShape {
  /** Equal for two expressions Prometheus evaluates alike as written. */
  canonical: string;
  /** `<expr> <op> <number>` at the top (parentheses looked through, no `bool`): what a threshold level compiles to. */
  comparison?: ComparisonShape;
}

const COMPARISON_OPS: Record<string, ComparisonShape['op']> = { Gtr: '>', Gte: '>=', Lss: '<', Lte: '<=', Eql: '==', Neq: '!=' };

/** The shape of `text`, or undefined when it does not parse. */
export function promqlShape(text: string): PromqlShape | undefined {
  let root: Expr | undefined;
  try {
    const tree = promqlParser().parse(text);
    if (firstErrorIn(tree.topNode) !== Infinity) return undefined;
    const node = childNodes(tree.topNode).find(isExprNode);
    root = node && toExpr(node);
  } catch (e) {
    if (e instanceof TooDeep || e instanceof RangeError) return undefined;
    throw e;
  }
  if (!root) return undefined;
  const tokens = significant(scan(text));
  const words = (from: number, to: number) => tokensIn(tokens, from, to).map((t) => word(text, t)).join(' ');
  const canonical = shapeOf(root, text, words);
  if (canonical === undefined) return undefined;
  const shape: PromqlShape = { canonical };
  const top = unwrap(root);
  if (top.kind === 'binary') {
    const op = COMPARISON_OPS[top.op.name];
    const rhs = unwrap(top.rhs);
    const between = words(top.lhs.span.to, top.rhs.span.from);
    if (op && rhs.kind === 'number' && !/\bbool\b/.test(between) && between === op) {
      const value = Number(text.slice(rhs.span.from, rhs.span.to));
      if (Number.isFinite(value)) shape.comparison = { lhs: text.slice(top.lhs.span.from, top.lhs.span.to), op, value };
    }
  }
  return shape;
}

function unwrap(e: Expr): Expr {
  let n = e;
  while (n.kind === 'paren') n = n.inner;
  return n;
}

function tokensIn(tokens: readonly Token[], from: number, to: number): Token[] {
  return tokens.filter((t) => t.start >= from && t.end <= to);
}

function word(text: string, t: Token): string {
  const raw = text.slice(t.start, t.end);
  if (t.kind === 'number') {
    const n = Number(raw);
    return Number.isFinite(n) && /^[0-9.eE+-]+$/.test(raw) ? String(n) : raw;
  }
  return raw;
}

/** Structure in ⟨ ⟩ (no PromQL token uses them), leaves and operators as their tokens. */
function shapeOf(e: Expr, text: string, words: (from: number, to: number) => string): string | undefined {
  const sub = (x: Expr) => shapeOf(x, text, words);
  const node = (n: Node | null) => (n ? words(n.from, n.to) : '');
  switch (e.kind) {
    case 'selector':
    case 'number':
    case 'string':
      return words(e.span.from, e.span.to);
    case 'paren':
      return sub(e.inner);
    case 'unary': {
      const inner = sub(e.inner);
      return inner === undefined ? undefined : `${node(e.op)}⟨${inner}⟩`;
    }
    case 'binary': {
      const [lhs, rhs] = [sub(e.lhs), sub(e.rhs)];
      if (lhs === undefined || rhs === undefined) return undefined;
      return `⟨${lhs}⟩ ${words(e.lhs.span.to, e.rhs.span.from)} ⟨${rhs}⟩`;
    }
    case 'call': {
      const args = e.args.map(sub);
      return args.some((a) => a === undefined) ? undefined : `${node(e.id)}⟨${args.join(' , ')}⟩`;
    }
    case 'aggregate': {
      const args = e.args.map(sub);
      return args.some((a) => a === undefined) ? undefined : `${node(e.op)} ${node(e.modifier)}⟨${args.join(' , ')}⟩`;
    }
    case 'range': {
      const inner = sub(e.inner);
      return inner === undefined ? undefined : `${inner}[${node(e.duration)}]`;
    }
    case 'subquery': {
      const inner = sub(e.inner);
      return inner === undefined ? undefined : `${inner}[${node(e.range)}:${node(e.step)}]`;
    }
    case 'offset':
    case 'at': {
      const inner = sub(e.inner);
      return inner === undefined ? undefined : `${inner} ${words(e.modifier.from, e.modifier.to)}`;
    }
    case 'later-modifier': {
      const inner = sub(e.inner);
      return inner === undefined ? undefined : `${inner} ${node(e.keyword)}`;
    }
    case 'broken':
      return undefined;
  }
}
