import { compare } from './synth-eval.ts';
import type { LabelMatcher } from '../promql/types.ts';
import { modifierCore, type Expr } from '../promql/ast.ts';
import { ownValue, setOwn } from '../util/own.ts';
import { Evaluator, instantOffset, isConst, lin, matches, seriesKey, type Labels, type Lin, type Sample, type World, type WorldSeries } from './synth-eval.ts';
import {
  aggregateInfo,
  binaryInfo,
  canonical,
  COMPARISONS,
  exprText,
  flipComparison,
  functionName,
  isStatic,
  matchersOf,
  nodeText,
  rangeArg,
  SET_OPS,
  unparen,
  Unsupported,
  type BinaryOp,
  type Parsed,
} from './synth-expr.ts';
import { regexExamples } from './synth-regex.ts';
import { formatValue } from './synth-values.ts';

/**
 * Builds input series that make an expression produce a wanted output, by walking the expression from the top and
 * inverting each step (`x * 100 = v` → `x = v / 100`, `rate(c[5m]) = v` → a counter growing by v per second,
 * `histogram_quantile(q, b) = v` → buckets whose quantile is the bucket bound v). Operands that are not on the path
 * to the wanted value (the denominator of a ratio, the filter of an `and`) get plain values first; the path is then
 * solved against what they evaluate to. The result is checked by evaluating the expression forward
 * (synth-eval.ts); see synthesize.ts.
 */
export type Target =
  /** Exactly this (linear-in-time) value. */
  | { kind: 'value'; v: Lin }
  /** At least one series, any value (a hint for which). */
  | { kind: 'any'; prefer?: number }
  /** No series at all. */
  | { kind: 'none' };

export interface Want {
  /** Labels the output series should carry (values the caller chose). */
  labels: Labels;
  target: Target;
}

/** Where the main value entered the world: the solved series and which coefficient carries it. */
export interface Primary {
  key: string;
  field: 'c0' | 'c1';
}

interface Entry {
  series: WorldSeries;
  hard: boolean;
}

export class WorldBuilder {
  readonly entries = new Map<string, Entry>();
  primary: Primary | undefined;

  put(name: string, labels: Labels, v: Lin, hard: boolean, primary?: 'c0' | 'c1'): void {
    const key = seriesKey(name, labels);
    const existing = this.entries.get(key);
    if (existing && hard && existing.hard && !sameLin(existing.series.v, v)) {
      throw new Unsupported(
        `the series ${describe(name, labels)} would need two values at once (${formatLin(existing.series.v)} and ${formatLin(v)})`,
      );
    }
    if (!existing || (hard && !existing.hard)) this.entries.set(key, { series: { name, labels: { ...labels }, v }, hard });
    if (primary && hard && !this.primary) this.primary = { key, field: primary };
  }

  world(step: number, override?: { primary: Primary; value: number }): World {
    const series = [...this.entries.entries()].map(([key, { series: s }]) => {
      if (override && key === override.primary.key) return { ...s, v: { ...s.v, [override.primary.field]: override.value } };
      return s;
    });
    return { series, step };
  }
}

function sameLin(a: Lin, b: Lin): boolean {
  const eq = (x: number, y: number) => x === y || (Number.isNaN(x) && Number.isNaN(y)) || Math.abs(x - y) <= 1e-12 * Math.max(1, Math.abs(x), Math.abs(y));
  return eq(a.c0, b.c0) && eq(a.c1, b.c1);
}

export function formatLin(v: Lin): string {
  if (v.c1 === 0) return formatValue(v.c0);
  return `${formatValue(v.c0)} ${v.c1 < 0 ? '-' : '+'} ${formatValue(Math.abs(v.c1))}/s`;
}

export function describe(name: string, labels: Labels): string {
  const inner = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k]}"`)
    .join(', ');
  return inner ? `${name}{${inner}}` : name;
}

const constValue = (t: Target, what: string): number => {
  if (t.kind !== 'value') throw new Error('not a value target');
  if (!isConst(t.v)) throw new Unsupported(`${what} cannot follow a value that changes over time`);
  return t.v.c0;
};

