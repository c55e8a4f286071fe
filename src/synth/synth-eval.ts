import { ownValue, setOwn } from '../util/own.ts';
import { prometheusRegexExec, prometheusRegexTest } from '../util/re2-match.ts';
import { prometheusRegex } from '../util/regex.ts';
import { modifierCore, type Expr } from '../promql/ast.ts';
import { unquote } from '../promql/strings.ts';
import type { LabelMatcher } from '../promql/types.ts';
import {
  aggregateInfo,
  binaryInfo,
  children,
  COMPARISONS,
  durationSeconds,
  exprText,
  functionName,
  matchersOf,
  nodeText,
  numberValue,
  rangeArg,
  SET_OPS,
  unparen,
  Unsupported,
  type BinaryInfo,
  type BinaryOp,
  type Parsed,
} from './synth-expr.ts';

/**
 * A steady-state PromQL evaluator. Every input series is linear in time, value(t) = c0 + c1·t (t in seconds from the
 * start of the test): gauges are constant (c1 = 0), counters grow at a constant rate, timestamps grow with the clock.
 * Once every range window is full, each sub-expression is again linear in time, so one evaluation describes every
 * evaluation after the warm-up. What cannot be described that way (a window sum whose value depends on how many
 * samples fall into it, a product of two growing series, …) throws Unsupported.
 */
export interface Lin {
  c0: number;
  c1: number;
}

export const lin = (c0: number, c1 = 0): Lin => ({ c0, c1 });
export const isConst = (v: Lin) => v.c1 === 0;

export type Labels = Record<string, string>;

export interface WorldSeries {
  name: string;
  labels: Labels;
  v: Lin;
}

export interface World {
  series: WorldSeries[];
  /** Seconds between samples. */
  step: number;
}

export interface Sample {
  labels: Labels;
  v: Lin;
  /** Computed with exactly Prometheus's float operations (so `==` against it is safe). */
  exact: boolean;
}

export type Value =
  | { type: 'vector'; samples: Sample[] }
  | { type: 'scalar'; v: Lin; exact: boolean }
  | { type: 'matrix'; samples: Sample[]; range: number; step: number }
  | { type: 'string'; value: string };

const NAME = '__name__';

export function seriesKey(name: string, labels: Labels): string {
  return `${name}{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',')}}`;
}

/** Prometheus regexes are RE2, fully anchored; JavaScript reads the common subset the same way. */
export function anchoredRegex(source: string): RegExp {
  const re = prometheusRegex(source);
  if (!re) throw new Unsupported(`cannot read the regular expression "${source}"`);
  return re;
}

export function matches(m: LabelMatcher, value: string): boolean {
  switch (m.op) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return anchoredTest(m.value)(value);
    case '!~':
      return !anchoredTest(m.value)(value);
  }
}

function anchoredExec(source: string): (value: string) => RegExpExecArray | null {
  const exec = prometheusRegexExec(source);
  if (!exec) throw new Unsupported(`cannot read the regular expression "${source}"`);
  return exec;
}

/** Selector regexes match in linear time (util/re2-match.ts): series labels and patterns both come from definitions. */
function anchoredTest(source: string): (value: string) => boolean {
  const test = prometheusRegexTest(source);
  if (!test) throw new Unsupported(`cannot read the regular expression "${source}"`);
  return test;
}

function shift(v: Lin, offset: number): Lin {
  return offset === 0 || v.c1 === 0 ? v : lin(v.c0 - v.c1 * offset, v.c1);
}

const isInt = (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 53;

function withoutName(labels: Labels): Labels {
  const { [NAME]: _drop, ...rest } = labels;
  return rest;
}

/** Prometheus's signature for vector matching: on(...) keeps the listed labels, otherwise all but the listed and the name. */
function signature(labels: Labels, on: boolean | undefined, names: string[]): string {
  const keys = on ? [...names].sort() : Object.keys(labels).filter((k) => k !== NAME && !names.includes(k)).sort();
  return keys.map((k) => `${k}\u0001${ownValue(labels, k) ?? ''}`).join('\u0002');
}

/** A PromQL comparison on two numbers (shared by the evaluator and the solver). */
export function compare(op: BinaryOp, a: number, b: number): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    default:
      throw new Error(`not a comparison: ${op}`);
  }
}

