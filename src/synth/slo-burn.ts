import { carriesSeverityLabel } from '../model/level-labels.ts';
import type { AlertModel, Model } from '../model/types.ts';
import { analyzePromql, type LabelMatcher } from '../promql/index.ts';
import { expandSlo, substituteWindow, type BurnRate, type SloSpec } from '../slo/index.ts';
import type { SeveritiesSpec, SLOsSpec } from '../spec/types.gen.ts';
import { parseDuration } from '../util/duration.ts';
import { matches } from './synth-eval.ts';
import { regexExamples } from './synth-regex.ts';
import { formatDuration, formatValue } from './synth-values.ts';
import type { AlertCheck, LevelSynthesis, TestCase } from './types.ts';

/**
 * Burn-rate proofs of an SLO's alert, on the SLI's RAW series: promtool evaluates the SLO's recording rules and its
 * alert together, so a case proves the whole chain (the SLI query, every window's ratio, the burn condition).
 *
 * For each burn-rate pair (factor f, windows long/short) and error budget b, two cases over a total at a constant rate:
 *  - above: after a clean stretch (cleanFor), errors at 1.1 × f × b of the total. The level is quiet before the long
 *    window holds enough of the burn and fires once it does (plus the level's `for`);
 *  - below: errors at 0.9 × f × b: the pair's long window fills with the burn and the level stays quiet (unless
 *    another of its pairs catches the burn, which the expectations then say).
 * Expected firings follow from the windows' ratios over time (each window's ratio grows linearly while it fills),
 * for every level at every check, never from the intent alone; check times stay well away from each crossing.
 */
export function sloBurnSyntheses(model: Model, alert: AlertModel): LevelSynthesis[] | undefined {
  const found = sloOf(alert);
  if (!found) return undefined;
  const { slo, spec } = found;
  const expansion = expandSlo(slo, { groupLabels: spec.labels, severities: severityNames(model) });
  if (!expansion.alert) return undefined;
  const sli = rawSli(slo);
  if (!sli) return undefined; // the generic synthesiser reads the recorded series instead
  const budget = 1 - Number((slo.objective / 100).toPrecision(12));
  if (!(budget > 0 && budget < 1)) return undefined;
  const levels: BurnLevel[] = expansion.alert.levels.map((l) => {
    const model = alert.levels.find((m) => m.severity === l.severity);
    return { severity: l.severity, expected: model && !carriesSeverityLabel(model) ? '' : l.severity, forMs: l.for ? parseDuration(l.for) : 0, pairs: l.burnRates };
  });
  const groups = [`${spec.group}-recordings`, alert.group];
  const projectMs = parseDuration(model.project?.evaluationInterval ?? '1m');
  return levels.map((level) => ({
    alert: alert.name,
    level: level.severity,
    cases: level.pairs.flatMap((pair) => {
      const ctx = { alert, slo, sli, levels, level, pair, budget, groups, evalMs: evaluationStep(pair, projectMs) };
      return [aboveCase(ctx), belowCase(ctx)].filter((c): c is TestCase => c !== undefined);
    }),
  }));
}

interface BurnLevel {
  severity: string;
  /** The severity label its firings carry ('' when its severity says `label: false`). */
  expected: string;
  forMs: number;
  pairs: BurnRate[];
}

interface CaseContext {
  alert: AlertModel;
  /** promtool's evaluation step for these cases (see evaluationStep). */
  evalMs: number;
  slo: SloSpec;
  sli: RawSli;
  levels: BurnLevel[];
  level: BurnLevel;
  pair: BurnRate;
  budget: number;
  groups: string[];
}

const STEP_MS = 60_000;
/** Events a step: large enough that the error counts of small budgets are not rounded away. */
const TOTAL_PER_STEP = 10_000;
/** How far above and below the burn threshold the errors run. */
const ABOVE = 1.1;
const BELOW = 0.9;
/**
 * promtool evaluates every loaded group at every step of the test file's evaluation_interval, and a burn case spans
 * days: at the project's 30s the example's SLO file took minutes. The windows read 1m input at any evaluation time,
 * so a case evaluates at the coarsest step of STEPS that still looks at its pair's short window four times and at
 * its long window 24 times (5m for the page pairs 1h/5m and 6h/30m, 30m for 1d/2h, 1h for 3d/6h), never finer than
 * 5m nor than the project's interval; expectations follow the evaluation times exactly (see firing()). promtool's
 * time grows with the evaluations: the example's ticket cases ran 6 to 12 times as many at a 5m step.
 */
const STEPS_MS = [5, 10, 15, 30, 60].map((m) => m * 60_000);

