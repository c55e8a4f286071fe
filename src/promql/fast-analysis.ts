import { parseDuration } from '../util/duration.ts';
import { prometheusMatcherRegexError } from '../util/re2-syntax.ts';
import { bindsTighter, CLOSE_BRACE, CLOSE_BRACKET, CLOSE_PAREN, COMMA, DECLINE, MAX_NESTING, NUMBER, OPEN_BRACE, OPEN_BRACKET, OPEN_PAREN, Parser, tokensOf, type BinOp } from './fast-parse.ts';
import { distinctMetrics, keptList, MIRRORED, NO_CONTEXT, NONE, selectorFact, withRange, type Compared, type FactContext, type GroupingFact, type Located, type MatcherFact, type SelectorFact } from './facts.ts';
import { AGGREGATIONS, arityOf, FUNCTIONS } from './functions.ts';
import { exactly, inherited, union, withoutLabels } from './labels.ts';
import { acceptedDuration, regexError } from './literal-verdicts.ts';
import { shared } from './strings.ts';
import type { FunctionUse, LabelMatcher, MatchOperator, MetricUse, OutputLabels, PromqlAnalysis, ResultType } from './types.ts';

/**
 * The analysis of the common, valid expression in one pass over its tokens: the object the Analyzer (analyze.ts)
 * makes of it after the hand-written parser's tree, key for key, without the tree, the second walk and the facts'
 * hooks. A cold build's 11,200 analyses ran mostly before V8 had optimised that code; this is less of it (one class,
 * few objects per expression). It takes only what it can judge without a message: metric selectors with plain
 * matchers and an optional `[duration]`, calls of Prometheus 2.42's functions on vectors, matrices and scalars,
 * aggregations without a parameter, `by`/`without`, binary operators without `bool`/`on`/`ignoring`, numbers and
 * parentheses, and in a Grafana query a variable for a range (`[$__rate_interval]`) — and declines (undefined)
 * anything else, or anything the Analyzer would report, which then takes the usual way.
 * test/promql-fast-parse.test.ts compares the two over the repository's corpora and random mutations.
 */

/** A vector selector as read, until the expression around it says what is done to it (its facts' context). */
interface PendingSelector {
  metric: string;
  at: Located;
  matchers: MatcherFact[];
  range: SelectorFact['range'];
  context: FactContext;
}

/** What an expression evaluates to, and what its parent may need of it (through parentheses). */
interface Part {
  type: ResultType;
  labels: OutputLabels;
  /** The expression is this selector (with its range, if any). */
  selector?: PendingSelector;
  /** The expression is this number literal. */
  number?: number;
}

const COMPARISON_OPS = new Set(['Eql', 'Neq', 'Gtr', 'Gte', 'Lss', 'Lte']);
const SET_OPS = new Set(['And', 'Or', 'Unless']);
/** Functions whose analysis has facts or labels of its own (absent, quantiles, labels made from strings): left to the Analyzer. */
const DECLINED_FUNCTIONS = new Set(['absent', 'absent_over_time', 'histogram_quantile', 'label_replace', 'label_join']);
/** Operands this pass reads before it declines (the Analyzer's own walk takes larger ones, and can say when one is too deep). */
const MAX_OPERANDS = 500;

/** A `by`/`without` clause as read. */
interface Grouping {
  kind: 'by' | 'without';
  labels: (Located & { name: string })[];
}

class AnalysisParser extends Parser {
  private readonly metrics: MetricUse[] = [];
  private readonly functions: FunctionUse[] = [];
  private readonly selectors: PendingSelector[] = [];
  /** In the Analyzer's order (an aggregation's before those inside it); null where an aggregation has no clause. */
  private readonly groupings: (GroupingFact | null)[] = [];
  private aggregations = 0;
  private operands = 0;