const requireConst = (v: Lin, what: string) => {
  if (!isConst(v)) throw new Unsupported(`${what} of a value that changes over time`);
  return v.c0;
};

function arith(op: BinaryOp, a: Lin, b: Lin): Lin {
  switch (op) {
    case '+':
      return lin(a.c0 + b.c0, a.c1 + b.c1);
    case '-':
      return lin(a.c0 - b.c0, a.c1 - b.c1);
    case '*':
      if (isConst(a) && isConst(b)) return lin(a.c0 * b.c0);
      if (isConst(b)) return lin(a.c0 * b.c0, a.c1 * b.c0);
      if (isConst(a)) return lin(a.c0 * b.c0, a.c0 * b.c1);
      throw new Unsupported('a product of two values that change over time');
    case '/':
      if (!isConst(b)) throw new Unsupported('a division by a value that changes over time');
      return isConst(a) ? lin(a.c0 / b.c0) : lin(a.c0 / b.c0, a.c1 / b.c0);
    case '%':
      return lin(requireConst(a, 'a modulo') % requireConst(b, 'a modulo'));
    case '^':
      return lin(requireConst(a, 'a power') ** requireConst(b, 'a power'));
    case 'atan2':
      return lin(Math.atan2(requireConst(a, 'atan2'), requireConst(b, 'atan2')));
    default:
      throw new Error(`not arithmetic: ${op}`);
  }
}

/** Whether Prometheus computes this arithmetic bit for bit like JavaScript does. */
function arithExact(op: BinaryOp, a: Lin, b: Lin, ea: boolean, eb: boolean): boolean {
  if (!ea || !eb || !isConst(a) || !isConst(b)) return false;
  return op === '+' || op === '-' || op === '*' || op === '/';
}

/** Result of `a op b` for one pair of samples; undefined = dropped by a comparison. */
function binaryValue(info: BinaryInfo, a: Lin, b: Lin, ea: boolean, eb: boolean): { v: Lin; exact: boolean } | undefined {
  if (COMPARISONS.has(info.op)) {
    const truth = compare(info.op, requireConst(a, 'a comparison'), requireConst(b, 'a comparison'));
    if (info.bool) return { v: lin(truth ? 1 : 0), exact: true };
    return truth ? { v: a, exact: ea } : undefined;
  }
  return { v: arith(info.op, a, b), exact: arithExact(info.op, a, b, ea, eb) };
}

export class Evaluator {
  private readonly byName = new Map<string, WorldSeries[]>();

  constructor(
    private readonly p: Parsed,
    private readonly world: World,
  ) {
    for (const s of world.series) {
      const list = this.byName.get(s.name) ?? [];
      list.push(s);
      this.byName.set(s.name, list);
    }
  }

  vector(e: Expr): Sample[] {
    const v = this.eval(e);
    if (v.type !== 'vector') throw new Unsupported(`"${exprText(this.p, e)}" is not an instant vector`);
    return v.samples;
  }

  select(selector: Extract<Expr, { kind: 'selector' }>, offset = 0): Sample[] {
    const { name, matchers } = matchersOf(this.p, selector.node);
    if (name === undefined) throw new Unsupported(`the selector "${exprText(this.p, selector)}" names no metric`);
    return (this.byName.get(name) ?? [])
      .filter((s) => matchers.every((m) => matches(m, ownValue(s.labels, m.label) ?? '')))
      .map((s) => ({ labels: { ...s.labels, [NAME]: s.name }, v: shift(s.v, offset), exact: true }));
  }

  eval(e: Expr): Value {
    switch (e.kind) {
      case 'paren':
        return this.eval(e.inner);
      case 'number':
        return { type: 'scalar', v: lin(numberValue(this.p, e)), exact: true };
      case 'string':
        return { type: 'string', value: unquote(nodeText(this.p, e.node)).value };
      case 'selector':
        return { type: 'vector', samples: this.select(e) };
      case 'offset': {
        const core = modifierCore(e);
        if (core.kind === 'selector') {
          return { type: 'vector', samples: this.select(core, instantOffset(this.p, e)) };
        }
        return this.matrix(e);
      }
      case 'range':
      case 'subquery':
        return this.matrix(e);
      case 'unary': {
        const inner = this.eval(e.inner);
        const minus = nodeText(this.p, e.op).trim() === '-';
        if (!minus) return inner;
        if (inner.type === 'scalar') return { type: 'scalar', v: lin(-inner.v.c0, -inner.v.c1), exact: inner.exact };
        if (inner.type === 'vector')
          return { type: 'vector', samples: inner.samples.map((s) => ({ labels: withoutName(s.labels), v: lin(-s.v.c0, -s.v.c1), exact: s.exact })) };
        throw new Unsupported('unary minus of a range vector');
      }
      case 'binary':
        return this.binary(e);
      case 'call':
        return this.call(e);
      case 'aggregate':
        return this.aggregate(e);
      case 'at':
        throw new Unsupported('the @ modifier pins a time; it is not supported');
      case 'later-modifier':
        throw new Unsupported(`"${exprText(this.p, e)}" uses a modifier Prometheus 2.42 does not know`);
      case 'broken':
        throw new Unsupported(`cannot read "${exprText(this.p, e)}"`);
    }
  }

