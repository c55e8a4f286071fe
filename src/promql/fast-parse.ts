import type { NodeType } from '@lezer/common';
import { attach, MAX_DEPTH, type Expr, type Node, type Span } from './ast.ts';
import { fastNodeType, grammarCall } from './fast-node-types.ts';
import { promqlParser } from './lezer.ts';
import { CLOSED_STRING, scanInto, TOKEN_KINDS, TokenBuffer, type TokenFields, type TokenKind } from './scanner.ts';

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

/** The grammar's node type of this name (fast-node-types.ts: not the grammar itself, which a declined parse loads). */
const typeOf = fastNodeType;

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

/** Thrown to give up; caught in fastParse. */
export const DECLINE = { declined: true };

/** Lezer's `number` token (its `duration` included), matched in full against a scanner token. */
export const NUMBER =
  /^(?:(?:[0-9]+(?:_?[0-9])*(?:\.[0-9]+(?:_?[0-9])*)?|\.[0-9]+(?:_?[0-9])*)(?:[eE][+-]?[0-9]+(?:_?[0-9])*)?|0x[0-9a-fA-F]+|(?=[0-9])(?:[0-9]+y)?(?:[0-9]+w)?(?:[0-9]+d)?(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?(?:[0-9]+ms)?)$/;

export interface BinOp {
  name: string;
  prec: number;
  /** The node type named `name`, looked up on first use (opType). */
  type?: NodeType;
}

/** An operator's node type: looked up once, not per operator parsed. */
const opType = (op: BinOp): NodeType => (op.type ??= typeOf(op.name));

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
  /** Its node type. */
  innerType: NodeType;
}

const callShapes = new Map<string, CallShape | null>();

/** What lezer makes of `name(x)`: known for Prometheus's functions (grammarCall), else asked of lezer itself, once per name. */
function callShape(name: string): CallShape | null {
  let shape = callShapes.get(name);
  if (shape !== undefined) return shape;
  const known = grammarCall(name);
  if (known) {
    callShapes.set(name, (shape = { ...known, innerType: typeOf(known.inner) }));
    return shape;
  }
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
      shape = { node: 'FunctionCall', inner: inner.name, innerType: typeOf(inner.name) };
    } else if (call.name === 'AggregateExpr' && head?.name === 'AggregateOp' && inner && inner.to === name.length) {
      shape = { node: 'AggregateExpr', inner: inner.name, innerType: typeOf(inner.name) };
    }
  }
  if (callShapes.size < 10_000) callShapes.set(name, shape);
  return shape;
}

export const MAX_NESTING = 200;

export const OPEN_PAREN = 40;
export const CLOSE_PAREN = 41;
export const OPEN_BRACKET = 91;
export const CLOSE_BRACKET = 93;
export const OPEN_BRACE = 123;
export const CLOSE_BRACE = 125;
export const COMMA = 44;

/** A token read ahead of the current one (Parser.ahead). */
const newToken = (): TokenFields => ({ kind: null, start: 0, end: 0, terminated: false });

/**
 * Reads the scanner's tokens from a TokenBuffer (numbers, not an object per token: ≈ 3 KB of them for a 150-character
 * expression), the current one into its own fields (`kind` null at the end). The caller declines a text with a
 * comment before (lezer keeps comments in its tree).
 */
export class Parser implements TokenFields {
  protected depth = 0;
  kind: TokenKind | null = null;
  start = 0;
  end = 0;
  terminated = false;
  /** The index of the current token in `tokens`. */
  private i = -1;
  /** The tokens after the current one, when read ahead (a sign, a name before `(`). */
  private readonly next1 = newToken();
  private readonly next2 = newToken();

  constructor(
    protected readonly text: string,
    private readonly tokens: TokenBuffer,
  ) {
    this.advance();
  }

