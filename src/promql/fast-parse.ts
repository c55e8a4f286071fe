import type { NodeType } from '@lezer/common';
import { attach, MAX_DEPTH, type Expr, type Node, type Span } from './ast.ts';
import { promqlParser } from './lezer.ts';
import type { Token } from './scanner.ts';

/**
 * A hand-written parser for the common, valid PromQL expression, over the scanner's tokens, that builds exactly the
 * tree lezer's grammar builds for it (the same node types, ranges and nesting: test/promql-fast-parse.test.ts
 * compares them over the repository's corpora and random mutations). It declines (returns undefined) on anything it
 * is not sure of — a syntax error, a comment, `@`, quoted label names, a signed number before an operator, duration
 * arithmetic, keywords used as names… — and the caller then parses with lezer, so every error and its message stays
 * lezer's. Lezer's parse was ≈ 0.4–0.5 s of a cold build's main thread; this is a fraction of it, and its plain
 * nodes are cheaper to read than lezer's (each `firstChild`/`nextSibling` of which makes an object).
 */

class PNode implements Node {
  nextSibling: PNode | null = null;
  constructor(
    readonly name: string,
    readonly type: NodeType,
    readonly from: number,
    readonly to: number,
    readonly firstChild: PNode | null,
  ) {}
}

let types: Map<string, NodeType> | undefined;

function typeOf(name: string): NodeType {
  if (!types) {
    types = new Map();
    for (const t of promqlParser().nodeSet.types) if (!types.has(t.name)) types.set(t.name, t);
  }
  const t = types.get(name);
  if (!t) throw new Error(`no lezer node type ${name}`);
  return t;
}

const NODE_NAMES = [
  'EqlSingle',
  'Neq',
  'EqlRegex',
  'NeqRegex',
  'AggregateExpr',
  'AggregateModifier',
  'AggregateOp',
  'BinaryExpr',
  'Bool',
  'BoolModifier',
  'By',
  'DurationExpr',
  'FunctionCall',
  'FunctionCallBody',
  'FunctionIdentifier',
  'GroupLeft',
  'GroupRight',
  'GroupingLabels',
  'Identifier',
  'Ignoring',
  'LabelMatchers',
  'LabelName',
  'MatchOp',
  'MatchingModifierClause',
  'MatrixSelector',
  'NumberDurationLiteral',
  'NumberDurationLiteralInDurationContext',
  'Offset',
  'OffsetDurationExpr',
  'OffsetExpr',
  'On',
  'ParenExpr',
  'PromQL',
  'StringLiteral',
  'SubqueryExpr',
  'UnaryExpr',
  'UnaryOp',
  'UnquotedLabelMatcher',
  'VectorSelector',
  'Without',
] as const;

/** The node types this parser makes, by name: looked up once, then read as properties (a Map lookup per node was ≈ 3 % of a cold analysis). */
let T: Record<(typeof NODE_NAMES)[number], NodeType>;

function nodeTypes(): typeof T {
  const out = {} as typeof T;
  for (const name of NODE_NAMES) out[name] = typeOf(name);
  return out;
}

function make(type: NodeType, from: number, to: number, kids?: PNode[]): PNode {
  let first: PNode | null = null;
  if (kids && kids.length > 0) {
    first = kids[0]!;
    for (let k = 1; k < kids.length; k++) kids[k - 1]!.nextSibling = kids[k]!;
  }
  return new PNode(type.name, type, from, to, first);
}

const leaf = (type: NodeType, t: Token) => make(type, t.start, t.end);

/** Thrown to give up; caught in fastParse. */
const DECLINE = { declined: true };