  private matrix(e: Expr): Value {
    const r = rangeArg(this.p, e);
    if (r.kind === 'selector') return { type: 'matrix', samples: this.select(r.selector, r.offset), range: r.range, step: this.world.step };
    const inner = this.vector(r.inner);
    return {
      type: 'matrix',
      samples: inner.map((s) => ({ ...s, v: shift(s.v, r.offset) })),
      range: r.range,
      step: r.step ?? this.world.step,
    };
  }

  private binary(e: Extract<Expr, { kind: 'binary' }>): Value {
    const info = binaryInfo(this.p, e);
    const l = this.eval(e.lhs);
    const r = this.eval(e.rhs);
    if (l.type === 'scalar' && r.type === 'scalar') {
      if (COMPARISONS.has(info.op) && !info.bool) throw new Unsupported('a comparison of two scalars without bool');
      const out = binaryValue(info, l.v, r.v, l.exact, r.exact);
      return { type: 'scalar', v: out!.v, exact: out!.exact };
    }
    if (l.type === 'vector' && r.type === 'scalar') return this.vectorScalar(info, l.samples, r, false);
    if (l.type === 'scalar' && r.type === 'vector') return this.vectorScalar(info, r.samples, l, true);
    if (l.type === 'vector' && r.type === 'vector') return { type: 'vector', samples: this.vectorVector(info, l.samples, r.samples) };
    throw new Unsupported(`the operands of "${exprText(this.p, e)}" are not instant vectors or scalars`);
  }

  private vectorScalar(info: BinaryInfo, samples: Sample[], scalar: { v: Lin; exact: boolean }, swap: boolean): Value {
    if (SET_OPS.has(info.op)) throw new Unsupported('a set operator with a scalar');
    const out: Sample[] = [];
    for (const s of samples) {
      const [a, b, ea, eb] = swap ? [scalar.v, s.v, scalar.exact, s.exact] : [s.v, scalar.v, s.exact, scalar.exact];
      const res = binaryValue(info, a, b, ea, eb);
      if (!res) continue;
      const comparison = COMPARISONS.has(info.op);
      // A comparison keeps the vector's own value, on whichever side it stands.
      const v = comparison && !info.bool ? s.v : res.v;
      const exact = comparison && !info.bool ? s.exact : res.exact;
      const labels = comparison && !info.bool ? s.labels : withoutName(s.labels);
      out.push({ labels, v, exact });
    }
    return { type: 'vector', samples: out };
  }