  /** Reads the token at `index` into `into`. */
  private load(index: number, into: TokenFields): TokenFields {
    const tokens = this.tokens;
    if (index >= tokens.count) {
      into.kind = null;
      into.start = into.end = this.text.length;
      into.terminated = false;
    } else {
      const code = tokens.kinds[index]!;
      into.kind = TOKEN_KINDS[code]!;
      into.start = tokens.starts[index]!;
      into.end = tokens.ends[index]!;
      into.terminated = code === CLOSED_STRING;
    }
    return into;
  }

  /** Moves to the next token. */
  protected advance() {
    this.load(++this.i, this);
  }

  /** The token after the current one. */
  protected ahead(): TokenFields {
    return this.load(this.i + 1, this.next1);
  }

  protected word(t: TokenFields): string {
    return this.text.slice(t.start, t.end);
  }

  /** A leaf of this type at the current token. */
  protected leaf(type: NodeType): PNode {
    return make(type, this.start, this.end);
  }

  /** Whether the token is this bracket or comma (by character code). */
  protected isPunct(t: TokenFields, c: number): boolean {
    return t.kind === 'punct' && this.text.charCodeAt(t.start) === c;
  }

  /** Reads this bracket or comma; where it starts (it ends one after). */
  protected expectPunct(c: number): number {
    if (!this.isPunct(this, c)) throw DECLINE;
    const at = this.start;
    this.advance();
    return at;
  }

  /** An identifier token (`[A-Za-z_:][A-Za-z0-9_:]*`, the scanner's) that is a label name: one without a colon. */
  protected isLabelName(t: TokenFields): boolean {
    for (let i = t.start; i < t.end; i++) if (this.text.charCodeAt(i) === 58) return false;
    return true;
  }

  /** The node type of a matcher's operator token (`=`, `!=`, `=~`, `!~`), or undefined. */
  protected matchOp(t: TokenFields): NodeType | undefined {
    if (t.kind !== 'op') return undefined;
    const c = this.text.charCodeAt(t.start);
    if (t.end - t.start === 1) return c === 61 ? T.EqlSingle : undefined;
    if (t.end - t.start !== 2) return undefined;
    const d = this.text.charCodeAt(t.start + 1);
    if (c === 33) return d === 61 ? T.Neq : d === 126 ? T.NeqRegex : undefined;
    return c === 61 && d === 126 ? T.EqlRegex : undefined;
  }

  protected isWord(t: TokenFields, lower: string): boolean {
    return t.kind === 'ident' && t.end - t.start === lower.length && this.word(t).toLowerCase() === lower;
  }

  /** Whether the token is the one-character operator `c`. */
  protected isOneCharOp(t: TokenFields, c: number): boolean {
    return t.kind === 'op' && t.end - t.start === 1 && this.text.charCodeAt(t.start) === c;
  }

  /** Whether the current token is a string literal with its closing quote (a method: TypeScript narrows `this.kind` across advance()). */
  protected atClosedString(): boolean {
    return this.kind === 'string' && this.terminated;
  }

  /** Whether the current token is `-` or `+`. */
  protected atSign(): boolean {
    return this.isOneCharOp(this, 45) || this.isOneCharOp(this, 43);
  }

  top(): PNode {
    const e = this.expr();
    if (this.kind !== null) throw DECLINE;
    return make(T.PromQL, 0, this.text.length, [e]);
  }

  /** An expression up to a closing bracket, a comma or the end: operators, then `[…]` and `offset` over all of it. */
  protected expr(): PNode {
    if (++this.depth > MAX_NESTING) throw DECLINE;
    let e = this.operand();
    for (;;) {
      e = this.climb(e, 0);
      if (this.isPunct(this, OPEN_BRACKET)) e = this.rangeOrSubquery(e);
      else if (this.isWord(this, 'offset')) e = this.offset(e);
      else break;
    }
    this.depth--;
    return e;
  }