/** Lezer's `number` token (its `duration` included), matched in full against a scanner token. */
const NUMBER =
  /^(?:(?:[0-9]+(?:_?[0-9])*(?:\.[0-9]+(?:_?[0-9])*)?|\.[0-9]+(?:_?[0-9])*)(?:[eE][+-]?[0-9]+(?:_?[0-9])*)?|0x[0-9a-fA-F]+|(?=[0-9])(?:[0-9]+y)?(?:[0-9]+w)?(?:[0-9]+d)?(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?(?:[0-9]+ms)?)$/;

interface BinOp {
  name: string;
  prec: number;
}

const SYMBOL_OPS: Record<string, BinOp | undefined> = {
  '^': { name: 'Pow', prec: 6 },
  '*': { name: 'Mul', prec: 5 },
  '/': { name: 'Div', prec: 5 },
  '%': { name: 'Mod', prec: 5 },
  '+': { name: 'Add', prec: 4 },
  '-': { name: 'Sub', prec: 4 },
  '==': { name: 'Eql', prec: 3 },
  '!=': { name: 'Neq', prec: 3 },
  '>': { name: 'Gtr', prec: 3 },
  '>=': { name: 'Gte', prec: 3 },
  '<': { name: 'Lss', prec: 3 },
  '<=': { name: 'Lte', prec: 3 },
};
const WORD_OPS: Record<string, BinOp | undefined> = {
  atan2: { name: 'Atan2', prec: 5 },
  and: { name: 'And', prec: 2 },
  unless: { name: 'Unless', prec: 2 },
  or: { name: 'Or', prec: 1 },
};
const POW = 6;

/** Words lezer reads as keywords (always, or where the grammar can take them): never read here as a metric name. */
const KEYWORDS = new Set([
  'inf', 'nan', 'bool', 'ignoring', 'on', 'group_left', 'group_right', 'offset',
  'atan2', 'avg', 'bottomk', 'count', 'count_values', 'group', 'max', 'min', 'quantile', 'limitk', 'limit_ratio',
  'stddev', 'stdvar', 'sum', 'topk', 'by', 'without', 'and', 'or', 'unless', 'start', 'end', 'smoothed', 'anchored',
  'fill', 'fill_left', 'fill_right',
]);

/** The longest of KEYWORDS and of the all-lowercase names of Object.prototype (the others cannot equal a lowercase word). */
const KEYWORD_MAX_LENGTH = Math.max(...[...KEYWORDS, ...Object.getOwnPropertyNames(Object.prototype).filter((n) => n === n.toLowerCase())].map((n) => n.length));

/** What `name in Object.prototype` finds (a Set: `in` with a new string interns it first). */
const PROTOTYPE_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));

interface CallShape {
  node: 'FunctionCall' | 'AggregateExpr';
  /** FunctionIdentifier's or AggregateOp's only child. */
  inner: string;
}

const callShapes = new Map<string, CallShape | null>();

/** What lezer makes of `name(x)`: asked of lezer itself, once per name. */
function callShape(name: string): CallShape | null {
  let shape = callShapes.get(name);
  if (shape !== undefined) return shape;
  shape = null;
  const text = `${name}(x)`;
  const tree = promqlParser().parse(text);
  let clean = true;
  tree.iterate({
    enter: (n) => {
      if (n.type.isError) clean = false;
      return clean;
    },
  });
  const call = tree.topNode.firstChild;
  if (clean && call && call.from === 0 && call.to === text.length && !call.nextSibling) {
    const head = call.firstChild;
    const inner = head?.firstChild;
    if (call.name === 'FunctionCall' && head?.name === 'FunctionIdentifier' && inner && inner.to === name.length) {
      shape = { node: 'FunctionCall', inner: inner.name };
    } else if (call.name === 'AggregateExpr' && head?.name === 'AggregateOp' && inner && inner.to === name.length) {
      shape = { node: 'AggregateExpr', inner: inner.name };
    }
  }
  if (callShapes.size < 10_000) callShapes.set(name, shape);
  return shape;
}

const MAX_NESTING = 200;

class Parser {
  protected i = 0;
  protected depth = 0;

  constructor(
    protected readonly text: string,
    protected readonly tokens: readonly Token[],
  ) {}

  protected peek(offset = 0): Token | undefined {
    return this.tokens[this.i + offset];
  }