  private vectorVector(info: BinaryInfo, lhs: Sample[], rhs: Sample[]): Sample[] {
    const { on, labels: names, group, include } = info.matching;
    const sig = (s: Sample) => signature(s.labels, on, names);
    if (SET_OPS.has(info.op)) {
      const rsigs = new Set(rhs.map(sig));
      if (info.op === 'and') return lhs.filter((s) => rsigs.has(sig(s)));
      if (info.op === 'unless') return lhs.filter((s) => !rsigs.has(sig(s)));
      const lsigs = new Set(lhs.map(sig));
      return [...lhs, ...rhs.filter((s) => !lsigs.has(sig(s)))];
    }
    // The "one" side must be unique per signature; for group_right the roles swap.
    const [many, one] = group === 'right' ? [rhs, lhs] : [lhs, rhs];
    const oneBySig = new Map<string, Sample>();
    for (const s of one) {
      const k = sig(s);
      if (oneBySig.has(k)) throw new Unsupported('vector matching finds several series on the "one" side (many-to-many)');
      oneBySig.set(k, s);
    }
    const out: Sample[] = [];
    const seen = new Set<string>();
    const comparison = COMPARISONS.has(info.op);
    for (const m of many) {
      const o = oneBySig.get(sig(m));
      if (!o) continue;
      const [l, r] = group === 'right' ? [o, m] : [m, o];
      const res = binaryValue(info, l.v, r.v, l.exact, r.exact);
      if (!res) continue;
      let labels: Labels = { ...m.labels };
      if (!comparison || info.bool) labels = withoutName(labels);
      if (!group) {
        if (on) labels = Object.fromEntries(Object.entries(labels).filter(([k]) => names.includes(k)));
        else for (const n of names) delete labels[n];
      }
      for (const n of include) {
        const v = ownValue(o.labels, n);
        if (v) setOwn(labels, n, v);
        else delete labels[n];
      }
      const key = seriesKey('', labels);
      if (!group && seen.has(key)) throw new Unsupported('vector matching finds several series for one result (grouping labels must make matches unique)');
      seen.add(key);
      out.push({ labels, v: res.v, exact: res.exact });
    }
    return out;
  }

  private scalarArg(e: Expr | undefined, what: string): number {
    if (!e) throw new Unsupported(`${what} is missing`);
    const v = this.eval(e);
    if (v.type !== 'scalar') throw new Unsupported(`${what} must be a scalar`);
    return requireConst(v.v, what);
  }

  private stringArg(e: Expr | undefined, what: string): string {
    const v = e && this.eval(e);
    if (v?.type !== 'string') throw new Unsupported(`${what} must be a string`);
    return v.value;
  }

  private matrixArg(e: Expr | undefined): Extract<Value, { type: 'matrix' }> {
    if (!e) throw new Unsupported('a range function has no argument');
    const v = this.eval(e);
    if (v.type !== 'matrix') throw new Unsupported(`"${exprText(this.p, e)}" is not a range vector`);
    return v;
  }

