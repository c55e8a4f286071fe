import { LabelInference } from '../model/alert-labels.ts';
import { carriesSeverityLabel, ruleLabels } from '../model/level-labels.ts';
import type { Catalog } from '../model/catalog.ts';
import { levelExpression, type AlertLevel, type AlertModel, type ExpressionModel, type Model, type ThresholdOp } from '../model/types.ts';
import type { Expr } from '../promql/ast.ts';
import { TWO_SAMPLE_FUNCTIONS } from '../promql/facts.ts';
import type { PromqlAnalysis } from '../promql/types.ts';
import { sampleIntervalOf } from '../model/sample-interval.ts';
import { parseDuration } from '../util/duration.ts';
import { ownValue, setOwn } from '../util/own.ts';
import { earliest, evaluate, matches, rangeWindows, seriesKey, warmup, type Labels, type Lin, type Sample, type World } from './synth-eval.ts';
import {
  binaryInfo,
  children,
  COMPARISONS,
  exprText,
  flipComparison,
  isStatic,
  matchersOf,
  parseExpr,
  unparen,
  Unsupported,
  type Parsed,
} from './synth-expr.ts';
import { regexExamples } from './synth-regex.ts';
import { describe, pickSample, Solver, type Target } from './synth-solve.ts';
import {
  boundaryValues,
  formatDuration,
  formatValue,
  gcd,
  lcm,
  parseSeriesValues,
  roundSig,
  satisfies,
  seriesValues,
  tooClose,
} from './synth-values.ts';
import type { AlertCheck, ExpectedFiring, LevelSynthesis, TestCase } from './types.ts';
import { sloBurnSyntheses } from './slo-burn.ts';

/**
 * Generated boundary tests for every level of an alert (issue 3, part 2).
 *
 * For a level `(X) op t for F`, two promtool test cases:
 *  - "does not satisfy": inputs that hold X steadily just on the quiet side of t; checked long after every `for`
 *    has run out: the level does not fire (less severe levels the value does satisfy do, and are expected);
 *  - "satisfies": inputs that hold X just past t; checked once before F has passed since the inputs began (the level
 *    cannot fire yet) and once F + two evaluation intervals after X has settled (it fires, with its labels).
 * Single-level alerts whose expression is `X op c` are treated the same way; other conditions (`absent(x)`,
 * `x != x`, `a == 0 or absent(b)`) get a "condition false" and a "condition true" case.
 * A level of `rules:` is planned the same way on its own expression; the other levels' expressions are evaluated on
 * its series, so whatever they fire is expected too. A level without a severity label is expected without one, and
 * only when its labels tell it from every other such level (refuseIndistinguishable).
 *
 * Inputs are linear series (gauges constant, counters growing steadily, timestamps growing with the clock), built
 * by inverting the expression (synth-solve.ts) and then proven by evaluating it forward (synth-eval.ts); the
 * expected alerts come from that forward evaluation, never from the intent. Expected sets are exact: at each check
 * every level's state must follow from the steady value alone, whatever happened while windows filled up.
 */
export interface SynthesisContext {
  analyze(e: ExpressionModel): PromqlAnalysis;
  catalog: Catalog;
}

export function synthesizeAlert(model: Model, alert: AlertModel, ctx: SynthesisContext): LevelSynthesis[] {
  if (!alert.enabled) return [];
  // An SLO's alert is proven on the SLI's raw series, through its recording rules (slo-burn.ts).
  const burnProofs = sloBurnSyntheses(model, alert);
  if (burnProofs) return burnProofs;
  const unsupported = (level: AlertLevel, e: unknown): LevelSynthesis => {
    if (!(e instanceof Unsupported)) throw e;
    return { alert: alert.name, level: level.severity, unsupported: e.message };
  };
  if (alert.levels.some((l) => l.expression)) {
    // Each level's rule is a rule of its own: planned on its own expression, the others read on the same series.
    return alert.levels.map((level) => {
      try {
        refuseIndistinguishable(alert, level);
        return { alert: alert.name, level: level.severity, cases: synthesizeLevel(planRulesLevel(model, alert, level, ctx), level) };
      } catch (e) {
        return unsupported(level, e);
      }
    });
  }
  let plan: AlertPlan;
  try {
    plan = planAlert(model, alert, ctx);
  } catch (e) {
    return alert.levels.map((l) => unsupported(l, e));
  }
  return alert.levels.map((level) => {
    try {
      refuseIndistinguishable(alert, level);
      return { alert: alert.name, level: level.severity, cases: synthesizeLevel(plan, level) };
    } catch (e) {
      return unsupported(level, e);
    }
  });
}

