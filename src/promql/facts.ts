import { parseDuration } from '../util/duration.ts';
import { child, childNodes, childrenNamed, firstErrorIn, modifierCore, type Expr, type Node, type Span } from './ast.ts';
import { shared, unquotedValue } from './strings.ts';
import type { ParsedText } from './syntax.ts';
import type { LabelMatcher, MatchOperator } from './types.ts';

/** Offsets into the ORIGINAL expression string. */
export interface Located {
  start: number;
  end: number;
}

export interface MatcherFact {
  label: string;
  op: MatchOperator;
  value: string;
  /** The label name as written. */
  labelAt: Located;
  /** The value's characters, without the quotes. */
  valueAt: Located;
}

/**
 * One vector selector and what is done to it right away: the facts the semantic checks (rate of a gauge, counter
 * compared with a number, unknown label…) are decided on. Parentheses, `offset` and `@` are looked through.
 */
export interface SelectorFact {
  /** Absent for a selector without a metric name. */
  metric?: string;
  /** The name token (or the `__name__` matcher's value); the whole selector when it has no name. */
  at: Located;
  /** Every matcher except the one that named the metric. */
  matchers: MatcherFact[];
  /** `x[5m]`: the range; `seconds` is absent when the duration is not a plain one (Grafana variable, error). */
  range?: Located & { seconds?: number; text: string };
  /** The function called directly on the selector or its range: `rate` in `rate(x[5m])`. */
  call?: Located & { name: string };
  /** Set when the selector is a direct operand of a comparison with a number: `x > 1000`. */
  compared?: Compared;
  /** The whole expression is this selector. */
  bare: boolean;
}

export interface AbsentFact {
  /** `absent` or `absent_over_time`, at the function name. */
  name: string;
  at: Located;
  /** Why the argument always has a series, when it always has one. */
  alwaysBecause?: string;
}

/** A comparison with a number, at its operator, read with the operand first; `value` when the number is a finite literal. */
export type Compared = Located & { op: string; value?: number };

/** One histogram_quantile() call: what the unreachable-quantile check decides on. */
export interface QuantileFact {
  /** The function name. */
  at: Located;
  /** The φ argument, when it is a number literal. */
  quantile?: number;
  /** Names of the `_bucket` series selected inside its second argument. */
  buckets: string[];
  /** Set when the call is a direct operand of a comparison with a number: `histogram_quantile(…) > 30`. */
  compared?: Compared;
  /** The whole expression is this call (an alert's thresholds then compare it). */
  bare: boolean;
}

/** One aggregation's `by (…)` or `without (…)`, outermost first. */
export interface GroupingFact {
  kind: 'by' | 'without';
  /** The grouping labels as written. */
  labels: (Located & { name: string })[];
  /**
   * Every metric selected inside the aggregation, when its labels can only come from them: absent when a nested
   * aggregation already chose the labels, label_replace()/label_join() makes labels, or a selector has no name.
   */
  metrics?: string[];
}

export interface PromqlFacts {
  selectors: SelectorFact[];
  absents: AbsentFact[];
  quantiles: QuantileFact[];
  groupings: GroupingFact[];
}

/** Series Prometheus writes for every target it scrapes, whatever the exporter. */
export const PER_TARGET_METRICS = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added']);

/** Functions that read a counter's increase over a range. */
export const COUNTER_RANGE_FUNCTIONS = new Set(['rate', 'irate', 'increase']);

/** Functions that make labels: a by() label may come from them rather than from a metric. */
const LABEL_MAKERS = new Set(['label_replace', 'label_join']);