  protected word(t: Token | undefined): string {
    return t ? this.text.slice(t.start, t.end) : '';
  }

  /** Whether the token is this bracket or comma. */
  protected isPunct(t: Token | undefined, c: string): boolean {
    return t !== undefined && t.kind === 'punct' && this.text.charCodeAt(t.start) === c.charCodeAt(0);
  }

  protected expectPunct(c: string): Token {
    const t = this.peek();
    if (!this.isPunct(t, c)) throw DECLINE;
    this.i++;
    return t!;
  }

  /** An identifier token (`[A-Za-z_:][A-Za-z0-9_:]*`, the scanner's) that is a label name: one without a colon. */
  protected isLabelName(t: Token): boolean {
    for (let i = t.start; i < t.end; i++) if (this.text.charCodeAt(i) === 58) return false;
    return true;
  }

  /** The node type of a matcher's operator token (`=`, `!=`, `=~`, `!~`), or undefined. */
  protected matchOp(t: Token | undefined): NodeType | undefined {
    if (t?.kind !== 'op') return undefined;
    const c = this.text.charCodeAt(t.start);
    if (t.end - t.start === 1) return c === 61 ? T.EqlSingle : undefined;
    if (t.end - t.start !== 2) return undefined;
    const d = this.text.charCodeAt(t.start + 1);
    if (c === 33) return d === 61 ? T.Neq : d === 126 ? T.NeqRegex : undefined;
    return c === 61 && d === 126 ? T.EqlRegex : undefined;
  }

  protected isWord(t: Token | undefined, lower: string): boolean {
    return t !== undefined && t.kind === 'ident' && t.end - t.start === lower.length && this.word(t).toLowerCase() === lower;
  }

  top(): PNode {
    const e = this.expr();
    if (this.i !== this.tokens.length) throw DECLINE;
    return make(T.PromQL, 0, this.text.length, [e]);
  }

  /** An expression up to a closing bracket, a comma or the end: operators, then `[…]` and `offset` over all of it. */
  protected expr(): PNode {
    if (++this.depth > MAX_NESTING) throw DECLINE;
    let e = this.operand();
    for (;;) {
      e = this.climb(e, 0);
      const t = this.peek();
      if (this.isPunct(t, '[')) e = this.rangeOrSubquery(e);
      else if (this.isWord(t, 'offset')) e = this.offset(e);
      else break;
    }
    this.depth--;
    return e;
  }

  protected binOp(t: Token | undefined): BinOp | undefined {
    if (!t) return undefined;
    if (t.kind === 'op') {
      const w = this.word(t);
      return Object.hasOwn(SYMBOL_OPS, w) ? SYMBOL_OPS[w] : undefined;
    }
    if (t.kind === 'ident') {
      const w = this.word(t).toLowerCase();
      return Object.hasOwn(WORD_OPS, w) ? WORD_OPS[w] : undefined;
    }
    return undefined;
  }

  /** Precedence climbing over binary operators (pow to the right, the others to the left). */
  protected climb(left: PNode, min: number): PNode {
    let lhs = left;
    for (let op = this.binOp(this.peek()); op && op.prec >= min; op = this.binOp(this.peek())) {
      const opTok = this.peek()!;
      this.i++;
      const kids: PNode[] = [lhs, leaf(typeOf(op.name), opTok)];
      this.binModifiers(kids);
      let rhs = this.operand();
      for (let next = this.binOp(this.peek()); next && bindsTighter(next, op); next = this.binOp(this.peek())) {
        // `a ^ a ^ …` recurses once per operator: bounded like brackets.
        if (++this.depth > MAX_NESTING) throw DECLINE;
        rhs = this.climb(rhs, next.prec > op.prec ? op.prec + 1 : op.prec);
        this.depth--;
      }
      kids.push(rhs);
      lhs = make(T.BinaryExpr, lhs.from, rhs.to, kids);
    }
    return lhs;
  }

