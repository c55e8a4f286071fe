// The example's rule files with time compressed, so an integration test sees in a minute what the rules see in an
// hour. Every duration inside an expression — range selectors [5m], subqueries [1h:5m] and offsets — is divided by
// the same factor (60: an hour of the example is a minute of the test, a 5m rate a 5s one), so windows keep their
// proportions to each other and to the 1s scrape: a z-score against a 1d baseline taken an hour back compares 5s
// rates against a 24-minute window 60s back. `for` and `keep_firing_for` are shortened to a fixed few seconds
// instead of divided (2h would still be two minutes): they delay an alert, they do not change whether it fires.
// Group intervals are dropped so every group runs at the test's evaluation interval. Thresholds are not touched:
// they are values (a ratio, a latency, a temperature), not durations.
import { parse, stringify } from 'yaml';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };
const DURATION = /(?:\d+(?:ms|s|m|h|d|w|y))+/;

export function durationMs(text: string): number {
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(n) * UNIT_MS[unit!]!;
  return total;
}

/** Whole milliseconds, written in the largest unit that divides them (Prometheus accepts 1500ms, not 1.5s). */
export function formatDuration(ms: number): string {
  const whole = Math.max(1, Math.round(ms));
  for (const unit of ['h', 'm', 's'] as const) if (whole % UNIT_MS[unit]! === 0) return `${whole / UNIT_MS[unit]!}${unit}`;
  return `${whole}ms`;
}

const scaled = (text: string, factor: number) => formatDuration(durationMs(text) / factor);

/** Divides every range, subquery step and offset in a PromQL expression by `factor`. */
export function compressExpr(expr: string, factor: number): string {
  const range = new RegExp(`\\[(${DURATION.source})(?::(${DURATION.source})?)?\\]`, 'g');
  const offset = new RegExp(`\\boffset(\\s+)(-?)(${DURATION.source})`, 'g');
  return expr
    .replace(range, (whole: string, r: string, step: string | undefined) =>
      whole.includes(':') ? `[${scaled(r, factor)}:${step ? scaled(step, factor) : ''}]` : `[${scaled(r, factor)}]`,
    )
    .replace(offset, (_: string, space: string, sign: string, d: string) => `offset${space}${sign}${scaled(d, factor)}`);
}

interface RuleFile {
  groups: { name: string; interval?: string; rules: { alert?: string; record?: string; expr: string; for?: string; keep_firing_for?: string }[] }[];
}

export function compressRuleFile(text: string, options: { factor: number; hold: string }): string {
  const file = parse(text) as RuleFile;
  for (const group of file.groups) {
    delete group.interval;
    for (const rule of group.rules) {
      rule.expr = compressExpr(rule.expr, options.factor);
      if (rule.for) rule.for = options.hold;
      if (rule.keep_firing_for) rule.keep_firing_for = options.hold;
    }
  }
  return stringify(file, { lineWidth: 0 });
}
