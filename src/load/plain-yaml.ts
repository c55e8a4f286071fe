import { boolCoreTag, floatCoreTag, intCoreTag, NOT_RESOLVED, nullCoreTag } from 'js-yaml';

/**
 * A reader for the plain YAML that definition files are written in, several times faster than js-yaml: block mappings
 * and sequences, plain and quoted scalars, `|`/`>` block scalars, flow collections, comments and `---`
 * documents. It returns exactly what js-yaml's `loadAll(text, { schema: CORE_SCHEMA })` returns (the same values, types
 * and key order, null documents included), or undefined for anything it is not certain of — anchors, aliases, tags,
 * complex or duplicate keys, tabs, a lone `\r`, comments inside flow collections, directives, unusual
 * characters, any syntax error — which the caller then reads with js-yaml as before (and its errors stay js-yaml's).
 * Plain scalars are resolved with js-yaml's own CORE_SCHEMA tags, in the schema's order.
 */
export function readPlainYaml(text: string): unknown[] | undefined {
  // A line break is a line break: CRLF reads as LF (a lone `\r` is declined below).
  if (text.indexOf('\r') >= 0 && !/\r(?!\n)/.test(text)) text = text.replaceAll('\r\n', '\n');
  if (ANY_UNUSUAL_OR_SURROGATE.test(text) && UNUSUAL.test(text)) return undefined;
  const reader = new Reader(text);
  try {
    return reader.stream();
  } catch {
    // Declined — or a bug here, which must never break a load: either way js-yaml reads the file instead.
    return undefined;
  }
}

/** A quick first look: UNUSUAL's characters and any surrogate (most texts have neither). */
const ANY_UNUSUAL_OR_SURROGATE = /[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]/;
/**
 * Characters the reader leaves to js-yaml: tabs, `\r`, controls, C1, BOM, line separators, U+FFFE/U+FFFF, and a
 * surrogate that is not half of a pair (a pair, as in an emoji, is read).
 */
const UNUSUAL = /[^\n\x20-\x7e\xa0-\u2027\u202a-\ufefe\uff00-\ufffd]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const DECLINE = { decline: true };
function decline(): never {
  throw DECLINE;
}

const NL = 10;
const SPACE = 32;
const HASH = 35;
const COLON = 58;
const DASH = 45;
const MAX_DEPTH = 64;

/** Characters a plain scalar may not start with (`-` is handled apart; `?` and `:` are left to js-yaml). */
const NOT_PLAIN_START = new Uint8Array(128);
for (const c of '?:,[]{}#&*!|>\'"%@`') NOT_PLAIN_START[c.charCodeAt(0)] = 1;
/** Flow indicators, which end a plain scalar inside `[…]`/`{…}`. */
const FLOW_INDICATOR = new Uint8Array(128);
for (const c of ',[]{}') FLOW_INDICATOR[c.charCodeAt(0)] = 1;
/**
 * For each first character, which of CORE_SCHEMA's implicit tags may resolve a plain scalar starting with it (as
 * js-yaml's own dispatch by first character): 1 null, 2 bool, 4 int, 8 float.
 */
const CANDIDATES = new Uint8Array(128);
for (const c of '~nN') CANDIDATES[c.charCodeAt(0)] |= 1;
for (const c of 'tTfF') CANDIDATES[c.charCodeAt(0)] |= 2;
for (const c of '-+0123456789') CANDIDATES[c.charCodeAt(0)] |= 4;
for (const c of '-+.0123456789') CANDIDATES[c.charCodeAt(0)] |= 8;