  protected binModifiers(kids: PNode[]) {
    let t = this.peek();
    if (this.isWord(t, 'bool')) {
      this.i++;
      kids.push(make(T.BoolModifier, t!.start, t!.end, [leaf(T.Bool, t!)]));
      t = this.peek();
    }
    const on = this.isWord(t, 'on');
    if (on || this.isWord(t, 'ignoring')) {
      this.i++;
      const parts = [leaf(on ? T.On : T.Ignoring, t!)];
      let last = this.groupingLabels();
      parts.push(last);
      const g = this.peek();
      const left = this.isWord(g, 'group_left');
      if (left || this.isWord(g, 'group_right')) {
        this.i++;
        last = leaf(left ? T.GroupLeft : T.GroupRight, g!);
        parts.push(last);
        if (this.isPunct(this.peek(), '(')) {
          last = this.groupingLabels();
          parts.push(last);
        }
      }
      kids.push(make(T.MatchingModifierClause, t!.start, last.to, parts));
    }
  }

  protected groupingLabels(): PNode {
    const open = this.expectPunct('(');
    const labels: PNode[] = [];
    for (;;) {
      const t = this.peek();
      if (this.isPunct(t, ')')) break;
      if (t?.kind !== 'ident' || !this.isLabelName(t)) throw DECLINE;
      this.i++;
      labels.push(leaf(T.LabelName, t));
      if (this.isPunct(this.peek(), ',')) this.i++;
      else if (!this.isPunct(this.peek(), ')')) throw DECLINE;
    }
    const close = this.expectPunct(')');
    return make(T.GroupingLabels, open.start, close.end, labels);
  }

  /** A unary expression or a primary, without the operators and modifiers that follow it. */
  protected operand(): PNode {
    const t = this.peek();
    if (!t) throw DECLINE;
    if (t.kind === 'op' && (this.word(t) === '-' || this.word(t) === '+')) {
      const literal = this.signedLiteral(t);
      if (literal) return literal;
      if (++this.depth > MAX_NESTING) throw DECLINE;
      this.i++;
      const inner = this.climb(this.operand(), POW);
      this.depth--;
      return make(T.UnaryExpr, t.start, inner.to, [leaf(T.UnaryOp, t), inner]);
    }
    return this.primary(t);
  }

  /**
   * At a sign: the signed number literal it starts (both tokens read), or undefined for a unary operator. Lezer's
   * grammar is ambiguous here: it keeps the signed literal at the end of the input (and before `^`, declined), the
   * unary minus elsewhere.
   */
  protected signedLiteral(t: Token): PNode | undefined {
    const next = this.peek(1);
    if (next?.kind === 'number' || (next?.kind === 'ident' && /^(?:inf|nan)$/i.test(this.word(next)))) {
      const after = this.peek(2);
      if (!after) {
        if (next.kind === 'number' && !NUMBER.test(this.word(next))) throw DECLINE;
        this.i += 2;
        return make(T.NumberDurationLiteral, t.start, next.end);
      }
      if (after.kind === 'op' && this.word(after) === '^') throw DECLINE;
    }
    return undefined;
  }

  /**
   * A name that is not a call: `inf`/`nan` (a number literal), or a metric name and its selector. No keyword, and no
   * all-lowercase name of Object.prototype, is longer than 12 characters: a longer name (most metric names) is no
   * keyword, without a lowercase copy and two lookups. Lezer's keyword tables are plain objects, so `constructor` or
   * `__proto__` finds something there: declined.
   */
  protected nameOperand(t: Token, name: string): PNode {
    if (name.length <= KEYWORD_MAX_LENGTH) {
      const lower = name.toLowerCase();
      if (lower === 'inf' || lower === 'nan') {
        this.i++;
        return leaf(T.NumberDurationLiteral, t);
      }
      if (KEYWORDS.has(lower) || PROTOTYPE_NAMES.has(lower)) throw DECLINE;
    }
    this.i++;
    const id = leaf(T.Identifier, t);
    if (this.isPunct(this.peek(), '{')) {
      const matchers = this.labelMatchers();
      return make(T.VectorSelector, t.start, matchers.to, [id, matchers]);
    }
    return make(T.VectorSelector, t.start, t.end, [id]);
  }