  private call(e: Extract<Expr, { kind: 'call' }>): Value {
    const name = functionName(this.p, e);
    const vec = (samples: Sample[]): Value => ({ type: 'vector', samples });
    const perSample = (fn: (s: Sample) => Sample | undefined, argIndex = 0): Value => {
      const arg = e.args[argIndex];
      if (!arg) throw new Unsupported(`${name}() has no argument`);
      return vec(this.vector(arg).flatMap((s) => fn(s) ?? []));
    };
    const math = (f: (x: number) => number, exactFn: boolean) =>
      perSample((s) => ({ labels: withoutName(s.labels), v: lin(f(requireConst(s.v, `${name}()`))), exact: exactFn && s.exact }));
    const overTime = (f: (s: Sample, m: Extract<Value, { type: 'matrix' }>) => { v: Lin; exact: boolean }, keepName = false, arg = 0) => {
      const m = this.matrixArg(e.args[arg]);
      return vec(m.samples.map((s) => ({ labels: keepName ? s.labels : withoutName(s.labels), ...f(s, m) })));
    };
    const constOnly = (s: Sample, what: string) => {
      if (!isConst(s.v)) throw new Unsupported(`${what} of a series that changes over time depends on sample alignment`);
      return s.v;
    };
    switch (name) {
      case 'rate':
      case 'irate':
        return overTime((s) => {
          if (s.v.c1 < 0) throw new Unsupported(`${name}() of a decreasing series (counter resets)`);
          return { v: lin(s.v.c1), exact: s.v.c1 === 0 };
        });
      case 'increase':
        return overTime((s, m) => {
          if (s.v.c1 < 0) throw new Unsupported('increase() of a decreasing series (counter resets)');
          return { v: lin(s.v.c1 * m.range), exact: s.v.c1 === 0 };
        });
      case 'delta':
        return overTime((s, m) => ({ v: lin(s.v.c1 * m.range), exact: s.v.c1 === 0 }));
      case 'idelta':
        return overTime((s, m) => ({ v: lin(s.v.c1 * m.step), exact: s.v.c1 === 0 }));
      case 'deriv':
        return overTime((s) => ({ v: lin(s.v.c1), exact: false }));
      case 'predict_linear': {
        const d = this.scalarArg(e.args[1], 'the prediction horizon of predict_linear()');
        return overTime((s) => ({ v: lin(s.v.c0 + s.v.c1 * d, s.v.c1), exact: false }));
      }
      case 'avg_over_time':
      case 'min_over_time':
      case 'max_over_time':
        return overTime((s) => ({ v: constOnly(s, `${name}()`), exact: s.exact }));
      case 'last_over_time':
        return overTime((s) => ({ v: s.v, exact: s.exact }), true);
      case 'quantile_over_time': {
        const q = this.scalarArg(e.args[0], 'the quantile of quantile_over_time()');
        return overTime((s) => ({ v: q < 0 ? lin(-Infinity) : q > 1 ? lin(Infinity) : constOnly(s, name), exact: false }), false, 1);
      }
      case 'stddev_over_time':
      case 'stdvar_over_time':
        return overTime((s) => ({ v: (constOnly(s, `${name}()`), lin(0)), exact: true }));
      case 'changes':
      case 'resets':
        return overTime((s) => ({ v: (constOnly(s, `${name}()`), lin(0)), exact: true }));
      case 'present_over_time':
        return overTime(() => ({ v: lin(1), exact: true }));
      case 'absent':
      case 'absent_over_time': {
        const arg = e.args[0];
        if (!arg) throw new Unsupported(`${name}() has no argument`);
        const v = this.eval(arg);
        if (v.type !== 'vector' && v.type !== 'matrix') throw new Unsupported(`${name}() of a non-vector`);
        if (v.samples.length > 0) return vec([]);
        return vec([{ labels: absentLabels(this.p, arg), v: lin(1), exact: true }]);
      }
      case 'abs':
        return math(Math.abs, true);
      case 'ceil':
        return math(Math.ceil, true);
      case 'floor':
        return math(Math.floor, true);
      case 'sgn':
        return math(Math.sign, true);
      case 'sqrt':
        return math(Math.sqrt, false);
      case 'exp':
        return math(Math.exp, false);
      case 'ln':
        return math(Math.log, false);
      case 'log2':
        return math(Math.log2, false);
      case 'log10':
        return math(Math.log10, false);
      case 'round': {
        const to = e.args[1] ? this.scalarArg(e.args[1], 'the rounding step') : 1;
        // Prometheus: math.Floor(v*(1/to) + 0.5) / (1/to)
        return math((x) => Math.floor(x * (1 / to) + 0.5) / (1 / to), false);
      }
      case 'clamp': {
        const lo = this.scalarArg(e.args[1], 'the minimum of clamp()');
        const hi = this.scalarArg(e.args[2], 'the maximum of clamp()');
        if (lo > hi) return vec([]);
        return math((x) => Math.max(lo, Math.min(hi, x)), true);
      }
      case 'clamp_min': {
        const lo = this.scalarArg(e.args[1], 'the minimum of clamp_min()');
        return math((x) => Math.max(lo, x), true);
      }
      case 'clamp_max': {
        const hi = this.scalarArg(e.args[1], 'the maximum of clamp_max()');
        return math((x) => Math.min(hi, x), true);
      }
      case 'time':
        return { type: 'scalar', v: lin(0, 1), exact: false };
      case 'timestamp':
        // Samples sit on every step, and evaluations on multiples of it: the newest sample is from "now".
        return perSample((s) => ({ labels: withoutName(s.labels), v: lin(0, 1), exact: false }));
      case 'vector': {
        const arg = e.args[0];
        const v = arg && this.eval(arg);
        if (v?.type !== 'scalar') throw new Unsupported('vector() of a non-scalar');
        return vec([{ labels: {}, v: v.v, exact: v.exact }]);
      }
      case 'scalar': {
        const arg = e.args[0];
        if (!arg) throw new Unsupported('scalar() has no argument');
        const samples = this.vector(arg);
        return samples.length === 1 ? { type: 'scalar', v: samples[0]!.v, exact: samples[0]!.exact } : { type: 'scalar', v: lin(NaN), exact: true };
      }
      case 'sort':
      case 'sort_desc':
        return perSample((s) => s);
      case 'histogram_quantile': {
        const q = this.scalarArg(e.args[0], 'the quantile of histogram_quantile()');
        const arg = e.args[1];
        if (!arg) throw new Unsupported('histogram_quantile() has no buckets');
        return vec(histogramQuantile(q, this.vector(arg)));
      }
      case 'label_replace': {
        const dst = this.stringArg(e.args[1], 'the destination label');
        const repl = this.stringArg(e.args[2], 'the replacement');
        const src = this.stringArg(e.args[3], 'the source label');
        const exec = anchoredExec(this.stringArg(e.args[4], 'the regular expression'));
        return perSample((s) => {
          const m = exec(ownValue(s.labels, src) ?? '');
          if (!m) return s;
          const value = expandReplacement(repl, m);
          const labels = { ...s.labels };
          if (value === '') delete labels[dst];
          else setOwn(labels, dst, value);
          return { ...s, labels };
        });
      }
      case 'label_join': {
        const dst = this.stringArg(e.args[1], 'the destination label');
        const sep = this.stringArg(e.args[2], 'the separator');
        const srcs = e.args.slice(3).map((a) => this.stringArg(a, 'a source label'));
        return perSample((s) => {
          const value = srcs.map((l) => ownValue(s.labels, l) ?? '').join(sep);
          const labels = { ...s.labels };
          if (value === '') delete labels[dst];
          else setOwn(labels, dst, value);
          return { ...s, labels };
        });
      }
      default:
        throw new Unsupported(`${name}() is not supported by the synthesizer`);
    }
  }

