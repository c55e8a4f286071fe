const SHARED = new Map<string, string>();
const SHARED_LIMIT = 100_000;

/**
 * One copy of a short string (a label or function name, an operator, a duration, a matcher's value) however many
 * analyses keep it: a project's 11,000 expressions repeat a few hundred such strings, ≈ 24 bytes each time. Only
 * strings V8 copies when slicing (under 13 characters) are shared, so none keeps a whole definition file alive.
 */
export function shared(text: string): string {
  if (text.length > 12) return text;
  const known = SHARED.get(text);
  if (known !== undefined) return known;
  // Bounded for a long `vigil build --watch`: forgetting only costs later analyses their sharing.
  if (SHARED.size >= SHARED_LIMIT) SHARED.clear();
  SHARED.set(text, text);
  return text;
}

/** A problem inside a string literal, relative to the literal's first character (the quote). */
export interface StringProblem {
  message: string;
  start: number;
  end: number;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

/**
 * The value of a PromQL string literal. Prometheus follows Go: backquoted strings are raw; in quoted strings
 * only Go's escapes are valid and only the string's own quote may be escaped.
 */
export function unquote(literal: string): { value: string; problems: StringProblem[]; offsets: number[] } {
  const quote = literal[0];
  const problems: StringProblem[] = [];
  // offsets[i]: where the value's i-th UTF-16 unit was written in the literal (one more entry for the end).
  const offsets: number[] = [];
  if (quote === '`') {
    const value = literal.slice(1, literal.endsWith('`') && literal.length > 1 ? -1 : undefined);
    for (let i = 0; i <= value.length; i++) offsets.push(i + 1);
    return { value, problems, offsets };
  }
  if (quote !== '"' && quote !== "'") {
    for (let i = 0; i <= literal.length; i++) offsets.push(i);
    return { value: literal, problems, offsets };
  }
  const closed = literal.length > 1 && literal.endsWith(quote) && !isEscaped(literal, literal.length - 1);
  const body = closed ? literal.length - 1 : literal.length;
  let value = '';
  const append = (text: string, at: number) => {
    for (let k = 0; k < text.length; k++) offsets.push(at);
    value += text;
  };
  let i = 1;
  while (i < body) {
    const c = literal[i]!;
    if (c !== '\\') {
      append(c, i);
      i++;
      continue;
    }
    const e = literal[i + 1];
    if (e === undefined || i + 1 >= body) {
      problems.push({ message: 'escape sequence not terminated', start: i, end: i + 1 });
      break;
    }
    if (e in SIMPLE_ESCAPES) {
      append(SIMPLE_ESCAPES[e]!, i);
      i += 2;
      continue;
    }
    if (e === quote) {
      append(e, i);
      i += 2;
      continue;
    }
    const digits = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : /[0-7]/.test(e) ? 3 : 0;
    if (digits === 0) {
      problems.push({ message: `unknown escape sequence '\\${e}'`, start: i, end: i + 2 });
      append(e, i);
      i += 2;
      continue;
    }
    const octal = /[0-7]/.test(e);
    const raw = octal ? literal.slice(i + 1, i + 1 + digits) : literal.slice(i + 2, i + 2 + digits);
    const len = (octal ? 1 : 2) + digits;
    const valid = raw.length === digits && (octal ? /^[0-7]+$/ : /^[0-9a-fA-F]+$/).test(raw);
    const code = valid ? parseInt(raw, octal ? 8 : 16) : NaN;
    if (!valid || code > 0x10ffff || (octal && code > 255) || (code >= 0xd800 && code <= 0xdfff)) {
      problems.push({ message: `invalid escape sequence '${literal.slice(i, Math.min(i + len, body))}'`, start: i, end: Math.min(i + len, body) });
      i += Math.max(2, Math.min(len, body - i));
      continue;
    }
    append(String.fromCodePoint(code), i);
    i += len;
  }
  offsets.push(i);
  return { value, problems, offsets };
}

/**
 * `unquote(literal).value` without the offsets and problems, which only a backslash makes: most literals have none, and
 * their value is a slice instead of a string built a character at a time beside an array of offsets.
 */
export function unquotedValue(literal: string): string {
  if (literal.includes('\\')) return unquote(literal).value;
  const quote = literal[0];
  if (quote !== '`' && quote !== '"' && quote !== "'") return literal;
  return literal.slice(1, literal.length > 1 && literal.endsWith(quote) ? -1 : undefined);
}

function isEscaped(s: string, pos: number): boolean {
  let n = 0;
  for (let i = pos - 1; i > 0 && s[i] === '\\'; i--) n++;
  return n % 2 === 1;
}