  protected primary(t: Token): PNode {
    switch (t.kind) {
      case 'number':
        if (!NUMBER.test(this.word(t))) throw DECLINE;
        this.i++;
        return leaf(T.NumberDurationLiteral, t);
      case 'string':
        if (!t.terminated) throw DECLINE;
        this.i++;
        return leaf(T.StringLiteral, t);
      case 'punct':
        if (this.isPunct(t, '(')) {
          this.i++;
          const inner = this.expr();
          const close = this.expectPunct(')');
          return make(T.ParenExpr, t.start, close.end, [inner]);
        }
        if (this.isPunct(t, '{')) {
          const matchers = this.labelMatchers();
          return make(T.VectorSelector, matchers.from, matchers.to, [matchers]);
        }
        throw DECLINE;
      case 'ident': {
        const name = this.word(t);
        const next = this.peek(1);
        if (this.isPunct(next, '(')) return this.call(t, name);
        if (this.isWord(next, 'by') || this.isWord(next, 'without')) {
          if (callShape(name)?.node !== 'AggregateExpr') throw DECLINE;
          return this.call(t, name);
        }
        return this.nameOperand(t, name);
      }
      default:
        throw DECLINE;
    }
  }

  protected labelMatchers(): PNode {
    const open = this.expectPunct('{');
    const matchers: PNode[] = [];
    for (;;) {
      const t = this.peek();
      if (this.isPunct(t, '}')) break;
      if (t?.kind !== 'ident' || !this.isLabelName(t)) throw DECLINE;
      const op = this.peek(1);
      const opType = this.matchOp(op);
      const value = this.peek(2);
      if (!opType || value?.kind !== 'string' || !value.terminated) throw DECLINE;
      this.i += 3;
      matchers.push(
        make(T.UnquotedLabelMatcher, t.start, value.end, [leaf(T.LabelName, t), make(T.MatchOp, op!.start, op!.end, [leaf(opType, op!)]), leaf(T.StringLiteral, value)]),
      );
      if (this.isPunct(this.peek(), ',')) this.i++;
      else if (!this.isPunct(this.peek(), '}')) throw DECLINE;
    }
    const close = this.expectPunct('}');
    return make(T.LabelMatchers, open.start, close.end, matchers);
  }

  protected call(t: Token, name: string): PNode {
    const shape = callShape(name);
    if (!shape) throw DECLINE;
    this.i++;
    if (shape.node === 'AggregateExpr') return this.aggregate(t, shape.inner);
    const body = this.callBody();
    return make(T.FunctionCall, t.start, body.to, [make(T.FunctionIdentifier, t.start, t.end, [leaf(typeOf(shape.inner), t)]), body]);
  }

  protected aggregate(t: Token, inner: string): PNode {
    const kids = [make(T.AggregateOp, t.start, t.end, [leaf(typeOf(inner), t)])];
    const before = this.aggregateModifier();
    if (before) kids.push(before);
    const body = this.callBody();
    kids.push(body);
    const after = before ? undefined : this.aggregateModifier();
    if (after) kids.push(after);
    return make(T.AggregateExpr, t.start, (after ?? body).to, kids);
  }

  protected aggregateModifier(): PNode | undefined {
    const t = this.peek();
    const by = this.isWord(t, 'by');
    if (!by && !this.isWord(t, 'without')) return undefined;
    this.i++;
    const labels = this.groupingLabels();
    return make(T.AggregateModifier, t!.start, labels.to, [leaf(by ? T.By : T.Without, t!), labels]);
  }

  protected callBody(): PNode {
    const open = this.expectPunct('(');
    const args: PNode[] = [];
    if (!this.isPunct(this.peek(), ')')) {
      for (;;) {
        args.push(this.expr());
        if (!this.isPunct(this.peek(), ',')) break;
        this.i++;
      }
    }
    const close = this.expectPunct(')');
    return make(T.FunctionCallBody, open.start, close.end, args);
  }