/** A plain scalar's value, resolved by CORE_SCHEMA's implicit tags in the schema's order (null, bool, int, float). */
export function resolvePlain(source: string): unknown {
  const c = source.charCodeAt(0);
  const candidates = c < 128 ? CANDIDATES[c]! : 0;
  if (candidates === 0) return source;
  let r: unknown;
  if (candidates & 1 && (r = nullCoreTag.resolve(source, false, nullCoreTag.tagName)) !== NOT_RESOLVED) return r;
  if (candidates & 2 && (r = boolCoreTag.resolve(source, false, boolCoreTag.tagName)) !== NOT_RESOLVED) return r;
  if (candidates & 4 && (r = intCoreTag.resolve(source, false, intCoreTag.tagName)) !== NOT_RESOLVED) return r;
  if (candidates & 8 && (r = floatCoreTag.resolve(source, false, floatCoreTag.tagName)) !== NOT_RESOLVED) return r;
  return source;
}

/**
 * The plain scalars and keys read lately, by a hash of their first and last characters and length: definition files
 * repeat their keys and many of their values (`name`, `for: 5m`), and a hit takes neither a substring nor the schema's
 * resolving. A slot holds the scalar's text and what it reads as (a value, or a key); a hit is the same text.
 */
const CACHE_SIZE = 4096;
const VALUE_TEXT: (string | undefined)[] = new Array(CACHE_SIZE).fill(undefined);
const VALUE_OF: unknown[] = new Array(CACHE_SIZE).fill(undefined);
const KEY_TEXT: (string | undefined)[] = new Array(CACHE_SIZE).fill(undefined);
const KEY_OF: string[] = new Array(CACHE_SIZE).fill('');

function slot(s: string, p: number, e: number): number {
  return Math.imul((s.charCodeAt(p) * 31 + s.charCodeAt(e - 1)) * 31 + (e - p), 0x9e3779b1) >>> 20;
}

class Reader {
  private readonly src: string;
  private readonly len: number;
  /** Start of the current content line (the line the next node or key is on), or `len` at the end. */
  private line = 0;
  /** Its indentation, or -1 at the end of the document (a `---` line or the end of the text). */
  private ind = -1;
  private depth = 0;
  /** A flow collection's further lines must be indented more than this. */
  private flowParent = -1;
  /** Where the scalar or flow collection read last ends (set by quoted, multiLineQuoted, flow and flowItem). */
  private end = 0;
  /**
   * The next `\n`, `:`, `#`, `"` and `\\` (or `len`): the reader goes forward, so each is looked up with indexOf about
   * once per occurrence, not scanned for a character at a time.
   */
  private readonly nl: CharSearch;
  private readonly colon: CharSearch;
  private readonly hash: CharSearch;
  private readonly quote: CharSearch;
  private readonly backslash: CharSearch;

  constructor(src: string) {
    this.src = src;
    this.len = src.length;
    this.nl = new CharSearch(src, '\n');
    this.colon = new CharSearch(src, ':');
    this.hash = new CharSearch(src, '#');
    this.quote = new CharSearch(src, '"');
    this.backslash = new CharSearch(src, '\\');
  }

  stream(): unknown[] {
    const docs: unknown[] = [];
    this.nextContentLine(0);
    for (;;) {
      let explicit = false;
      if (this.line < this.len && this.isMarker(this.line)) {
        explicit = true;
        // `---` may be followed by spaces and a comment only.
        const after = this.skipSpaces(this.line + 3);
        const c = this.src.charCodeAt(after);
        if (after < this.len && c !== NL && !(c === HASH && after > this.line + 3)) decline();
        this.nextContentLine(this.lineEnd(after) + 1);
      }
      if (this.ind >= 0) {
        docs.push(this.blockNode(-1));
        if (this.ind >= 0) decline(); // more content after the document's root node
      } else if (explicit) docs.push(null);
      if (this.line >= this.len) return docs;
    }
  }

  /** `---` at the start of a line, followed by a space, a line break or the end. */
  private isMarker(p: number): boolean {
    const s = this.src;
    if (s.charCodeAt(p) !== DASH || s.charCodeAt(p + 1) !== DASH || s.charCodeAt(p + 2) !== DASH) return false;
    const c = s.charCodeAt(p + 3);
    return p + 3 >= this.len || c === SPACE || c === NL;
  }

