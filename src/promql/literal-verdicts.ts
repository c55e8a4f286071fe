import { durationProblem, parseDuration } from '../util/duration.ts';
import type { Re2SyntaxError } from '../util/re2-syntax.ts';

/**
 * What the analysis decides of a literal on its own (a duration, a regex), remembered per text: a project writes the
 * same few (`5m`, `5..`) thousands of times. Read by the Analyzer (analyze.ts) and the one-pass analysis
 * (fast-analysis.ts), which must judge alike.
 */

const DURATION = /^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/;

/** A duration with a unit, as Prometheus 2.42 writes them (`1h30m`). */
export const isDuration = (text: string) => /\d[a-z]/.test(text) && DURATION.test(text);

const accepted = new Map<string, boolean>();

/** Whether Analyzer.duration reports nothing about this literal: a duration with a unit, in range, above zero. */
export function acceptedDuration(text: string): boolean {
  let ok = accepted.get(text);
  if (ok === undefined) {
    ok = isDuration(text) && !durationProblem(text) && parseDuration(text) !== 0;
    if (accepted.size >= 4096) accepted.clear();
    accepted.set(text, ok);
  }
  return ok;
}

export function hasLowercaseLetter(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= 97 && c <= 122) return true;
  }
  return false;
}

const regexErrors = new Map<(pattern: string) => Re2SyntaxError | undefined, Map<string, Re2SyntaxError | null>>();

/**
 * `check(pattern)`, remembered: a project's matchers repeat a few patterns (`5..`) thousands of times, and deciding
 * validity by the RE2 grammar was ≈ a tenth of an analysis. Bounded like the other caches for a long `--watch`.
 */
export function regexError(check: (pattern: string) => Re2SyntaxError | undefined, pattern: string): Re2SyntaxError | undefined {
  let known = regexErrors.get(check);
  if (!known) regexErrors.set(check, (known = new Map()));
  let error = known.get(pattern);
  if (error === undefined) {
    error = check(pattern) ?? null;
    if (known.size >= 10_000) known.clear();
    known.set(pattern, error);
  }
  return error ?? undefined;
}
