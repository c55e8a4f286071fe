import { prometheusRegexTest } from '../util/re2-match.ts';
import { durationProblem, parseDuration } from '../util/duration.ts';
import { acceptedDuration, hasLowercaseLetter, isDuration, regexError } from './literal-verdicts.ts';
import { anchoredRe2SyntaxError, prometheusMatcherRegexError, type Re2SyntaxError } from '../util/re2-syntax.ts';
import type { Tree } from '@lezer/common';
import { promqlParser } from './lezer.ts';
import { fastAnalysis } from './fast-analysis.ts';
import { fastExpr, fastParse } from './fast-parse.ts';
import { child, childNodes, childrenNamed, firstErrorIn, isExprNode, MAX_DEPTH, modifierCore, readingErrorFreeTree, toExpr, TooDeep, type Expr, type Node, type Span } from './ast.ts';
import { AGGREGATIONS, arityOf, FUNCTIONS, LATER_FUNCTIONS, type AggregationSpec, type FunctionSpec } from './functions.ts';
import { substituteGrafanaVariables } from './grafana.ts';
import { exactly, inherited, union, withLabels, withoutLabels } from './labels.ts';
import { FactCollector, keptList, NO_CONTEXT, NONE, type FactContext, type GroupingFact, type SelectorMatcher } from './facts.ts';
import { composeMaps, IDENTITY_MAP } from './offsets.ts';
import { rewriteUnknownCalls } from './prepare.ts';
import { scan, significant } from './scanner.ts';
import { shared, unquote, unquotedValue } from './strings.ts';
import { closestName } from './suggest.ts';
import { errorNodes, firstTooDeep, syntaxProblems, type ParsedText, type Source } from './syntax.ts';
import {
  DOCUMENTED_TYPE,
  type AnalyzeOptions,
  type FunctionUse,
  type LabelMatcher,
  type MatchOperator,
  type MetricUse,
  type OutputLabels,
  type PromqlAnalysis,
  type PromqlProblem,
  type PromqlProblemCode,
  type ResultType,
} from './types.ts';

/** What an expression evaluates to; `type` is undefined when it cannot be known (after a syntax error). */
interface Info {
  type: ResultType | undefined;
  labels: OutputLabels;
}

const unknown = (): Info => ({ type: undefined, labels: inherited() });

const UNIT_SECONDS: Record<string, number> = { y: 31_536_000, w: 604_800, d: 86_400, h: 3_600, m: 60, s: 1, ms: 0.001 };

const COMPARISON_OPS = new Set(['Eql', 'Neq', 'Gtr', 'Gte', 'Lss', 'Lte']);
const SET_OPS = new Set(['And', 'Or', 'Unless']);
const NOT_IN_242 = 'not supported by Prometheus 2.42';
const RE2_HINT = 'Prometheus regexes are RE2 (Go): no backreferences, lookaround, possessive quantifiers or (?<name>); see https://github.com/google/re2/wiki/Syntax';

/** A matcher's operator, by character code (no slice and lookup for one of four strings). */
function matchOperator(text: string, node: Node): MatchOperator {
  const c = text.charCodeAt(node.from);
  if (node.to - node.from === 2) {
    const d = text.charCodeAt(node.from + 1);
    if (c === 33 && d === 61) return '!=';
    if (c === 61 && d === 126) return '=~';
    if (c === 33 && d === 126) return '!~';
  } else if (node.to - node.from === 1 && c === 61) return '=';
  return shared(text.slice(node.from, node.to)) as MatchOperator;
}

const matchesEmpty = new Map<string, boolean | null>();

/** Whether a regex (anchored, as Prometheus does) matches ""; undefined when it is not valid RE2 (reported apart). Remembered per pattern. */
function regexMatchesEmpty(re: string): boolean | undefined {
  let known = matchesEmpty.get(re);
  if (known === undefined) {
    known = prometheusRegexTest(re)?.('') ?? null;
    if (matchesEmpty.size >= 10_000) matchesEmpty.clear();
    matchesEmpty.set(re, known);
  }
  return known ?? undefined;
}

class Analyzer {
  readonly problems: PromqlProblem[] = [];
  readonly metrics: MetricUse[] = [];
  readonly functions: FunctionUse[] = [];

  /** `facts`: given for an expression without syntax problems, whose facts are gathered in this walk (the hooks of FactCollector). */
  constructor(
    private readonly src: ParsedText,
    private readonly facts?: FactCollector,
  ) {
    this.plain = !src.text.includes('\\');
  }

  /** The parsed text has no backslash: no string literal in it has an escape to read or report (nearly always). */
  private readonly plain: boolean;

  /** A string literal's value (unquotedValue of its text), sliced once when the text has no backslash. */
  private literal(node: Span): string {
    const text = this.src.text;
    const { from, to } = node;
    if (this.plain && to - from > 1) {
      const q = text.charCodeAt(from);
      if ((q === 34 || q === 39 || q === 96) && text.charCodeAt(to - 1) === q) return text.slice(from + 1, to - 1);
    }
    return unquotedValue(text.slice(from, to));
  }

  private at(node: Span) {
    return { start: this.src.map.start(node.from), end: this.src.map.end(node.to) };
  }

  /** The ORIGINAL text of a parsed range: names and messages must show what the user wrote. */
  private text(node: Span): string {
    const map = this.src.map;
    return shared(this.src.original.slice(map.start(node.from), map.end(node.to)));
  }