  private skipSpaces(p: number): number {
    const s = this.src;
    // Bounded: a read past the end (NaN) threw the optimised code away at the end of the first file ending in spaces.
    const len = this.len;
    while (p < len && s.charCodeAt(p) === SPACE) p++;
    return p;
  }

  private lineEnd(p: number): number {
    const e = this.src.indexOf('\n', p);
    return e === -1 ? this.len : e;
  }

  /**
   * Moves to the first line at or after `p` (a line start) that holds something other than spaces and a comment; sets
   * `ind` to its indentation, or -1 at a `---` line or the end. Declines `...`, directives and indented markers.
   */
  private nextContentLine(p: number): void {
    const s = this.src;
    const len = this.len;
    while (p < len) {
      const q = this.skipSpaces(p);
      const c = s.charCodeAt(q);
      if (q >= len) break;
      if (c === NL) {
        p = q + 1;
        continue;
      }
      if (c === HASH) {
        p = this.lineEnd(q) + 1;
        continue;
      }
      this.line = p;
      if (c === DASH && this.isMarker(q)) {
        if (q !== p) decline();
        this.ind = -1;
        return;
      }
      if (c === 46 /* . */ && s.charCodeAt(q + 1) === 46 && s.charCodeAt(q + 2) === 46) decline();
      if (c === 37 /* % */ && q === p) decline();
      this.ind = q - p;
      return;
    }
    this.line = len;
    this.ind = -1;
  }

  /** The node on the current content line, which is indented more than its parent (at `parent`). */
  private blockNode(parent: number): unknown {
    if (++this.depth > MAX_DEPTH) decline();
    const col = this.ind;
    const p = this.line + col;
    const s = this.src;
    let value: unknown;
    let end: number;
    if (s.charCodeAt(p) === DASH && this.spaceOrEnd(p + 1)) value = this.blockSequence(col);
    else if ((end = this.keyEnd(p)) >= 0) value = this.blockMapping(col, p, end);
    else value = this.inlineValue(p, parent, false);
    this.depth--;
    return value;
  }

  /** The first ` #` (a comment) whose `#` is at or after `q` and before `end`, or `end`. */
  private commentBefore(q: number, end: number): number {
    let h = this.hash.next(q);
    while (h < end) {
      if (this.src.charCodeAt(h - 1) === SPACE) return h;
      h = this.hash.next(h + 1);
    }
    return end;
  }

  private spaceOrEnd(p: number): boolean {
    const c = this.src.charCodeAt(p);
    return p >= this.len || c === SPACE || c === NL;
  }

  /** The value of the plain scalar written from `p` to `e` (not empty), through the cache of recent scalars. */
  private plainValue(p: number, e: number): unknown {
    const s = this.src;
    const i = slot(s, p, e);
    const known = VALUE_TEXT[i];
    if (known !== undefined && known.length === e - p && s.startsWith(known, p)) return VALUE_OF[i];
    const text = s.slice(p, e);
    const value = resolvePlain(text);
    VALUE_TEXT[i] = text;
    VALUE_OF[i] = value;
    return value;
  }

  /** The key (as js-yaml's object-based map stores it) of the plain scalar written from `p` to `e` (not empty). */
  private plainKey(p: number, e: number): string {
    const s = this.src;
    const i = slot(s, p, e);
    const known = KEY_TEXT[i];
    if (known !== undefined && known.length === e - p && s.startsWith(known, p)) return KEY_OF[i]!;
    const text = s.slice(p, e);
    const key = String(resolvePlain(text));
    KEY_TEXT[i] = text;
    KEY_OF[i] = key;
    return key;
  }