  private aggregate(e: Extract<Expr, { kind: 'aggregate' }>): Value {
    const { op, grouping } = aggregateInfo(this.p, e);
    const arg = e.args[e.args.length - 1];
    if (!arg) throw new Unsupported(`${op}() has no argument`);
    const samples = this.vector(arg);
    const param = e.args.length === 2 ? this.eval(e.args[0]!) : undefined;
    const groups = new Map<string, { labels: Labels; samples: Sample[] }>();
    for (const s of samples) {
      let labels: Labels;
      if (grouping.without) {
        labels = withoutName(s.labels);
        for (const l of grouping.labels) delete labels[l];
      } else {
        labels = {};
        for (const l of grouping.labels) {
          const v = ownValue(s.labels, l);
          if (v) setOwn(labels, l, v);
        }
      }
      const key = seriesKey('', labels);
      const g = groups.get(key) ?? { labels, samples: [] };
      g.samples.push(s);
      groups.set(key, g);
    }
    const out: Sample[] = [];
    const paramNumber = () => {
      if (param?.type !== 'scalar') throw new Unsupported(`the parameter of ${op}() must be a scalar`);
      return requireConst(param.v, `the parameter of ${op}()`);
    };
    for (const { labels, samples: group } of groups.values()) {
      const single = group.length === 1;
      const values = () => group.map((s) => requireConst(s.v, `${op}()`));
      const allExact = group.every((s) => s.exact);
      switch (op) {
        case 'sum': {
          if (single) out.push({ labels, v: group[0]!.v, exact: group[0]!.exact });
          else {
            const v = group.reduce((acc, s) => lin(acc.c0 + s.v.c0, acc.c1 + s.v.c1), lin(0));
            out.push({ labels, v, exact: allExact && group.every((s) => isConst(s.v) && isInt(s.v.c0)) && isInt(v.c0) });
          }
          break;
        }
        case 'avg': {
          if (single) out.push({ labels, v: group[0]!.v, exact: group[0]!.exact });
          else {
            const v = group.reduce((acc, s) => lin(acc.c0 + s.v.c0 / group.length, acc.c1 + s.v.c1 / group.length), lin(0));
            out.push({ labels, v, exact: false });
          }
          break;
        }
        case 'min':
        case 'max': {
          if (single) {
            out.push({ labels, v: group[0]!.v, exact: group[0]!.exact });
            break;
          }
          const vs = values();
          const real = vs.filter((x) => !Number.isNaN(x));
          const v = real.length === 0 ? NaN : op === 'min' ? Math.min(...real) : Math.max(...real);
          out.push({ labels, v: lin(v), exact: allExact });
          break;
        }
        case 'count':
          out.push({ labels, v: lin(group.length), exact: true });
          break;
        case 'group':
          out.push({ labels, v: lin(1), exact: true });
          break;
        case 'stddev':
        case 'stdvar': {
          const vs = values();
          const mean = vs.reduce((a, b) => a + b, 0) / vs.length;
          const variance = vs.reduce((a, b) => a + (b - mean) ** 2, 0) / vs.length;
          out.push({ labels, v: lin(op === 'stddev' ? Math.sqrt(variance) : variance), exact: single });
          break;
        }
        case 'quantile': {
          const q = paramNumber();
          const vs = values().sort((a, b) => a - b);
          out.push({ labels, v: lin(quantile(q, vs)), exact: single && q >= 0 && q <= 1 });
          break;
        }
        case 'topk':
        case 'bottomk': {
          const k = paramNumber();
          const sorted = [...group].sort((a, b) => (op === 'topk' ? 1 : -1) * (requireConst(b.v, op) - requireConst(a.v, op)));
          out.push(...sorted.slice(0, Math.max(0, Math.floor(k))));
          break;
        }
        default:
          throw new Unsupported(`${op}() is not supported by the synthesizer`);
      }
    }
    return { type: 'vector', samples: out };
  }
}

