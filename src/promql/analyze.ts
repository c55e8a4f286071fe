import type { SyntaxNode, Tree } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';
import { AGGREGATIONS, arityOf, FUNCTIONS, LATER_FUNCTIONS, type FunctionSpec } from './functions.js';
import { substituteGrafanaVariables } from './grafana.js';
import { exactly, inherited, union, withLabels, withoutLabels } from './labels.js';
import { composeMaps, IDENTITY_MAP } from './offsets.js';
import { rewriteUnknownCalls } from './prepare.js';
import { scan, significant } from './scanner.js';
import { unquote } from './strings.js';
import { closestName } from './suggest.js';
import { syntaxProblems, type Source } from './syntax.js';
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
} from './types.js';

/** What an expression evaluates to; `type` is undefined when it cannot be known (after a syntax error). */
interface Info {
  type: ResultType | undefined;
  labels: OutputLabels;
}

const unknown = (): Info => ({ type: undefined, labels: inherited() });

const DURATION = /^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/;
const UNIT_SECONDS: Record<string, number> = { y: 31_536_000, w: 604_800, d: 86_400, h: 3_600, m: 60, s: 1, ms: 0.001 };
const isDuration = (text: string) => /\d[a-z]/.test(text) && DURATION.test(text);

const COMPARISON_OPS = new Set(['Eql', 'Neq', 'Gtr', 'Gte', 'Lss', 'Lte']);
const SET_OPS = new Set(['And', 'Or', 'Unless']);
const BINARY_OPS = new Set(['Pow', 'Mul', 'Div', 'Mod', 'Atan2', 'Add', 'Sub', 'TrimUpper', 'TrimLower', ...COMPARISON_OPS, ...SET_OPS]);
const SELECTOR_CORES = new Set(['VectorSelector', 'MatrixSelector', 'SubqueryExpr']);
const NOT_IN_242 = 'not supported by Prometheus 2.42';
const MAX_DEPTH = 1000;

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

const isExpr = (n: SyntaxNode) => n.type.is('Expr');
const exprChildren = (node: SyntaxNode) => children(node).filter(isExpr);

/** Whether lezer had to recover inside this node's own syntax (its operands report for themselves). */
function broken(node: SyntaxNode): boolean {
  for (let c = node.firstChild; c; c = c.nextSibling) {
    if (c.type.isError) return true;
    if (!isExpr(c) && broken(c)) return true;
  }
  return false;
}

/** Where lezer's first recovery inside this node's own syntax starts (Infinity if none). */
function firstErrorIn(node: SyntaxNode): number {
  for (let c = node.firstChild; c; c = c.nextSibling) {
    if (c.type.isError) return c.from;
    if (!isExpr(c)) {
      const inner = firstErrorIn(c);
      if (inner !== Infinity) return inner;
    }
  }
  return Infinity;
}

/** The expressions directly below `node`, looking through argument lists and skipping error nodes. */
function operands(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) {
    if (c.type.isError) continue;
    if (isExpr(c)) out.push(c);
    else out.push(...operands(c));
  }
  return out;
}

/** Peels `offset` and `@` modifiers, which Prometheus stores on the selector they follow. */
function modifierCore(node: SyntaxNode): SyntaxNode {
  let n = node;
  while (n.name === 'OffsetExpr' || n.name === 'StepInvariantExpr') {
    const inner = exprChildren(n)[0];
    if (!inner) break;
    n = inner;
  }
  return n;
}

function regexMatchesEmpty(re: string): boolean | undefined {
  let source = re;
  let flags = '';
  const inline = /^\(\?([imsU]+)\)/.exec(source);
  if (inline) {
    source = source.slice(inline[0].length);
    if (inline[1]!.includes('i')) flags += 'i';
    if (inline[1]!.includes('s')) flags += 's';
  }
  try {
    return new RegExp(`^(?:${source})$`, flags).test('');
  } catch {
    return undefined;
  }
}

interface SelectorParts {
  ident: SyntaxNode | null;
  matchers: { matcher: LabelMatcher; node: SyntaxNode; value: SyntaxNode }[];
}

class Analyzer {
  readonly problems: PromqlProblem[] = [];
  readonly metrics: MetricUse[] = [];
  readonly functions: FunctionUse[] = [];

  constructor(private readonly src: Source) {}

  private at(node: { from: number; to: number }) {
    return { start: this.src.map.start(node.from), end: this.src.map.end(node.to) };
  }