/** Applies `f` to a value target (and to an `any` hint); `none` passes through. */
function mapTarget(t: Target, f: (v: Lin) => Lin): Target {
  if (t.kind === 'value') return { kind: 'value', v: f(t.v) };
  if (t.kind === 'any' && t.prefer !== undefined) {
    const v = f(lin(t.prefer));
    return Number.isFinite(v.c0) && isConst(v) ? { kind: 'any', prefer: v.c0 } : { kind: 'any' };
  }
  return t;
}

const neg = (v: Lin) => lin(-v.c0, -v.c1);

/** A value that passes (or fails) `x op c`, preferring `prefer` when it does. */
function pick(op: BinaryOp, c: number, pass: boolean, prefer?: number): number {
  const ok = (x: number) => compare(op, x, c) === pass;
  if (prefer !== undefined && ok(prefer)) return prefer;
  const step = Math.max(1, Math.abs(c));
  const candidates = [c + step, c - step, c, c + 1, c - 1, NaN];
  const found = candidates.find(ok);
  if (found === undefined) throw new Unsupported(`no value ${pass ? 'passes' : 'fails'} "${op} ${c}"`);
  return found;
}

/** The syntactic result type, enough to tell scalars from vectors. */
function typeOf(p: Parsed, e: Expr): 'scalar' | 'vector' | 'matrix' | 'string' {
  const n = unparen(e);
  switch (n.kind) {
    case 'number':
      return 'scalar';
    case 'string':
      return 'string';
    case 'range':
    case 'subquery':
      return 'matrix';
    case 'offset':
    case 'at':
      return modifierCore(n).kind === 'selector' ? 'vector' : 'matrix';
    case 'unary':
      return typeOf(p, n.inner);
    case 'binary':
      return typeOf(p, n.lhs) === 'scalar' && typeOf(p, n.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'call': {
      const name = functionName(p, n);
      return name === 'time' || name === 'scalar' || name === 'pi' ? 'scalar' : 'vector';
    }
    default:
      return 'vector';
  }
}

export interface SolverOptions {
  /** Seconds between samples (idelta). */
  step: number;
  /** A value for a label no matcher constrains. */
  invent: (label: string) => string;
}

export class Solver {
  readonly builder = new WorldBuilder();

  constructor(
    private readonly p: Parsed,
    private readonly options: SolverOptions,
  ) {}

  private text(e: Expr): string {
    return exprText(this.p, e);
  }

  /** Evaluates `e` on the series placed so far. */
  private current(e: Expr) {
    return new Evaluator(this.p, this.builder.world(this.options.step)).eval(e);
  }

  solve(e: Expr, want: Want, main: boolean): void {
    switch (e.kind) {
      case 'paren':
        return this.solve(e.inner, want, main);
      case 'selector':
        return this.instant(e, 0, want, main);
      case 'offset': {
        const core = modifierCore(e);
        if (core.kind !== 'selector') throw new Unsupported(`cannot steer "${this.text(e)}": ${core.kind === 'at' ? 'the @ modifier pins a time' : 'not a selector'}`);
        return this.instant(core, instantOffset(this.p, e), want, main);
      }
      case 'unary': {
        const minus = nodeText(this.p, e.op).trim() === '-';
        return this.solve(e.inner, minus ? { ...want, target: mapTarget(want.target, neg) } : want, main);
      }
      case 'binary':
        return this.binary(e, want, main);
      case 'call':
        return this.call(e, want, main);
      case 'aggregate':
        return this.aggregate(e, want, main);
      case 'number':
      case 'string':
        throw new Unsupported(`the constant "${this.text(e)}" cannot be steered`);
      case 'at':
        throw new Unsupported('the @ modifier pins a time; it is not supported');
      default:
        throw new Unsupported(`cannot steer "${this.text(e)}"`);
    }
  }

  // ---- leaves ----

  /** Label values for a new series of `selector`: the wanted ones, adjusted until every matcher passes. */
  leafLabels(matchers: LabelMatcher[], wanted: Labels): Labels {
    const labels: Labels = { ...wanted };
    for (const m of matchers) {
      const current = ownValue(labels, m.label);
      if (matches(m, current ?? '')) continue;
      const value = this.valueFor(m, matchers.filter((o) => o.label === m.label));
      if (value === undefined) throw new Unsupported(`no value of label ${m.label} satisfies ${m.label}${m.op}"${m.value}"`);
      if (value === '') delete labels[m.label];
      else setOwn(labels, m.label, value);
    }
    for (const m of matchers) {
      if (!matches(m, ownValue(labels, m.label) ?? '')) throw new Unsupported(`no value of label ${m.label} satisfies all its matchers`);
    }
    return labels;
  }

  /** A value of `m.label` that passes every matcher on that label. */
  private valueFor(m: LabelMatcher, all: LabelMatcher[]): string | undefined {
    const candidates: string[] = [];
    for (const o of all) {
      if (o.op === '=') candidates.push(o.value);
      if (o.op === '=~') candidates.push(...regexExamples(o.value));
    }
    const invented = this.options.invent(m.label);
    candidates.push(invented, 'synthetic-0', 'synthetic-1', `${invented}-other`, '');
    return candidates.find((c) => all.every((o) => matches(o, c)));
  }

  private instant(selector: Extract<Expr, { kind: 'selector' }>, offset: number, want: Want, main: boolean): void {
    const { name, matchers } = matchersOf(this.p, selector.node);
    if (name === undefined) throw new Unsupported(`the selector "${this.text(selector)}" names no metric`);
    const t = want.target;
    if (t.kind === 'none') return;
    const labels = this.leafLabels(matchers, want.labels);
    if (t.kind === 'any') {
      this.builder.put(name, labels, lin(t.prefer ?? 1), false);
      return;
    }
    // The series seen `offset` ago must show v: series(t) = v(t + offset).
    const v = t.v.c1 === 0 ? t.v : lin(t.v.c0 + t.v.c1 * offset, t.v.c1);
    this.builder.put(name, labels, v, true, main ? 'c0' : undefined);
  }

  /** A range function over a selector: `toSeries` turns the wanted function value into the series. */
  private rangeLeaf(arg: Expr | undefined, want: Want, main: boolean, fn: string, toSeries: (v: number, range: number) => { v: Lin; field: 'c0' | 'c1' }): void {
    const r = rangeArg(this.p, arg);
    const t = want.target;
    if (r.kind === 'subquery') {
      if (fn !== 'avg_over_time' && fn !== 'min_over_time' && fn !== 'max_over_time' && fn !== 'last_over_time' && fn !== 'quantile_over_time') {
        throw new Unsupported(`${fn}() over a subquery is not supported`);
      }
      return this.solve(r.inner, want, main);
    }
    if (t.kind === 'none') return;
    const { name, matchers } = matchersOf(this.p, r.selector.node);
    if (name === undefined) throw new Unsupported(`the selector "${this.text(r.selector)}" names no metric`);
    const labels = this.leafLabels(matchers, want.labels);
    if (t.kind === 'any') {
      this.builder.put(name, labels, toSeries(t.prefer ?? 1, r.range).v, false);
      return;
    }
    const { v, field } = toSeries(constValue(t, `${fn}()`), r.range);
    this.builder.put(name, labels, v, true, main ? field : undefined);
  }

  // ---- functions ----

  private call(e: Extract<Expr, { kind: 'call' }>, want: Want, main: boolean): void {
    const name = functionName(this.p, e);
    const t = want.target;
    const arg0 = e.args[0];
    const counter = (v: number) => {
      if (v < 0) throw new Unsupported(`${name}() of a counter is never negative; ${formatValue(v)} cannot be reached`);
      return v;
    };
    const passConst = (f: (v: number) => number, check?: (v: number) => string | undefined) => {
      if (!arg0) throw new Unsupported(`${name}() has no argument`);
      if (t.kind === 'value') {
        const v = constValue(t, `${name}()`);
        const problem = check?.(v);
        if (problem) throw new Unsupported(problem);
        return this.solve(arg0, { ...want, target: { kind: 'value', v: lin(f(v)) } }, main);
      }
      return this.solve(arg0, want, main);
    };
    const staticArg = (i: number, what: string) => {
      const a = e.args[i];
      if (!a || !isStatic(a)) throw new Unsupported(`${what} of ${name}() must be a number`);
      const v = this.current(a);
      if (v.type !== 'scalar') throw new Unsupported(`${what} of ${name}() must be a number`);
      return v.v.c0;
    };
    switch (name) {
      case 'rate':
      case 'irate':
        return this.rangeLeaf(arg0, want, main, name, (v) => ({ v: lin(0, counter(v)), field: 'c1' }));
      case 'deriv':
        return this.rangeLeaf(arg0, want, main, name, (v) => ({ v: lin(0, v), field: 'c1' }));
      case 'increase':
        return this.rangeLeaf(arg0, want, main, name, (v, range) => ({ v: lin(0, counter(v) / range), field: 'c1' }));
      case 'delta':
        return this.rangeLeaf(arg0, want, main, name, (v, range) => ({ v: lin(0, v / range), field: 'c1' }));
      case 'idelta':
        return this.rangeLeaf(arg0, want, main, name, (v) => ({ v: lin(0, v / this.options.step), field: 'c1' }));
      case 'avg_over_time':
      case 'min_over_time':
      case 'max_over_time':
      case 'last_over_time':
        return this.rangeLeaf(arg0, want, main, name, (v) => ({ v: lin(v), field: 'c0' }));
      case 'quantile_over_time':
        staticArg(0, 'the quantile');
        return this.rangeLeaf(e.args[1], want, main, name, (v) => ({ v: lin(v), field: 'c0' }));
      case 'predict_linear':
        staticArg(1, 'the horizon');
        return this.rangeLeaf(arg0, want, main, name, (v) => ({ v: lin(v), field: 'c0' }));
      case 'stddev_over_time':
      case 'stdvar_over_time':
      case 'changes':
      case 'resets':
      case 'present_over_time': {
        const fixed = name === 'present_over_time' ? 1 : 0;
        if (t.kind === 'value' && constValue(t, `${name}()`) !== fixed) {
          throw new Unsupported(`${name}() of a steady input is always ${fixed}; ${formatLin(t.v)} cannot be reached`);
        }
        const any: Want = { ...want, target: t.kind === 'none' ? t : { kind: 'any' } };
        return this.rangeLeaf(arg0, any, false, name, (v) => ({ v: lin(v), field: 'c0' }));
      }
      case 'absent':
      case 'absent_over_time':
        return this.absent(name, arg0, want);
      case 'abs':
        return passConst((v) => v, (v) => (v < 0 ? `abs() is never negative; ${formatValue(v)} cannot be reached` : undefined));
      case 'sqrt':
        return passConst((v) => v * v, (v) => (v < 0 ? `sqrt() is never negative` : undefined));
      case 'exp':
        return passConst(Math.log, (v) => (v <= 0 ? `exp() is always positive` : undefined));
      case 'ln':
        return passConst(Math.exp);
      case 'log2':
        return passConst((v) => 2 ** v);
      case 'log10':
        return passConst((v) => 10 ** v);
      case 'ceil':
      case 'floor':
      case 'round':
        if (name === 'round' && e.args.length > 1) throw new Unsupported('round() to a step is not supported');
        return passConst((v) => v, (v) => (Number.isInteger(v) ? undefined : `${name}() only yields whole numbers; ${formatValue(v)} cannot be reached`));
      case 'sgn':
        return passConst((v) => v, (v) => ([-1, 0, 1].includes(v) ? undefined : `sgn() only yields -1, 0 and 1`));
      case 'clamp':
      case 'clamp_min':
      case 'clamp_max': {
        const lo = name === 'clamp_max' ? -Infinity : staticArg(1, 'the minimum');
        const hi = name === 'clamp' ? staticArg(2, 'the maximum') : name === 'clamp_max' ? staticArg(1, 'the maximum') : Infinity;
        return passConst(
          (v) => v,
          (v) => (v > lo && v < hi ? undefined : `${name}() keeps values within [${formatValue(lo)}, ${formatValue(hi)}]; pick a value inside`),
        );
      }
      case 'sort':
      case 'sort_desc':
        return passConst((v) => v);
      case 'label_replace':
      case 'label_join': {
        if (!arg0) throw new Unsupported(`${name}() has no argument`);
        const dst = this.current(e.args[1]!);
        const labels = { ...want.labels };
        if (dst.type === 'string') delete labels[dst.value];
        return this.solve(arg0, { labels, target: t }, main);
      }
      case 'histogram_quantile':
        return this.histogramQuantile(e, staticArg(0, 'the quantile'), want);
      case 'scalar': {
        if (!arg0) throw new Unsupported('scalar() has no argument');
        return this.solve(arg0, { labels: {}, target: t }, main);
      }
      case 'vector':
        if (arg0 && !isStatic(arg0)) return this.solve(arg0, { labels: {}, target: t }, main);
        throw new Unsupported(`"${this.text(e)}" is a constant and cannot be steered`);
      case 'time':
        throw new Unsupported('time() cannot be steered');
      case 'timestamp':
        throw new Unsupported('timestamp() follows the sample times and cannot be steered');
      default:
        throw new Unsupported(`${name}() is not supported by the synthesizer`);
    }
  }

  private absent(name: string, arg: Expr | undefined, want: Want): void {
    if (!arg) throw new Unsupported(`${name}() has no argument`);
    const t = want.target;
    if (t.kind === 'value' && !(isConst(t.v) && t.v.c0 === 1)) throw new Unsupported(`${name}() is always 1; ${formatLin(t.v)} cannot be reached`);
    // Present → absent() is empty; absent → absent() is 1.
    const inner: Target = t.kind === 'none' ? { kind: 'any' } : { kind: 'none' };
    let core = modifierCore(unparen(arg));
    if (core.kind === 'range') core = modifierCore(core.inner);
    if (core.kind === 'selector') {
      if (inner.kind === 'none') return;
      const { name: metric, matchers } = matchersOf(this.p, core.node);
      if (metric === undefined) throw new Unsupported(`the selector "${this.text(core)}" names no metric`);
      this.builder.put(metric, this.leafLabels(matchers, {}), lin(1), false);
      return;
    }
    this.solve(arg, { labels: {}, target: inner }, false);
  }

  /**
   * Buckets whose quantile is exactly v: a bucket `le="v"` with no observations and `+Inf` with all of them. The rank
   * then falls into the +Inf bucket, and Prometheus returns the upper bound of the bucket below it: v itself.
   */
  private histogramQuantile(e: Extract<Expr, { kind: 'call' }>, q: number, want: Want): void {
    const buckets = e.args[1];
    if (!buckets) throw new Unsupported('histogram_quantile() has no buckets');
    if (!(q > 0 && q <= 1)) throw new Unsupported(`histogram_quantile(${formatValue(q)}, …) is not a quantile between 0 and 1`);
    const t = want.target;
    if (t.kind === 'none') return this.solve(buckets, { labels: want.labels, target: t }, false);
    const v = t.kind === 'value' ? constValue(t, 'histogram_quantile()') : (t.prefer ?? 1);
    if (!Number.isFinite(v)) throw new Unsupported(`histogram_quantile() cannot be steered to ${formatValue(v)}`);
    const base = { ...want.labels };
    delete base.le;
    this.solve(buckets, { labels: { ...base, le: formatValue(v) }, target: { kind: 'value', v: lin(0) } }, false);
    this.solve(buckets, { labels: { ...base, le: '+Inf' }, target: { kind: 'value', v: lin(1) } }, false);
  }

  // ---- aggregations ----

  private aggregate(e: Extract<Expr, { kind: 'aggregate' }>, want: Want, main: boolean): void {
    const { op, grouping } = aggregateInfo(this.p, e);
    const arg = e.args[e.args.length - 1];
    if (!arg) throw new Unsupported(`${op}() has no argument`);
    let labels: Labels;
    if (grouping.none) labels = {};
    else if (grouping.without) {
      labels = { ...want.labels };
      for (const l of grouping.labels) delete labels[l];
    } else {
      labels = {};
      for (const l of grouping.labels) setOwn(labels, l, ownValue(want.labels, l) ?? this.options.invent(l));
    }
    const t = want.target;
    switch (op) {
      case 'sum':
      case 'avg':
      case 'min':
      case 'max':
      case 'quantile':
      case 'topk':
      case 'bottomk':
        if (op !== 'sum' && op !== 'avg' && e.args.length === 2 && !isStatic(e.args[0]!)) throw new Unsupported(`the parameter of ${op}() must be a number`);
        return this.solve(arg, { labels, target: t }, main);
      case 'count':
        if (t.kind === 'value') return this.count(arg, grouping, labels, t.v);
        return this.solve(arg, { labels, target: t }, false);
      case 'group': {
        if (t.kind === 'value' && !(isConst(t.v) && t.v.c0 === 1)) throw new Unsupported(`group() is always 1; ${formatLin(t.v)} cannot be reached`);
        return this.solve(arg, { labels, target: t.kind === 'none' ? t : { kind: 'any' } }, false);
      }
      case 'stddev':
      case 'stdvar':
        if (t.kind === 'value' && !(isConst(t.v) && t.v.c0 === 0)) throw new Unsupported(`${op}() of one series is always 0`);
        return this.solve(arg, { labels, target: t.kind === 'none' ? t : { kind: 'any' } }, false);
      default:
        throw new Unsupported(`${op}() is not supported by the synthesizer`);
    }
  }

  /** count() = n: n series that differ in one label the count's grouping does not keep. */
  private count(arg: Expr, grouping: ReturnType<typeof aggregateInfo>['grouping'], labels: Labels, v: Lin): void {
    const n = isConst(v) ? v.c0 : NaN;
    if (!(Number.isInteger(n) && n >= 1 && n <= 100)) {
      throw new Unsupported(`count() counts series; it cannot be ${formatLin(v)} (only whole numbers from 1 are reachable)`);
    }
    const free = grouping.without
      ? grouping.labels[0]
      : ['instance', 'pod', 'job', 'series'].find((l) => !grouping.labels.includes(l) && ownValue(labels, l) === undefined);
    if (free === undefined) throw new Unsupported('count() keeps every label, so its series cannot be told apart');
    for (let k = 0; k < n; k++) this.solve(arg, { labels: { ...labels, [free]: `synthetic-${k}` }, target: { kind: 'any' } }, false);
  }

  // ---- binary operators ----

  private binary(e: Extract<Expr, { kind: 'binary' }>, want: Want, main: boolean): void {
    const info = binaryInfo(this.p, e);
    const { op } = info;
    const m = info.matching;
    // Labels the two sides must share.
    const ext: Labels = { ...want.labels };
    if (m.on) for (const l of m.labels) ext[l] ??= this.options.invent(l);
    const otherLabels = (): Labels => {
      let out: Labels;
      if (m.on) out = Object.fromEntries(m.labels.map((l) => [l, ext[l]!]));
      else {
        out = { ...ext };
        for (const l of m.labels) delete out[l];
      }
      for (const l of m.include) {
        const v = ownValue(ext, l);
        if (v !== undefined) setOwn(out, l, v);
      }
      return out;
    };
    const mainLabels = (): Labels => ext;
    const t = want.target;

    if (SET_OPS.has(op)) {
      if (op === 'and') {
        if (t.kind === 'none') {
          this.solve(e.rhs, { labels: otherLabels(), target: { kind: 'any' } }, false);
          return this.solve(e.lhs, { labels: mainLabels(), target: t }, main);
        }
        this.solve(e.lhs, { labels: mainLabels(), target: t }, main);
        return this.solve(e.rhs, { labels: otherLabels(), target: { kind: 'any' } }, false);
      }
      // A side that reads no series (`or vector(0)`) cannot be emptied; it is simply part of the result.
      if (op === 'or') {
        this.solve(e.lhs, { labels: mainLabels(), target: t }, main);
        if (readsSeries(this.p, e.rhs)) this.solve(e.rhs, { labels: otherLabels(), target: { kind: 'none' } }, false);
        return;
      }
      // unless
      this.solve(e.lhs, { labels: mainLabels(), target: t }, main);
      if (t.kind !== 'none' && readsSeries(this.p, e.rhs)) this.solve(e.rhs, { labels: otherLabels(), target: { kind: 'none' } }, false);
      return;
    }

    const lStatic = isStatic(e.lhs);
    const rStatic = isStatic(e.rhs);
    if (lStatic && rStatic) throw new Unsupported(`"${this.text(e)}" is a constant and cannot be steered`);

    if (COMPARISONS.has(op)) return this.comparison(e, op, info.bool, want, main, otherLabels());

    // Arithmetic: the main side carries the value; the other one gets a plain value first.
    const lType = typeOf(this.p, e.lhs);
    const rType = typeOf(this.p, e.rhs);
    const mainIsLeft = rStatic || (!lStatic && !(lType === 'scalar' && rType === 'vector'));
    const [mainSide, otherSide] = mainIsLeft ? [e.lhs, e.rhs] : [e.rhs, e.lhs];
    const other = this.prepareOther(otherSide, { kind: 'any', prefer: 1 }, otherLabels());
    const inverse = (v: Lin): Lin => invertArithmetic(op, v, other, mainIsLeft);
    if (t.kind === 'none') return this.solve(mainSide, { labels: mainLabels(), target: t }, main);
    if (t.kind === 'any') return this.solve(mainSide, { labels: mainLabels(), target: mapTarget(t, inverse) }, main);
    return this.solve(mainSide, { labels: mainLabels(), target: { kind: 'value', v: inverse(t.v) } }, main);
  }

  /** Solves a side that does not carry the wanted value and returns its value (as a scalar or the matching sample). */
  private prepareOther(side: Expr, target: Target, labels: Labels): Lin {
    if (!isStatic(side)) {
      if (typeOf(this.p, side) === 'scalar') {
        // time() needs nothing; scalar(x) needs x.
        if (!/^time\s*\(\s*\)$/.test(this.text(unparen(side)))) this.solve(side, { labels: {}, target }, false);
      } else this.solve(side, { labels, target }, false);
    }
    const v = this.current(side);
    if (v.type === 'scalar') return v.v;
    if (v.type !== 'vector') throw new Unsupported(`"${this.text(side)}" is not a vector or scalar`);
    const sample = pickSample(v.samples, labels);
    if (!sample) throw new Unsupported(`"${this.text(side)}" produces no series for the synthesized input`);
    return sample.v;
  }

  private comparison(e: Extract<Expr, { kind: 'binary' }>, op: BinaryOp, bool: boolean, want: Want, main: boolean, otherLabels: Labels): void {
    const t = want.target;
    // `x != x` is the NaN check; `x == x` its opposite.
    if (canonical(this.p, e.lhs) === canonical(this.p, e.rhs)) {
      if (op !== '==' && op !== '!=') throw new Unsupported(`"${this.text(e)}" compares an expression with itself`);
      const wantTrue = bool ? t.kind === 'value' && constValue(t, 'a comparison') === 1 : t.kind !== 'none';
      if (bool && t.kind === 'value' && ![0, 1].includes(constValue(t, 'a comparison'))) throw new Unsupported('a bool comparison is 0 or 1');
      const nan = wantTrue === (op === '!=');
      return this.solve(e.lhs, { labels: want.labels, target: { kind: 'value', v: lin(nan ? NaN : 1) } }, main);
    }
    const lStatic = isStatic(e.lhs);
    const rStatic = isStatic(e.rhs);
    // The value side: a comparison filter keeps the vector's value, or the left one between two vectors.
    const mainIsLeft = !lStatic;
    const effOp = mainIsLeft ? op : flipComparison(op);
    const [mainSide, otherSide] = mainIsLeft ? [e.lhs, e.rhs] : [e.rhs, e.lhs];
    let mainValue: number | undefined;
    let pass: boolean;
    if (bool) {
      if (t.kind === 'none') return this.solve(mainSide, { labels: want.labels, target: t }, main);
      const v = t.kind === 'value' ? constValue(t, 'a bool comparison') : 1;
      if (v !== 0 && v !== 1) throw new Unsupported(`a bool comparison is 0 or 1; ${formatValue(v)} cannot be reached`);
      pass = v === 1;
    } else {
      pass = t.kind !== 'none';
      if (t.kind === 'value') mainValue = constValue(t, 'a comparison');
    }
    if (rStatic || lStatic) {
      const c = this.prepareOther(otherSide, { kind: 'any' }, otherLabels);
      const threshold = c.c0;
      if (!isConst(c)) throw new Unsupported('a comparison with a value that changes over time');
      if (mainValue !== undefined) {
        if (compare(effOp, mainValue, threshold) !== pass) {
          throw new Unsupported(`"${this.text(e)}" filters out ${formatValue(mainValue)}`);
        }
        return this.solve(mainSide, { labels: want.labels, target: { kind: 'value', v: lin(mainValue) } }, main);
      }
      const prefer = t.kind === 'any' ? t.prefer : undefined;
      const chosen = pick(effOp, threshold, pass, prefer);
      const target: Target = pass && !bool ? { kind: 'any', prefer: chosen } : { kind: 'value', v: lin(chosen) };
      return this.solve(mainSide, { labels: want.labels, target }, main && target.kind === 'value');
    }
    // Two vectors: give the other side a value that makes the comparison come out as wanted.
    const a = mainValue ?? (t.kind === 'any' && t.prefer !== undefined ? t.prefer : 1);
    const b = pick(flipComparison(effOp), a, pass);
    this.prepareOther(otherSide, { kind: 'value', v: lin(b) }, otherLabels);
    this.solve(mainSide, { labels: want.labels, target: { kind: 'value', v: lin(a) } }, main);
  }
}

/** Whether an expression reads any series (else it is a constant or the clock). */
function readsSeries(p: Parsed, e: Expr): boolean {
  if (e.kind === 'selector') return true;
  if (e.kind === 'call' && (functionName(p, e) === 'absent' || functionName(p, e) === 'absent_over_time')) return true;
  const kids: Expr[] =
    e.kind === 'binary' ? [e.lhs, e.rhs] : e.kind === 'call' || e.kind === 'aggregate' ? e.args : 'inner' in e ? [e.inner] : [];
  return kids.some((k) => readsSeries(p, k));
}

/** The sample that matches the wanted labels best (all of them if possible), or the only one. */
export function pickSample(samples: Sample[], labels: Labels): Sample | undefined {
  if (samples.length <= 1) return samples[0];
  const agree = (s: Sample) => Object.entries(labels).every(([k, v]) => ownValue(s.labels, k) === undefined || ownValue(s.labels, k) === v);
  const candidates = samples.filter(agree);
  if (candidates.length <= 1) return candidates[0];
  // Several agree (a label-less `or vector(0)` agrees with anything): the one carrying most of the wanted labels.
  const score = (s: Sample) => Object.keys(labels).filter((k) => ownValue(s.labels, k) !== undefined).length;
  const best = Math.max(...candidates.map(score));
  const top = candidates.filter((s) => score(s) === best);
  return top.length === 1 ? top[0] : undefined;
}

/** Solves `x op o = v` (x on the left) or `o op x = v` (x on the right) for x. */
export function invertArithmetic(op: BinaryOp, v: Lin, o: Lin, xOnLeft: boolean): Lin {
  const needConst = (x: Lin, what: string) => {
    if (!isConst(x)) throw new Unsupported(`${what} of a value that changes over time cannot be inverted`);
    return x.c0;
  };
  switch (op) {
    case '+':
      return lin(v.c0 - o.c0, v.c1 - o.c1);
    case '-':
      return xOnLeft ? lin(v.c0 + o.c0, v.c1 + o.c1) : lin(o.c0 - v.c0, o.c1 - v.c1);
    case '*': {
      const k = needConst(o, 'a product');
      if (k === 0) throw new Unsupported('multiplied by 0, the value cannot be steered');
      return lin(v.c0 / k, v.c1 / k);
    }
    case '/': {
      if (xOnLeft) {
        const k = needConst(o, 'a ratio');
        if (k === 0) throw new Unsupported('divided by 0, the value cannot be steered');
        return lin(v.c0 * k, v.c1 * k);
      }
      const target = needConst(v, 'a ratio');
      const k = needConst(o, 'a ratio');
      if (target === 0) throw new Unsupported(`${formatValue(k)} / x is never 0`);
      return lin(k / target);
    }
    case '%': {
      const k = needConst(o, 'a modulo');
      const target = needConst(v, 'a modulo');
      if (!xOnLeft || !(target >= 0 && target < k)) throw new Unsupported(`a modulo cannot be steered to ${formatValue(target)}`);
      return lin(target);
    }
    case '^': {
      const k = needConst(o, 'a power');
      const target = needConst(v, 'a power');
      if (xOnLeft) {
        if (k === 0 || target <= 0) throw new Unsupported(`a power cannot be steered to ${formatValue(target)}`);
        return lin(target ** (1 / k));
      }
      if (k <= 0 || k === 1 || target <= 0) throw new Unsupported(`a power cannot be steered to ${formatValue(target)}`);
      return lin(Math.log(target) / Math.log(k));
    }
    default:
      throw new Unsupported(`the operator ${op} cannot be inverted`);
  }
}