/** Seconds of the `offset` modifiers on an instant selector. */
export function instantOffset(p: Parsed, e: Expr): number {
  let offset = 0;
  let n = e;
  for (;;) {
    if (n.kind === 'offset') {
      offset += durationSeconds(p, n.duration, 'offset');
      if (offset < 0) throw new Unsupported('a negative offset reads samples from the future');
      n = n.inner;
    } else if (n.kind === 'at') throw new Unsupported('the @ modifier pins a time; it is not supported');
    else return offset;
  }
}

/** absent()'s labels: the selector's equality matchers (a label matched twice is dropped). */
export function absentLabels(p: Parsed, arg: Expr): Labels {
  let sel = modifierCore(unparen(arg));
  if (sel.kind === 'range') sel = modifierCore(sel.inner);
  if (sel.kind !== 'selector') return {};
  const out: Labels = {};
  const seen = new Set<string>();
  for (const m of matchersOf(p, sel.node).matchers) {
    if (m.op === '=' && !seen.has(m.label)) setOwn(out, m.label, m.value);
    else delete out[m.label];
    seen.add(m.label);
  }
  return out;
}

function expandReplacement(template: string, m: RegExpExecArray): string {
  return template.replace(/\$(?:\{(\w+)\}|(\d+)|([A-Za-z_]\w*))/g, (_all, braced: string | undefined, num: string | undefined, named: string | undefined) => {
    const ref = braced ?? num ?? named ?? '';
    if (/^\d+$/.test(ref)) return m[Number(ref)] ?? '';
    return m.groups?.[ref] ?? '';
  });
}

/** Prometheus's quantile(): linear interpolation between the closest ranks. */
function quantile(q: number, sorted: number[]): number {
  if (sorted.length === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const n = sorted.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return sorted[lower]! * (1 - weight) + sorted[upper]! * weight;
}

/** Reads an `le` label as Prometheus does (strconv.ParseFloat). */
export function parseLe(text: string): number {
  const t = text.trim();
  if (/^[+]?inf(inity)?$/i.test(t)) return Infinity;
  if (/^-inf(inity)?$/i.test(t)) return -Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) && !/^[+-]?0x[0-9a-f]+$/i.test(t)) return NaN;
  return Number(t);
}

/** histogram_quantile() over classic buckets, as Prometheus 2.42's bucketQuantile computes it. */
export function histogramQuantile(q: number, samples: Sample[]): Sample[] {
  const groups = new Map<string, { labels: Labels; buckets: { upper: number; count: number }[] }>();
  for (const s of samples) {
    const le = s.labels.le;
    if (le === undefined) continue;
    const upper = parseLe(le);
    if (Number.isNaN(upper)) continue;
    const labels = withoutName(s.labels);
    delete labels.le;
    const key = seriesKey('', labels);
    const g = groups.get(key) ?? { labels, buckets: [] };
    g.buckets.push({ upper, count: requireConst(s.v, 'histogram_quantile()') });
    groups.set(key, g);
  }
  return [...groups.values()].map(({ labels, buckets }) => ({ labels, v: lin(bucketQuantile(q, buckets)), exact: false }));
}