function evaluationStep(pair: BurnRate, projectMs: number): number {
  const fits = Math.min(parseDuration(pair.short) / 4, parseDuration(pair.long) / 24);
  const step = STEPS_MS.filter((s) => s <= fits).at(-1) ?? STEPS_MS[0]!;
  return Math.max(step, projectMs);
}
/** After the predicted crossing: the first evaluation that sees it, and the one after the level's `for`. */
const settleMs = (c: CaseContext) => 2 * c.evalMs;

/**
 * promtool's test engine loads at most 10 000 samples per query: the period's error ratio (the 5m ratio over 30d)
 * reads one per evaluation, so a case lasts at most 83h at a 30s interval. 80h of input keep clear of it.
 */
const HORIZON_MS = 80 * 3_600_000;

/**
 * The clean stretch before the burn: a window longer than the input so far averages over all of it, so a short clean
 * stretch lets a long window of another pair see mostly burn and fire first. The shortest stretch (in hours, from the
 * pair's long window) after which, at the checks, no pair other than this one's decides: the case then proves this
 * pair, and lasts as little as it can (promtool's time grows with the input).
 */
function cleanFor(c: CaseContext, ratio: number, planChecks: (clean: number) => number[] | undefined): { clean: number; checks: number[] } | undefined {
  const hour = 3_600_000;
  const trippable = c.levels.flatMap((l) => l.pairs).filter((p) => p.factor * c.budget < ratio || p === c.pair);
  const longest = Math.max(...trippable.map((p) => parseDuration(p.long)));
  let fallback: { clean: number; checks: number[] } | undefined;
  for (let clean = Math.max(STEP_MS, roundDown(parseDuration(c.pair.long) / 12)); clean <= longest + hour; clean += hour) {
    const checks = planChecks(clean);
    if (!checks || Math.max(...checks) > HORIZON_MS) break;
    fallback = { clean, checks };
    const others = c.levels.flatMap((l) => l.pairs.filter((p) => p !== c.pair).map((p) => ({ p, forMs: l.forMs })));
    if (checks.every((t) => !others.some(({ p, forMs }) => pairHolds(p, ratio, c.budget, clean, t - forMs)))) return fallback;
  }
  return fallback;
}

function aboveCase(c: CaseContext): TestCase | undefined {
  const threshold = c.pair.factor * c.budget;
  const ratio = Math.min(threshold * ABOVE, (threshold + 1) / 2);
  if (!(ratio > threshold && ratio <= 1)) return undefined;
  const planned = cleanFor(c, ratio, (clean) => {
    const met = conditionMetAt(c, ratio, clean);
    if (met === undefined) return undefined;
    const burnt = met - clean;
    return [clean + roundDown(0.85 * burnt) + c.level.forMs, met + roundUp(Math.max(0.05 * burnt, 3 * STEP_MS)) + c.level.forMs + settleMs(c)];
  });
  if (!planned) return undefined;
  return burnCase(c, ratio, planned.clean, planned.checks, `fires once ${c.pair.long} holds it${c.level.forMs ? ` and for ${formatDuration(c.level.forMs)}` : ''}, not before`);
}

function belowCase(c: CaseContext): TestCase | undefined {
  const ratio = c.pair.factor * c.budget * BELOW;
  if (!(ratio > 0)) return undefined;
  const need = parseDuration(c.pair.long) + c.level.forMs + settleMs(c);
  const planned = cleanFor(c, ratio, (clean) => [clean + need]);
  if (!planned) return undefined;
  return burnCase(c, ratio, planned.clean, planned.checks, `does not fire with ${c.pair.long} full of it`);
}

function burnCase(c: CaseContext, ratio: number, cleanMs: number, checks: number[], outcome: string): TestCase {
  const steps = Math.ceil(Math.max(...checks) / STEP_MS) + 1;
  const cleanSteps = cleanMs / STEP_MS;
  const burnText = `${formatValue(roundSig(ratio / c.budget, 4))}× burn`;
  return {
    name: `${c.alert.name} ${c.level.severity}: ${burnText} against ${c.pair.factor}× over ${c.pair.long} and ${c.pair.short}: ${outcome}`,
    interval: formatDuration(STEP_MS),
    evaluationInterval: formatDuration(c.evalMs),
    inputSeries: c.sli.series(cleanSteps, steps - cleanSteps, TOTAL_PER_STEP, roundSig(TOTAL_PER_STEP * ratio, 10)),
    alertChecks: checks.map((ms): AlertCheck => ({
      evalTime: formatDuration(ms),
      alertname: c.alert.name,
      expected: c.levels.filter((l) => firing(l, ratio, c.budget, cleanMs, ms, c.evalMs)).map((l) => ({ severity: l.expected, labels: { slo: c.slo.name } })),
    })),
    exprChecks: [],
    groups: c.groups,
    covers: [{ alert: c.alert.name, level: c.level.severity }],
    source: 'generated',
  };
}