  private text(node: { from: number; to: number }): string {
    const r = this.at(node);
    return this.src.original.slice(r.start, r.end);
  }

  private report(code: PromqlProblemCode, node: { from: number; to: number }, message: string, hint?: string) {
    const p: PromqlProblem = { code, message, ...this.at(node) };
    if (hint) p.hint = hint;
    this.problems.push(p);
  }

  private span(from: SyntaxNode, to: SyntaxNode) {
    return { from: from.from, to: to.to };
  }

  private depth = 0;
  private tooDeep = false;

  expr(node: SyntaxNode): Info {
    // Keeps the recursion far from the JS stack limit; no real expression nests this deep.
    if (this.depth >= MAX_DEPTH) {
      if (!this.tooDeep) {
        this.tooDeep = true;
        this.report('promql/syntax', node, `expression nested more than ${MAX_DEPTH} levels deep; not analysed further`, 'split it into recording rules');
      }
      return unknown();
    }
    this.depth++;
    try {
      return this.dispatch(node);
    } finally {
      this.depth--;
    }
  }

  private dispatch(node: SyntaxNode): Info {
    switch (node.name) {
      case 'ParenExpr': {
        const inner = exprChildren(node)[0];
        if (!inner || broken(node)) return this.visitAll(node);
        return this.expr(inner);
      }
      case 'NumberDurationLiteral':
        this.number(node);
        return { type: 'scalar', labels: exactly([]) };
      case 'StringLiteral':
        this.string(node);
        return { type: 'string', labels: exactly([]) };
      case 'VectorSelector':
        return this.vectorSelector(node);
      case 'MatrixSelector':
        return this.matrixSelector(node);
      case 'SubqueryExpr':
        return this.subquery(node);
      case 'OffsetExpr':
      case 'StepInvariantExpr':
        return this.modifier(node);
      case 'UnaryExpr':
        return this.unary(node);
      case 'BinaryExpr':
        return this.binary(node);
      case 'FunctionCall':
        return this.call(node);
      case 'AggregateExpr':
        return this.aggregate(node);
      case 'AnchoredExpr':
      case 'SmoothedExpr': {
        const keyword = node.getChild(node.name === 'AnchoredExpr' ? 'Anchored' : 'Smoothed') ?? node;
        this.report('promql/syntax', keyword, `the '${this.text(keyword)}' modifier is ${NOT_IN_242}`, 'remove it');
        const inner = exprChildren(node)[0];
        return inner ? this.expr(inner) : unknown();
      }
      default:
        return this.visitAll(node);
    }
  }

  /**
   * Analyses what can still be analysed below a node lezer could not make sense of. Operands after the
   * first error are recovery guesses (`rate(x) by (job)` yields a selector `job`), so they are skipped.
   */
  private visitAll(node: SyntaxNode): Info {
    const firstError = firstErrorIn(node);
    for (const op of operands(node)) if (op.from < firstError) this.expr(op);
    return unknown();
  }

  private number(node: SyntaxNode) {
    const parsed = this.src.text.slice(node.from, node.to).replace(/^[+-]/, '');
    if (!isDuration(parsed)) return;
    const written = this.text(node);
    const seconds = [...parsed.matchAll(/(\d+)(ms|[ywdhms])/g)].reduce((s, m) => s + Number(m[1]) * UNIT_SECONDS[m[2]!]!, 0);
    const hint = /^[+-]?[\d.]/.test(written)
      ? `Prometheus 2.42 accepts durations only in ranges, subqueries and offsets; write the number of seconds instead: ${seconds}`
      : `Grafana expands ${written} to a duration, which Prometheus 2.42 does not accept as a number; use a _ms or _s variant such as $__interval_ms`;
    this.report('promql/syntax', node, `unexpected duration '${written}' where a number is expected`, hint);
  }

