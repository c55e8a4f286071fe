import { matches, parseAlertmanagerMatcher } from '../model/matchers.ts';

export { parseAlertmanagerMatcher };

export type { MatchOp, SimpleMatcher } from '../model/matchers.ts';
import type { SimpleMatcher } from '../model/matchers.ts';

/**
 * Quotes a matcher value the way Alertmanager 0.25's `labels.ParseMatcher` unquotes it: only `\\`, `\"` and `\n` are
 * escapes there (any other backslash is literal), so JSON.stringify would be wrong for control characters.
 */
export function quoteMatcherValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** The normalised Alertmanager matcher string: `label="value"`, `label=~"re"`, … */
export function formatMatcher(m: SimpleMatcher): string {
  return `${m.label}${m.op}${quoteMatcherValue(m.value)}`;
}

/**
 * Alertmanager 0.25 sorts a route's (and an inhibit rule's) matchers when it loads a config (labels.Matchers.Less):
 * by label name, then value, comparing bytes as Go does, then by type (=, !=, =~, !~). Emitting them in this order
 * makes the file read as Alertmanager shows it, and lets deploy compare the two lists position by position.
 */
export function compareMatchers(a: SimpleMatcher, b: SimpleMatcher): number {
  return goCompare(a.label, b.label) || goCompare(a.value, b.value) || MATCH_TYPE_ORDER[a.op] - MATCH_TYPE_ORDER[b.op];
}

const MATCH_TYPE_ORDER: Record<SimpleMatcher['op'], number> = { '=': 0, '!=': 1, '=~': 2, '!~': 3 };

/** Go compares strings byte by byte (UTF-8); JavaScript's `<` compares UTF-16 code units, which differs above U+FFFF. */
function goCompare(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The matchers in the order Alertmanager keeps them (a new array). */
export function sortMatchers<M extends SimpleMatcher>(matchers: readonly M[]): M[] {
  return [...matchers].sort(compareMatchers);
}

/** Whether every matcher matches (missing label = "", regexes fully anchored). */
export function matchesAll(matchers: readonly SimpleMatcher[], labels: Record<string, string>): boolean {
  return matchers.every((m) => matches(m, labels));
}

/** Alertmanager 0.25's `labels.ParseMatchers`: one string may hold `{a="1", b=~"2"}` — commas outside quotes split. */
export function parseAlertmanagerMatchers(text: string): SimpleMatcher[] {
  let s = text;
  if (s.startsWith('{')) s = s.slice(1);
  if (s.endsWith('}')) s = s.slice(0, -1);
  const tokens: string[] = [];
  let token = '';
  let insideQuotes = false;
  let escaped = false;
  for (const c of s) {
    if (c === ',' && !insideQuotes) {
      tokens.push(token);
      token = '';
      continue;
    }
    if (c === '"') {
      if (!escaped) insideQuotes = !insideQuotes;
      else escaped = false;
    } else if (c === '\\') escaped = !escaped;
    else escaped = false;
    token += c;
  }
  if (token.trim() !== '') tokens.push(token.trim());
  return tokens.map(parseAlertmanagerMatcher);
}