  /** A plain duration or number inside `[…]`: lezer's DurationExpr around NumberDurationLiteralInDurationContext. */
  protected duration(): PNode {
    const t = this.peek();
    if (t?.kind !== 'number' || !NUMBER.test(this.word(t))) throw DECLINE;
    this.i++;
    return make(T.DurationExpr, t.start, t.end, [leaf(T.NumberDurationLiteralInDurationContext, t)]);
  }

  /** `[range]` or `[range:step]` / `[range:]` after an expression: the durations and where the bracket closes. */
  protected rangeOrSubqueryParts(): { range: PNode; subquery: boolean; step: PNode | null; to: number } {
    this.expectPunct('[');
    const range = this.duration();
    const t = this.peek();
    if (this.isPunct(t, ']')) {
      this.i++;
      return { range, subquery: false, step: null, to: t!.end };
    }
    if (t?.kind !== 'op' || this.word(t) !== ':') throw DECLINE;
    this.i++;
    const step = this.isPunct(this.peek(), ']') ? null : this.duration();
    return { range, subquery: true, step, to: this.expectPunct(']').end };
  }

  protected rangeOrSubquery(e: PNode): PNode {
    const { range, subquery, step, to } = this.rangeOrSubqueryParts();
    if (!subquery) return make(T.MatrixSelector, e.from, to, [e, range]);
    return make(T.SubqueryExpr, e.from, to, step ? [e, range, step] : [e, range]);
  }

  /** `offset` and its duration (signed or not): lezer's OffsetDurationExpr. */
  protected offsetModifier(): { keyword: Token; duration: PNode } {
    const keyword = this.peek()!;
    this.i++;
    const t = this.peek();
    let duration: PNode;
    if (t?.kind === 'op' && this.word(t) === '-') {
      this.i++;
      const n = this.peek();
      if (n?.kind !== 'number' || !NUMBER.test(this.word(n))) throw DECLINE;
      this.i++;
      const inner = make(T.OffsetDurationExpr, n.start, n.end, [leaf(T.NumberDurationLiteralInDurationContext, n)]);
      duration = make(T.OffsetDurationExpr, t.start, n.end, [leaf(T.UnaryOp, t), inner]);
    } else {
      if (t?.kind !== 'number' || !NUMBER.test(this.word(t))) throw DECLINE;
      this.i++;
      duration = make(T.OffsetDurationExpr, t.start, t.end, [leaf(T.NumberDurationLiteralInDurationContext, t)]);
    }
    return { keyword, duration };
  }

  protected offset(e: PNode): PNode {
    const { keyword, duration } = this.offsetModifier();
    return make(T.OffsetExpr, e.from, duration.to, [e, leaf(T.Offset, keyword), duration]);
  }
}


/** Thrown when an expression has more nodes than toExpr could be sure to convert without TooDeep: parsed the old way. */
const TOO_BIG = { tooBig: true };

/**
 * The same parser, building the Analyzer's Expr (ast.ts) straight away: what toExpr makes of the tree Parser builds,
 * without that tree's expression nodes (ParenExpr, FunctionCall, MatrixSelector…) and without the second walk. The
 * nodes an Expr keeps (selectors, operators, durations, modifiers) are Parser's. A BinaryExpr node holds only its
 * operator and modifiers, which is all the analysis reads of it (by name).
 */
class ExprParser extends Parser {
  /** Expressions made: toExpr's depth is below it, so a count within MAX_DEPTH cannot be TooDeep there. */
  private count = 0;

  private made() {
    if (++this.count >= MAX_DEPTH) throw TOO_BIG;
  }

  topExpr(): Expr {
    const e = this.exprOf();
    if (this.i !== this.tokens.length) throw DECLINE;
    return e;
  }

