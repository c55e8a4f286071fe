/**
 * A forgiving PromQL tokenizer. The lezer tree says where parsing failed but not what the text there is;
 * this scanner supplies the tokens for messages, bracket balancing and the pre-parse rewrites.
 */

export type TokenKind = 'ident' | 'number' | 'string' | 'comment' | 'punct' | 'op' | 'other' | 'template';

export interface Token {
  kind: TokenKind;
  start: number;
  end: number;
  /** Strings only: whether the closing quote was found. */
  terminated?: boolean;
}

const TWO_CHAR_OPS = new Set(['==', '!=', '<=', '>=', '=~', '!~', '</', '>/']);
const ONE_CHAR_OPS = new Set(['+', '-', '*', '/', '%', '^', '<', '>', '=', '@', ':']);
const PUNCT = new Set(['(', ')', '[', ']', '{', '}', ',']);

// By character code: a regex test per character was a third of the scan.
const isLetter = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isIdentStart = (c: string) => isLetter(c) || c === '_' || c === ':';
const isIdentChar = (c: string) => isLetter(c) || isDigit(c) || c === '_' || c === ':';
const isDigit = (c: string) => c >= '0' && c <= '9';
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';

/** Length of the Grafana template variable at `i`, or 0. */
function templateLength(text: string, i: number): number {
  if (text[i] === '$') {
    if (text[i + 1] === '{') {
      const close = text.indexOf('}', i + 2);
      const nl = text.indexOf('\n', i + 2);
      if (close > i + 2 && (nl < 0 || close < nl)) return close + 1 - i;
      return 0;
    }
    const m = /^\$[A-Za-z0-9_]+/.exec(text.slice(i, i + 200));
    return m ? m[0].length : 0;
  }
  if (text[i] === '[' && text[i + 1] === '[') {
    const m = /^\[\[[A-Za-z0-9_.]+(?::[^\]\n]*)?\]\]/.exec(text.slice(i, i + 200));
    return m ? m[0].length : 0;
  }
  return 0;
}

/** Tokenizes `text`; with `templates`, Grafana variables outside strings become 'template' tokens. */
export function scan(text: string, templates = false): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    const start = i;
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (templates) {
      const len = templateLength(text, i);
      if (len > 0) {
        tokens.push({ kind: 'template', start, end: i + len });
        i += len;
        continue;
      }
    }
    if (c === '#') {
      while (i < n && text[i] !== '\n') i++;
      tokens.push({ kind: 'comment', start, end: i });
      continue;
    }
    if (c === '"' || c === "'") {
      i++;
      let terminated = false;
      while (i < n) {
        const d = text[i]!;
        if (d === '\\') {
          i += text[i + 1] === '\n' || i + 1 >= n ? 1 : 2;
          continue;
        }
        if (d === '\n') break;
        i++;
        if (d === c) {
          terminated = true;
          break;
        }
      }
      tokens.push({ kind: 'string', start, end: i, terminated });
      continue;
    }
    if (c === '`') {
      const close = text.indexOf('`', i + 1);
      i = close < 0 ? n : close + 1;
      tokens.push({ kind: 'string', start, end: i, terminated: close >= 0 });
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(text[i + 1] ?? ''))) {
      const hex = c === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X');
      i++;
      while (i < n) {
        const d = text[i]!;
        if (isLetter(d) || isDigit(d) || d === '_' || d === '.') {
          i++;
        } else if ((d === '+' || d === '-') && !hex && (text[i - 1] === 'e' || text[i - 1] === 'E') && isDigit(text[i + 1] ?? '')) {
          i++;
        } else {
          break;
        }
      }
      tokens.push({ kind: 'number', start, end: i });
      continue;
    }
    // A leading ':' starts an identifier only when a name follows; in `[5m:1m]` it is the subquery colon.
    if (isIdentStart(c) && (c !== ':' || (isIdentChar(text[i + 1] ?? '') && !isDigit(text[i + 1] ?? '')))) {
      i++;
      while (i < n && isIdentChar(text[i]!)) i++;
      tokens.push({ kind: 'ident', start, end: i });
      continue;
    }
    if (PUNCT.has(c)) {
      tokens.push({ kind: 'punct', start, end: i + 1 });
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (TWO_CHAR_OPS.has(two)) {
      tokens.push({ kind: 'op', start, end: i + 2 });
      i += 2;
      continue;
    }
    if (ONE_CHAR_OPS.has(c)) {
      tokens.push({ kind: 'op', start, end: i + 1 });
      i++;
      continue;
    }
    // One UTF-16 code unit at a time would split surrogate pairs in messages.
    const cp = text.codePointAt(i)!;
    const len = cp > 0xffff ? 2 : 1;
    tokens.push({ kind: 'other', start, end: i + len });
    i += len;
  }
  return tokens;
}

/** Tokens without comments. */
export function significant(tokens: readonly Token[]): Token[] {
  return tokens.filter((t) => t.kind !== 'comment');
}

export interface BracketProblem {
  kind: 'unclosed' | 'unmatched';
  token: Token;
  char: string;
}

const CLOSER: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const OPENER: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/** Unclosed openers and closers without an opener, in the order found. */
export function checkBrackets(text: string, tokens: readonly Token[]): BracketProblem[] {
  const problems: BracketProblem[] = [];
  const stack: Token[] = [];
  // Open brackets of each kind on the stack: a closer with none to match is known at once, and every opener the
  // search below walks past is removed, so a hostile `((((…]]]]` stays linear.
  const open: Record<string, number> = { '(': 0, '[': 0, '{': 0 };
  for (const t of tokens) {
    if (t.kind !== 'punct') continue;
    const c = text[t.start]!;
    if (CLOSER[c]) {
      stack.push(t);
      open[c]!++;
    } else if (OPENER[c]) {
      const want = OPENER[c];
      if (open[want] === 0) {
        problems.push({ kind: 'unmatched', token: t, char: c });
        continue;
      }
      let depth = stack.length - 1;
      while (text[stack[depth]!.start] !== want) depth--;
      // Openers skipped over to reach the match were never closed.
      const [, ...skipped] = stack.splice(depth);
      open[want]!--;
      for (const unclosed of skipped) {
        const char = text[unclosed.start]!;
        open[char]!--;
        problems.push({ kind: 'unclosed', token: unclosed, char });
      }
    }
  }
  for (const open of stack) problems.push({ kind: 'unclosed', token: open, char: text[open.start]! });
  return problems.sort((a, b) => a.token.start - b.token.start);
}