/**
 * A window's error ratio at `atMs` (from the start of the input), errors running at `ratio` since `cleanMs`: bad
 * events in the window over all events in it. A window longer than the input so far holds all of it, as rate() reads.
 */
function windowRatio(window: string, ratio: number, cleanMs: number, atMs: number): number {
  const w = parseDuration(window);
  const from = Math.max(0, atMs - w);
  const span = atMs - from;
  if (span <= 0) return 0;
  return (ratio * Math.max(0, atMs - Math.max(cleanMs, from))) / span;
}

function pairHolds(p: BurnRate, ratio: number, budget: number, cleanMs: number, atMs: number): boolean {
  const threshold = p.factor * budget;
  return windowRatio(p.long, ratio, cleanMs, atMs) > threshold && windowRatio(p.short, ratio, cleanMs, atMs) > threshold;
}

/**
 * Whether a level fires at `atMs` as promtool evaluates it, every `evalMs` from 0: a pair first holds at evaluation e1
 * (the alert turns pending), and the level fires from the first evaluation at least `for` after e1 (window ratios only
 * grow here, so a pair that holds keeps holding).
 */
function firing(level: BurnLevel, ratio: number, budget: number, cleanMs: number, atMs: number, evalMs: number): boolean {
  const lastEvaluation = Math.floor(atMs / evalMs) * evalMs;
  return level.pairs.some((p) => {
    for (let e = 0; e + level.forMs <= lastEvaluation; e += evalMs) if (pairHolds(p, ratio, budget, cleanMs, e)) return true;
    return false;
  });
}

/** The first step at which one of the level's pairs holds, within the horizon. */
function conditionMetAt(c: CaseContext, ratio: number, cleanMs: number): number | undefined {
  for (let t = cleanMs; t <= HORIZON_MS; t += STEP_MS) if (c.level.pairs.some((p) => pairHolds(p, ratio, c.budget, cleanMs, t))) return t;
  return undefined;
}

const roundDown = (ms: number): number => Math.floor(ms / STEP_MS) * STEP_MS;
const roundUp = (ms: number): number => Math.ceil(ms / STEP_MS) * STEP_MS;
const roundSig = (x: number, digits: number): number => Number(x.toPrecision(digits));

// ---------------------------------------------------------------------------------------------------------------------
// The SLO behind an alert, and its SLI as raw series

function sloOf(alert: AlertModel): { slo: SloSpec; spec: SLOsSpec } | undefined {
  const { def, path } = alert.origin;
  const spec = def.value as Partial<SLOsSpec> | undefined;
  if (spec?.kind !== 'SLOs' || path[0] !== 'slos' || typeof path[1] !== 'number') return undefined;
  const slo = spec.slos?.[path[1]];
  return slo ? { slo, spec: spec as SLOsSpec } : undefined;
}

function severityNames(model: Model): string[] {
  const first = model.definitionsByKind.get('Severities')?.[0];
  return first ? (first.value as SeveritiesSpec).levels.map((l) => l.name) : [];
}

interface RawSli {
  /** Input series: `clean` steps without errors, then `burn` steps with `errors` of `total` events a step failing. */
  series(clean: number, burn: number, total: number, errors: number): { series: string; values: string }[];
}

interface Selector {
  name: string;
  matchers: LabelMatcher[];
}

/** The SLI's series, when each of its queries reads one selector Vigil can give labels to. */
function rawSli(slo: SloSpec): RawSli | undefined {
  const { sli } = slo;
  if (sli.events) {
    const bad = onlySelector(substituteWindow(sli.events.errorQuery, '5m'));
    const all = onlySelector(substituteWindow(sli.events.totalQuery, '5m'));
    return bad && all ? partition(bad, all, 'bad') : undefined;
  }
  if (sli.ratio) {
    const good = onlySelector(sli.ratio.good);
    const all = onlySelector(sli.ratio.total);
    return good && all ? partition(good, all, 'good') : undefined;
  }
  const latency = sli.latency!;
  const bucket = onlySelector(`${latency.bucket}${latency.selector ?? ''}`);
  const labels = bucket && labelsFor(bucket.matchers.filter((m) => m.label !== 'le'));
  if (!bucket || !labels) return undefined;
  const count = latency.bucket.replace(/_bucket$/, '_count');
  return {
    series: (clean, burn, total, errors) => [
      { series: seriesText(latency.bucket, { ...labels, le: latency.le }), values: counter(clean, burn, total, total - errors) },
      { series: seriesText(latency.bucket, { ...labels, le: '+Inf' }), values: counter(clean, burn, total, total) },
      { series: seriesText(count, labels), values: counter(clean, burn, total, total) },
    ],
  };
}