  private exprOf(): Expr {
    if (++this.depth > MAX_NESTING) throw DECLINE;
    let e = this.operandExpr();
    for (;;) {
      e = this.climbExpr(e, 0);
      const t = this.peek();
      if (this.isPunct(t, '[')) e = this.rangeExpr(e);
      else if (this.isWord(t, 'offset')) e = this.offsetExpr(e);
      else break;
    }
    this.depth--;
    return e;
  }

  private climbExpr(left: Expr, min: number): Expr {
    let lhs = left;
    for (let op = this.binOp(this.peek()); op && op.prec >= min; op = this.binOp(this.peek())) {
      const opTok = this.peek()!;
      this.i++;
      const opNode = leaf(typeOf(op.name), opTok);
      const kids: PNode[] = [opNode];
      this.binModifiers(kids);
      let rhs = this.operandExpr();
      for (let next = this.binOp(this.peek()); next && bindsTighter(next, op); next = this.binOp(this.peek())) {
        if (++this.depth > MAX_NESTING) throw DECLINE;
        rhs = this.climbExpr(rhs, next.prec > op.prec ? op.prec + 1 : op.prec);
        this.depth--;
      }
      this.made();
      const node = make(T.BinaryExpr, lhs.span.from, rhs.span.to, kids);
      lhs = { kind: 'binary', span: { from: node.from, to: node.to }, op: opNode, lhs, rhs, node };
    }
    return lhs;
  }

  private operandExpr(): Expr {
    const t = this.peek();
    if (!t) throw DECLINE;
    if (t.kind === 'op' && (this.word(t) === '-' || this.word(t) === '+')) {
      const node = this.signedLiteral(t);
      if (node) {
        this.made();
        return { kind: 'number', span: { from: node.from, to: node.to }, node };
      }
      if (++this.depth > MAX_NESTING) throw DECLINE;
      this.i++;
      const inner = this.climbExpr(this.operandExpr(), POW);
      this.depth--;
      this.made();
      return { kind: 'unary', span: { from: t.start, to: inner.span.to }, op: leaf(T.UnaryOp, t), inner };
    }
    return this.primaryExpr(t);
  }

  private primaryExpr(t: Token): Expr {
    switch (t.kind) {
      case 'number': {
        if (!NUMBER.test(this.word(t))) throw DECLINE;
        this.i++;
        this.made();
        const node = leaf(T.NumberDurationLiteral, t);
        return { kind: 'number', span: { from: node.from, to: node.to }, node };
      }
      case 'string': {
        if (!t.terminated) throw DECLINE;
        this.i++;
        this.made();
        const node = leaf(T.StringLiteral, t);
        return { kind: 'string', span: { from: node.from, to: node.to }, node };
      }
      case 'punct':
        if (this.isPunct(t, '(')) {
          this.i++;
          const inner = this.exprOf();
          const close = this.expectPunct(')');
          this.made();
          return { kind: 'paren', span: { from: t.start, to: close.end }, inner };
        }
        if (this.isPunct(t, '{')) {
          const matchers = this.labelMatchers();
          this.made();
          const node = make(T.VectorSelector, matchers.from, matchers.to, [matchers]);
          return { kind: 'selector', span: { from: node.from, to: node.to }, node };
        }
        throw DECLINE;
      case 'ident': {
        const name = this.word(t);
        const next = this.peek(1);
        if (this.isPunct(next, '(')) return this.callExpr(t, name);
        if (this.isWord(next, 'by') || this.isWord(next, 'without')) {
          if (callShape(name)?.node !== 'AggregateExpr') throw DECLINE;
          return this.callExpr(t, name);
        }
        const node = this.nameOperand(t, name);
        this.made();
        return { kind: node.type === T.NumberDurationLiteral ? 'number' : 'selector', span: { from: node.from, to: node.to }, node };
      }
      default:
        throw DECLINE;
    }
  }

