import { ownValue } from '../util/own.ts';
import { anchoredRe2SyntaxError } from '../util/re2-syntax.ts';
import { prometheusRegexTest } from '../util/re2-match.ts';

export type MatchOp = '=' | '!=' | '=~' | '!~';

/** A matcher reduced to what routing needs; MatcherModel satisfies it. */
export interface SimpleMatcher {
  label: string;
  op: MatchOp;
  value: string;
}

/** Why a matcher is invalid; `start`/`end`, when known, are offsets into the matcher text. */
export interface MatcherError {
  error: string;
  start?: number;
  end?: number;
  hint?: string;
}

/** Parses one matcher as written in a definition, with Alertmanager's own rules; a readable error instead of throwing. */
export function parseMatcher(text: string): SimpleMatcher | MatcherError {
  // `team == "data"` would otherwise read as `=` with the value `= "data"` and fail on its quote.
  const doubled = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(={2,})\s*([\s\S]*?)\s*$/d.exec(text);
  if (doubled) {
    const [start, end] = doubled.indices![2]!;
    const value = doubled[3]!.startsWith('"') ? doubled[3]! : JSON.stringify(doubled[3]!);
    return { error: `${JSON.stringify(doubled[2])} is not a matcher operator (in ${JSON.stringify(text)})`, start, end, hint: `write ${doubled[1]}=${value}: the operators are =, !=, =~ and !~` };
  }
  try {
    return parseAlertmanagerMatcher(text);
  } catch (e) {
    const message = (e as Error).message;
    if (e instanceof RegexError) {
      return {
        error: `invalid regular expression in matcher ${JSON.stringify(text)}: error parsing regexp: ${message}`,
        start: e.start,
        end: e.end,
        hint: 'Alertmanager regexes are RE2 (Go): no backreferences, lookaround, possessive quantifiers or (?<name>); see https://github.com/google/re2/wiki/Syntax',
      };
    }
    return { error: `${message} (in ${JSON.stringify(text)})` };
  }
}

/** A matcher regex Alertmanager (Go RE2) would reject, located in the matcher text. */
class RegexError extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(message);
  }
}

const MATCHER_RE = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*([\s\S]*?)\s*$/d;

/**
 * Alertmanager 0.25's `labels.ParseMatcher`, ported: an optional leading quote, `\\` `\"` `\n` escapes, any other
 * backslash kept literally. Used to read back emitted configuration, never user input.
 */
export function parseAlertmanagerMatcher(text: string): SimpleMatcher {
  const m = MATCHER_RE.exec(text);
  if (!m) throw new Error(`bad matcher format: ${text}`);
  const [, label, op, raw0] = m as unknown as [string, string, MatchOp, string];
  let rawStart = m.indices![3]![0];
  let raw = raw0;
  let expectTrailingQuote = false;
  if (raw.startsWith('"')) {
    raw = raw.slice(1);
    rawStart++;
    expectTrailingQuote = true;
  }
  let value = '';
  // offsets[i]: where the value's i-th UTF-16 unit was written in `text`.
  const offsets: number[] = [];
  const append = (s: string, at: number) => {
    for (let k = 0; k < s.length; k++) offsets.push(rawStart + at);
    value += s;
  };
  let escaped = false;
  let at = 0;
  let closingQuote: number | undefined;
  const chars = [...raw];
  chars.forEach((c, i) => {
    const here = at;
    at += c.length;
    if (escaped) {
      escaped = false;
      if (c === 'n') append('\n', here - 1);
      else if (c === '"' || c === '\\') append(c, here - 1);
      else append(`\\${c}`, here - 1);
      return;
    }
    if (c === '\\') {
      if (i < chars.length - 1) escaped = true;
      else append('\\', here);
    } else if (c === '"') {
      if (!expectTrailingQuote || i < chars.length - 1) throw new Error(`matcher value contains unescaped double quote: ${raw0}`);
      expectTrailingQuote = false;
      closingQuote = here;
    } else append(c, here);
  });
  offsets.push(rawStart + (closingQuote ?? at));
  if (expectTrailingQuote) throw new Error(`matcher value contains unescaped double quote: ${raw0}`);
  if (op === '=~' || op === '!~') {
    // Alertmanager compiles it as Go RE2, anchored: JavaScript's verdict would be wrong both ways.
    const problem = anchoredRe2SyntaxError(value);
    if (problem) {
      const start = offsets[problem.offset]!;
      throw new RegexError(problem.message, start, Math.max(offsets[problem.end]!, start + 1));
    }
  }
  return { label, op, value };
}

/**
 * Whether a label set satisfies a matcher, with Alertmanager's semantics (missing label = empty string, anchored regex).
 * Only the set's own labels count: `constructor`, `toString` and `__proto__` are label names too, and an object's
 * prototype answered for them (`toString!=""` matched an alert without that label).
 */
export function matches(matcher: { label: string; op: string; value: string }, labels: Record<string, string>): boolean {
  const v = ownValue(labels, matcher.label) ?? '';
  switch (matcher.op) {
    case '=':
      return v === matcher.value;
    case '!=':
      return v !== matcher.value;
    case '=~':
      return anchored(matcher.value)(v);
    case '!~':
      return !anchored(matcher.value)(v);
    default:
      return false;
  }
}

/**
 * Alertmanager anchors matcher regexes at both ends (Go RE2, like Prometheus), and matches in linear time: so does
 * this, whatever the pattern and the label value a definition brings. An invalid regex (reported) matches nothing.
 */
function anchored(pattern: string): (value: string) => boolean {
  return prometheusRegexTest(pattern) ?? (() => false);
}
