import { matches } from '../model/matchers.ts';

export type MatchOp = '=' | '!=' | '=~' | '!~';

/** A matcher reduced to what routing needs; MatcherModel satisfies it. */
export interface SimpleMatcher {
  label: string;
  op: MatchOp;
  value: string;
}

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

/** Whether every matcher matches (missing label = "", regexes fully anchored). */
export function matchesAll(matchers: readonly SimpleMatcher[], labels: Record<string, string>): boolean {
  return matchers.every((m) => matches(m, labels));
}

const MATCHER_RE = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*([\s\S]*?)\s*$/;

/**
 * Alertmanager 0.25's `labels.ParseMatcher`, ported: an optional leading quote, `\\` `\"` `\n` escapes, any other
 * backslash kept literally. Used to read back emitted configuration, never user input.
 */
export function parseAlertmanagerMatcher(text: string): SimpleMatcher {
  const m = MATCHER_RE.exec(text);
  if (!m) throw new Error(`bad matcher format: ${text}`);
  const [, label, op, raw0] = m as unknown as [string, string, MatchOp, string];
  let raw = raw0;
  let expectTrailingQuote = false;
  if (raw.startsWith('"')) {
    raw = raw.slice(1);
    expectTrailingQuote = true;
  }
  let value = '';
  let escaped = false;
  const chars = [...raw];
  chars.forEach((c, i) => {
    if (escaped) {
      escaped = false;
      if (c === 'n') value += '\n';
      else if (c === '"' || c === '\\') value += c;
      else value += `\\${c}`;
      return;
    }
    if (c === '\\') {
      if (i < chars.length - 1) escaped = true;
      else value += '\\';
    } else if (c === '"') {
      if (!expectTrailingQuote || i < chars.length - 1) throw new Error(`matcher value contains unescaped double quote: ${raw0}`);
      expectTrailingQuote = false;
    } else value += c;
  });
  if (expectTrailingQuote) throw new Error(`matcher value contains unescaped double quote: ${raw0}`);
  if (op === '=~' || op === '!~') new RegExp(`^(?:${value})$`);
  return { label, op, value };
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
