import type { ThresholdOp } from '../model/types.ts';
import { lin, type Lin } from './synth-eval.ts';

/**
 * Numbers, durations and series notation for synthesized tests, and the choice of values on either side of a threshold.
 */

/** A number as Prometheus reads it back to the same float: integers plainly, others with 15 significant digits. */
export function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  if (Object.is(n, -0)) return '0';
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  return String(Number(n.toPrecision(15)));
}

/** `x` rounded to `digits` significant digits, so 95 + 0.95 is 95.95 and not 95.94999999999999. */
export function roundSig(x: number, digits = 12): number {
  if (!Number.isFinite(x) || x === 0) return x;
  return Number(x.toPrecision(digits));
}

export function satisfies(value: number, op: ThresholdOp, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

export interface Boundary {
  /** Satisfies the level's comparison. */
  trigger: number;
  /** Just on the other side: does not satisfy it. */
  safe: number;
  /** The distance used. */
  margin: number;
}

/**
 * Values just either side of `threshold` for `op`: the margin is 1% of |threshold| (0.5 for a zero threshold), at
 * most half the distance to the nearest other level's threshold so "just below critical" stays above warning, and
 * rounded to two significant digits so the values read as written (95 → 94.05 / 95.95). For `==` the trigger is the
 * threshold itself and the safe value one step away (1 for whole thresholds); `!=` mirrors that.
 */
export function boundaryValues(op: ThresholdOp, threshold: number, otherThresholds: readonly number[] = []): Boundary {
  if (!Number.isFinite(threshold)) throw new RangeError(`threshold ${threshold} is not a finite number`);
  const gaps = otherThresholds.filter((t) => Number.isFinite(t) && t !== threshold).map((t) => Math.abs(t - threshold));
  const gap = gaps.length ? Math.min(...gaps) : Infinity;
  const base = threshold === 0 ? 0.5 : Math.abs(threshold) * 0.01;
  let margin = Number(Math.min(base, gap / 2).toPrecision(2));
  if (op === '==' || op === '!=') {
    if (Number.isInteger(threshold) && gap > 2) margin = 1;
  }
  if (!(margin > 0)) throw new RangeError(`no room around threshold ${threshold}`);
  const above = roundSig(threshold + margin);
  const below = roundSig(threshold - margin);
  switch (op) {
    case '>':
    case '>=':
      return { trigger: above, safe: below, margin };
    case '<':
    case '<=':
      return { trigger: below, safe: above, margin };
    case '==':
      return { trigger: threshold, safe: above, margin };
    case '!=':
      return { trigger: above, safe: threshold, margin };
  }
}

/** Whether a computed value is so close to a threshold that float rounding could put it on either side. */
export function tooClose(value: number, threshold: number): boolean {
  if (!Number.isFinite(value) || !Number.isFinite(threshold)) return false;
  return value !== threshold && Math.abs(value - threshold) <= 1e-9 * Math.max(1, Math.abs(threshold));
}

// ---- durations (milliseconds) ----

const UNITS: [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** Milliseconds as a Prometheus duration: 90000 → `1m30s`, 0 → `0s`. Days are written as hours (promtool-friendly). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of UNITS) {
    if (unit === 'd') continue;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

export function gcd(a: number, b: number): number {
  let [x, y] = [Math.abs(a), Math.abs(b)];
  while (y) [x, y] = [y, x % y];
  return x;
}

export function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}

// ---- promtool series notation ----

/**
 * promtool's expanding notation for a linear series sampled every `stepSeconds`: `a+bxN` gives N+1 samples
 * a, a+b, …, a+N·b. Constants are written `axN`; NaN as `NaN+0xN` (`NaNxN` does not parse).
 */
export function seriesValues(v: Lin, stepSeconds: number, count: number): string {
  if (Number.isNaN(v.c0)) return `NaN+0x${count}`;
  const start = formatValue(v.c0);
  const inc = v.c1 * stepSeconds;
  if (inc === 0) return `${start}x${count}`;
  return `${start}${inc < 0 ? '-' : '+'}${formatValue(Math.abs(inc))}x${count}`;
}

/** The linear series promtool builds from `seriesValues` output (what the evaluator must check against). */
export function parseSeriesValues(text: string, stepSeconds: number): Lin {
  const num = '(?:\\d+\\.?\\d*|\\.\\d+)(?:e[+-]?\\d+)?';
  const m = new RegExp(`^(NaN|[+-]?Inf|-?${num})(?:([+-])(${num}))?x(\\d+)$`).exec(text);
  if (!m) throw new Error(`not a synthesized series: ${text}`);
  const start = m[1] === 'NaN' ? NaN : m[1] === '+Inf' || m[1] === 'Inf' ? Infinity : m[1] === '-Inf' ? -Infinity : Number(m[1]);
  const inc = m[3] === undefined ? 0 : (m[2] === '-' ? -1 : 1) * Number(m[3]);
  return lin(start, inc / stepSeconds);
}