  private blockSequence(col: number): unknown[] {
    const s = this.src;
    const list: unknown[] = [];
    for (;;) {
      const p = this.skipSpaces(this.line + col + 1);
      const c = s.charCodeAt(p);
      if (c === DASH && this.spaceOrEnd(p + 1)) decline(); // `- - a`
      let end: number;
      if (p < this.len && c !== NL && c !== HASH && (end = this.keyEnd(p)) >= 0) {
        if (++this.depth > MAX_DEPTH) decline();
        list.push(this.blockMapping(p - this.line, p, end));
        this.depth--;
      } else list.push(this.inlineValue(p, col, false));
      if (this.ind !== col) break;
      const q = this.line + col;
      if (!(s.charCodeAt(q) === DASH && this.spaceOrEnd(q + 1))) break;
    }
    return list;
  }

  /**
   * A block mapping whose keys are at column `col`; its first key starts at `first` (maybe after a `- `), its `:` at
   * `firstEnd`.
   */
  private blockMapping(col: number, first: number, firstEnd: number): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    let p = first;
    let end = firstEnd;
    for (;;) {
      const key = this.keyOf(p, end);
      if (key === '__proto__' || key === '<<' || Object.prototype.hasOwnProperty.call(map, key)) decline();
      map[key] = this.inlineValue(this.skipSpaces(end + 1), col, true);
      if (this.ind !== col) {
        if (this.ind > col) decline();
        return map;
      }
      p = this.line + col;
      end = this.keyEnd(p);
      if (end < 0) decline();
    }
  }

  /**
   * If a block mapping key starts at `p`, the position of its `:` (followed by a space or the line's end); else -1.
   * Keys are plain or quoted scalars on one line.
   */
  private keyEnd(p: number): number {
    const s = this.src;
    const c = s.charCodeAt(p);
    let q: number;
    if (c === 39 /* ' */ || c === 34 /* " */) {
      q = this.quotedEnd(p);
      if (q < 0) return -1;
      q = this.skipSpaces(q);
      return s.charCodeAt(q) === COLON && this.spaceOrEnd(q + 1) ? q : -1;
    }
    if ((c < 128 && NOT_PLAIN_START[c] === 1) || (c === DASH && this.spaceOrEnd(p + 1))) return -1;
    // The first `: ` (or `:` at the line's end) on the line, unless a comment comes before it.
    const nl = this.nl.next(p + 1);
    q = this.colon.next(p + 1);
    while (q < nl && !this.spaceOrEnd(q + 1)) q = this.colon.next(q + 1);
    if (q >= nl || this.commentBefore(p + 1, q) < q) return -1;
    return q;
  }

  /** The key (as js-yaml's object-based map stores it) written from `p` to its `:` at `end`. */
  private keyOf(p: number, end: number): string {
    const s = this.src;
    const c = s.charCodeAt(p);
    if (c === 39 || c === 34) return this.quoted(p);
    let e = end;
    while (s.charCodeAt(e - 1) === SPACE) e--;
    if (e - p > 1000) decline();
    return this.plainKey(p, e);
  }

  /**
   * The value written at `p` (after `key: ` or `- `; `parent` is the column of its mapping or sequence) up to the end
   * of its line, or below it when the line ends there; leaves the reader at the next content line.
   */
  private inlineValue(p: number, parent: number, inMapping: boolean): unknown {
    const s = this.src;
    const c = s.charCodeAt(p);
    if (p >= this.len || c === NL || c === HASH) {
      // Nothing on this line: the node is on the lines below, or it is null.
      this.nextContentLine(this.lineEnd(p) + 1);
      if (this.ind > parent) return this.blockNode(parent);
      if (inMapping && this.ind === parent && this.ind >= 0) {
        const q = this.line + parent;
        if (s.charCodeAt(q) === DASH && this.spaceOrEnd(q + 1)) {
          if (++this.depth > MAX_DEPTH) decline();
          const list = this.blockSequence(parent);
          this.depth--;
          return list;
        }
      }
      return null;
    }
    if (c === 124 /* | */ || c === 62 /* > */) return this.blockScalar(p, parent);
    let value: unknown;
    let end: number;
    if (c === 91 /* [ */ || c === 123 /* { */) {
      // Its further lines: indented more than its block collection, and (as js-yaml wants after a `---`) at least as
      // much as the line it starts on.
      const start = s.lastIndexOf('\n', p - 1) + 1;
      this.flowParent = Math.max(parent, this.skipSpaces(start) - start - 1);
      value = this.flow(p);
      end = this.end;
    } else if (c === 39 || c === 34) {
      value = this.quotedEnd(p) < 0 && parent >= 0 ? this.multiLineQuoted(p, parent) : this.quoted(p);
      end = this.end;
    } else {
      if (!this.plainStart(p)) decline();
      const q = this.plainLineEnd(p);
      let e = q;
      while (s.charCodeAt(e - 1) === SPACE) e--;
      if (s.charCodeAt(q) === NL && parent >= 0) {
        const more = this.plainContinuation(q + 1, parent);
        if (more !== undefined) {
          // A multi-line plain scalar: its line breaks fold into spaces, its empty lines into `\n`.
          return resolvePlain(s.slice(p, e) + more);
        }
      }
      value = this.plainValue(p, e);
      end = e;
    }
    // Only spaces and a comment may follow on the line.
    const after = this.skipSpaces(end);
    const d = s.charCodeAt(after);
    if (after < this.len && d !== NL && !(d === HASH && after > end)) decline();
    this.nextContentLine(this.lineEnd(after) + 1);
    // A more indented line after a value on one line would continue a plain scalar, or be an error.
    if (this.ind > parent) decline();
    return value;
  }

  /**
   * Whether a plain scalar may start at `p`: not at an indicator, except `-`, `?` and `:` before a character that is
   * neither a space nor a flow indicator.
   */
  private plainStart(p: number): boolean {
    const c = this.src.charCodeAt(p);
    if ((c >= 128 || NOT_PLAIN_START[c] !== 1) && c !== DASH) return true;
    if (c !== DASH && c !== 63 /* ? */ && c !== COLON) return false;
    const n = this.src.charCodeAt(p + 1);
    return !(this.spaceOrEnd(p + 1) || (n < 128 && FLOW_INDICATOR[n] === 1));
  }

  /** Where the line of a plain scalar (block context) starting at `p` ends: the line break or a comment. */
  private plainLineEnd(p: number): number {
    const end = this.commentBefore(p + 1, this.nl.next(p + 1));
    for (let q = this.colon.next(p + 1); q < end; q = this.colon.next(q + 1)) {
      if (this.spaceOrEnd(q + 1)) decline(); // `: ` inside a value is an error js-yaml reports
    }
    return end;
  }

  /**
   * The folded continuation lines (indented more than `parent`) of a plain scalar whose first line ended at the line
   * start `at`, or undefined when there are none; leaves the reader at the next content line.
   */
  private plainContinuation(at: number, parent: number): string | undefined {
    const s = this.src;
    let out: string | undefined;
    let empties = 0;
    for (;;) {
      const t = this.skipSpaces(at);
      if (t >= this.len) break;
      const c = s.charCodeAt(t);
      if (c === NL) {
        empties++;
        at = t + 1;
        continue;
      }
      if (t - at <= parent || c === HASH) break;
      // Continuation lines that look like something else are left to js-yaml.
      if (c === 46 /* . */ || c === 63 /* ? */ || c === COLON) decline();
      if (c === DASH && (this.spaceOrEnd(t + 1) || s.charCodeAt(t + 1) === DASH)) decline(); // `-}}` goes on
      const q = this.plainLineEnd(t);
      let e = q;
      while (s.charCodeAt(e - 1) === SPACE) e--;
      out = (out ?? '') + (empties === 0 ? ' ' : '\n'.repeat(empties)) + s.slice(t, e);
      empties = 0;
      if (s.charCodeAt(q) !== NL) {
        // A comment ends the scalar; whatever follows must be less indented.
        at = this.lineEnd(q) + 1;
        break;
      }
      at = q + 1;
    }
    if (out === undefined) return undefined;
    this.nextContentLine(Math.min(at, this.len));
    if (this.ind > parent) decline();
    return out;
  }

  /** The end of the quoted scalar at `p` when it closes on the same line, else -1. */
  private quotedEnd(p: number): number {
    const s = this.src;
    const quote = s.charCodeAt(p);
    if (quote === 34) {
      // Most double-quoted scalars hold no backslash: their end is the next `"`, on the same line.
      const close = this.quote.next(p + 1);
      if (close < this.nl.next(p + 1) && this.backslash.next(p + 1) > close) return close + 1;
    }
    for (let q = p + 1; q < this.len; q++) {
      const d = s.charCodeAt(q);
      if (d === NL) return -1;
      if (quote === 39) {
        if (d === 39) {
          if (s.charCodeAt(q + 1) === 39) q++;
          else return q + 1;
        }
      } else if (d === 92 /* \ */) q++;
      else if (d === 34) return q + 1;
    }
    return -1;
  }

  /** A single- or double-quoted scalar on one line; `end` is set after its closing quote. */
  private quoted(p: number): string {
    const s = this.src;
    const end = this.quotedEnd(p);
    if (end < 0) decline();
    this.end = end;
    const body = s.slice(p + 1, end - 1);
    if (s.charCodeAt(p) === 39) return body.indexOf("'") < 0 ? body : body.replaceAll("''", "'");
    return body.indexOf('\\') < 0 ? body : unescape(body);
  }

  /**
   * A quoted scalar that goes on over more lines (each indented more than `parent`): its line breaks fold into
   * spaces, its empty lines into `\n`, spaces around a break are dropped. In a double-quoted one, a backslash on any
   * line but the last (an escaped line break or space) is left to js-yaml.
   */
  private multiLineQuoted(p: number, parent: number): string {
    const s = this.src;
    const single = s.charCodeAt(p) === 39;
    let lineEnd = this.lineEnd(p);
    let value = s.slice(p + 1, lineEnd);
    let e = value.length;
    while (value.charCodeAt(e - 1) === SPACE) e--;
    value = value.slice(0, e);
    if (!single && value.indexOf('\\') >= 0) decline();
    let empties = 0;
    for (;;) {
      if (lineEnd >= this.len) decline(); // never closed
      const at = lineEnd + 1;
      const t = this.skipSpaces(at);
      if (t >= this.len) decline();
      if (s.charCodeAt(t) === NL) {
        empties++;
        lineEnd = t;
        continue;
      }
      if (t - at <= parent) decline();
      const close = this.closingQuote(t, single);
      const fold = empties === 0 ? ' ' : '\n'.repeat(empties);
      empties = 0;
      if (close >= 0) {
        value += fold + s.slice(t, close);
        this.end = close + 1;
        return single ? value.replaceAll("''", "'") : value.indexOf('\\') < 0 ? value : unescape(value);
      }
      lineEnd = this.lineEnd(t);
      let segment = s.slice(t, lineEnd);
      let f = segment.length;
      while (segment.charCodeAt(f - 1) === SPACE) f--;
      segment = segment.slice(0, f);
      if (!single && segment.indexOf('\\') >= 0) decline();
      value += fold + segment;
    }
  }

  /** The closing quote on the line from `p` (inside a quoted scalar), or -1. */
  private closingQuote(p: number, single: boolean): number {
    const s = this.src;
    for (let q = p; q < this.len; q++) {
      const d = s.charCodeAt(q);
      if (d === NL) return -1;
      if (single) {
        if (d === 39) {
          if (s.charCodeAt(q + 1) === 39) q++;
          else return q;
        }
      } else if (d === 92) q++;
      else if (d === 34) return q;
    }
    return -1;
  }

  /** A `[…]` or `{…}` collection; line breaks may come between its entries. `end` is set after it. */
  private flow(p: number): unknown {
    if (++this.depth > MAX_DEPTH) decline();
    const s = this.src;
    const open = s.charCodeAt(p);
    const close = open === 91 ? 93 : 125;
    let q = this.flowSpace(p + 1);
    let value: unknown;
    if (s.charCodeAt(q) === close) {
      value = open === 91 ? [] : {};
      q++;
    } else if (open === 91) {
      const list: unknown[] = [];
      for (;;) {
        list.push(this.flowItem(q));
        q = this.flowSpace(this.end);
        const d = s.charCodeAt(q);
        if (d === 93) {
          q++;
          break;
        }
        if (d !== 44 /* , */) decline();
        q = this.flowSpace(q + 1);
        if (s.charCodeAt(q) === 93) decline(); // a trailing comma
      }
      value = list;
    } else {
      const map: Record<string, unknown> = {};
      for (;;) {
        const c = s.charCodeAt(q);
        let key: string;
        if (c === 39 || c === 34) {
          key = this.quoted(q);
          q = this.skipSpaces(this.end);
        } else {
          const e = this.flowPlainEnd(q);
          if (e === q) decline();
          key = this.plainKey(q, e);
          q = this.skipSpaces(e);
        }
        if (s.charCodeAt(q) !== COLON || s.charCodeAt(q + 1) !== SPACE) decline();
        if (key === '__proto__' || key === '<<' || Object.prototype.hasOwnProperty.call(map, key)) decline();
        map[key] = this.flowItem(this.skipSpaces(q + 1));
        q = this.flowSpace(this.end);
        const d = s.charCodeAt(q);
        if (d === 125) {
          q++;
          break;
        }
        if (d !== 44) decline();
        q = this.flowSpace(q + 1);
        if (s.charCodeAt(q) === 125) decline();
      }
      value = map;
    }
    this.depth--;
    this.end = q;
    return value;
  }

  /**
   * Skips spaces inside a flow collection, and line breaks between its entries: each further line must be indented
   * more than `flowParent` (and at least by one). Empty lines and comments are left to js-yaml.
   */
  private flowSpace(p: number): number {
    const s = this.src;
    let q = this.skipSpaces(p);
    while (s.charCodeAt(q) === NL) {
      const at = q + 1;
      q = this.skipSpaces(at);
      const c = s.charCodeAt(q);
      if (q >= this.len || c === NL || c === HASH || q - at <= this.flowParent || q === at) decline();
    }
    return q;
  }

  /** An item of a flow collection at `p`; `end` is set after it. */
  private flowItem(p: number): unknown {
    const c = this.src.charCodeAt(p);
    if (c === 91 || c === 123) return this.flow(p);
    if (c === 39 || c === 34) return this.quoted(p);
    const e = this.flowPlainEnd(p);
    if (e === p) decline();
    // `a: b` inside a sequence, or a key without a value: left to js-yaml.
    if (this.src.charCodeAt(this.skipSpaces(e)) === COLON) decline();
    this.end = e;
    return this.plainValue(p, e);
  }

  /**
   * The end (trailing spaces excluded) of a plain scalar inside a flow collection at `p`: up to a flow indicator,
   * `: ` or the line's end (` #` is declined).
   */
  private flowPlainEnd(p: number): number {
    const s = this.src;
    if (!this.plainStart(p)) decline();
    let q = p;
    for (; q < this.len; q++) {
      const d = s.charCodeAt(q);
      // At a line break the scalar ends; what follows must be `,` or the end (a continued scalar is declined there).
      if (d === NL || (d < 128 && FLOW_INDICATOR[d] === 1)) break;
      if (d === COLON) {
        const n = s.charCodeAt(q + 1);
        if (n === SPACE || n === NL || (n < 128 && FLOW_INDICATOR[n] === 1)) break;
      } else if (d === HASH && s.charCodeAt(q - 1) === SPACE) decline();
    }
    if (q >= this.len) decline();
    let e = q;
    while (e > p && s.charCodeAt(e - 1) === SPACE) e--;
    return e;
  }

  /** A `|` or `>` block scalar whose header is at `p`; `parent` is the indentation of its mapping or sequence. */
  private blockScalar(p: number, parent: number): string {
    const s = this.src;
    const folded = s.charCodeAt(p) === 62;
    let q = p + 1;
    let chomp = 0; // -1 strip, 0 clip, 1 keep
    const h = s.charCodeAt(q);
    if (h === DASH) {
      chomp = -1;
      q++;
    } else if (h === 43 /* + */) {
      chomp = 1;
      q++;
    }
    const after = this.skipSpaces(q);
    const d = s.charCodeAt(after);
    if (after < this.len && d !== NL && !(d === HASH && after > q)) decline(); // indentation indicators, or text
    if (parent < 0) decline();
    let at = this.lineEnd(after) + 1;
    let indent = -1;
    let leadingEmpty = 0; // most spaces on an empty line before the first text line
    const lines: string[] = [];
    let lastText = -1;
    while (at < this.len) {
      const t = this.skipSpaces(at);
      const spaces = t - at;
      if (t >= this.len) {
        if (spaces > 0) decline(); // the text ends on spaces without a line break
        break;
      }
      if (s.charCodeAt(t) === NL) {
        if (indent < 0) leadingEmpty = Math.max(leadingEmpty, spaces);
        else if (spaces > indent) decline(); // spaces beyond the indentation on an otherwise empty line
        lines.push('');
        at = t + 1;
        continue;
      }
      if (indent < 0) {
        if (spaces <= parent) break;
        if (leadingEmpty > spaces) decline();
        indent = spaces;
      } else if (spaces < indent) break;
      const e = this.lineEnd(t);
      lines.push(s.slice(at + indent, e));
      lastText = lines.length - 1;
      at = e + 1;
    }
    let body = '';
    if (lastText >= 0) {
      if (!folded) body = lines.slice(0, lastText + 1).join('\n');
      else {
        body = lines[0]!;
        let empties = 0;
        let previousSpaced = body.charCodeAt(0) === SPACE;
        for (let i = 1; i <= lastText; i++) {
          const line = lines[i]!;
          if (line === '') {
            empties++;
            continue;
          }
          const spaced = line.charCodeAt(0) === SPACE;
          body += (!previousSpaced && !spaced ? (empties === 0 ? ' ' : '\n'.repeat(empties)) : '\n'.repeat(empties + 1)) + line;
          previousSpaced = spaced;
          empties = 0;
        }
        if (lines[0] === '') decline(); // leading empty lines of a folded scalar
      }
    }
    const trailing = lines.length - 1 - lastText;
    let value: string;
    if (chomp < 0) value = body;
    else if (chomp === 0) value = lastText >= 0 ? body + '\n' : '';
    else value = lastText >= 0 ? body + '\n' + '\n'.repeat(trailing) : '\n'.repeat(trailing);
    this.nextContentLine(Math.min(at, this.len));
    if (this.ind > parent) decline();
    return value;
  }
}

/** The value of a double-quoted scalar's text (between its quotes): its escapes replaced; unknown ones declined. */
function unescape(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const e = body[++i];
    const simple = e === undefined ? undefined : ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
      continue;
    }
    const digits = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (digits === 0) decline();
    const hex = body.slice(i + 1, i + 1 + digits);
    if (hex.length !== digits || !/^[0-9a-fA-F]+$/.test(hex)) decline();
    const code = parseInt(hex, 16);
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) decline();
    out += String.fromCodePoint(code);
    i += digits;
  }
  return out;
}

const ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\x85',
  _: '\xa0',
  L: '\u2028',
  P: '\u2029',
};

/**
 * indexOf of one character, remembered: the answer for a position is the last one unless the position is before the
 * last search's start or past its answer; then searched again. The text's length when there is none.
 */
export class CharSearch {
  private from = 0;
  private at = -1;
  constructor(
    private readonly text: string,
    private readonly char: string,
  ) {}

  next(q: number): number {
    if (q > this.at || q < this.from) {
      const i = this.text.indexOf(this.char, q);
      this.from = q;
      this.at = i < 0 ? this.text.length : i;
    }
    return this.at;
  }
}