  analysis(): PromqlAnalysis {
    const root = this.exprPart();
    if (this.kind !== null) throw DECLINE;
    const selectors = this.selectors.map((p) => selectorFact(p.metric, p.at, p.matchers, p.range ? withRange(p.context, p.range) : p.context));
    // The whole expression is one selector, not a range of it: its fact is the only one.
    if (root.selector && !root.selector.range) selectors[0]!.bare = true;
    const groupings = this.groupings.filter((g): g is GroupingFact => g !== null);
    return {
      ok: true,
      problems: NONE,
      metrics: keptList(this.metrics),
      functions: keptList(this.functions),
      outputLabels: root.labels,
      resultType: root.type,
      facts: { selectors: keptList(selectors), absents: NONE, quantiles: NONE, groupings: keptList(groupings) },
    };
  }

  /** An expression up to a closing bracket, a comma or the end. */
  private exprPart(): Part {
    if (++this.depth > MAX_NESTING) throw DECLINE;
    const e = this.climbPart(this.operandPart(), 0);
    this.depth--;
    return e;
  }

  /** Precedence climbing, as the hand-written parser climbs. */
  private climbPart(left: Part, min: number): Part {
    let lhs = left;
    for (let op = this.binOp(); op && op.prec >= min; op = this.binOp()) {
      const from = this.start;
      const to = this.end;
      this.advance();
      if (this.isWord(this, 'bool') || this.isWord(this, 'on') || this.isWord(this, 'ignoring')) throw DECLINE;
      let rhs = this.operandPart();
      for (let next = this.binOp(); next && bindsTighter(next, op); next = this.binOp()) {
        if (++this.depth > MAX_NESTING) throw DECLINE;
        rhs = this.climbPart(rhs, next.prec > op.prec ? op.prec + 1 : op.prec);
        this.depth--;
      }
      lhs = this.binary(op, from, to, lhs, rhs);
    }
    return lhs;
  }

  /** Analyzer.binary for operands of known types without modifiers; the comparison's context for a selector operand. */
  private binary(op: BinOp, from: number, to: number, lhs: Part, rhs: Part): Part {
    const name = op.name;
    if (lhs.type !== 'vector' && lhs.type !== 'scalar') throw DECLINE;
    if (rhs.type !== 'vector' && rhs.type !== 'scalar') throw DECLINE;
    const scalars = lhs.type === 'scalar' && rhs.type === 'scalar';
    if (COMPARISON_OPS.has(name)) {
      if (scalars) throw DECLINE;
      const written = shared(this.text.slice(from, to));
      if (rhs.number !== undefined && lhs.selector) lhs.selector.context = { compared: compared(from, to, written, rhs.number) };
      if (lhs.number !== undefined && rhs.selector) rhs.selector.context = { compared: compared(from, to, MIRRORED[written] ?? written, lhs.number) };
    } else if (SET_OPS.has(name) && (lhs.type === 'scalar' || rhs.type === 'scalar')) throw DECLINE;
    let labels: OutputLabels;
    if (scalars) labels = exactly([]);
    else if (rhs.type === 'scalar') labels = lhs.labels;
    else if (lhs.type === 'scalar') labels = rhs.labels;
    else if (name === 'Or') labels = union(lhs.labels, rhs.labels);
    else labels = lhs.labels;
    return { type: scalars ? 'scalar' : 'vector', labels };
  }

  private operandPart(): Part {
    if (++this.operands > MAX_OPERANDS) throw DECLINE;
    switch (this.kind) {
      case 'number': {
        const written = this.word(this);
        // A letter makes a hexadecimal, an exponent, a duration or a keyword's number: the Analyzer judges those.
        if (!NUMBER.test(written) || /[A-Za-z]/.test(written)) throw DECLINE;
        this.advance();
        return { type: 'scalar', labels: exactly([]), number: Number(written) };
      }
      case 'punct': {
        if (!this.isPunct(this, OPEN_PAREN)) throw DECLINE;
        this.advance();
        const inner = this.exprPart();
        this.expectPunct(CLOSE_PAREN);
        return inner;
      }
      case 'ident': {
        const name = this.word(this);
        const shape = this.called(name);
        if (shape) return shape.node === 'AggregateExpr' ? this.aggregatePart(name) : this.callPart(name);
        if (this.nameKind(name) !== undefined) throw DECLINE;
        return this.selectorPart();
      }
      default:
        throw DECLINE;
    }
  }