export function bucketQuantile(q: number, input: { upper: number; count: number }[]): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = [...input].sort((a, b) => a.upper - b.upper);
  if (sorted.length === 0 || sorted[sorted.length - 1]!.upper !== Infinity) return NaN;
  // coalesceBuckets: buckets with the same upper bound are summed.
  const buckets: { upper: number; count: number }[] = [];
  for (const b of sorted) {
    const last = buckets[buckets.length - 1];
    if (last && last.upper === b.upper) last.count += b.count;
    else buckets.push({ ...b });
  }
  // ensureMonotonic
  let max = -Infinity;
  for (const b of buckets) {
    if (b.count > max) max = b.count;
    else if (b.count < max) b.count = max;
  }
  if (buckets.length < 2) return NaN;
  const observations = buckets[buckets.length - 1]!.count;
  if (observations === 0) return NaN;
  let rank = q * observations;
  let b = buckets.length - 1;
  for (let i = 0; i < buckets.length - 1; i++) {
    if (buckets[i]!.count >= rank) {
      b = i;
      break;
    }
  }
  if (b === buckets.length - 1) return buckets[buckets.length - 2]!.upper;
  if (b === 0 && buckets[0]!.upper <= 0) return buckets[0]!.upper;
  let bucketStart = 0;
  const bucketEnd = buckets[b]!.upper;
  let count = buckets[b]!.count;
  if (b > 0) {
    bucketStart = buckets[b - 1]!.upper;
    count -= buckets[b - 1]!.count;
    rank -= buckets[b - 1]!.count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

/**
 * Seconds after the inputs start until every evaluation of `e` sees full windows: ranges, offsets and subqueries add
 * up along each path.
 */
export function warmup(p: Parsed, e: Expr): number {
  switch (e.kind) {
    case 'paren':
    case 'unary':
    case 'later-modifier':
    case 'at':
      return warmup(p, e.inner);
    case 'number':
    case 'string':
    case 'selector':
    case 'broken':
      return 0;
    case 'offset':
      if (modifierCore(e).kind === 'selector') return instantOffset(p, e);
      return rangeWarmup(p, e);
    case 'range':
    case 'subquery':
      return rangeWarmup(p, e);
    case 'binary':
      return Math.max(warmup(p, e.lhs), warmup(p, e.rhs));
    case 'call':
    case 'aggregate':
      return Math.max(0, ...e.args.map((a) => warmup(p, a)));
  }
}

function rangeWarmup(p: Parsed, e: Expr): number {
  const r = rangeArg(p, e);
  if (r.kind === 'selector') return r.range + r.offset;
  return warmup(p, r.inner) + r.range + (r.step ?? 0) + r.offset;
}

/**
 * Seconds after the inputs start before `e` can produce any series at all (offsets look back before the first
 * sample): no alert can become active earlier, so none can fire before this + its `for`.
 */
export function earliest(p: Parsed, e: Expr): number {
  switch (e.kind) {
    case 'paren':
    case 'unary':
    case 'later-modifier':
    case 'at':
      return earliest(p, e.inner);
    case 'offset':
      if (modifierCore(e).kind === 'selector') return Math.max(0, instantOffset(p, e));
      return rangeEarliest(p, e);
    case 'range':
    case 'subquery':
      return rangeEarliest(p, e);
    case 'binary': {
      const op = binaryInfo(p, e).op;
      const [l, r] = [earliest(p, e.lhs), earliest(p, e.rhs)];
      if (op === 'or') return Math.min(l, r);
      if (op === 'unless') return l;
      return Math.max(l, r);
    }
    case 'call': {
      const name = functionName(p, e);
      if (name === 'absent' || name === 'absent_over_time' || name === 'vector' || name === 'time') return 0;
      return Math.max(0, ...e.args.map((a) => earliest(p, a)));
    }
    case 'aggregate': {
      const arg = e.args[e.args.length - 1];
      return arg ? earliest(p, arg) : 0;
    }
    default:
      return 0;
  }
}

function rangeEarliest(p: Parsed, e: Expr): number {
  const r = rangeArg(p, e);
  if (r.kind === 'selector') return Math.max(0, r.offset);
  return Math.max(0, earliest(p, r.inner) + r.offset);
}

/** The range windows of range functions, for choosing a sample step. */
export function rangeWindows(p: Parsed, e: Expr): number[] {
  const out: number[] = [];
  const walk = (n: Expr) => {
    if (n.kind === 'range' && n.duration) {
      out.push(rangeArg(p, n).range);
    }
    if (n.kind === 'subquery' && n.range) out.push(rangeArg(p, n).range);
    for (const c of children(n)) walk(c);
  };
  walk(e);
  return out;
}

export function evaluate(p: Parsed, e: Expr, world: World): Value {
  return new Evaluator(p, world).eval(e);
}