/**
 * Two selectors over events, one (`part`: the bad or the good ones) a part of the other (all). Of one metric: a series
 * inside the part and one outside it but inside all. Of two metrics: one series each.
 */
function partition(part: Selector, all: Selector, role: 'bad' | 'good'): RawSli | undefined {
  if (part.name !== all.name) {
    const partLabels = labelsFor(part.matchers);
    const allLabels = labelsFor(all.matchers);
    if (!partLabels || !allLabels) return undefined;
    return {
      series: (clean, burn, total, errors) => [
        { series: seriesText(part.name, partLabels), values: role === 'bad' ? counter(clean, burn, 0, errors) : counter(clean, burn, total, total - errors) },
        { series: seriesText(all.name, allLabels), values: counter(clean, burn, total, total) },
      ],
    };
  }
  const inside = labelsFor([...part.matchers, ...all.matchers]);
  const outside = inside && labelsOutside(inside, part.matchers, all.matchers);
  if (!inside || !outside) return undefined;
  return {
    series: (clean, burn, total, errors) => {
      const bad = counter(clean, burn, 0, errors);
      const good = counter(clean, burn, total, total - errors);
      return [
        { series: seriesText(all.name, inside), values: role === 'bad' ? bad : good },
        { series: seriesText(all.name, outside), values: role === 'bad' ? good : bad },
      ];
    },
  };
}

/** The one metric selector of a query (its matchers as written), or undefined when it reads none or several. */
function onlySelector(query: string): Selector | undefined {
  const analysis = analyzePromql(query);
  if (!analysis.ok || analysis.metrics.length !== 1) return undefined;
  const [m] = analysis.metrics;
  return { name: m!.name, matchers: m!.matchers };
}

const FALLBACK_VALUES = ['synthetic', '200', '500', '0', '1', 'a'];

function candidates(matchers: readonly LabelMatcher[]): string[] {
  const out: string[] = [];
  for (const m of matchers) {
    if (m.op === '=') out.push(m.value);
    if (m.op === '=~') out.push(...regexExamples(m.value, 5));
  }
  return [...new Set([...out, ...FALLBACK_VALUES, ''])];
}

function matchesAll(value: string, matchers: readonly LabelMatcher[]): boolean {
  return matchers.every((m) => matches(m, value));
}

/** Label values that every matcher accepts ('' = the label absent), or undefined when none of the candidates does. */
function labelsFor(matchers: readonly LabelMatcher[]): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const label of [...new Set(matchers.map((m) => m.label))].sort()) {
    const own = matchers.filter((m) => m.label === label);
    const value = candidates(own).find((v) => matchesAll(v, own));
    if (value === undefined) return undefined;
    if (value !== '') out[label] = value;
  }
  return out;
}

/** `inside` with one label changed so the part's matchers reject it and all's still accept it. */
function labelsOutside(inside: Record<string, string>, part: readonly LabelMatcher[], all: readonly LabelMatcher[]): Record<string, string> | undefined {
  for (const label of [...new Set(part.map((m) => m.label))].sort()) {
    const partOwn = part.filter((m) => m.label === label);
    const allOwn = all.filter((m) => m.label === label);
    const value = candidates([...partOwn, ...allOwn]).find((v) => matchesAll(v, allOwn) && !matchesAll(v, partOwn));
    if (value === undefined) continue;
    const out = { ...inside };
    if (value === '') delete out[label];
    else out[label] = value;
    return out;
  }
  return undefined;
}

function seriesText(metric: string, labels: Record<string, string>): string {
  const entries = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${metric}{${entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
}

/** A counter growing `clean` a step for `cleanSteps` steps from 0, then `burn` a step for `burnSteps` more. */
function counter(cleanSteps: number, burnSteps: number, clean: number, burn: number): string {
  const first = clean === 0 ? `0x${cleanSteps}` : `0+${formatValue(clean)}x${cleanSteps}`;
  const start = clean * cleanSteps + burn;
  const second = burn === 0 ? `${formatValue(start)}x${burnSteps - 1}` : `${formatValue(start)}+${formatValue(burn)}x${burnSteps - 1}`;
  return `${first} ${second}`;
}