  /** The binary operator the current token is, or undefined. */
  protected binOp(): BinOp | undefined {
    if (this.kind === 'op') {
      const w = this.word(this);
      return Object.hasOwn(SYMBOL_OPS, w) ? SYMBOL_OPS[w] : undefined;
    }
    if (this.kind === 'ident') {
      const w = this.word(this).toLowerCase();
      return Object.hasOwn(WORD_OPS, w) ? WORD_OPS[w] : undefined;
    }
    return undefined;
  }

  /** Precedence climbing over binary operators (pow to the right, the others to the left). */
  protected climb(left: PNode, min: number): PNode {
    let lhs = left;
    for (let op = this.binOp(); op && op.prec >= min; op = this.binOp()) {
      const kids: PNode[] = [lhs, this.leaf(opType(op))];
      this.advance();
      this.binModifiers(kids);
      let rhs = this.operand();
      for (let next = this.binOp(); next && bindsTighter(next, op); next = this.binOp()) {
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
    if (this.isWord(this, 'bool')) {
      kids.push(make(T.BoolModifier, this.start, this.end, [this.leaf(T.Bool)]));
      this.advance();
    }
    const on = this.isWord(this, 'on');
    if (on || this.isWord(this, 'ignoring')) {
      const keyword = this.leaf(on ? T.On : T.Ignoring);
      this.advance();
      const parts = [keyword];
      let last = this.groupingLabels();
      parts.push(last);
      const left = this.isWord(this, 'group_left');
      if (left || this.isWord(this, 'group_right')) {
        last = this.leaf(left ? T.GroupLeft : T.GroupRight);
        this.advance();
        parts.push(last);
        if (this.isPunct(this, OPEN_PAREN)) {
          last = this.groupingLabels();
          parts.push(last);
        }
      }
      kids.push(make(T.MatchingModifierClause, keyword.from, last.to, parts));
    }
  }

  protected groupingLabels(): PNode {
    const open = this.expectPunct(OPEN_PAREN);
    const labels: PNode[] = [];
    for (;;) {
      if (this.isPunct(this, CLOSE_PAREN)) break;
      if (this.kind !== 'ident' || !this.isLabelName(this)) throw DECLINE;
      labels.push(this.leaf(T.LabelName));
      this.advance();
      if (this.isPunct(this, COMMA)) this.advance();
      else if (!this.isPunct(this, CLOSE_PAREN)) throw DECLINE;
    }
    const close = this.expectPunct(CLOSE_PAREN);
    return make(T.GroupingLabels, open, close + 1, labels);
  }

  /** A unary expression or a primary, without the operators and modifiers that follow it. */
  protected operand(): PNode {
    if (this.kind === null) throw DECLINE;
    if (this.atSign()) {
      const literal = this.signedLiteral();
      if (literal) return literal;
      if (++this.depth > MAX_NESTING) throw DECLINE;
      const op = this.leaf(T.UnaryOp);
      this.advance();
      const inner = this.climb(this.operand(), POW);
      this.depth--;
      return make(T.UnaryExpr, op.from, inner.to, [op, inner]);
    }
    return this.primary();
  }

  /**
   * At a sign: the signed number literal it starts (both tokens read), or undefined for a unary operator. Lezer's
   * grammar is ambiguous here: it keeps the signed literal at the end of the input (and before `^`, declined), the
   * unary minus elsewhere.
   */
  protected signedLiteral(): PNode | undefined {
    const next = this.ahead();
    if (next.kind === 'number' || (next.kind === 'ident' && /^(?:inf|nan)$/i.test(this.word(next)))) {
      const after = this.load(this.i + 2, this.next2);
      if (after.kind === null) {
        if (next.kind === 'number' && !NUMBER.test(this.word(next))) throw DECLINE;
        const node = make(T.NumberDurationLiteral, this.start, next.end);
        this.advance();
        this.advance();
        return node;
      }
      if (this.isOneCharOp(after, 94)) throw DECLINE;
    }
    return undefined;
  }

  /** A name that is not a call: `inf`/`nan` (a number literal), or a metric name and its selector (see nameKind). */
  protected nameOperand(name: string): PNode {
    const kind = this.nameKind(name);
    if (kind === 'number') {
      const node = this.leaf(T.NumberDurationLiteral);
      this.advance();
      return node;
    }
    if (kind === 'keyword') throw DECLINE;
    const id = this.leaf(T.Identifier);
    this.advance();
    if (this.isPunct(this, OPEN_BRACE)) {
      const matchers = this.labelMatchers();
      return make(T.VectorSelector, id.from, matchers.to, [id, matchers]);
    }
    return make(T.VectorSelector, id.from, id.to, [id]);
  }

  /**
   * What a name that is not called reads as: `inf`/`nan` a number literal, a keyword (declined), else a metric name
   * (undefined). No keyword, and no all-lowercase name of Object.prototype, is longer than 12 characters: a longer
   * name (most metric names) is no keyword, without a lowercase copy and two lookups. Lezer's keyword tables are plain
   * objects, so `constructor` or `__proto__` finds something there: a keyword too.
   */
  protected nameKind(name: string): 'number' | 'keyword' | undefined {
    if (name.length > KEYWORD_MAX_LENGTH) return undefined;
    const lower = name.toLowerCase();
    if (lower === 'inf' || lower === 'nan') return 'number';
    return KEYWORDS.has(lower) || PROTOTYPE_NAMES.has(lower) ? 'keyword' : undefined;
  }

  /**
   * At a name: what lezer makes of its call when it is called (`name(`, or an aggregation's `name by`), undefined when
   * it is not; a call of a name lezer does not take so declines.
   */
  protected called(name: string): CallShape | undefined {
    const next = this.ahead();
    if (this.isPunct(next, OPEN_PAREN)) {
      const shape = callShape(name);
      if (!shape) throw DECLINE;
      return shape;
    }
    if (this.isWord(next, 'by') || this.isWord(next, 'without')) {
      const shape = callShape(name);
      if (shape?.node !== 'AggregateExpr') throw DECLINE;
      return shape;
    }
    return undefined;
  }

  protected primary(): PNode {
    switch (this.kind) {
      case 'number': {
        if (!NUMBER.test(this.word(this))) throw DECLINE;
        const node = this.leaf(T.NumberDurationLiteral);
        this.advance();
        return node;
      }
      case 'string': {
        if (!this.terminated) throw DECLINE;
        const node = this.leaf(T.StringLiteral);
        this.advance();
        return node;
      }
      case 'punct':
        if (this.isPunct(this, OPEN_PAREN)) {
          const open = this.start;
          this.advance();
          const inner = this.expr();
          const close = this.expectPunct(CLOSE_PAREN);
          return make(T.ParenExpr, open, close + 1, [inner]);
        }
        if (this.isPunct(this, OPEN_BRACE)) {
          const matchers = this.labelMatchers();
          return make(T.VectorSelector, matchers.from, matchers.to, [matchers]);
        }
        throw DECLINE;
      case 'ident': {
        const name = this.word(this);
        const shape = this.called(name);
        return shape ? this.call(shape) : this.nameOperand(name);
      }
      default:
        throw DECLINE;
    }
  }

  protected labelMatchers(): PNode {
    const open = this.expectPunct(OPEN_BRACE);
    const matchers: PNode[] = [];
    for (;;) {
      if (this.isPunct(this, CLOSE_BRACE)) break;
      if (this.kind !== 'ident' || !this.isLabelName(this)) throw DECLINE;
      const name = this.leaf(T.LabelName);
      this.advance();
      const opType = this.matchOp(this);
      if (!opType) throw DECLINE;
      const op = make(T.MatchOp, this.start, this.end, [this.leaf(opType)]);
      this.advance();
      if (!this.atClosedString()) throw DECLINE;
      const value = this.leaf(T.StringLiteral);
      this.advance();
      matchers.push(make(T.UnquotedLabelMatcher, name.from, value.to, [name, op, value]));
      if (this.isPunct(this, COMMA)) this.advance();
      else if (!this.isPunct(this, CLOSE_BRACE)) throw DECLINE;
    }
    const close = this.expectPunct(CLOSE_BRACE);
    return make(T.LabelMatchers, open, close + 1, matchers);
  }

  protected call(shape: CallShape): PNode {
    const from = this.start;
    const to = this.end;
    const inner = this.leaf(shape.innerType);
    this.advance();
    if (shape.node === 'AggregateExpr') return this.aggregate(make(T.AggregateOp, from, to, [inner]));
    const body = this.callBody();
    return make(T.FunctionCall, from, body.to, [make(T.FunctionIdentifier, from, to, [inner]), body]);
  }

  protected aggregate(op: PNode): PNode {
    const kids = [op];
    const before = this.aggregateModifier();
    if (before) kids.push(before);
    const body = this.callBody();
    kids.push(body);
    const after = before ? undefined : this.aggregateModifier();
    if (after) kids.push(after);
    return make(T.AggregateExpr, op.from, (after ?? body).to, kids);
  }

  protected aggregateModifier(): PNode | undefined {
    const by = this.isWord(this, 'by');
    if (!by && !this.isWord(this, 'without')) return undefined;
    const keyword = this.leaf(by ? T.By : T.Without);
    this.advance();
    const labels = this.groupingLabels();
    return make(T.AggregateModifier, keyword.from, labels.to, [keyword, labels]);
  }

  protected callBody(): PNode {
    const open = this.start;
    const args: PNode[] = [];
    const close = this.argumentList(() => this.expr(), args);
    return make(T.FunctionCallBody, open, close + 1, args);
  }

  /** A call's bracketed arguments, each read by `item`, into `items`; where the closing bracket is. */
  protected argumentList<E>(item: () => E, items: E[]): number {
    this.expectPunct(OPEN_PAREN);
    if (!this.isPunct(this, CLOSE_PAREN)) {
      for (;;) {
        items.push(item());
        if (!this.isPunct(this, COMMA)) break;
        this.advance();
      }
    }
    return this.expectPunct(CLOSE_PAREN);
  }

  /** A plain duration or number inside `[…]`: lezer's DurationExpr around NumberDurationLiteralInDurationContext. */
  protected duration(): PNode {
    if (this.kind !== 'number' || !NUMBER.test(this.word(this))) throw DECLINE;
    const node = make(T.DurationExpr, this.start, this.end, [this.leaf(T.NumberDurationLiteralInDurationContext)]);
    this.advance();
    return node;
  }

  /** Set by rangeOrSubqueryParts: the range, the subquery's step (null: none, or a range) and where the bracket closes. */
  protected partRange: PNode | null = null;
  protected partStep: PNode | null = null;
  protected partTo = 0;

  /** `[range]` or `[range:step]` / `[range:]` after an expression, into the part fields: whether it is a subquery. */
  protected rangeOrSubqueryParts(): boolean {
    this.expectPunct(OPEN_BRACKET);
    this.partRange = this.duration();
    this.partStep = null;
    if (this.isPunct(this, CLOSE_BRACKET)) {
      this.partTo = this.end;
      this.advance();
      return false;
    }
    if (!this.isOneCharOp(this, 58)) throw DECLINE;
    this.advance();
    if (!this.isPunct(this, CLOSE_BRACKET)) this.partStep = this.duration();
    this.partTo = this.expectPunct(CLOSE_BRACKET) + 1;
    return true;
  }

  protected rangeOrSubquery(e: PNode): PNode {
    const subquery = this.rangeOrSubqueryParts();
    const range = this.partRange!;
    const step = this.partStep;
    if (!subquery) return make(T.MatrixSelector, e.from, this.partTo, [e, range]);
    return make(T.SubqueryExpr, e.from, this.partTo, step ? [e, range, step] : [e, range]);
  }

  /** `offset` (its leaf returned) and its duration (signed or not: lezer's OffsetDurationExpr, left in partRange). */
  protected offsetModifier(): PNode {
    const keyword = this.leaf(T.Offset);
    this.advance();
    if (this.isOneCharOp(this, 45)) {
      const sign = this.leaf(T.UnaryOp);
      this.advance();
      if (this.kind !== 'number' || !NUMBER.test(this.word(this))) throw DECLINE;
      const inner = make(T.OffsetDurationExpr, this.start, this.end, [this.leaf(T.NumberDurationLiteralInDurationContext)]);
      this.advance();
      this.partRange = make(T.OffsetDurationExpr, sign.from, inner.to, [sign, inner]);
    } else {
      if (this.kind !== 'number' || !NUMBER.test(this.word(this))) throw DECLINE;
      this.partRange = make(T.OffsetDurationExpr, this.start, this.end, [this.leaf(T.NumberDurationLiteralInDurationContext)]);
      this.advance();
    }
    return keyword;
  }

  protected offset(e: PNode): PNode {
    const keyword = this.offsetModifier();
    const duration = this.partRange!;
    return make(T.OffsetExpr, e.from, duration.to, [e, keyword, duration]);
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
    if (this.kind !== null) throw DECLINE;
    return e;
  }

  private exprOf(): Expr {
    if (++this.depth > MAX_NESTING) throw DECLINE;
    let e = this.operandExpr();
    for (;;) {
      e = this.climbExpr(e, 0);
      if (this.isPunct(this, OPEN_BRACKET)) e = this.rangeExpr(e);
      else if (this.isWord(this, 'offset')) e = this.offsetExpr(e);
      else break;
    }
    this.depth--;
    return e;
  }

  private climbExpr(left: Expr, min: number): Expr {
    let lhs = left;
    for (let op = this.binOp(); op && op.prec >= min; op = this.binOp()) {
      const opNode = this.leaf(opType(op));
      this.advance();
      const kids: PNode[] = [opNode];
      this.binModifiers(kids);
      let rhs = this.operandExpr();
      for (let next = this.binOp(); next && bindsTighter(next, op); next = this.binOp()) {
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
    if (this.kind === null) throw DECLINE;
    if (this.atSign()) {
      const node = this.signedLiteral();
      if (node) {
        this.made();
        return { kind: 'number', span: { from: node.from, to: node.to }, node };
      }
      if (++this.depth > MAX_NESTING) throw DECLINE;
      const op = this.leaf(T.UnaryOp);
      this.advance();
      const inner = this.climbExpr(this.operandExpr(), POW);
      this.depth--;
      this.made();
      return { kind: 'unary', span: { from: op.from, to: inner.span.to }, op, inner };
    }
    return this.primaryExpr();
  }

  private primaryExpr(): Expr {
    // A name first: most operands are one (a selector or a call).
    switch (this.kind) {
      case 'ident': {
        const name = this.word(this);
        const shape = this.called(name);
        if (shape) return this.callExpr(shape);
        const node = this.nameOperand(name);
        this.made();
        return { kind: node.type === T.NumberDurationLiteral ? 'number' : 'selector', span: { from: node.from, to: node.to }, node };
      }
      case 'number': {
        if (!NUMBER.test(this.word(this))) throw DECLINE;
        const node = this.leaf(T.NumberDurationLiteral);
        this.advance();
        this.made();
        return { kind: 'number', span: { from: node.from, to: node.to }, node };
      }
      case 'string': {
        if (!this.terminated) throw DECLINE;
        const node = this.leaf(T.StringLiteral);
        this.advance();
        this.made();
        return { kind: 'string', span: { from: node.from, to: node.to }, node };
      }
      case 'punct':
        if (this.isPunct(this, OPEN_PAREN)) {
          const open = this.start;
          this.advance();
          const inner = this.exprOf();
          const close = this.expectPunct(CLOSE_PAREN);
          this.made();
          return { kind: 'paren', span: { from: open, to: close + 1 }, inner };
        }
        if (this.isPunct(this, OPEN_BRACE)) {
          const matchers = this.labelMatchers();
          this.made();
          const node = make(T.VectorSelector, matchers.from, matchers.to, [matchers]);
          return { kind: 'selector', span: { from: node.from, to: node.to }, node };
        }
        throw DECLINE;
      default:
        throw DECLINE;
    }
  }

  private callExpr(shape: CallShape): Expr {
    const from = this.start;
    const to = this.end;
    const inner = this.leaf(shape.innerType);
    this.advance();
    this.made();
    if (shape.node === 'AggregateExpr') {
      const op = make(T.AggregateOp, from, to, [inner]);
      const before = this.aggregateModifier();
      const args: Expr[] = [];
      const close = this.argsExpr(args);
      const after = before ? undefined : this.aggregateModifier();
      const modifier = before ?? after ?? null;
      return { kind: 'aggregate', span: { from, to: after ? after.to : close }, op, modifier, args };
    }
    const id = make(T.FunctionIdentifier, from, to, [inner]);
    const args: Expr[] = [];
    const close = this.argsExpr(args);
    return { kind: 'call', span: { from, to: close }, id, args };
  }

  /** A call's bracketed arguments, into `args`; where the closing bracket ends. */
  private argsExpr(args: Expr[]): number {
    return this.argumentList(() => this.exprOf(), args) + 1;
  }

  private rangeExpr(e: Expr): Expr {
    const subquery = this.rangeOrSubqueryParts();
    const range = this.partRange;
    const step = this.partStep;
    const to = this.partTo;
    this.made();
    if (!subquery) return attach(e, (target) => ({ kind: 'range', span: { from: target.span.from, to }, inner: target, duration: range }));
    return attach(e, (target) => ({ kind: 'subquery', span: { from: target.span.from, to }, inner: target, range, step }));
  }

  private offsetExpr(e: Expr): Expr {
    const keyword = this.offsetModifier();
    const duration = this.partRange!;
    this.made();
    const to = duration.to;
    const modifier: Span = { from: keyword.from, to };
    return attach(e, (target) => ({ kind: 'offset', span: { from: target.span.from, to }, inner: target, modifier, duration }));
  }
}

/** Whether `next` takes the right operand of `op` (higher precedence, or both `^`, which is right-associative). */
export function bindsTighter(next: BinOp, op: BinOp): boolean {
  return next.prec > op.prec || (next.prec === POW && op.prec === POW);
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** The token buffer the parsers read (texts up to its length; a longer one gets its own, so this one stays small). */
const TOKENS = new TokenBuffer(4096);

/**
 * The tokens of a text the hand-written parser may take (`templates`: Grafana's variables as tokens of their own, see
 * scanInto), or undefined where lezer should parse it: a text with a comment
 * (lezer puts comments in its tree), and one with a surrogate (lezer's string token stops at a lone surrogate, which a
 * slice of a longer text may hold: left to lezer, and with it any surrogate pair).
 */
export function tokensOf(text: string, templates = false): TokenBuffer | undefined {
  if (SURROGATE.test(text)) return undefined;
  const tokens = text.length <= TOKENS.kinds.length ? TOKENS : new TokenBuffer(text.length);
  scanInto(text, templates, tokens);
  return tokens.comments === 0 ? tokens : undefined;
}

/** Lezer's tree for `text`, or undefined where lezer should parse it. */
export function fastParse(text: string): { topNode: Node } | undefined {
  const tokens = tokensOf(text);
  if (!tokens) return undefined;
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
export function fastExpr(text: string): Expr | 'too-big' | undefined {
  const tokens = tokensOf(text);
  if (!tokens) return undefined;
  T ??= nodeTypes();
  try {
    return new ExprParser(text, tokens).topExpr();
  } catch (e) {
    if (e === DECLINE) return undefined;
    if (e === TOO_BIG) return 'too-big';
    throw e;
  }
}