  private string(node: SyntaxNode): string {
    const raw = this.src.text.slice(node.from, node.to);
    const { value, problems } = unquote(raw);
    const base = this.src.map.start(node.from);
    for (const p of problems) {
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

  /** A string literal's value without reporting anything (for labels read from arguments). */
  private literalValue(node: SyntaxNode | undefined): string | undefined {
    let n = node;
    while (n?.name === 'ParenExpr') n = exprChildren(n)[0];
    if (n?.name !== 'StringLiteral') return undefined;
    return unquote(this.src.text.slice(n.from, n.to)).value;
  }

  private selectorParts(node: SyntaxNode): SelectorParts {
    const matchers: SelectorParts['matchers'] = [];
    const list = node.getChild('LabelMatchers');
    for (const m of list ? children(list) : []) {
      if (m.name !== 'UnquotedLabelMatcher' && m.name !== 'QuotedLabelMatcher') continue;
      const nameNode = m.firstChild;
      const opNode = m.getChild('MatchOp');
      const value = m.getChild('StringLiteral');
      if (!nameNode || !opNode || !value || broken(m)) continue;
      const label =
        nameNode.name === 'QuotedLabelName'
          ? unquote(this.src.text.slice(nameNode.from, nameNode.to)).value
          : this.text(nameNode);
      const op = this.src.text.slice(opNode.from, opNode.to) as MatchOperator;
      matchers.push({ matcher: { label, op, value: this.literalValue(value) ?? '' }, node: m, value });
    }
    return { ident: node.getChild('Identifier'), matchers };
  }

  private vectorSelector(node: SyntaxNode): Info {
    const { ident, matchers } = this.selectorParts(node);
    const list = node.getChild('LabelMatchers');
    for (const m of list ? children(list) : []) {
      const quoted = m.name === 'QuotedLabelName' ? m : m.getChild('QuotedLabelName');
      if (quoted) {
        this.report('promql/syntax', quoted, `quoted label and metric names are ${NOT_IN_242}`, 'use a plain name: job="api"');
      }
      for (const s of m.getChildren('StringLiteral')) this.string(s);
      const q = m.getChild('QuotedLabelName')?.getChild('StringLiteral');
      if (q) this.string(q);
    }

    const nameMatcher = matchers.find((m) => m.matcher.label === '__name__' && m.matcher.op === '=');
    let metric: MetricUse | undefined;
    if (ident) {
      metric = { name: this.text(ident), ...this.at(ident), matchers: matchers.map((m) => m.matcher) };
    } else if (nameMatcher) {
      const r = this.at(nameMatcher.value);
      const quoted = this.src.original.slice(r.start, r.end);
      const closed = quoted.length > 1 && quoted.endsWith(quoted[0]!);
      metric = {
        name: nameMatcher.matcher.value,
        start: r.start + 1,
        end: closed ? r.end - 1 : r.end,
        matchers: matchers.filter((m) => m !== nameMatcher).map((m) => m.matcher),
      };
    }
    // A Grafana variable standing for the metric is no metric name the caller could look up.
    if (metric && !(this.src.grafana && /\$|\[\[/.test(metric.name))) this.metrics.push(metric);

    if (!broken(node)) {
      if (ident && nameMatcher) {
        this.report(
          'promql/syntax',
          node,
          `metric name must not be set twice: "${this.text(ident)}" or "${nameMatcher.matcher.value}"`,
          'keep either the name before the braces or the __name__ matcher',
        );
      }
      const nonEmpty = matchers.some(({ matcher: { op, value } }) => {
        if (op === '=') return value !== '';
        if (op === '!=') return value === '';
        const empty = regexMatchesEmpty(value);
        // An unparseable (RE2-only) regex gets the benefit of the doubt.
        if (empty === undefined) return true;
        return op === '=~' ? !empty : empty;
      });
      if (!ident && !nonEmpty) {
        this.report(
          'promql/syntax',
          node,
          'vector selector must contain at least one non-empty matcher',
          'add a metric name or a matcher that does not match the empty string, e.g. {job="api"}',
        );
      }
    }
    return { type: 'vector', labels: inherited() };
  }

  private duration(node: SyntaxNode | null, what: string) {
    if (!node || broken(node)) return;
    const kids = children(node);
    let literal = kids.length === 1 && kids[0]!.name === 'NumberDurationLiteralInDurationContext' ? kids[0]! : undefined;
    // Prometheus 2.42 accepts `offset -5m`.
    if (!literal && node.name === 'OffsetDurationExpr' && kids.length === 2 && kids[0]!.name === 'UnaryOp') {
      const inner = children(kids[1]!);
      if (this.src.text.slice(kids[0]!.from, kids[0]!.to) === '-' && inner.length === 1 && inner[0]!.name === 'NumberDurationLiteralInDurationContext') {
        literal = inner[0];
      }
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
    }
  }

  private matrixSelector(node: SyntaxNode): Info {
    const inner = exprChildren(node)[0];
    if (!inner || broken(node)) return this.visitAll(node);
    const info = this.expr(inner);
    this.duration(node.getChild('DurationExpr'), 'range');
    if (inner.name !== 'VectorSelector') {
      const core = modifierCore(inner);
      if (core.name === 'VectorSelector') {
        const which = inner.name === 'OffsetExpr' ? 'offset' : '@';
        this.report(
          'promql/syntax',
          inner,
          `no ${which} modifiers allowed before range`,
          `put the modifier after the range, e.g. x[5m] ${which === 'offset' ? 'offset 1h' : '@ 1609746000'}`,
        );
      } else {
        const range = node.getChild('DurationExpr');
        const rangeText = range ? this.text(range) : '5m';
        this.report(
          'promql/type',
          node,
          'ranges only allowed for vector selectors',
          `to evaluate an expression over a time range use a subquery, e.g. ${this.text(inner)}[${rangeText}:]`,
        );
      }
    }
    return { type: 'matrix', labels: info.labels };
  }

  private subquery(node: SyntaxNode): Info {
    const inner = exprChildren(node)[0];
    if (!inner || broken(node)) return this.visitAll(node);
    const info = this.expr(inner);
    const durations = node.getChildren('DurationExpr');
    this.duration(durations[0] ?? null, 'subquery range');
    this.duration(durations[1] ?? null, 'subquery resolution');
    if (info.type && info.type !== 'vector') {
      this.report(
        'promql/type',
        inner,
        `subquery is only allowed on instant vector, got ${DOCUMENTED_TYPE[info.type]} instead`,
        info.type === 'matrix' ? 'apply a function to the range first, e.g. max_over_time(rate(x[5m])[1h:])' : undefined,
      );
    }
    return { type: 'matrix', labels: info.labels };
  }

  private modifier(node: SyntaxNode): Info {
    const inner = exprChildren(node)[0];
    if (!inner || broken(node)) return this.visitAll(node);
    const info = this.expr(inner);
    const isOffset = node.name === 'OffsetExpr';
    const keyword = node.getChild(isOffset ? 'Offset' : 'At');
    const modifierRange = keyword ? { from: keyword.from, to: node.to } : node;
    if (isOffset) this.duration(node.getChild('OffsetDurationExpr'), 'offset');
    else {
      const ts = node.getChild('NumberDurationLiteral');
      if (ts) this.number(ts);
    }

    const twice = (n: SyntaxNode): boolean => {
      for (let c: SyntaxNode | undefined = n; c && (c.name === 'OffsetExpr' || c.name === 'StepInvariantExpr'); c = exprChildren(c)[0]) {
        if (c.name === node.name) return true;
      }
      return false;
    };
    if (twice(inner)) {
      this.report(
        'promql/syntax',
        modifierRange,
        isOffset ? 'offset may not be set multiple times' : '@ <timestamp> may not be set multiple times',
        'keep only one',
      );
    } else if (!SELECTOR_CORES.has(modifierCore(inner).name)) {
      const what = isOffset ? 'offset' : '@';
      this.report(
        'promql/syntax',
        modifierRange,
        `${what} modifier must be preceded by an instant vector selector or range vector selector or a subquery`,
        `move it right after the selector inside the expression, e.g. rate(x[5m] ${isOffset ? 'offset 1h' : '@ end()'})`,
      );
    }
    return info;
  }

  private unary(node: SyntaxNode): Info {
    const inner = exprChildren(node)[0];
    if (!inner || broken(node)) return this.visitAll(node);
    const info = this.expr(inner);
    if (info.type && info.type !== 'scalar' && info.type !== 'vector') {
      this.report(
        'promql/type',
        inner,
        `unary expression only allowed on expressions of type scalar or instant vector, got "${DOCUMENTED_TYPE[info.type]}"`,
      );
    }
    return info;
  }

  private groupingLabels(node: SyntaxNode | null | undefined): string[] {
    const labels: string[] = [];
    for (const c of node ? children(node) : []) {
      if (c.name === 'LabelName') labels.push(this.text(c));
      else if (c.name === 'QuotedLabelName') {
        this.report('promql/syntax', c, `quoted label names are ${NOT_IN_242}`, 'use a plain label name');
        const s = c.getChild('StringLiteral');
        if (s) labels.push(this.string(s));
      }
    }
    return labels;
  }

  private binary(node: SyntaxNode): Info {
    const sides = exprChildren(node);
    const opNode = children(node).find((c) => BINARY_OPS.has(c.name));
    if (sides.length !== 2 || !opNode || broken(node)) return this.visitAll(node);
    const [lhs, rhs] = sides as [SyntaxNode, SyntaxNode];
    const l = this.expr(lhs);
    const r = this.expr(rhs);
    const op = opNode.name;
    const opText = this.text(opNode).toLowerCase();
    const boolNode = node.getChild('BoolModifier');
    const matching = node.getChild('MatchingModifierClause');
    const fill = node.getChild('FillModifier');

    if (op === 'TrimUpper' || op === 'TrimLower') {
      this.report('promql/syntax', opNode, `the '${opText}' operator is ${NOT_IN_242}`);
    }
    if (fill) this.report('promql/syntax', fill, `fill modifiers are ${NOT_IN_242}`, 'remove the fill(...) modifier');
    if (boolNode && !COMPARISON_OPS.has(op)) {
      this.report('promql/syntax', boolNode, 'bool modifier can only be used on comparison operators', 'remove bool');
    }

    for (const [side, info] of [[lhs, l], [rhs, r]] as const) {
      if (info.type === 'matrix' || info.type === 'string') {
        this.report(
          'promql/type',
          side,
          `binary expression must contain only scalar and instant vector types, got ${DOCUMENTED_TYPE[info.type]}`,
          info.type === 'matrix'
            ? 'turn the range vector into an instant vector first, e.g. rate(x[5m]) or avg_over_time(x[5m])'
            : 'strings can only be used as function arguments',
        );
      }
    }
    if (COMPARISON_OPS.has(op) && !boolNode && l.type === 'scalar' && r.type === 'scalar') {
      this.report(
        'promql/type',
        opNode,
        'comparisons between scalars must use BOOL modifier',
        `write '${opText} bool' to get 1 (true) or 0 (false)`,
      );
    }
    if (SET_OPS.has(op) && (l.type === 'scalar' || r.type === 'scalar')) {
      this.report(
        'promql/type',
        opNode,
        `set operator "${opText}" not allowed in binary scalar expression`,
        'and, or and unless only work between instant vectors',
      );
    }

    let on = false;
    let matchLabels: string[] = [];
    let group: 'left' | 'right' | undefined;
    let include: string[] = [];
    if (matching) {
      on = matching.getChild('On') !== null;
      const lists = matching.getChildren('GroupingLabels');
      matchLabels = this.groupingLabels(lists[0]);
      const groupNode = matching.getChild('GroupLeft') ?? matching.getChild('GroupRight');
      if (groupNode) {
        group = groupNode.name === 'GroupLeft' ? 'left' : 'right';
        include = this.groupingLabels(lists[1]);
        if (SET_OPS.has(op)) {
          this.report('promql/syntax', groupNode, `no grouping allowed for "${opText}" operation`, 'set operators always match many-to-many; remove the group modifier');
        }
      }
      const bothVectors = l.type !== 'scalar' && l.type !== 'string' && r.type !== 'scalar' && r.type !== 'string';
      if (!bothVectors && matchLabels.length > 0) {
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

    const lVector = l.type !== 'scalar';
    const rVector = r.type !== 'scalar';
    const type: ResultType | undefined =
      l.type === 'vector' || r.type === 'vector' ? 'vector' : l.type === 'scalar' && r.type === 'scalar' ? 'scalar' : undefined;
    let labels: OutputLabels;
    if (l.type === 'scalar' && r.type === 'scalar') labels = exactly([]);
    else if (!rVector) labels = l.labels;
    else if (!lVector) labels = r.labels;
    else if (op === 'Or') labels = union(l.labels, r.labels);
    else if (SET_OPS.has(op)) labels = l.labels;
    else if (group === 'left') labels = withLabels(l.labels, include);
    else if (group === 'right') labels = withLabels(r.labels, include);
    else if (matching && on) labels = exactly(matchLabels);
    else if (matching) labels = withoutLabels(l.labels, matchLabels);
    else labels = l.labels;
    return { type, labels };
  }

  private call(node: SyntaxNode): Info {
    const id = node.getChild('FunctionIdentifier');
    const body = node.getChild('FunctionCallBody');
    const args = body ? exprChildren(body) : [];
    const name = id ? this.text(id) : '';
    if (id) this.functions.push({ name, ...this.at(id) });
    if (!id || !body || broken(node)) return this.visitAll(node);
    const infos = args.map((a) => this.expr(a));

    const spec = FUNCTIONS.get(name);
    if (!spec) {
      this.report('promql/unknown-function', id, `unknown function "${name}"`, this.unknownFunctionHint(name));
      return unknown();
    }

    const { min, max } = arityOf(spec);
    if (args.length < min || args.length > max) {
      const expected = spec.variadic === 0 ? `${min}` : args.length < min ? `at least ${min}` : `at most ${max}`;
      const where = args.length > max ? this.span(args[max]!, args[args.length - 1]!) : node;
      this.report('promql/arity', where, `expected ${expected} argument(s) in call to "${name}", got ${args.length}`, `usage: ${signature(spec)}`);
    }
    args.forEach((arg, i) => {
      if (i >= spec.argTypes.length && spec.variadic === 0) return;
      const expected = spec.argTypes[Math.min(i, spec.argTypes.length - 1)]!;
      this.expectType(arg, infos[i]!, expected, `call to function "${name}"`, name);
    });
    return { type: spec.returnType, labels: this.functionLabels(spec, args, infos) };
  }

  private unknownFunctionHint(name: string): string {
    const later = LATER_FUNCTIONS.get(name);
    if (later) return later;
    const lower = name.toLowerCase();
    if (FUNCTIONS.has(lower) || AGGREGATIONS.has(lower)) return `function names are case-sensitive: did you mean ${lower}?`;
    const guess = closestName(name, [...FUNCTIONS.keys(), ...AGGREGATIONS.keys()]);
    if (guess) return `did you mean ${guess}?`;
    return 'see https://prometheus.io/docs/prometheus/2.42/querying/functions/ for the available functions';
  }

  private expectType(arg: SyntaxNode, info: Info, expected: ResultType, context: string, fnName?: string) {
    if (!info.type || info.type === expected) return;
    this.report(
      'promql/type',
      arg,
      `expected type ${DOCUMENTED_TYPE[expected]} in ${context}, got ${DOCUMENTED_TYPE[info.type]}`,
      this.typeHint(arg, info.type, expected, fnName),
    );
  }

  private typeHint(arg: SyntaxNode, got: ResultType, expected: ResultType, fnName?: string): string | undefined {
    const text = this.text(arg);
    if (expected === 'matrix' && got === 'vector') {
      if (modifierCore(arg).name === 'VectorSelector' && arg.name === 'VectorSelector') {
        return `add a range, e.g. ${fnName ?? 'rate'}(${text}[5m])`;
      }
      return `pass a range vector: a selector with a range such as x[5m], or a subquery such as (${text})[5m:]`;
    }
    if (expected === 'vector' && got === 'matrix') {
      if (arg.name === 'MatrixSelector' || modifierCore(arg).name === 'MatrixSelector') {
        return `remove the range, or turn it into an instant vector with a function, e.g. ${fnName ?? 'sum'}(rate(${text}))`;
      }
      return 'turn the range vector into an instant vector with a function such as rate(...) or max_over_time(...)';
    }
    if (expected === 'scalar' && got === 'vector') return `wrap it in scalar(...) to use a single-series vector as a number: scalar(${text})`;
    if (expected === 'vector' && got === 'scalar') return `wrap it in vector(...) to turn a number into a vector: vector(${text})`;
    if (expected === 'string') return 'pass a string literal in quotes, e.g. "label"';
    if (got === 'string') return `pass a ${DOCUMENTED_TYPE[expected]}, not a string (remove the quotes?)`;
    return undefined;
  }

  private functionLabels(spec: FunctionSpec, args: SyntaxNode[], infos: Info[]): OutputLabels {
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

  /** Prometheus gives absent()'s series the labels of the selector's equality matchers (a label matched twice is dropped). */
  private absentLabels(arg: SyntaxNode | undefined): OutputLabels {
    if (!arg) return exactly([]);
    let sel = modifierCore(arg);
    if (sel.name === 'MatrixSelector') sel = exprChildren(sel)[0] ?? sel;
    if (sel.name !== 'VectorSelector') return exactly([]);
    const set = new Set<string>();
    const seen = new Set<string>();
    for (const { matcher } of this.selectorParts(sel).matchers) {
      if (matcher.label === '__name__') continue;
      if (matcher.op === '=' && !seen.has(matcher.label)) set.add(matcher.label);
      else set.delete(matcher.label);
      seen.add(matcher.label);
    }
    return exactly(set);
  }

  private aggregate(node: SyntaxNode): Info {
    const opNode = node.getChild('AggregateOp');
    const modifier = node.getChild('AggregateModifier');
    const body = node.getChild('FunctionCallBody');
    const args = body ? exprChildren(body) : [];
    if (!opNode || !body || broken(node)) return this.visitAll(node);
    const infos = args.map((a) => this.expr(a));
    const name = this.text(opNode).toLowerCase();
    const spec = AGGREGATIONS.get(name);
    if (!spec) {
      this.report('promql/unknown-function', opNode, `unknown aggregation "${name}"`, LATER_FUNCTIONS.get(name));
      return unknown();
    }
    const without = Boolean(modifier?.getChild('Without'));
    const grouping = this.groupingLabels(modifier?.getChild('GroupingLabels'));

    const wanted = spec.param ? 2 : 1;
    const usage = spec.param ? `usage: ${name}(${spec.param === 'string' ? '"label"' : 'k'}, instant vector)` : `usage: ${name}(instant vector)`;
    if (args.length === 0) {
      this.report('promql/arity', node, 'no arguments for aggregate expression provided', usage);
    } else if (args.length !== wanted) {
      const where = args.length > wanted ? this.span(args[wanted]!, args[args.length - 1]!) : node;
      this.report('promql/arity', where, `wrong number of arguments for aggregate expression provided, expected ${wanted}, got ${args.length}`, usage);
    } else {
      this.expectType(args[wanted - 1]!, infos[wanted - 1]!, 'vector', 'aggregation expression', name);
      if (spec.param) this.expectType(args[0]!, infos[0]!, spec.param, 'aggregation parameter');
    }

    const input = infos[infos.length - 1]?.labels ?? inherited();
    let labels: OutputLabels;
    if (spec.labels === 'input') labels = input;
    else {
      labels = !modifier ? exactly([]) : without ? withoutLabels(input, grouping) : exactly(grouping);
      if (spec.labels === 'count-values') {
        const label = args.length === 2 ? this.literalValue(args[0]) : undefined;
        if (label) labels = withLabels(labels, [label]);
      }
    }
    return { type: 'vector', labels };
  }
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

function analyzeUnsafe(original: string, options: AnalyzeOptions): PromqlAnalysis {
  const grafana = options.grafana === true;
  const first = grafana ? substituteGrafanaVariables(original) : { text: original, map: IDENTITY_MAP };
  const second = rewriteUnknownCalls(first.text);
  const src: Source = {
    original,
    text: second.text,
    tokens: significant(scan(second.text)),
    map: composeMaps(first.map, second.map),
    grafana,
  };
  let tree: Tree;
  try {
    tree = parser.parse(src.text);
  } catch (e) {
    // Lezer builds its tree recursively and can exhaust the stack on pathological nesting.
    if (!(e instanceof RangeError)) throw e;
    return failed(original, 'expression is too large or too deeply nested to parse', 'split it into recording rules');
  }
  const syntax = syntaxProblems(tree, src);
  const analyzer = new Analyzer(src);
  // An expression lezer resumed at after an error (`$x` outside Grafana) is a guess, not the user's.
  const root = exprChildren(tree.topNode).find((n) => n.from < firstErrorIn(tree.topNode));
  const info = root ? analyzer.expr(root) : unknown();

  const problems = [...syntax, ...analyzer.problems].sort((a, b) => a.start - b.start || a.end - b.end);
  const parsed = syntax.length === 0 && root !== undefined;
  const analysis: PromqlAnalysis = {
    ok: problems.length === 0,
    problems,
    metrics: analyzer.metrics.sort((a, b) => a.start - b.start),
    functions: analyzer.functions.sort((a, b) => a.start - b.start),
    outputLabels: parsed ? info.labels : inherited(),
  };
  if (parsed && info.type) analysis.resultType = info.type;
  return analysis;
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
      `internal error while analysing the expression: ${e instanceof Error ? e.message : String(e)}`,
      'this is a bug in the PromQL analyzer; please report it with the expression',
    );
  }
}

function failed(original: string, message: string, hint: string): PromqlAnalysis {
  return {
    ok: false,
    problems: [{ code: 'promql/syntax', message, start: 0, end: original.length, hint }],
    metrics: [],
    functions: [],
    outputLabels: inherited(),
  };
}