  /** A metric name, its matchers and its range (Analyzer.selector, FactCollector.selector, Analyzer.range). */
  private selectorPart(): Part {
    const at = { start: this.start, end: this.end };
    const metric = shared(this.text.slice(at.start, at.end));
    this.advance();
    const uses: LabelMatcher[] = [];
    const facts: MatcherFact[] = [];
    if (this.isPunct(this, OPEN_BRACE)) {
      this.advance();
      while (!this.isPunct(this, CLOSE_BRACE)) {
        if (this.kind !== 'ident' || !this.isLabelName(this)) throw DECLINE;
        const labelAt = { start: this.start, end: this.end };
        const label = shared(this.text.slice(labelAt.start, labelAt.end));
        if (label === '__name__') throw DECLINE;
        this.advance();
        const op = this.matchOperator();
        this.advance();
        if (!this.atClosedString()) throw DECLINE;
        const start = this.start + 1;
        const value = shared(this.text.slice(start, this.end - 1));
        const end = Math.max(start, this.end - 1);
        this.advance();
        if ((op === '=~' || op === '!~') && regexError(prometheusMatcherRegexError, value)) throw DECLINE;
        const matcher = { label, op, value };
        uses.push(matcher);
        facts.push({ label, op, value, labelAt, valueAt: { start, end } });
        if (this.isPunct(this, COMMA)) this.advance();
        else if (!this.isPunct(this, CLOSE_BRACE)) throw DECLINE;
      }
      this.advance();
    }
    this.metrics.push({ name: metric, start: at.start, end: at.end, matchers: uses.slice() });
    const pending: PendingSelector = { metric, at, matchers: facts.slice(), range: undefined, context: NO_CONTEXT };
    this.selectors.push(pending);
    const labels = inherited();
    if (!this.isPunct(this, OPEN_BRACKET)) return { type: 'vector', labels, selector: pending };
    this.advance();
    if (this.kind === 'template') {
      // A Grafana variable (scanned as one only in a Grafana query): Grafana puts a duration there, the Analyzer a
      // placeholder duration, and the range's fact has no seconds.
      pending.range = { start: this.start, end: this.end, text: shared(this.word(this)) };
    } else {
      const written = this.kind === 'number' ? this.word(this) : '';
      if (!acceptedDuration(written) || !NUMBER.test(written)) throw DECLINE;
      pending.range = { start: this.start, end: this.end, text: shared(written), seconds: parseDuration(written) / 1000 };
    }
    this.advance();
    this.expectPunct(CLOSE_BRACKET);
    return { type: 'matrix', labels, selector: pending };
  }

  /** `=`, `!=`, `=~` or `!~` at the current token. */
  private matchOperator(): MatchOperator {
    if (this.kind !== 'op') throw DECLINE;
    const c = this.text.charCodeAt(this.start);
    const length = this.end - this.start;
    if (length === 1 && c === 61) return '=';
    if (length === 2) {
      const d = this.text.charCodeAt(this.start + 1);
      if (c === 33 && d === 61) return '!=';
      if (c === 61 && d === 126) return '=~';
      if (c === 33 && d === 126) return '!~';
    }
    throw DECLINE;
  }

  /** A call of one of Prometheus 2.42's functions (Analyzer.call, FactCollector.callStart). */
  private callPart(written: string): Part {
    const spec = FUNCTIONS.get(written);
    if (!spec || DECLINED_FUNCTIONS.has(written) || spec.argTypes.includes('string') || spec.labels.kind === 'add-dst' || spec.labels.kind === 'absent') throw DECLINE;
    const name = shared(written);
    const start = this.start;
    const end = this.end;
    this.advance();
    this.functions.push({ name, start, end });
    const context: FactContext = { call: { start, end, name } };
    const args = this.argParts();
    for (const arg of args) if (arg.selector) arg.selector.context = context;
    const { min, max } = arityOf(spec);
    if (args.length < min || args.length > max) throw DECLINE;
    for (let i = 0; i < args.length; i++) {
      if (i >= spec.argTypes.length && spec.variadic === 0) continue;
      if (args[i]!.type !== spec.argTypes[Math.min(i, spec.argTypes.length - 1)]) throw DECLINE;
    }
    const rule = spec.labels;
    let labels: OutputLabels;
    if (rule.kind === 'none') labels = exactly([]);
    else if (rule.kind === 'keep') labels = args[rule.arg]?.labels ?? (args.length === 0 ? exactly([]) : inherited());
    else labels = withoutLabels(args[rule.arg]?.labels ?? inherited(), rule.labels);
    return { type: spec.returnType, labels };
  }