  /** Inside a part lezer recovered around, problems are likely artefacts of the syntax error: keep quiet. */
  private quiet = 0;

  private report(code: PromqlProblemCode, node: Span, message: string, hint?: string) {
    if (this.quiet > 0) return;
    const at = this.at(node);
    const p: PromqlProblem = { code, message, start: at.start, end: at.end };
    if (hint) p.hint = hint;
    this.problems.push(p);
  }

  /** `context`: what the facts' walk passes down (FactCollector). */
  expr(e: Expr, context: FactContext = NO_CONTEXT): Info {
    // The commonest kinds first: a string switch compares the kind with each case in turn, and most analyses run
    // before V8 optimises this.
    switch (e.kind) {
      case 'selector':
        return this.selector(e.node, e.span, context);
      case 'call':
        return this.call(e, context);
      case 'range':
        return this.range(e, context);
      case 'aggregate':
        return this.aggregate(e);
      case 'binary':
        return this.binary(e);
      case 'number':
        this.number(e.node);
        return { type: 'scalar', labels: exactly([]) };
      case 'paren':
        return this.expr(e.inner, context);
      case 'string':
        this.string(e.node);
        return { type: 'string', labels: exactly([]) };
      case 'unary':
        return this.unary(e);
      case 'subquery':
        return this.subquery(e);
      case 'offset':
      case 'at':
        return this.modifier(e, context);
      case 'later-modifier':
        this.report('promql/syntax', e.keyword, `the '${this.text(e.keyword)}' modifier is ${NOT_IN_242}`, 'remove it');
        return this.expr(e.inner);
      case 'broken':
        this.quiet++;
        for (const part of e.parts) this.expr(part);
        this.quiet--;
        return unknown();
    }
  }

  private number(node: Node) {
    // Only a lowercase letter after a digit makes a duration: most numbers have none (no slice, no regexes).
    if (!hasLowercaseLetter(this.src.text, node.from, node.to)) return;
    const parsed = this.src.text.slice(node.from, node.to).replace(/^[+-]/, '');
    if (!isDuration(parsed)) return;
    const written = this.text(node);
    const seconds = [...parsed.matchAll(/(\d+)(ms|[ywdhms])/g)].reduce((s, m) => s + Number(m[1]) * UNIT_SECONDS[m[2]!]!, 0);
    const hint = /^[+-]?[\d.]/.test(written)
      ? `Prometheus 2.42 accepts durations only in ranges, subqueries and offsets; write the number of seconds instead: ${seconds}`
      : `Grafana expands ${written} to a duration, which Prometheus 2.42 does not accept as a number; use a _ms or _s variant such as $__interval_ms`;
    this.report('promql/syntax', node, `unexpected duration '${written}' where a number is expected`, hint);
  }

  /** A string literal's value, reporting invalid escapes. */
  private string(node: Node): string {
    const literal = this.src.text.slice(node.from, node.to);
    if (!literal.includes('\\')) return unquotedValue(literal);
    const { value, problems } = unquote(literal);
    const base = this.src.map.start(node.from);
    for (const p of problems) {
      if (this.quiet > 0) break;
      this.problems.push({
        code: 'promql/syntax',
        message: p.message,
        start: base + p.start,
        end: base + p.end,
        hint: 'valid escapes are \\n \\t \\\\ \\" \\xNN \\uNNNN; in regular expressions double the backslash (\\\\d) or use a `raw string`',
      });
    }
    return value;
  }

  /** `string(node)` for its problems alone. */
  private stringProblems(node: Node) {
    if (this.plain) return;
    const text = this.src.text;
    for (let i = node.from; i < node.to; i++) {
      if (text.charCodeAt(i) === 92) {
        this.string(node);
        return;
      }
    }
  }

  /** The value of a string literal argument, without reporting anything (it is reported where it is analysed). */
  private literalValue(e: Expr | undefined): string | undefined {
    let n = e;
    while (n?.kind === 'paren') n = n.inner;
    if (n?.kind !== 'string') return undefined;
    return unquotedValue(this.src.text.slice(n.node.from, n.node.to));
  }

