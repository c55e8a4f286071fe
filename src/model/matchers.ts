import { prometheusRegex } from '../util/regex.ts';

export type MatchOp = '=' | '!=' | '=~' | '!~';

/** A matcher reduced to what routing needs; MatcherModel satisfies it. */
export interface SimpleMatcher {
  label: string;
  op: MatchOp;
  value: string;
}

/** Parses one matcher as written in a definition, with Alertmanager's own rules; a readable error instead of throwing. */
export function parseMatcher(text: string): SimpleMatcher | { error: string } {
  try {
    return parseAlertmanagerMatcher(text);
  } catch (e) {
    const message = (e as Error).message;
    if (e instanceof SyntaxError) return { error: `invalid regular expression in matcher ${JSON.stringify(text)}: ${message}` };
    return { error: `${message} (in ${JSON.stringify(text)})` };
  }
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
  if ((op === '=~' || op === '!~') && !prometheusRegex(value)) {
    // Compiling it plainly yields the SyntaxError that names what is wrong.
    new RegExp(`^(?:${value})$`);
    throw new SyntaxError(`cannot compile /${value}/`);
  }
  return { label, op, value };
}

/** Whether a label set satisfies a matcher, with Alertmanager's semantics (missing label = empty string, anchored regex). */
export function matches(matcher: { label: string; op: string; value: string }, labels: Record<string, string>): boolean {
  const v = labels[matcher.label] ?? '';
  switch (matcher.op) {
    case '=':
      return v === matcher.value;
    case '!=':
      return v !== matcher.value;
    case '=~':
      return anchored(matcher.value).test(v);
    case '!~':
      return !anchored(matcher.value).test(v);
    default:
      return false;
  }
}

/** Alertmanager anchors matcher regexes at both ends (Go RE2, like Prometheus). */
function anchored(pattern: string): RegExp {
  return prometheusRegex(pattern) ?? /(?!)/;
}