  /** An aggregation without a parameter (Analyzer.aggregate, FactCollector.aggregateStart and aggregateEnd). */
  private aggregatePart(written: string): Part {
    const spec = AGGREGATIONS.get(written) ?? AGGREGATIONS.get(written.toLowerCase());
    if (!spec || spec.param) throw DECLINE;
    this.advance();
    // Its grouping comes before those of the aggregations inside it, whether its clause is written first or last.
    const slot = this.groupings.length;
    this.groupings.push(null);
    const firstSelector = this.selectors.length;
    const aggregations = ++this.aggregations;
    const before = this.grouping();
    const args = this.argParts();
    const grouping = before ?? this.grouping();
    if (args.length !== 1 || args[0]!.type !== 'vector') throw DECLINE;
    if (grouping) {
      const { kind, labels } = grouping;
      // The metrics a by() label can come from: those selected inside, unless an aggregation inside chose the labels.
      this.groupings[slot] = this.aggregations === aggregations && this.selectors.length > firstSelector ? { kind, labels, metrics: distinctMetrics(this.selectors, firstSelector) } : { kind, labels };
    }
    const input = args[0]!.labels;
    if (spec.labels === 'input') return { type: 'vector', labels: input };
    if (!grouping) return { type: 'vector', labels: exactly([]) };
    const names = grouping.labels.map((l) => l.name);
    return { type: 'vector', labels: grouping.kind === 'without' ? withoutLabels(input, names) : exactly(names) };
  }

  /** A `by (…)` or `without (…)` clause, if one is at the current token. */
  private grouping(): Grouping | undefined {
    const by = this.isWord(this, 'by');
    if (!by && !this.isWord(this, 'without')) return undefined;
    this.advance();
    this.expectPunct(OPEN_PAREN);
    const read: (Located & { name: string })[] = [];
    while (!this.isPunct(this, CLOSE_PAREN)) {
      if (this.kind !== 'ident' || !this.isLabelName(this)) throw DECLINE;
      read.push({ start: this.start, end: this.end, name: shared(this.text.slice(this.start, this.end)) });
      this.advance();
      if (this.isPunct(this, COMMA)) this.advance();
      else if (!this.isPunct(this, CLOSE_PAREN)) throw DECLINE;
    }
    this.advance();
    return { kind: by ? 'by' : 'without', labels: read.slice() };
  }

  /** A call's bracketed arguments. */
  private argParts(): Part[] {
    const args: Part[] = [];
    this.argumentList(() => this.exprPart(), args);
    return args;
  }
}

/** FactCollector.against: a comparison with a number, stated with the operand first. */
function compared(start: number, end: number, op: string, value: number): Compared {
  return Number.isFinite(value) ? { start, end, op, value } : { start, end, op };
}

/**
 * The analysis of `text` (the expression as written: no Grafana variable replaced, its offsets the original ones), or
 * undefined where this pass declines it. `grafana`: analysed as a Grafana query.
 */
export function fastAnalysis(text: string, grafana: boolean): PromqlAnalysis | undefined {
  // A backslash (an escape to read in a string) is the Analyzer's, and so are Grafana's `[[x]]` variables.
  if (text.includes('\\') || (grafana && text.includes('[['))) return undefined;
  // In a Grafana query `$x` and `${x}` are tokens of their own: taken as a range's duration (the commonest,
  // `[$__rate_interval]`), declined anywhere else.
  const tokens = tokensOf(text, grafana && text.includes('$'));
  if (!tokens) return undefined;
  try {
    return new AnalysisParser(text, tokens).analysis();
  } catch (e) {
    if (e === DECLINE) return undefined;
    throw e;
  }
}