  /**
   * Reports a regex Prometheus would reject, at the offending characters inside the string literal. Validity is
   * decided by the RE2 grammar (util/re2-syntax.ts), never by whether JavaScript can compile the pattern.
   */
  private regex(literal: Node, check: (pattern: string) => Re2SyntaxError | undefined, context: string | SelectorMatcher) {
    const value = this.literal(literal);
    // Grafana expands its variables (`$job`, `${job:regex}`) before Prometheus sees the regex.
    if (this.src.grafana && /\$|\[\[/.test(value)) return;
    const error = regexError(check, value);
    if (!error || this.quiet > 0) return;
    const { offsets } = unquote(this.src.text.slice(literal.from, literal.to));
    const base = this.src.map.start(literal.from);
    const start = base + offsets[error.offset]!;
    this.problems.push({
      code: 'promql/syntax',
      message: `${typeof context === 'string' ? context : `invalid regex in matcher ${context.matcher.label}${context.matcher.op}`}: error parsing regexp: ${error.message}`,
      start,
      end: Math.max(base + offsets[error.end]!, start + 1),
      hint: RE2_HINT,
    });
  }

  /** Each selector's matchers, read once: absent() reads them again, and so do the facts (FactCollector). */
  readonly matcherLists = new Map<Node, SelectorMatcher[]>();

  /** `list`: the selector's LabelMatchers, when the caller found it (undefined: looked up here). */
  private matchers(selector: Node, list: Node | null = child(selector, 'LabelMatchers')): SelectorMatcher[] {
    const known = this.matcherLists.get(selector);
    if (known) return known;
    const out: SelectorMatcher[] = [];
    this.matcherLists.set(selector, out);
    for (let m = list ? list.firstChild : null; m; m = m.nextSibling) {
      if (m.name !== 'UnquotedLabelMatcher' && m.name !== 'QuotedLabelMatcher') continue;
      const nameNode = m.firstChild;
      const opNode = child(m, 'MatchOp');
      const value = child(m, 'StringLiteral');
      if (!nameNode || !opNode || !value || firstErrorIn(m) !== Infinity) continue;
      const label =
        nameNode.name === 'QuotedLabelName' ? shared(unquotedValue(this.src.text.slice(nameNode.from, nameNode.to))) : this.text(nameNode);
      const op = matchOperator(this.src.text, opNode);
      out.push({ matcher: { label, op, value: shared(this.literal(value)) }, value, name: nameNode, unquoted: m.name === 'UnquotedLabelMatcher' });
    }
    return out;
  }

  private selector(node: Node, span: Span, context: FactContext): Info {
    // child(node, 'Identifier') and child(node, 'LabelMatchers') in one pass.
    let ident: Node | null = null;
    let list: Node | null = null;
    for (let c = node.firstChild; c; c = c.nextSibling) {
      if (c.name === 'Identifier') ident ??= c;
      else if (c.name === 'LabelMatchers') list ??= c;
    }
    const identText = ident ? this.text(ident) : undefined;
    const matchers = this.matchers(node, list);
    if (this.facts) this.facts.selector(node, span, context, matchers, identText, ident);
    for (let m = list ? list.firstChild : null; m; m = m.nextSibling) {
      const quoted = m.name === 'QuotedLabelName' ? m : child(m, 'QuotedLabelName');
      if (quoted) this.report('promql/syntax', quoted, `quoted label and metric names are ${NOT_IN_242}`, 'use a plain name: job="api"');
      // Only for the escape problems they may hold: a literal without a backslash has none.
      if (this.plain) continue;
      for (let s = m.firstChild; s; s = s.nextSibling) if (s.name === 'StringLiteral') this.stringProblems(s);
      if (quoted) for (let s = quoted.firstChild; s; s = s.nextSibling) if (s.name === 'StringLiteral') this.stringProblems(s);
    }

    for (const m of matchers) {
      // The matcher, not its message: the message is only made for an invalid regex.
      if (m.matcher.op === '=~' || m.matcher.op === '!~') this.regex(m.value, prometheusMatcherRegexError, m);
    }

    let nameMatcher: SelectorMatcher | undefined;
    for (const m of matchers) {
      if (m.matcher.label === '__name__' && m.matcher.op === '=') {
        nameMatcher = m;
        break;
      }
    }
    let metric: MetricUse | undefined;
    if (ident) {
      const map = this.src.map;
      metric = { name: identText!, start: map.start(ident.from), end: map.end(ident.to), matchers: matchers.map(matcherOf) };
    } else if (nameMatcher) {
      const r = this.at(nameMatcher.value);
      const literal = this.src.original.slice(r.start, r.end);
      const closed = literal.length > 1 && literal.endsWith(literal[0]!);
      metric = {
        name: nameMatcher.matcher.value,
        start: r.start + 1,
        end: closed ? r.end - 1 : r.end,
        matchers: matchers.filter((m) => m !== nameMatcher).map((m) => m.matcher),
      };
    }
    // A Grafana variable standing for the metric is no metric name the caller could look up.
    if (metric && !(this.src.grafana && /\$|\[\[/.test(metric.name))) this.metrics.push(metric);

    if (ident && nameMatcher) {
      this.report(
        'promql/syntax',
        node,
        `metric name must not be set twice: "${identText}" or "${nameMatcher.matcher.value}"`,
        'keep either the name before the braces or the __name__ matcher',
      );
    }
    if (!ident && !matchers.some(nonEmptyMatcher) && firstErrorIn(node) === Infinity) {
      this.report(
        'promql/syntax',
        node,
        'vector selector must contain at least one non-empty matcher',
        'add a metric name or a matcher that does not match the empty string, e.g. {job="api"}',
      );
    }
    return { type: 'vector', labels: inherited() };
  }

  /** Prometheus 2.42 only knows plain durations (`5m`, `1h30m`), and `-5m` after offset. */
  private duration(node: Node | null, what: string) {
    if (!node || firstErrorIn(node) !== Infinity) return;
    // Nearly always one plain duration a project writes thousands of times (`5m`): judged once per text.
    const only = node.firstChild;
    if (only && !only.nextSibling && only.name === 'NumberDurationLiteralInDurationContext' && acceptedDuration(this.src.text.slice(only.from, only.to))) return;
    const kids = childNodes(node);
    let literal = kids.length === 1 && kids[0]!.name === 'NumberDurationLiteralInDurationContext' ? kids[0] : undefined;
    if (!literal && node.name === 'OffsetDurationExpr' && kids.length === 2 && this.src.text.slice(kids[0]!.from, kids[0]!.to) === '-') {
      const inner = childNodes(kids[1]!);
      if (inner.length === 1 && inner[0]!.name === 'NumberDurationLiteralInDurationContext') literal = inner[0];
    }
    if (!literal) {
      this.report('promql/syntax', node, `duration expressions are ${NOT_IN_242}`, `write a plain duration for the ${what}, e.g. 5m`);
      return;
    }
    const text = this.src.text.slice(literal.from, literal.to);
    if (!isDuration(text)) {
      const n = Number(text);
      const hint = Number.isFinite(n) && n > 0 ? `write ${text}s, or a unit such as 5m` : 'write a duration such as 5m';
      this.report('promql/syntax', literal, `the ${what} must be a duration with a unit, got '${this.text(literal)}'`, hint);
    } else if (durationProblem(text)) {
      const written = this.text(literal);
      const shown = written.length > 24 ? `${written.slice(0, 24)}…` : written;
      this.report('promql/syntax', literal, `the ${what} '${shown}': ${durationProblem(text)}`, 'Prometheus durations are int64 nanoseconds: at most 292y (9223372036854ms)');
    } else if (parseDuration(text) === 0) {
      this.report('promql/syntax', literal, `the ${what} '${this.text(literal)}': duration must be greater than 0`, 'Prometheus 2.42 rejects zero durations in PromQL; use at least 1ms, or remove it');
    }
  }

  private range(e: Extract<Expr, { kind: 'range' }>, context: FactContext): Info {
    const info = this.expr(e.inner, this.facts ? this.facts.rangeContext(e, context) : NO_CONTEXT);
    this.duration(e.duration, 'range');
    if (e.inner.kind !== 'selector') {
      if (modifierCore(e.inner).kind === 'selector') {
        const which = e.inner.kind === 'offset' ? 'offset' : '@';
        this.report(
          'promql/syntax',
          e.inner.span,
          `no ${which} modifiers allowed before range`,
          `put the modifier after the range, e.g. x[5m] ${which === 'offset' ? 'offset 1h' : '@ 1609746000'}`,
        );
      } else {
        const rangeText = e.duration ? this.text(e.duration) : '5m';
        this.report(
          'promql/type',
          e.span,
          'ranges only allowed for vector selectors',
          `to evaluate an expression over a time range use a subquery, e.g. ${this.text(e.inner.span)}[${rangeText}:]`,
        );
      }
    }
    return { type: 'matrix', labels: info.labels };
  }

  private subquery(e: Extract<Expr, { kind: 'subquery' }>): Info {
    const info = this.expr(e.inner);
    this.duration(e.range, 'subquery range');
    this.duration(e.step, 'subquery resolution');
    if (info.type && info.type !== 'vector') {
      this.report(
        'promql/type',
        e.inner.span,
        `subquery is only allowed on instant vector, got ${DOCUMENTED_TYPE[info.type]} instead`,
        info.type === 'matrix' ? 'apply a function to the range first, e.g. max_over_time(rate(x[5m])[1h:])' : undefined,
      );
    }
    return { type: 'matrix', labels: info.labels };
  }

  private modifier(e: Extract<Expr, { kind: 'offset' | 'at' }>, context: FactContext): Info {
    const info = this.expr(e.inner, context);
    const isOffset = e.kind === 'offset';
    if (e.kind === 'offset') this.duration(e.duration, 'offset');
    else if (e.timestamp) this.number(e.timestamp);

    let twice = false;
    for (let n = e.inner; n.kind === 'offset' || n.kind === 'at'; n = n.inner) if (n.kind === e.kind) twice = true;
    if (twice) {
      this.report('promql/syntax', e.modifier, isOffset ? 'offset may not be set multiple times' : '@ <timestamp> may not be set multiple times', 'keep only one');
    } else if (!['selector', 'range', 'subquery'].includes(modifierCore(e.inner).kind)) {
      this.report(
        'promql/syntax',
        e.modifier,
        `${isOffset ? 'offset' : '@'} modifier must be preceded by an instant vector selector or range vector selector or a subquery`,
        `move it right after the selector inside the expression, e.g. rate(x[5m] ${isOffset ? 'offset 1h' : '@ end()'})`,
      );
    }
    return info;
  }

  private unary(e: Extract<Expr, { kind: 'unary' }>): Info {
    const info = this.expr(e.inner);
    if (info.type && info.type !== 'scalar' && info.type !== 'vector') {
      this.report(
        'promql/type',
        e.inner.span,
        `unary expression only allowed on expressions of type scalar or instant vector, got "${DOCUMENTED_TYPE[info.type]}"`,
        info.type === 'matrix' ? 'apply a function to the range vector first, e.g. -rate(x[5m])' : 'only numbers and instant vectors can be negated',
      );
    }
    return info;
  }

  /** `read`: the facts' grouping of these labels, whose names (its LabelName children's texts, in order) are taken from it. */
  private groupingLabels(node: Node | null | undefined, read?: GroupingFact): string[] {
    const labels: string[] = [];
    let named = 0;
    for (let c = node ? node.firstChild : null; c; c = c.nextSibling) {
      if (c.name === 'LabelName') labels.push(read ? read.labels[named++]!.name : this.text(c));
      else if (c.name === 'QuotedLabelName') {
        this.report('promql/syntax', c, `quoted label names are ${NOT_IN_242}`, 'use a plain label name');
        const s = child(c, 'StringLiteral');
        if (s) labels.push(this.string(s));
      }
    }
    return labels;
  }

  private binary(e: Extract<Expr, { kind: 'binary' }>): Info {
    const op = e.op.name;
    const contexts = this.facts && COMPARISON_OPS.has(op) ? this.facts.comparedContexts(e) : undefined;
    const l = this.expr(e.lhs, contexts ? contexts[0] : NO_CONTEXT);
    const r = this.expr(e.rhs, contexts ? contexts[1] : NO_CONTEXT);
    const boolNode = child(e.node, 'BoolModifier');
    const matching = child(e.node, 'MatchingModifierClause');
    const fill = child(e.node, 'FillModifier');

    if (op === 'TrimUpper' || op === 'TrimLower') this.report('promql/syntax', e.op, `the '${this.text(e.op).toLowerCase()}' operator is ${NOT_IN_242}`);
    if (fill) this.report('promql/syntax', fill, `fill modifiers are ${NOT_IN_242}`, 'remove the fill(...) modifier');
    if (boolNode && !COMPARISON_OPS.has(op)) {
      this.report('promql/syntax', boolNode, 'bool modifier can only be used on comparison operators', 'remove bool');
    }
    for (let k = 0; k < 2; k++) {
      const side = k === 0 ? e.lhs : e.rhs;
      const info = k === 0 ? l : r;
      if (info.type === 'matrix' || info.type === 'string') {
        this.report(
          'promql/type',
          side.span,
          `binary expression must contain only scalar and instant vector types, got ${DOCUMENTED_TYPE[info.type]}`,
          info.type === 'matrix'
            ? 'turn the range vector into an instant vector first, e.g. rate(x[5m]) or avg_over_time(x[5m])'
            : 'strings can only be used as function arguments',
        );
      }
    }
    if (COMPARISON_OPS.has(op) && !boolNode && l.type === 'scalar' && r.type === 'scalar') {
      this.report('promql/type', e.op, 'comparisons between scalars must use BOOL modifier', `write '${this.text(e.op).toLowerCase()} bool' to get 1 (true) or 0 (false)`);
    }
    if (SET_OPS.has(op) && (l.type === 'scalar' || r.type === 'scalar')) {
      this.report('promql/type', e.op, `set operator "${this.text(e.op).toLowerCase()}" not allowed in binary scalar expression`, 'and, or and unless only work between instant vectors');
    }

    let on = false;
    let matchLabels: string[] = [];
    let group: 'left' | 'right' | undefined;
    let include: string[] = [];
    if (matching) {
      on = child(matching, 'On') !== null;
      const lists = childrenNamed(matching, 'GroupingLabels');
      matchLabels = this.groupingLabels(lists[0]);
      const groupNode = child(matching, 'GroupLeft') ?? child(matching, 'GroupRight');
      if (groupNode) {
        group = groupNode.name === 'GroupLeft' ? 'left' : 'right';
        include = this.groupingLabels(lists[1]);
        if (SET_OPS.has(op)) {
          this.report('promql/syntax', groupNode, `no grouping allowed for "${this.text(e.op).toLowerCase()}" operation`, 'set operators always match many-to-many; remove the group modifier');
        }
      }
      const notVector = (t: ResultType | undefined) => t !== undefined && t !== 'vector';
      if ((notVector(l.type) || notVector(r.type)) && matchLabels.length > 0) {
        this.report(
          'promql/type',
          matching,
          'vector matching only allowed between instant vectors',
          'on(...), ignoring(...) and group_left/group_right apply only when both sides are instant vectors; remove the modifier',
        );
      }
      if (on) {
        for (const label of include.filter((x) => matchLabels.includes(x))) {
          this.report('promql/syntax', matching, `label "${label}" must not occur in ON and GROUP clause at once`, `remove "${label}" from the group_${group} list`);
        }
      }
    }

    const type: ResultType | undefined =
      l.type === 'vector' || r.type === 'vector' ? 'vector' : l.type === 'scalar' && r.type === 'scalar' ? 'scalar' : undefined;
    let labels: OutputLabels;
    if (l.type === 'scalar' && r.type === 'scalar') labels = exactly([]);
    else if (r.type === 'scalar') labels = l.labels;
    else if (l.type === 'scalar') labels = r.labels;
    else if (op === 'Or') labels = union(l.labels, r.labels);
    else if (SET_OPS.has(op)) labels = l.labels;
    else if (group === 'left') labels = withLabels(l.labels, include);
    else if (group === 'right') labels = withLabels(r.labels, include);
    else if (matching && on) labels = exactly(matchLabels);
    else if (matching) labels = withoutLabels(l.labels, matchLabels);
    else labels = l.labels;
    return { type, labels };
  }

  private call(e: Extract<Expr, { kind: 'call' }>, context: FactContext): Info {
    const name = this.text(e.id);
    const at = this.at(e.id);
    this.functions.push({ name, start: at.start, end: at.end });
    // The facts read the name in the parsed text: the same string unless that text is not the original.
    const visit = this.facts?.callStart(e, context, this.src.text === this.src.original ? name : undefined);
    const infos: Info[] = [];
    for (const a of e.args) infos.push(this.expr(a, visit ? visit.args : NO_CONTEXT));
    if (visit) this.facts!.callEnd(visit);
    const spec = FUNCTIONS.get(name);
    if (!spec) {
      this.report('promql/unknown-function', e.id, `unknown function "${name}"`, unknownFunctionHint(name));
      return unknown();
    }

    const { min, max } = arityOf(spec);
    const n = e.args.length;
    if (n < min || n > max) {
      const expected = spec.variadic === 0 ? `${min}` : n < min ? `at least ${min}` : `at most ${max}`;
      const where = n > max ? { from: e.args[max]!.span.from, to: e.args[n - 1]!.span.to } : e.span;
      this.report('promql/arity', where, `expected ${expected} argument(s) in call to "${name}", got ${n}`, `usage: ${signature(spec)}`);
    }
    const regexArg = name === 'label_replace' ? stringLiteral(e.args[4]) : undefined;
    if (regexArg) this.regex(regexArg, anchoredRe2SyntaxError, 'invalid regular expression in label_replace()');
    e.args.forEach((arg, i) => {
      if (i >= spec.argTypes.length && spec.variadic === 0) return;
      const expected = spec.argTypes[Math.min(i, spec.argTypes.length - 1)]!;
      this.expectType(arg, infos[i]!, expected, `call to function "${name}"`, name);
    });
    return { type: spec.returnType, labels: this.functionLabels(spec, e.args, infos) };
  }

  private expectType(arg: Expr, info: Info, expected: ResultType, context: string, name?: string) {
    if (!info.type || info.type === expected) return;
    this.report(
      'promql/type',
      arg.span,
      `expected type ${DOCUMENTED_TYPE[expected]} in ${context}, got ${DOCUMENTED_TYPE[info.type]}`,
      this.typeHint(arg, info.type, expected, name),
    );
  }

  private typeHint(arg: Expr, got: ResultType, expected: ResultType, name?: string): string | undefined {
    const text = this.text(arg.span);
    if (expected === 'matrix' && got === 'vector') {
      if (arg.kind === 'selector') return `add a range, e.g. ${name ?? 'rate'}(${text}[5m])`;
      return `pass a range vector: a selector with a range such as x[5m], or a subquery such as (${text})[5m:]`;
    }
    if (expected === 'vector' && got === 'matrix') {
      if (modifierCore(arg).kind === 'range') {
        return `remove the range, or turn it into an instant vector with a function, e.g. ${name ?? 'sum'}(rate(${text}))`;
      }
      return 'turn the range vector into an instant vector with a function such as rate(...) or max_over_time(...)';
    }
    if (expected === 'scalar' && got === 'vector') return `wrap it in scalar(...) to use a single-series vector as a number: scalar(${text})`;
    if (expected === 'vector' && got === 'scalar') return `wrap it in vector(...) to turn a number into a vector: vector(${text})`;
    if (expected === 'string') return 'pass a string literal in quotes, e.g. "label"';
    if (got === 'string') return `pass a ${DOCUMENTED_TYPE[expected]}, not a string (remove the quotes?)`;
    return undefined;
  }

  private functionLabels(spec: FunctionSpec, args: Expr[], infos: Info[]): OutputLabels {
    const rule = spec.labels;
    switch (rule.kind) {
      case 'none':
        return exactly([]);
      case 'keep':
        // The date functions without argument work on vector(time()).
        return infos[rule.arg]?.labels ?? (args.length === 0 ? exactly([]) : inherited());
      case 'remove':
        return withoutLabels(infos[rule.arg]?.labels ?? inherited(), rule.labels);
      case 'add-dst': {
        const base = infos[rule.arg]?.labels ?? inherited();
        const dst = this.literalValue(args[rule.dstArg]);
        return dst ? withLabels(base, [dst]) : base;
      }
      case 'absent':
        return this.absentLabels(args[0]);
    }
  }

  /** Prometheus gives absent()'s series the labels of the selector's equality matchers; a label matched twice is dropped. */
  private absentLabels(arg: Expr | undefined): OutputLabels {
    let sel = arg && modifierCore(arg);
    if (sel?.kind === 'range') sel = modifierCore(sel.inner);
    if (sel?.kind !== 'selector') return exactly([]);
    const set = new Set<string>();
    const seen = new Set<string>();
    for (const { matcher } of this.matchers(sel.node)) {
      if (matcher.label === '__name__') continue;
      if (matcher.op === '=' && !seen.has(matcher.label)) set.add(matcher.label);
      else set.delete(matcher.label);
      seen.add(matcher.label);
    }
    return exactly(set);
  }

  private aggregate(e: Extract<Expr, { kind: 'aggregate' }>): Info {
    const visit = this.facts?.aggregateStart(e);
    const infos: Info[] = [];
    for (const a of e.args) infos.push(this.expr(a));
    if (visit) this.facts!.aggregateEnd(visit);
    // Kept in no analysis (only in messages): not shared. Lowercased only when it is not a name as written.
    const map = this.src.map;
    let name = this.src.original.slice(map.start(e.op.from), map.end(e.op.to));
    let spec = AGGREGATIONS.get(name);
    if (!spec) {
      name = name.toLowerCase();
      spec = AGGREGATIONS.get(name);
    }
    if (!spec) {
      this.report('promql/unknown-function', e.op, `unknown aggregation "${name}"`, LATER_FUNCTIONS.get(name));
      return unknown();
    }
    const without = Boolean(e.modifier && child(e.modifier, 'Without'));
    const grouping = this.groupingLabels(e.modifier && child(e.modifier, 'GroupingLabels'), visit?.fact);

    const n = e.args.length;
    const wanted = spec.param ? 2 : 1;
    if (n === 0) {
      this.report('promql/arity', e.span, 'no arguments for aggregate expression provided', aggregationUsage(name, spec.param));
    } else if (n !== wanted) {
      const where = n > wanted ? { from: e.args[wanted]!.span.from, to: e.args[n - 1]!.span.to } : e.span;
      this.report('promql/arity', where, `wrong number of arguments for aggregate expression provided, expected ${wanted}, got ${n}`, aggregationUsage(name, spec.param));
    } else {
      this.expectType(e.args[wanted - 1]!, infos[wanted - 1]!, 'vector', 'aggregation expression', name);
      if (spec.param) this.expectType(e.args[0]!, infos[0]!, spec.param, 'aggregation parameter');
    }

    const input = infos[n - 1]?.labels ?? inherited();
    let labels: OutputLabels;
    if (spec.labels === 'input') labels = input;
    else {
      labels = !e.modifier ? exactly([]) : without ? withoutLabels(input, grouping) : exactly(grouping);
      if (spec.labels === 'count-values') {
        const label = n === 2 ? this.literalValue(e.args[0]) : undefined;
        if (label) labels = withLabels(labels, [label]);
      }
    }
    return { type: 'vector', labels };
  }
}

/** The usage hint of an aggregation called with the wrong number of arguments. */
function aggregationUsage(name: string, param: AggregationSpec['param']): string {
  return param ? `usage: ${name}(${param === 'string' ? '"label"' : 'k'}, instant vector)` : `usage: ${name}(instant vector)`;
}

const matcherOf = (m: SelectorMatcher) => m.matcher;

/** Whether a matcher keeps a selector from matching every series: a non-empty value or a regex that does not match "". */
function nonEmptyMatcher({ matcher: { op, value } }: SelectorMatcher): boolean {
  if (op === '=') return value !== '';
  if (op === '!=') return value === '';
  const empty = regexMatchesEmpty(value);
  // An invalid regex is reported on its own; it should not also be called empty.
  if (empty === undefined) return true;
  return op === '=~' ? !empty : empty;
}

/** The string literal an argument is, through parentheses. */
function stringLiteral(e: Expr | undefined): Node | undefined {
  let n = e;
  while (n?.kind === 'paren') n = n.inner;
  return n?.kind === 'string' ? n.node : undefined;
}

function unknownFunctionHint(name: string): string {
  const later = LATER_FUNCTIONS.get(name);
  if (later) return later;
  const lower = name.toLowerCase();
  if (FUNCTIONS.has(lower) || AGGREGATIONS.has(lower)) return `function names are case-sensitive: did you mean ${lower}?`;
  const guess = closestName(name, [...FUNCTIONS.keys(), ...AGGREGATIONS.keys()]);
  if (guess) return `did you mean ${guess}?`;
  return 'see https://prometheus.io/docs/prometheus/2.42/querying/functions/ for the available functions';
}

function signature(spec: FunctionSpec): string {
  const { min } = arityOf(spec);
  const params = spec.argTypes.map((t, i) => {
    const name = DOCUMENTED_TYPE[t];
    if (i < min) return name;
    return spec.variadic < 0 ? `${name}...` : `[${name}]`;
  });
  return `${spec.name}(${params.join(', ')})`;
}

/** The ways of analysing that tests switch, to compare them. */
const ways = { lezerOnly: false, treeOnly: false, fused: true };

function withWay<T>(way: keyof typeof ways, on: boolean, run: () => T): T {
  const before = ways[way];
  ways[way] = on;
  try {
    return run();
  } finally {
    ways[way] = before;
  }
}

/** Runs `run` with every expression parsed by lezer (for tests comparing the two parsers' analyses). */
export const withLezerOnly = <T>(run: () => T): T => withWay('lezerOnly', true, run);

/** Runs `run` with every expression fastExpr would take parsed by fastParse and converted by toExpr (for tests comparing the two). */
export const withFastParseTree = <T>(run: () => T): T => withWay('treeOnly', true, run);

/** Runs `run` without the one-pass analysis (fast-analysis.ts), for tests comparing the two. */
export const withoutFusedAnalysis = <T>(run: () => T): T => withWay('fused', false, run);

function analyzeUnsafe(original: string, options: AnalyzeOptions): PromqlAnalysis {
  const grafana = options.grafana === true;
  // The common, valid expression in one pass (fast-analysis.ts): the same analysis, without a tree and a second walk.
  const fused = ways.lezerOnly || ways.treeOnly || !ways.fused ? undefined : fastAnalysis(original, grafana);
  if (fused) return fused;
  const first = grafana ? substituteGrafanaVariables(original) : { text: original, map: IDENTITY_MAP };
  // The common, valid expression: lezer's tree from the hand-written parser, with no syntax problem to find. It
  // accepts only calls of names the grammar knows (callShape), which rewriteUnknownCalls would leave as they are: the
  // text it parses is the one rewriteUnknownCalls would give, so that pass over the tokens is left out, and so is
  // the list of tokens (the parser reads them one at a time).
  // Built as the Analyzer's Expr straight away (fastExpr): the same as toExpr of fastParse's tree.
  const early = ways.lezerOnly ? undefined : ways.treeOnly ? 'too-big' : fastExpr(first.text);
  if (early !== undefined && early !== 'too-big') {
    return readingErrorFreeTree(() => analyzeExpr({ original, text: first.text, map: first.map, grafana }, early, []));
  }
  // A large expression (fastExpr counts its nodes before it may decline): lezer's tree from fastParse, as before.
  const earlyTree = early === 'too-big' ? fastParse(first.text) : undefined;
  if (earlyTree) return readingErrorFreeTree(() => analyzeTree({ original, text: first.text, map: first.map, grafana }, earlyTree, []));
  const firstTokens = significant(scan(first.text));
  const second = rewriteUnknownCalls(first.text, firstTokens);
  const src: Source = {
    original,
    text: second.text,
    // Nearly every expression calls only functions the grammar knows: its text, and so its tokens, are unchanged.
    tokens: second.text === first.text ? firstTokens : significant(scan(second.text)),
    map: composeMaps(first.map, second.map),
    grafana,
  };
  const deep = firstTooDeep(src.text, src.tokens, MAX_DEPTH);
  if (deep) return failed(original, { start: src.map.start(deep.start), end: src.map.end(deep.end) }, `expression nested more than ${MAX_DEPTH} levels deep; not analysed`);
  // Unknown functions swapped for a known one: the hand-written parser may accept the rewritten text.
  const fast = ways.lezerOnly || second.text === first.text ? undefined : ways.treeOnly ? 'too-big' : fastExpr(src.text);
  if (fast !== undefined && fast !== 'too-big') return readingErrorFreeTree(() => analyzeExpr(src, fast, []));
  const fastTree = fast === 'too-big' ? fastParse(src.text) : undefined;
  if (fastTree) return readingErrorFreeTree(() => analyzeTree(src, fastTree, []));
  let tree: Tree;
  try {
    tree = promqlParser().parse(src.text);
  } catch (e) {
    // Lezer builds its tree recursively and can exhaust the stack on pathological nesting.
    if (!(e instanceof RangeError)) throw e;
    return failed(original, { start: 0, end: original.length }, 'expression is too large or too deeply nested to parse');
  }
  const errors = errorNodes(tree);
  const syntax = syntaxProblems(tree, src, errors);
  return errors.length === 0 ? readingErrorFreeTree(() => analyzeTree(src, tree, syntax)) : analyzeTree(src, tree, syntax);
}

/** The analysis of a parsed expression, whose syntax problems are known. */
function analyzeTree(src: ParsedText, tree: { readonly topNode: Node }, syntax: PromqlProblem[]): PromqlAnalysis {
  const { original } = src;
  // An expression lezer resumed at after an error (`$x` outside Grafana) is a guess, not the user's.
  const firstError = firstErrorIn(tree.topNode);
  let rootNode: Node | undefined;
  for (let n = tree.topNode.firstChild; n; n = n.nextSibling) {
    if (isExprNode(n) && n.from < firstError) {
      rootNode = n;
      break;
    }
  }
  let root: Expr | undefined;
  try {
    root = rootNode && toExpr(rootNode);
  } catch (e) {
    if (!(e instanceof TooDeep)) throw e;
    const where = { start: src.map.start(e.node.from), end: src.map.end(e.node.to) };
    return failed(original, where, `expression nested more than ${MAX_DEPTH} levels deep; not analysed`);
  }
  return analyzeExpr(src, root, syntax);
}

/** The analysis of a parsed expression's root (undefined: none to read), whose syntax problems are known. */
function analyzeExpr(src: ParsedText, root: Expr | undefined, syntax: PromqlProblem[]): PromqlAnalysis {
  // The facts of an expression without syntax problems are gathered in the Analyzer's walk.
  const facts = syntax.length === 0 && root ? new FactCollector(src) : undefined;
  const analyzer = new Analyzer(src, facts);
  const info = root ? analyzer.expr(root) : unknown();

  const problems = syntax.length === 0 && analyzer.problems.length === 0 ? NONE : [...syntax, ...analyzer.problems].sort((a, b) => a.start - b.start || a.end - b.end);
  const parsed = syntax.length === 0 && root !== undefined;
  const ok = problems.length === 0;
  const metrics = keptList(byStart(analyzer.metrics));
  const functions = keptList(byStart(analyzer.functions));
  const outputLabels = parsed ? info.labels : inherited();
  const resultType = parsed ? info.type : undefined;
  // One literal for each set of keys, not properties added to one: those would be kept in a separate store (≈ 40
  // bytes more in every analysis kept, which the collector copies).
  if (facts && root) {
    const found = facts.finish(root);
    return resultType ? { ok, problems, metrics, functions, outputLabels, resultType, facts: found } : { ok, problems, metrics, functions, outputLabels, facts: found };
  }
  return resultType ? { ok, problems, metrics, functions, outputLabels, resultType } : { ok, problems, metrics, functions, outputLabels };
}

/** `list.sort((a, b) => a.start - b.start)`, skipped when the list is in that order already (nearly always). */
function byStart<T extends { start: number }>(list: T[]): T[] {
  for (let i = 1; i < list.length; i++) if (list[i - 1]!.start > list[i]!.start) return list.sort((a, b) => a.start - b.start);
  return list;
}

function failed(original: string, where: { start: number; end: number }, message: string, hint = 'split it into recording rules'): PromqlAnalysis {
  return {
    ok: false,
    problems: [{ code: 'promql/syntax', message, ...where, hint }],
    metrics: [],
    functions: [],
    outputLabels: inherited(),
  };
}

/** Parses and checks a PromQL expression against Prometheus 2.42's rules. Never throws. */
export function analyzePromql(expr: string, options: AnalyzeOptions = {}): PromqlAnalysis {
  const original = typeof expr === 'string' ? expr : String(expr ?? '');
  try {
    return analyzeUnsafe(original, options ?? {});
  } catch (e) {
    // A bug here must not take down a whole build; surface it as a problem instead.
    return failed(
      original,
      { start: 0, end: original.length },
      `internal error while analysing the expression: ${e instanceof Error ? e.message : String(e)}`,
      'this is a bug in the PromQL analyzer; please report it with the expression',
    );
  }
}
