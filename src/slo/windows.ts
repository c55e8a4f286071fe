import { parseDuration } from '../util/duration.ts';

const UNITS: readonly [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** A duration in one unit, the largest that divides it (`1d`, `90m`): the suffix of recorded series names. */
export function windowName(duration: string): string {
  const ms = parseDuration(duration);
  for (const [unit, size] of UNITS) if (ms % size === 0) return `${ms / size}${unit}`;
  return duration;
}

/** Distinct durations (by length, not spelling), shortest first. */
export function distinctWindows(durations: readonly string[]): string[] {
  const byMs = new Map<number, string>();
  for (const d of durations) {
    const ms = parseDuration(d);
    if (!Number.isNaN(ms) && !byMs.has(ms)) byMs.set(ms, windowName(d));
  }
  return [...byMs.entries()].sort((a, b) => a[0] - b[0]).map(([, name]) => name);
}