/**
 * promtool tells a level's firings from another level's by their labels only. A level without a severity label is
 * told apart when no other level lacks one, or when a static label of its rule has another value in every other such
 * level's rule; otherwise a case for it could pass on the other level's firing.
 */
export function refuseIndistinguishable(alert: AlertModel, level: AlertLevel): void {
  if (carriesSeverityLabel(level)) return;
  const own = staticLabels(alert, level);
  for (const other of alert.levels) {
    if (other === level || carriesSeverityLabel(other)) continue;
    const theirs = staticLabels(alert, other);
    if (Object.keys(own).some((k) => k in theirs && theirs[k] !== own[k])) continue;
    throw new Unsupported(
      `no severity label (its severity says \`label: false\`), like level ${other.severity}, and no static label tells their alerts apart: give one of them a label of its own, or test it with RuleTests`,
    );
  }
}

/** A rule's labels that are the same on every firing: written without templates, severity left aside. */
function staticLabels(alert: AlertModel, level: AlertLevel): Labels {
  const out: Labels = {};
  for (const [k, v] of Object.entries(ruleLabels(alert, level))) if (k !== 'severity' && !v.includes('{{')) setOwn(out, k, v);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The plan: what is thresholded, how time is laid out.

interface LevelRule {
  level: AlertLevel;
  /** Threshold levels: the comparison applied to X. */
  op?: ThresholdOp;
  value?: number;
  forMs: number;
  keepMs: number;
  /** Another level of `rules:` than the one planned: its own expression, read on the planned level's series. */
  own?: OwnExpression;
}

interface OwnExpression {
  parsed: Parsed;
  /** What its comparison thresholds (the whole expression in presence mode). */
  x: Expr;
  mode: AlertPlan['mode'];
  warmMs: number;
  earliestMs: number;
}

export interface AlertPlan {
  alert: AlertModel;
  parsed: Parsed;
  /** The thresholded expression (the whole expression in presence mode). */
  x: Expr;
  mode: 'threshold' | 'presence';
  rules: LevelRule[];
  /** Labels the result carries, with the values the synthesized series give them. */
  rootLabels: Labels;
  invent: (label: string) => string;
  /** Milliseconds: input step, check grid (a multiple of every evaluation interval), warm-up. */
  stepMs: number;
  gridMs: number;
  warmMs: number;
  /** Milliseconds before X can have any series (offsets): no level can become active earlier. */
  earliestMs: number;
}

function durationMs(text: string | undefined, what: string): number {
  if (text === undefined) return 0;
  const ms = parseDuration(text);
  if (!Number.isFinite(ms)) throw new Unsupported(`cannot read the ${what} "${text}"`);
  return ms;
}

/** An expression the synthesiser can read: analysed without problems, an instant vector, over series Prometheus has. */
function readExpression(model: Model, expression: ExpressionModel, ctx: SynthesisContext): Parsed {
  const analysis = ctx.analyze(expression);
  if (!analysis.ok) throw new Unsupported(`the expression has problems: ${analysis.problems[0]?.message ?? 'unknown'}`);
  if (analysis.resultType !== 'vector') throw new Unsupported(`the expression is a ${analysis.resultType ?? 'value of unknown type'}, not an instant vector`);
  const parsed = parseExpr(expression.text);
  for (const name of metricNames(parsed)) {
    if (name === 'ALERTS' || name === 'ALERTS_FOR_STATE') {
      throw new Unsupported(`the expression reads ${name}, which Prometheus writes while it evaluates the rules; write a test for it`);
    }
  }
  refuseWhatPrometheusNeverHas(model, analysis, ctx);
  return parsed;
}

const timing = (l: AlertLevel) => ({ forMs: durationMs(l.for, '`for`'), keepMs: durationMs(l.keepFiringFor, '`keepFiringFor`') });

export function planAlert(model: Model, alert: AlertModel, ctx: SynthesisContext): AlertPlan {
  const parsed = readExpression(model, alert.expression, ctx);

  let x = parsed.root;
  let mode: AlertPlan['mode'] = 'threshold';
  const thresholded = alert.levels.filter((l) => l.op !== undefined && l.value !== undefined);
  let rules: LevelRule[];
  if (thresholded.length === alert.levels.length && thresholded.length > 0) {
    rules = alert.levels.map((l) => ({ level: l, op: l.op!, value: l.value!, ...timing(l) }));
  } else if (thresholded.length === 0 && alert.levels.length === 1) {
    const level = alert.levels[0]!;
    const cmp = ownComparison(parsed);
    if (cmp) {
      x = cmp.x;
      rules = [{ level, op: cmp.op, value: cmp.value, ...timing(level) }];
    } else {
      mode = 'presence';
      rules = [{ level, ...timing(level) }];
    }
  } else {
    throw new Unsupported('the alert mixes levels with and without thresholds');
  }

  const labelNames = new LabelInference(model, ctx.catalog, ctx.analyze).ofExpression(alert.expression).labels;
  const invent = labelInventor(parsed);
  const rootLabels: Labels = {};
  for (const l of [...labelNames].sort()) if (l !== '__name__') setOwn(rootLabels, l, invent(l));

  const project = model.project;
  const evalMs = durationMs(project?.evaluationInterval ?? '1m', 'evaluation interval');
  const group = model.groups.find((g) => g.name === alert.group);
  const groupMs = durationMs(group?.interval ?? project?.evaluationInterval ?? '1m', 'group interval');
  if (!(evalMs > 0 && groupMs > 0)) throw new Unsupported('the evaluation interval is zero');
  const gridMs = lcm(evalMs, groupMs);
  const windows = rangeWindows(parsed, x).map((s) => s * 1000);
  const stepMs = chooseStep(gcd(evalMs, groupMs), windows);
  const warmMs = warmup(parsed, x) * 1000 + stepMs;
  const earliestMs = earliest(parsed, x) * 1000;
  return { alert, parsed, x, mode, rules, rootLabels, invent, stepMs, gridMs, warmMs, earliestMs };
}

/**
 * One level of an alert with `rules:`: planned like a single-level alert on its own expression; every other level's
 * rule is kept with its expression, so the expected firings are what each of them makes of the same series. The
 * step leaves two samples in every level's range windows.
 */
export function planRulesLevel(model: Model, alert: AlertModel, level: AlertLevel, ctx: SynthesisContext): AlertPlan {
  const expression = levelExpression(alert, level);
  const plan = planAlert(model, { ...alert, expr: expression.text, expression, levels: [level] }, ctx);
  const others: LevelRule[] = alert.levels
    .filter((l) => l !== level)
    .map((other) => {
      try {
        const parsed = readExpression(model, levelExpression(alert, other), ctx);
        const cmp = ownComparison(parsed);
        const own: OwnExpression = { parsed, x: cmp?.x ?? parsed.root, mode: cmp ? 'threshold' : 'presence', warmMs: 0, earliestMs: earliest(parsed, cmp?.x ?? parsed.root) * 1000 };
        return { level: other, ...(cmp ? { op: cmp.op, value: cmp.value } : {}), ...timing(other), own };
      } catch (e) {
        if (e instanceof Unsupported) throw new Unsupported(`level ${other.severity} fires on the same series, and its expression cannot be read: ${e.message}`);
        throw e;
      }
    });
  const windows = [plan.parsed, ...others.map((r) => r.own!.parsed)].flatMap((p, i) => rangeWindows(p, i === 0 ? plan.x : others[i - 1]!.own!.x));
  const stepMs = chooseStep(plan.stepMs, windows.map((w) => w * 1000));
  for (const r of others) r.own!.warmMs = warmup(r.own!.parsed, r.own!.x) * 1000 + stepMs;
  return { ...plan, rules: [...plan.rules, ...others], stepMs, warmMs: warmup(plan.parsed, plan.x) * 1000 + stepMs };
}

/**
 * Inputs Prometheus would never hold make a generated test prove nothing (issue #9 §1): a classic histogram has no
 * series under its base name (the solver would invent `le` buckets there), and samples denser than the scrape
 * interval fill a range Prometheus would see with one sample. The checks report both as errors; here they are
 * reasons not to synthesise.
 */
function refuseWhatPrometheusNeverHas(model: Model, analysis: PromqlAnalysis, ctx: SynthesisContext): void {
  for (const s of analysis.facts?.selectors ?? []) {
    if (!s.metric) continue;
    const origin = ctx.catalog.resolve(s.metric);
    if (origin?.kind === 'catalog' && origin.metric.type === 'histogram' && origin.series === origin.metric.name) {
      throw new Unsupported(`"${s.metric}" is a histogram's base name, which has no series: read ${s.metric}_bucket, _sum or _count`);
    }
    const seconds = s.range?.seconds;
    if (seconds === undefined || !s.call || !TWO_SAMPLE_FUNCTIONS.has(s.call.name)) continue;
    const sample = sampleIntervalOf(model, ctx.catalog, s.metric);
    const intervalSeconds = sample ? parseDuration(sample.interval) / 1000 : NaN;
    if (seconds < 2 * intervalSeconds) {
      throw new Unsupported(`the range [${s.range!.text}] of ${s.call.name}() is shorter than twice the ${sample!.what} (${sample!.interval}): Prometheus often sees one sample there`);
    }
  }
}

function metricNames(p: Parsed): string[] {
  const out: string[] = [];
  const walk = (e: Expr) => {
    if (e.kind === 'selector') {
      const name = matchersOf(p, e.node).name;
      if (name) out.push(name);
    }
    for (const c of children(e)) walk(c);
  };
  walk(p.root);
  return out;
}

/** `X op c` (or `c op X`) with a constant c: the comparison becomes the level's threshold. */
function ownComparison(p: Parsed): { x: Expr; op: ThresholdOp; value: number } | undefined {
  const root = unparen(p.root);
  if (root.kind !== 'binary') return undefined;
  const info = binaryInfo(p, root);
  if (!COMPARISONS.has(info.op) || info.bool) return undefined;
  const lStatic = isStatic(root.lhs);
  const rStatic = isStatic(root.rhs);
  if (lStatic === rStatic) return undefined;
  const constant = evaluate(p, lStatic ? root.lhs : root.rhs, { series: [], step: 1 });
  if (constant.type !== 'scalar') return undefined;
  const op = (lStatic ? flipComparison(info.op) : info.op) as ThresholdOp;
  return { x: lStatic ? root.rhs : root.lhs, op, value: constant.v.c0 };
}

/** The largest step dividing the evaluation step that leaves at least two samples in every range window. */
export function chooseStep(baseMs: number, windowsMs: number[]): number {
  const limit = windowsMs.length ? Math.min(...windowsMs) / 2 : Infinity;
  for (let d = baseMs; d >= 1; d--) {
    if (baseMs % d === 0 && d <= limit && (d % 1000 === 0 || d < 1000)) return d;
  }
  throw new Unsupported('a range window is too short for any sample step');
}

/**
 * Values for labels: the one an equality matcher asks for, one a regex matcher accepts, else `synthetic-0`; always
 * one that every matcher on that label in the expression accepts when there is such a value.
 */
export function labelInventor(p: Parsed): (label: string) => string {
  const byLabel = new Map<string, import('../promql/types.ts').LabelMatcher[]>();
  const walk = (e: Expr) => {
    if (e.kind === 'selector') {
      for (const m of matchersOf(p, e.node).matchers) byLabel.set(m.label, [...(byLabel.get(m.label) ?? []), m]);
    }
    for (const c of children(e)) walk(c);
  };
  walk(p.root);
  const cache = new Map<string, string>();
  return (label) => {
    const hit = cache.get(label);
    if (hit !== undefined) return hit;
    const ms = byLabel.get(label) ?? [];
    const candidates: string[] = [];
    for (const m of ms) if (m.op === '=' && m.value !== '') candidates.push(m.value);
    for (const m of ms) if (m.op === '=~') candidates.push(...regexExamples(m.value).filter((s) => s !== ''));
    candidates.push('synthetic-0', 'synthetic-1', 'synthetic-x');
    const valid = (c: string) => {
      try {
        return ms.every((m) => matches(m, c));
      } catch {
        return false;
      }
    };
    const chosen = candidates.find(valid) ?? candidates[0]!;
    cache.set(label, chosen);
    return chosen;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Worlds: input series for one target value, proven by forward evaluation.

export interface SynthWorld {
  series: { name: string; labels: Labels; v: Lin }[];
  /** X evaluated on the series as written for promtool. */
  samples: Sample[];
  /** The sample the target was aimed at (threshold mode). */
  target?: Sample;
}

const TOLERANCE = 1e-9;

export function buildWorld(plan: AlertPlan, target: Target): SynthWorld {
  const step = plan.stepMs / 1000;
  const solver = new Solver(plan.parsed, { step, invent: plan.invent });
  solver.solve(plan.x, { labels: plan.rootLabels, target }, true);
  const builder = solver.builder;
  const xText = exprText(plan.parsed, plan.x);
  const evalX = (world: World): Sample[] => {
    const v = evaluate(plan.parsed, plan.x, world);
    if (v.type !== 'vector') throw new Unsupported(`"${xText}" is not an instant vector`);
    return v.samples;
  };

  if (target.kind === 'value') {
    const want = target.v.c0;
    const aim = (world: World): number => {
      const s = pickSample(evalX(world), plan.rootLabels);
      if (!s) throw new Unsupported(`the synthesized series give "${xText}" no single result`);
      if (s.v.c1 !== 0) throw new Unsupported(`"${xText}" changes over time with steady inputs`);
      return s.v.c0;
    };
    const got = aim(builder.world(step));
    if (!close(got, want)) refine(plan, builder, aim, want, got, xText);
  }

  // What promtool will read: every value written with 15 significant digits, then evaluated again.
  const series = [...builder.entries.values()]
    .map(({ series: s }) => ({ name: s.name, labels: s.labels, v: parseSeriesValues(seriesValues(s.v, step, 1), step) }))
    .sort((a, b) => (seriesKey(a.name, a.labels) < seriesKey(b.name, b.labels) ? -1 : 1));
  const samples = evalX({ series, step });
  for (const s of samples) if (s.v.c1 !== 0) throw new Unsupported(`"${xText}" changes over time with steady inputs`);
  const keys = new Set<string>();
  for (const s of samples) {
    const key = seriesKey('', alertLabels(s.labels));
    if (keys.has(key)) throw new Unsupported(`"${xText}" gives two results with the same labels`);
    keys.add(key);
  }
  const world: SynthWorld = { series, samples };
  if (target.kind === 'value') {
    const aimed = pickSample(samples, plan.rootLabels);
    if (!aimed) throw new Unsupported(`the synthesized series give "${xText}" no single result`);
    world.target = aimed;
  }
  if (target.kind === 'any' && samples.length === 0) throw new Unsupported(`the synthesized series do not make "${xText}" true`);
  if (target.kind === 'none' && samples.length > 0) throw new Unsupported(`the synthesized series do not make "${xText}" false`);
  return world;
}

const close = (a: number, b: number) =>
  a === b || (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= TOLERANCE * Math.max(1, Math.abs(b));

/**
 * When other inputs feed back into the value (the same counter in a ratio's numerator and denominator), the first
 * guess misses; a secant search on the main input fixes it. When its level does not move the value (a series minus
 * its own past), its slope may: the search then runs on the slope.
 */
function refine(plan: AlertPlan, builder: Solver['builder'], aim: (w: World) => number, want: number, got: number, xText: string): void {
  const primary = builder.primary;
  const entry = primary && builder.entries.get(primary.key);
  const stuck = () =>
    new Unsupported(
      `"${xText}" evaluates to ${formatValue(got)} instead of ${formatValue(want)}${
        entry ? ` whatever the value of ${describe(entry.series.name, entry.series.labels)} (it does not respond to its input)` : ''
      }`,
    );
  if (!primary || !entry) throw stuck();
  const fields: ('c0' | 'c1')[] = primary.field === 'c0' ? ['c0', 'c1'] : ['c1', 'c0'];
  for (const field of fields) {
    const found = secant(plan, builder, { key: primary.key, field }, aim, want);
    if (found !== undefined) {
      entry.series.v = { ...entry.series.v, [field]: found };
      return;
    }
  }
  throw stuck();
}

function secant(plan: AlertPlan, builder: Solver['builder'], primary: { key: string; field: 'c0' | 'c1' }, aim: (w: World) => number, want: number): number | undefined {
  const step = plan.stepMs / 1000;
  const f = (p: number): number | undefined => {
    try {
      return aim(builder.world(step, { primary, value: p })) - want;
    } catch (e) {
      if (e instanceof Unsupported) return undefined;
      throw e;
    }
  };
  const entry = builder.entries.get(primary.key)!;
  let p0 = entry.series.v[primary.field];
  let f0 = f(p0);
  let p1 = p0 === 0 ? 1e-3 : p0 * 1.01;
  let f1 = f(p1);
  let retreats = 0;
  for (let i = 0; i < 100; i++) {
    if (f1 === undefined || f0 === undefined) {
      // Stepped outside what the expression accepts (a negative counter rate): back off towards the other point.
      if ((f0 === undefined && f1 === undefined) || ++retreats > 20) return undefined;
      if (f1 === undefined) [p1, f1] = [(p0 + p1) / 2, f((p0 + p1) / 2)];
      else [p0, f0] = [(p0 + p1) / 2, f((p0 + p1) / 2)];
      continue;
    }
    if (Math.abs(f1) <= TOLERANCE * Math.max(1, Math.abs(want)) * 0.1) return p1;
    if (f1 === f0) return undefined;
    const p2 = p1 - (f1 * (p1 - p0)) / (f1 - f0);
    if (!Number.isFinite(p2)) return undefined;
    [p0, f0, p1] = [p1, f1, p2];
    f1 = f(p1);
  }
  return undefined;
}

/** Alert labels from a result series: without the metric name (and alertname/severity, which the rule sets). */
function alertLabels(labels: Labels): Labels {
  const out: Labels = {};
  for (const [k, v] of Object.entries(labels)) if (k !== '__name__' && k !== 'alertname' && k !== 'severity') setOwn(out, k, v);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Levels: values, expectations, check times.

interface Candidate {
  target: Target;
  /** The value aimed at (threshold mode). */
  value?: number;
}

function levelName(r: LevelRule) {
  return r.level.severity;
}

/** Which (level, sample) pairs are active (the level's condition holds) on a world, refusing anything borderline. */
function activity(plan: AlertPlan, world: SynthWorld): { rule: LevelRule; sample: Sample; active: boolean }[] {
  const out: { rule: LevelRule; sample: Sample; active: boolean }[] = [];
  for (const rule of plan.rules) {
    const mode = rule.own?.mode ?? plan.mode;
    const samples = rule.own ? ownSamples(plan, rule, world) : world.samples;
    for (const sample of samples) {
      // The series' own severity would stay on the alerts of a level that sets none: they could pass for another level.
      if (!carriesSeverityLabel(rule.level) && ownValue(sample.labels, 'severity') !== undefined) {
        throw new Unsupported(`the ${levelName(rule)} level sets no severity label, and its expression's series carry one (${sample.labels.severity})`);
      }
      if (mode === 'presence') {
        out.push({ rule, sample, active: true });
        continue;
      }
      const y = sample.v.c0;
      const t = rule.value!;
      if (tooClose(y, t)) {
        throw new Unsupported(`the synthesized value ${formatValue(y)} is too close to the ${levelName(rule)} threshold ${formatValue(t)} to be sure of the comparison`);
      }
      // At the threshold itself every comparison hinges on the last bit: only values Prometheus computes exactly.
      if (y === t && !sample.exact) {
        throw new Unsupported(`the ${levelName(rule)} comparison needs ${formatValue(t)} exactly, and the expression does not compute it exactly`);
      }
      out.push({ rule, sample, active: satisfies(y, rule.op!, t) });
    }
  }
  return out;
}

/** What another level's expression gives on the planned level's series: steady, one result per label set. */
function ownSamples(plan: AlertPlan, rule: LevelRule, world: SynthWorld): Sample[] {
  const own = rule.own!;
  const text = exprText(own.parsed, own.x);
  const v = evaluate(own.parsed, own.x, { series: world.series, step: plan.stepMs / 1000 });
  if (v.type !== 'vector') throw new Unsupported(`"${text}" (level ${levelName(rule)}) is not an instant vector`);
  const keys = new Set<string>();
  for (const s of v.samples) {
    if (s.v.c1 !== 0 && own.mode === 'threshold') throw new Unsupported(`"${text}" (level ${levelName(rule)}) changes over time with steady inputs`);
    const key = seriesKey('', alertLabels(s.labels));
    if (keys.has(key)) throw new Unsupported(`"${text}" (level ${levelName(rule)}) gives two results with the same labels`);
    keys.add(key);
  }
  return v.samples;
}

/** The exact expected firings at time T (ms), or undefined when some level's state is not certain then. */
function expectedAt(plan: AlertPlan, act: ReturnType<typeof activity>, T: number): ExpectedFiring[] | undefined {
  const out: ExpectedFiring[] = [];
  const G = plan.gridMs;
  for (const { rule, sample, active } of act) {
    const W = rule.own?.warmMs ?? plan.warmMs;
    let firing: boolean | undefined;
    // Active no earlier than the first series: firing needs `for` more.
    if (T < (rule.own?.earliestMs ?? plan.earliestMs) + rule.forMs) firing = false;
    else if (active) firing = T >= W + rule.forMs + G ? true : undefined;
    else firing = T >= W + rule.keepMs + G ? false : undefined;
    if (firing === undefined) return undefined;
    if (firing) out.push({ severity: severityLabelOf(rule.level), labels: firingLabels(plan, rule, sample) });
  }
  return out.sort((a, b) => {
    const ka = `${a.severity}\u0000${seriesKey('', a.labels)}`;
    const kb = `${b.severity}\u0000${seriesKey('', b.labels)}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/** The severity label a level's firings carry, as ExpectedFiring writes it ('' for none). */
function severityLabelOf(level: AlertLevel): string {
  return carriesSeverityLabel(level) ? level.severity : '';
}

/**
 * The labels a firing carries: the expression's, overridden by the level's rule labels (rule labels win). A static
 * label written as a template is left out: Prometheus expands it, and the runner completes it from promtool.
 */
function firingLabels(plan: AlertPlan, rule: LevelRule, sample: Sample): Labels {
  const out: Labels = { ...alertLabels(sample.labels) };
  for (const [k, v] of Object.entries(ruleLabels(plan.alert, rule.level))) {
    if (k === 'severity' || k === 'alertname') continue;
    if (v.includes('{{')) delete out[k];
    else setOwn(out, k, v);
  }
  return out;
}

const ceilTo = (x: number, grid: number) => Math.ceil(x / grid) * grid;

function synthesizeLevel(plan: AlertPlan, level: AlertLevel): TestCase[] {
  const rule = plan.rules.find((r) => r.level === level)!;
  const { safe, trigger } = candidates(plan, rule);
  const safeWorld = firstWorld(plan, safe);
  const triggerWorld = firstWorld(plan, trigger);
  const G = plan.gridMs;
  const W = plan.warmMs;
  const maxHold = Math.max(...plan.rules.map((r) => Math.max(r.forMs, r.keepMs)));
  const maxWarm = Math.max(W, ...plan.rules.map((r) => r.own?.warmMs ?? 0));

  // Quiet side: long after everything settled.
  const safeAct = activity(plan, safeWorld.world);
  // The aimed series stays quiet (another result, such as `or vector(0)`, may fire: that is expected, not aimed at).
  const quietAimed = plan.mode === 'presence' ? safeWorld.world.samples : safeWorld.world.target ? [safeWorld.world.target] : [];
  if (safeAct.some((a) => a.rule === rule && a.active && quietAimed.includes(a.sample))) {
    throw new Unsupported(`the quiet-side value still satisfies the ${levelName(rule)} condition`);
  }
  const tb = ceilTo(maxWarm + maxHold + 2 * G, G);
  const safeExpected = expectedAt(plan, safeAct, tb);
  if (!safeExpected) throw new Error('internal: quiet-side expectations undetermined');

  // Firing side.
  const trigAct = activity(plan, triggerWorld.world);
  const aimed = plan.mode === 'presence' ? triggerWorld.world.samples : triggerWorld.world.target ? [triggerWorld.world.target] : [];
  if (!aimed.length || !trigAct.some((a) => a.rule === rule && a.active && aimed.includes(a.sample))) {
    throw new Unsupported(`the firing-side value does not satisfy the ${levelName(rule)} condition`);
  }
  const checks: { T: number; expected: ExpectedFiring[] }[] = [];
  // Before `for` has passed since X can first have a series, the level cannot fire: the latest such time whose
  // expectations are all certain.
  const notYet = plan.earliestMs + rule.forMs;
  for (let T = ceilTo(notYet, G) - G; T > 0 && rule.forMs > 0; T -= G) {
    if (T >= notYet) continue;
    const exp = expectedAt(plan, trigAct, T);
    if (exp) {
      checks.push({ T, expected: exp });
      break;
    }
  }
  const start = ceilTo(W + rule.forMs + 2 * G, G);
  let fired: { T: number; expected: ExpectedFiring[] } | undefined;
  for (let T = start; T <= start + 86_400_000 * 7; T += G) {
    const exp = expectedAt(plan, trigAct, T);
    if (exp) {
      fired = { T, expected: exp };
      break;
    }
  }
  if (!fired) throw new Unsupported('no evaluation time where every level of the alert is certain to be firing or not');
  if (!fired.expected.some((f) => f.severity === severityLabelOf(level))) throw new Error('internal: the level does not fire on its firing side');
  checks.push(fired);

  const name = plan.alert.name;
  const sev = level.severity;
  const forText = level.for && rule.forMs > 0 ? ` for ${level.for}` : '';
  let safeName: string;
  let trigName: string;
  if (plan.mode === 'threshold') {
    const cond = `${rule.op} ${formatValue(rule.value!)}`;
    safeName = `${name} ${sev}: boundary, ${formatValue(safeWorld.value!)} does not satisfy ${cond}`;
    trigName = `${name} ${sev}: boundary, ${formatValue(triggerWorld.value!)} satisfies ${cond}${forText}`;
  } else {
    safeName = `${name} ${sev}: condition false`;
    trigName = `${name} ${sev}: condition true${forText}`;
  }
  return [
    testCase(plan, sev, safeName, safeWorld.world, [{ T: tb, expected: safeExpected }]),
    testCase(plan, sev, trigName, triggerWorld.world, checks),
  ];
}

/** Target values to try, best first, for each side of a level. */
function candidates(plan: AlertPlan, rule: LevelRule): { safe: Candidate[]; trigger: Candidate[] } {
  if (plan.mode === 'presence') return { safe: [{ target: { kind: 'none' } }], trigger: [{ target: { kind: 'any' } }] };
  const op = rule.op!;
  const t = rule.value!;
  // Thresholds of the same X only: a level of `rules:` compares its own expression.
  const others = plan.rules.filter((r) => r !== rule && !r.own).map((r) => r.value!);
  let b;
  try {
    b = boundaryValues(op, t, others);
  } catch (e) {
    throw new Unsupported((e as Error).message);
  }
  const value = (v: number): Candidate => ({ target: { kind: 'value', v: { c0: v, c1: 0 } }, value: v });
  const safe = [value(b.safe)];
  const trigger = [value(b.trigger)];
  // The threshold itself is on the quiet side of a strict comparison (a counter's increase cannot go below 0),
  // and on the firing side of a non-strict one; usable when the expression computes it exactly.
  if (op === '>' || op === '<') safe.push(value(t));
  if (op === '>=' || op === '<=') trigger.push(value(t));
  // Whole numbers for whole-number results (count(), a counter's increase): the nearest on each side.
  const wholeTrigger = { '>': Math.floor(t) + 1, '>=': Math.ceil(t), '<': Math.ceil(t) - 1, '<=': Math.floor(t), '==': t, '!=': t + 1 }[op];
  const wholeSafe = { '>': Math.floor(t), '>=': Math.ceil(t) - 1, '<': Math.ceil(t), '<=': Math.floor(t) + 1, '==': t + 1, '!=': t }[op];
  if (!trigger.some((c) => c.value === wholeTrigger)) trigger.push(value(wholeTrigger));
  if (!safe.some((c) => c.value === wholeSafe)) safe.push(value(wholeSafe));
  // Equality is broken from below as well (`x >= bool 5 == 1` can be 0 but never 2).
  const below = roundSig(t - b.margin);
  if (op === '==') safe.push(value(below));
  if (op === '!=') trigger.push(value(below));
  return { safe, trigger };
}

function firstWorld(plan: AlertPlan, list: Candidate[]): { world: SynthWorld; value?: number } {
  let first: Unsupported | undefined;
  for (const c of list) {
    try {
      const world = buildWorld(plan, c.target);
      activity(plan, world); // refuses borderline values
      return c.value === undefined ? { world } : { world, value: c.value };
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      first ??= e;
    }
  }
  throw first ?? new Unsupported('no candidate value');
}

function testCase(plan: AlertPlan, level: string, name: string, world: SynthWorld, checks: { T: number; expected: ExpectedFiring[] }[]): TestCase {
  const step = plan.stepMs / 1000;
  const last = Math.max(...checks.map((c) => c.T));
  const count = Math.ceil(last / plan.stepMs) + 1;
  const alertChecks: AlertCheck[] = checks
    .sort((a, b) => a.T - b.T)
    .map((c) => ({ evalTime: formatDuration(c.T), alertname: plan.alert.name, expected: c.expected }));
  return {
    name,
    interval: formatDuration(plan.stepMs),
    inputSeries: world.series.map((s) => ({ series: seriesSelector(s.name, s.labels), values: seriesValues(s.v, step, count) })),
    alertChecks,
    exprChecks: [],
    groups: [plan.alert.group],
    covers: [{ alert: plan.alert.name, level }],
    source: 'generated',
  };
}

/** `name{a="x"}` with Go-compatible quoting. */
export function seriesSelector(name: string, labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (!keys.length) return name;
  return `${name}{${keys.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(', ')}}`;
}