  private callExpr(t: Token, name: string): Expr {
    const shape = callShape(name);
    if (!shape) throw DECLINE;
    this.i++;
    this.made();
    if (shape.node === 'AggregateExpr') {
      const op = make(T.AggregateOp, t.start, t.end, [leaf(typeOf(shape.inner), t)]);
      const before = this.aggregateModifier();
      const args: Expr[] = [];
      const close = this.argsExpr(args);
      const after = before ? undefined : this.aggregateModifier();
      const modifier = before ?? after ?? null;
      return { kind: 'aggregate', span: { from: t.start, to: after ? after.to : close }, op, modifier, args };
    }
    const id = make(T.FunctionIdentifier, t.start, t.end, [leaf(typeOf(shape.inner), t)]);
    const args: Expr[] = [];
    const close = this.argsExpr(args);
    return { kind: 'call', span: { from: t.start, to: close }, id, args };
  }

  /** A call's bracketed arguments, into `args`; where the closing bracket ends. */
  private argsExpr(args: Expr[]): number {
    this.expectPunct('(');
    if (!this.isPunct(this.peek(), ')')) {
      for (;;) {
        args.push(this.exprOf());
        if (!this.isPunct(this.peek(), ',')) break;
        this.i++;
      }
    }
    return this.expectPunct(')').end;
  }

  private rangeExpr(e: Expr): Expr {
    const { range, subquery, step, to } = this.rangeOrSubqueryParts();
    this.made();
    if (!subquery) return attach(e, (target) => ({ kind: 'range', span: { from: target.span.from, to }, inner: target, duration: range }));
    return attach(e, (target) => ({ kind: 'subquery', span: { from: target.span.from, to }, inner: target, range, step }));
  }

  private offsetExpr(e: Expr): Expr {
    const { keyword, duration } = this.offsetModifier();
    this.made();
    const to = duration.to;
    const modifier: Span = { from: keyword.start, to };
    return attach(e, (target) => ({ kind: 'offset', span: { from: target.span.from, to }, inner: target, modifier, duration }));
  }
}

/** Whether `next` takes the right operand of `op` (higher precedence, or both `^`, which is right-associative). */
function bindsTighter(next: BinOp, op: BinOp): boolean {
  return next.prec > op.prec || (next.prec === POW && op.prec === POW);
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** Whether a `#` outside every string literal starts a comment (lezer puts comments in its tree). */
function hasComment(text: string, tokens: readonly Token[]): boolean {
  let at = text.indexOf('#');
  if (at < 0) return false;
  let k = 0;
  while (at >= 0) {
    while (k < tokens.length && tokens[k]!.end <= at) k++;
    const t = tokens[k];
    if (!t || t.kind !== 'string' || t.start > at) return true;
    at = text.indexOf('#', at + 1);
  }
  return false;
}

/** Lezer's tree for `text` (its tokens without comments), or undefined where lezer should parse it. */
export function fastParse(text: string, tokens: readonly Token[]): { topNode: Node } | undefined {
  // Lezer's string token stops at a lone surrogate (which a slice of a longer text may hold): left to lezer, and with
  // it any surrogate pair.
  if (tokens.length === 0 || hasComment(text, tokens) || SURROGATE.test(text)) return undefined;
  T ??= nodeTypes();
  try {
    return { topNode: new Parser(text, tokens).top() };
  } catch (e) {
    if (e === DECLINE) return undefined;
    throw e;
  }
}


/**
 * What toExpr makes of fastParse's tree (its root expression), built without the tree; undefined where fastParse
 * declines, 'too-big' for an expression of MAX_DEPTH nodes or more (fastParse and toExpr then, which may find it too deep).
 */
export function fastExpr(text: string, tokens: readonly Token[]): Expr | 'too-big' | undefined {
  if (tokens.length === 0 || hasComment(text, tokens) || SURROGATE.test(text)) return undefined;
  T ??= nodeTypes();
  try {
    return new ExprParser(text, tokens).topExpr();
  } catch (e) {
    if (e === DECLINE) return undefined;
    if (e === TOO_BIG) return 'too-big';
    throw e;
  }
}