/** Functions that need at least two samples in their range to return anything. */
export const TWO_SAMPLE_FUNCTIONS = new Set(['rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'predict_linear']);

const COMPARISONS = new Set(['Eql', 'Neq', 'Gtr', 'Gte', 'Lss', 'Lte']);
export const MIRRORED: Record<string, string> = { '>': '<', '>=': '<=', '<': '>', '<=': '>=' };

const isNumber = (x: Expr) => x.kind === 'number' || (x.kind === 'unary' && unwrap(x.inner).kind === 'number');

const unwrap = (e: Expr): Expr => {
  let n = e;
  while (n.kind === 'paren') n = n.inner;
  return n;
};

/** One matcher of a selector as the Analyzer read it (analyze.ts): the facts reuse its strings. */
export interface SelectorMatcher {
  matcher: LabelMatcher;
  /** The value's StringLiteral. */
  value: Node;
  /** The LabelName (or QuotedLabelName). */
  name: Node;
  /** An UnquotedLabelMatcher (the only kind the facts read). */
  unquoted: boolean;
}

/** What is done right away to the selector being reached (see SelectorFact): set by its parent, read once. */
export interface FactContext {
  call?: SelectorFact['call'];
  range?: SelectorFact['range'];
  compared?: SelectorFact['compared'];
}

/** The context of an operand nothing is done to right away: shared, as contexts are only read (and spread). */
export const NO_CONTEXT: Readonly<FactContext> = {};

/** A call being visited (FactCollector.callStart). */
export interface CallVisit {
  /** The context of its arguments. */
  args: FactContext;
  quantile: QuantileFact | undefined;
  /** The first selector below it (a quantile's). */
  first: number;
}

/** An aggregation being visited (FactCollector.aggregateStart). */
export interface AggregateVisit {
  fact: GroupingFact | undefined;
  /** Where `fact` is in the groupings. */
  index: number;
  firstSelector: number;
  aggregations: number;
  labelMakers: number;
}

/** Collects selector and absent() facts from a parsed expression (no error inside). */
export class FactCollector {
  readonly selectors: SelectorFact[] = [];
  readonly absents: AbsentFact[] = [];
  readonly quantiles: QuantileFact[] = [];
  readonly groupings: GroupingFact[] = [];
  /** Aggregations and label-making calls visited so far: a grouping whose arguments add to them reads more than metrics. */
  private aggregations = 0;
  private labelMakers = 0;

  /** `read`: the matchers the Analyzer read of each selector node, where it read them. */
  constructor(
    private readonly src: ParsedText,
    private readonly read?: ReadonlyMap<Node, readonly SelectorMatcher[]>,
  ) {}

  private at(node: Span): Located {
    return { start: this.src.map.start(node.from), end: this.src.map.end(node.to) };
  }

  /**
   * `{ start, end, name }`, made as one literal: `{ ...this.at(node), name }` would give each its own map, and so did a
   * computed key (`[key]: value`, ≈ a tenth of an analysis).
   */
  private locatedName(node: Span, name: string): Located & { name: string } {
    const map = this.src.map;
    return { start: map.start(node.from), end: map.end(node.to), name };
  }

  /** `{ start, end, op }`, as locatedName. */
  private locatedOp(node: Span, op: string): Located & { op: string } {
    const map = this.src.map;
    return { start: map.start(node.from), end: map.end(node.to), op };
  }

  private text(node: Span): string {
    const map = this.src.map;
    return shared(this.src.original.slice(map.start(node.from), map.end(node.to)));
  }

  collect(root: Expr): PromqlFacts {
    this.visit(root);
    return this.finish(root);
  }

  /** The facts, once every expression below `root` has been visited (by `visit`, or by the Analyzer's walk through the hooks below). */
  finish(root: Expr): PromqlFacts {
    // A bare selector is the expression's only selector.
    const core = modifierCore(unwrap(root));
    if (core.kind === 'selector' && this.selectors[0]) this.selectors[0].bare = true;
    // The outermost call is visited first, so its fact is the first.
    if (core.kind === 'call' && this.src.text.slice(core.id.from, core.id.to) === 'histogram_quantile' && this.quantiles[0]) this.quantiles[0].bare = true;
    return { selectors: keptList(this.selectors), absents: keptList(this.absents), quantiles: keptList(this.quantiles), groupings: keptList(this.groupings) };
  }

  /**
   * The walk the facts need, for `collect`; the Analyzer (analyze.ts) makes the same one in its own walk, calling the
   * hooks below at the same places with the same contexts.
   */
  private visit(e: Expr, context: FactContext = NO_CONTEXT): void {
    switch (e.kind) {
      case 'paren':
        return this.visit(e.inner, context);
      case 'offset':
      case 'at':
        return this.visit(e.inner, context);
      case 'selector':
        return this.selector(e.node, e.span, context, this.read?.get(e.node));
      case 'range':
        return this.visit(e.inner, this.rangeContext(e, context));
      case 'binary': {
        if (!COMPARISONS.has(e.op.name)) {
          this.visit(e.lhs);
          this.visit(e.rhs);
          return;
        }
        const [lhs, rhs] = this.comparedContexts(e);
        this.visit(e.lhs, lhs);
        this.visit(e.rhs, rhs);
        return;
      }
      case 'call': {
        const call = this.callStart(e, context);
        for (const arg of e.args) this.visit(arg, call.args);
        this.callEnd(call);
        return;
      }
      case 'aggregate': {
        const aggregation = this.aggregateStart(e);
        for (const arg of e.args) this.visit(arg);
        this.aggregateEnd(aggregation);
        return;
      }
      case 'broken':
        for (const arg of e.parts) this.visit(arg);
        return;
      case 'unary':
      case 'subquery':
      case 'later-modifier':
        return this.visit(e.inner);
      case 'number':
      case 'string':
        return;
    }
  }

  /** The context of the selector below `x[…]`: `context` with the range. */
  rangeContext(e: Extract<Expr, { kind: 'range' }>, context: FactContext): FactContext {
    let range: SelectorFact['range'];
    if (e.duration && firstErrorIn(e.duration) === Infinity) {
      const text = this.text(e.duration);
      const ms = parseDuration(this.src.text.slice(e.duration.from, e.duration.to));
      const at = this.at(e.duration);
      range = Number.isFinite(ms) && !/[$[]/.test(text) ? { start: at.start, end: at.end, text, seconds: ms / 1000 } : { start: at.start, end: at.end, text };
    }
    return withRange(context, range);
  }

  /** The contexts of a comparison's operands (`COMPARISONS`; any other binary operator gives both NO_CONTEXT). */
  comparedContexts(e: Extract<Expr, { kind: 'binary' }>): [FactContext, FactContext] {
    const compared = this.locatedOp(e.op, this.text(e.op));
    // Stated with the operand on the left: `30 < x` is `x > 30`.
    return [
      isNumber(unwrap(e.rhs)) ? { compared: this.against(e.rhs, compared, compared.op) } : NO_CONTEXT,
      isNumber(unwrap(e.lhs)) ? { compared: this.against(e.lhs, compared, MIRRORED[compared.op] ?? compared.op) } : NO_CONTEXT,
    ];
  }

  /** Before a call's arguments: its absent() fact, its quantile fact, and the context of its arguments. */
  /** `read`: the function's name in the parsed text, when the caller read it. */
  callStart(e: Extract<Expr, { kind: 'call' }>, context: FactContext, read?: string): CallVisit {
    const name = read ?? shared(this.src.text.slice(e.id.from, e.id.to));
    const call = this.locatedName(e.id, name);
    if (name === 'absent' || name === 'absent_over_time') {
      const because = e.args[0] ? this.always(name === 'absent_over_time' ? rangeInner(e.args[0]) : e.args[0]) : undefined;
      this.absents.push({ name, at: this.at(e.id), ...(because ? { alwaysBecause: because } : {}) });
    }
    if (LABEL_MAKERS.has(name)) this.labelMakers++;
    if (name !== 'histogram_quantile') return { args: { call }, quantile: undefined, first: 0 };
    const compared = context.compared;
    const phi = e.args[0] && this.numberValue(e.args[0]);
    const fact: QuantileFact = { at: this.at(e.id), buckets: [], bare: false, ...(phi !== undefined && Number.isFinite(phi) ? { quantile: phi } : {}), ...(compared ? { compared } : {}) };
    this.quantiles.push(fact);
    return { args: { call }, quantile: fact, first: this.selectors.length };
  }

  /** After a call's arguments: a quantile's buckets. */
  callEnd(visit: CallVisit) {
    const fact = visit.quantile;
    if (!fact) return;
    for (const s of this.selectors.slice(visit.first)) if (s.metric?.endsWith('_bucket') && !fact.buckets.includes(s.metric)) fact.buckets.push(s.metric);
  }

  /** Before an aggregation's arguments (visited with NO_CONTEXT): its grouping fact. */
  aggregateStart(e: Extract<Expr, { kind: 'aggregate' }>): AggregateVisit {
    let fact: GroupingFact | undefined;
    if (e.modifier) {
      // child(modifier, 'Without') and child(modifier, 'GroupingLabels') in one pass, the labels without a list of nodes first.
      let without = false;
      let grouping: Node | null = null;
      for (let c = e.modifier.firstChild; c; c = c.nextSibling) {
        if (c.name === 'Without') without = true;
        else if (c.name === 'GroupingLabels') grouping ??= c;
      }
      // Counted first: kept in the analysis, the list is made at its length (one grown by push keeps room for 17).
      let n = 0;
      for (let l = grouping ? grouping.firstChild : null; l; l = l.nextSibling) if (l.name === 'LabelName') n++;
      const labels: GroupingFact['labels'] = new Array(n);
      let k = 0;
      for (let l = grouping ? grouping.firstChild : null; l; l = l.nextSibling) if (l.name === 'LabelName') labels[k++] = this.locatedName(l, this.text(l));
      fact = { kind: without ? 'without' : 'by', labels };
      this.groupings.push(fact);
    }
    return { fact, index: this.groupings.length - 1, firstSelector: this.selectors.length, aggregations: ++this.aggregations, labelMakers: this.labelMakers };
  }

  /** After an aggregation's arguments: the metrics its labels can only come from. */
  aggregateEnd({ fact, index, firstSelector, aggregations, labelMakers }: AggregateVisit) {
    if (!fact || this.aggregations !== aggregations || this.labelMakers !== labelMakers || this.selectors.length === firstSelector) return;
    for (let i = firstSelector; i < this.selectors.length; i++) if (!this.selectors[i]!.metric) return;
    // A new fact with `metrics`, not the property added to the one made before: an object given a property after its
    // literal keeps it in a separate store (≈ 40 bytes more in every analysis kept, which the collector copies).
    this.groupings[index] = { kind: fact.kind, labels: fact.labels, metrics: distinctMetrics(this.selectors, firstSelector) };
  }

  /** The comparison `compared` with the number `x`, stated with the operator `op`. */
  private against(x: Expr, compared: Located, op: string): Compared {
    const value = this.numberValue(x);
    return value !== undefined && Number.isFinite(value) ? { start: compared.start, end: compared.end, op, value } : { start: compared.start, end: compared.end, op };
  }

  /** A number literal's value, or a negated one's. */
  private numberValue(x: Expr): number | undefined {
    const n = unwrap(x);
    if (n.kind === 'number') return Number(this.src.text.slice(n.node.from, n.node.to));
    if (n.kind === 'unary') {
      const v = this.numberValue(n.inner);
      return v === undefined ? undefined : this.src.text.slice(n.op.from, n.op.to) === '-' ? -v : v;
    }
    return undefined;
  }

  /**
   * A selector's fact; `read`: its matchers as the Analyzer read them (read again here if absent); `identText` and
   * `ident`: its Identifier and that node's text, when the Analyzer read them.
   */
  selector(node: Node, span: Span, context: FactContext, read: readonly SelectorMatcher[] | undefined, identText?: string, ident: Node | null = child(node, 'Identifier')) {
    const matchers: MatcherFact[] = [];
    if (read) {
      const map = this.src.map;
      for (const { matcher, value, name, unquoted } of read) {
        if (!unquoted) continue;
        const start = map.start(value.from) + 1;
        matchers.push({
          label: matcher.label,
          op: matcher.op,
          value: matcher.value,
          labelAt: this.at(name),
          valueAt: { start, end: Math.max(start, map.end(value.to) - 1) },
        });
      }
    }
    const list = read ? null : child(node, 'LabelMatchers');
    for (const m of list ? childNodes(list) : []) {
      if (m.name !== 'UnquotedLabelMatcher' || firstErrorIn(m) !== Infinity) continue;
      const nameNode = m.firstChild;
      const opNode = child(m, 'MatchOp');
      const value = child(m, 'StringLiteral');
      if (!nameNode || !opNode || !value) continue;
      const valueAt = this.at(value);
      matchers.push({
        label: this.text(nameNode),
        op: shared(this.src.text.slice(opNode.from, opNode.to)) as MatchOperator,
        value: shared(unquotedValue(this.src.text.slice(value.from, value.to))),
        labelAt: this.at(nameNode),
        valueAt: { start: valueAt.start + 1, end: Math.max(valueAt.start + 1, valueAt.end - 1) },
      });
    }
    let named: MatcherFact | undefined;
    if (!ident) {
      for (const m of matchers) {
        if (m.label === '__name__' && m.op === '=') {
          named = m;
          break;
        }
      }
    }
    let metric = ident ? (identText ?? this.text(ident)) : named?.value;
    // A Grafana variable standing for the metric or a value is not something to judge.
    if (this.src.grafana && metric && /\$|\[\[/.test(metric)) metric = undefined;
    const at = ident ? this.at(ident) : named ? named.valueAt : this.at(span);
    // A copy of exactly its length (an array grown by push keeps room for 17 items), made by filter when it drops one.
    const kept = named ? matchers.filter((m) => m !== named) : matchers.slice();
    // Literals, not a spread of an optional part first: V8 gives each object made by a leading spread a map of its
    // own (≈ 1 kB per fact in a large project).
    this.selectors.push(selectorFact(metric, at, kept, context));
  }

  /**
   * Whether an instant-vector expression has a series whenever Prometheus scrapes anything: a per-target metric
   * (up, scrape_*) selected without matchers, vector(…), an aggregation of such, or an `or` with one such side.
   */
  private always(arg: Expr): string | undefined {
    const e = modifierCore(unwrap(arg));
    if (e.kind === 'selector') {
      const ident = child(e.node, 'Identifier');
      const hasMatchers = (child(e.node, 'LabelMatchers') ? childNodes(child(e.node, 'LabelMatchers')!) : []).some(
        (m) => m.name === 'UnquotedLabelMatcher' || m.name === 'QuotedLabelMatcher',
      );
      const name = ident ? this.src.text.slice(ident.from, ident.to) : undefined;
      if (name && !hasMatchers && PER_TARGET_METRICS.has(name)) return `${name} without matchers has a series for every scraped target`;
      return undefined;
    }
    if (e.kind === 'call' && this.src.text.slice(e.id.from, e.id.to) === 'vector') return 'vector(…) always returns one series';
    if (e.kind === 'aggregate') {
      const last = e.args[e.args.length - 1];
      const inner = last && this.always(last);
      return inner && `an aggregation of ${inner.replace(/^an aggregation of /, '')}`;
    }
    if (e.kind === 'binary' && e.op.name === 'Or') return this.always(e.lhs) ?? this.always(e.rhs);
    return undefined;
  }
}


/**
 * `{ ...context, range }`. The contexts are made here only: none, `{ call }` or `{ compared }`, then each with `range`
 * after it; spelled out, as a spread was the analysis' costliest line before V8 optimizes it (most of a cold build's
 * analyses run before).
 */
export function withRange(context: FactContext, range: SelectorFact['range']): FactContext {
  if ('range' in context) return { ...context, range };
  if ('call' in context) return { call: context.call, range };
  if ('compared' in context) return { compared: context.compared, range };
  return { range };
}

/** `{ metric, at, matchers, bare: false, ...context }` (no `metric` key when it is undefined), spelled out as withRange. */
export function selectorFact(metric: string | undefined, at: Located, matchers: MatcherFact[], context: FactContext): SelectorFact {
  const hasRange = 'range' in context;
  const { range } = context;
  if ('call' in context) {
    const { call } = context;
    if (metric === undefined) return hasRange ? { at, matchers, bare: false, call, range } : { at, matchers, bare: false, call };
    return hasRange ? { metric, at, matchers, bare: false, call, range } : { metric, at, matchers, bare: false, call };
  }
  if ('compared' in context) {
    const { compared } = context;
    if (metric === undefined) return hasRange ? { at, matchers, bare: false, compared, range } : { at, matchers, bare: false, compared };
    return hasRange ? { metric, at, matchers, bare: false, compared, range } : { metric, at, matchers, bare: false, compared };
  }
  if (hasRange) return metric === undefined ? { at, matchers, bare: false, range } : { metric, at, matchers, bare: false, range };
  return metric === undefined ? { at, matchers, bare: false } : { metric, at, matchers, bare: false };
}

/** Every analysis's empty list (read only: frozen). */
export const NONE: never[] = Object.freeze([]) as unknown as never[];

/**
 * A list an analysis keeps: a copy of exactly its length (an array grown by push keeps room for 17 items), or the shared
 * empty one (each analysis kept is copied by the collector, and most lists of facts are empty).
 */
export function keptList<T>(list: T[]): T[] {
  return list.length === 0 ? NONE : list.slice();
}

/**
 * The distinct metrics of `selectors` from `first` on (each has one), in the order first seen: `[...new Set(…)]`
 * without the Set for the few an aggregation nearly always reads, and at its length (a list grown by push keeps room
 * for 17, ≈ 130 bytes more in every analysis kept).
 */
export function distinctMetrics(selectors: readonly { metric?: string }[], first: number): string[] {
  if (selectors.length - first > 16) return [...new Set(selectors.slice(first).map((s) => s.metric!))];
  let n = 0;
  for (let i = first; i < selectors.length; i++) if (isFirst(selectors, first, i)) n++;
  const out: string[] = new Array(n);
  let k = 0;
  for (let i = first; i < selectors.length; i++) if (isFirst(selectors, first, i)) out[k++] = selectors[i]!.metric!;
  return out;
}

/** Whether no selector between `first` and `i` has the metric of selector `i`. */
function isFirst(selectors: readonly { metric?: string }[], first: number, i: number): boolean {
  const metric = selectors[i]!.metric;
  for (let j = first; j < i; j++) if (selectors[j]!.metric === metric) return false;
  return true;
}

/** The selector of `x[5m]`, for absent_over_time. */
function rangeInner(e: Expr): Expr {
  const n = modifierCore(unwrap(e));
  return n.kind === 'range' ? n.inner : n;
}
