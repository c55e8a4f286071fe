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

// By character code: a regex test per character was a third of the scan, and a one-character string per character
// (with string comparisons) most of the rest.
const isLetter = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
const isDigit = (c: number) => c >= 48 && c <= 57;
/** Letters, digits, `_` and `:`. */
const isIdentChar = (c: number) => isLetter(c) || isDigit(c) || c === 95 || c === 58;
/** ' ', \t, \n, \v, \f, \r. */
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);
/** ( ) [ ] { } , */
const isPunct = (c: number) => c === 40 || c === 41 || c === 91 || c === 93 || c === 123 || c === 125 || c === 44;
/** + - * / % ^ < > = @ : */
const isOneCharOp = (c: number) =>
  c === 43 || c === 45 || c === 42 || c === 47 || c === 37 || c === 94 || c === 60 || c === 62 || c === 61 || c === 64 || c === 58;
/** == != <= >= =~ !~ </ >/ */
const isTwoCharOp = (c: number, d: number) =>
  ((c === 61 || c === 33 || c === 60 || c === 62) && d === 61) || ((c === 61 || c === 33) && d === 126) || ((c === 60 || c === 62) && d === 47);

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

/** A token's fields, as the hand-written parser (fast-parse.ts) keeps the one it is at (kind null: the end of the text). */
export interface TokenFields {
  kind: TokenKind | null;
  start: number;
  end: number;
  /** Strings only: whether the closing quote was found. */
  terminated: boolean;
}

/** The kinds of a TokenBuffer by code; a string's code says whether it was closed. */
export const TOKEN_KINDS: readonly TokenKind[] = ['ident', 'number', 'string', 'string', 'comment', 'punct', 'op', 'other', 'template'];
const IDENT = 0;
const NUMBER = 1;
/** A string with its closing quote. */
export const CLOSED_STRING = 2;
const OPEN_STRING = 3;
const COMMENT = 4;
const PUNCT = 5;
const OP = 6;
const OTHER = 7;
const TEMPLATE = 8;

/** A text's tokens as numbers (a code of TOKEN_KINDS, start and end offsets), without an object per token. */
export class TokenBuffer {
  count = 0;
  /** How many of them are comments. */
  comments = 0;
  kinds: Uint8Array;
  starts: Int32Array;
  ends: Int32Array;

  constructor(capacity: number) {
    this.kinds = new Uint8Array(capacity);
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
  }
}

/**
 * Tokenizes `text` into `buf` (grown to the text's length, which no token count exceeds); with `templates`, Grafana
 * variables outside strings become 'template' tokens. One loop, which V8 optimises while it runs: the hand-written
 * parser reads the numbers, `scan` makes its token objects of them.
 */
export function scanInto(text: string, templates: boolean, buf: TokenBuffer): void {
  const n = text.length;
  if (buf.kinds.length < n) {
    const capacity = Math.max(n, 2 * buf.kinds.length);
    buf.kinds = new Uint8Array(capacity);
    buf.starts = new Int32Array(capacity);
    buf.ends = new Int32Array(capacity);
  }
  const { kinds, starts, ends } = buf;
  let count = 0;
  let comments = 0;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const start = i;
    let kind: number;
    if (isSpace(c)) {
      i++;
      continue;
    }
    const template = templates && (c === 36 || c === 91) ? templateLength(text, i) : 0;
    if (template > 0) {
      i += template;
      kind = TEMPLATE;
    } else if (c === 35 /* # */) {
      while (i < n && text.charCodeAt(i) !== 10) i++;
      kind = COMMENT;
      comments++;
    } else if (c === 34 /* " */ || c === 39 /* ' */) {
      i++;
      kind = OPEN_STRING;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \\ */) {
          i += text.charCodeAt(i + 1) === 10 || i + 1 >= n ? 1 : 2;
          continue;
        }
        if (d === 10) break;
        i++;
        if (d === c) {
          kind = CLOSED_STRING;
          break;
        }
      }
    } else if (c === 96 /* ` */) {
      const close = text.indexOf('`', i + 1);
      i = close < 0 ? n : close + 1;
      kind = close < 0 ? OPEN_STRING : CLOSED_STRING;
    } else if (isDigit(c) || (c === 46 /* . */ && isDigit(text.charCodeAt(i + 1)))) {
      const next = text.charCodeAt(i + 1);
      const hex = c === 48 && (next === 120 || next === 88);
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (isLetter(d) || isDigit(d) || d === 95 || d === 46) {
          i++;
        } else if ((d === 43 || d === 45) && !hex && (text.charCodeAt(i - 1) === 101 || text.charCodeAt(i - 1) === 69) && isDigit(text.charCodeAt(i + 1))) {
          i++;
        } else {
          break;
        }
      }
      kind = NUMBER;
    } else if (isLetter(c) || c === 95 || (c === 58 && isIdentChar(text.charCodeAt(i + 1)) && !isDigit(text.charCodeAt(i + 1)))) {
      // A leading ':' starts an identifier only when a name follows; in `[5m:1m]` it is the subquery colon.
      i++;
      while (i < n && isIdentChar(text.charCodeAt(i))) i++;
      kind = IDENT;
    } else if (isPunct(c)) {
      i++;
      kind = PUNCT;
    } else if (isTwoCharOp(c, text.charCodeAt(i + 1))) {
      i += 2;
      kind = OP;
    } else if (isOneCharOp(c)) {
      i++;
      kind = OP;
    } else {
      // One UTF-16 code unit at a time would split surrogate pairs in messages.
      i += text.codePointAt(i)! > 0xffff ? 2 : 1;
      kind = OTHER;
    }
    kinds[count] = kind;
    starts[count] = start;
    ends[count] = i;
    count++;
  }
  buf.count = count;
  buf.comments = comments;
}

/** Tokenizes `text`; with `templates`, Grafana variables outside strings become 'template' tokens. */
export function scan(text: string, templates = false): Token[] {
  const buf = new TokenBuffer(text.length);
  scanInto(text, templates, buf);
  const tokens: Token[] = [];
  for (let k = 0; k < buf.count; k++) {
    const code = buf.kinds[k]!;
    const kind = TOKEN_KINDS[code]!;
    tokens.push(kind === 'string' ? { kind, start: buf.starts[k]!, end: buf.ends[k]!, terminated: code === CLOSED_STRING } : { kind, start: buf.starts[k]!, end: buf.ends[k]! });
  }
  return tokens;
}

/** Tokens without comments. */
export function significant(tokens: Token[]): Token[] {
  // Nearly no expression has a comment: then the list itself (scan's, which nothing else holds).
  let i = 0;
  while (i < tokens.length && tokens[i]!.kind !== 'comment') i++;
  if (i === tokens.length) return tokens;
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
