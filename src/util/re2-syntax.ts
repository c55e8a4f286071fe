/**
 * The syntax of RE2 regular expressions as Go's regexp/syntax parses them with the Perl flags that regexp.Compile
 * uses — the regex dialect of Prometheus 2.42 and Alertmanager 0.25 (both built with Go 1.19). Written from the RE2
 * syntax reference and the regexp/syntax documentation; it decides validity only (JavaScript evaluates, see
 * util/regex.ts), with Go's error wording and the offset of the offending text.
 */

export interface Re2SyntaxError {
  /** Go's wording, e.g. "invalid escape sequence: `\1`". */
  message: string;
  /** UTF-16 offsets into the checked pattern. */
  offset: number;
  end: number;
}

/** Go's limits (regexp/syntax): repeat counts, nesting height of the parse tree, program size. */
const MAX_REPEAT = 1000;
const MAX_HEIGHT = 1000;
const MAX_SIZE = Math.floor((128 << 20) / 40);

const POSIX_CLASSES = new Set(['alnum', 'alpha', 'ascii', 'blank', 'cntrl', 'digit', 'graph', 'lower', 'print', 'punct', 'space', 'upper', 'word', 'xdigit']);

const UNICODE_CATEGORIES = new Set(
  'C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(' '),
);

/** Go 1.19's unicode.Scripts (Unicode 13.0.0): the scripts of Unicode 14 and later are unknown to it. */
const UNICODE_SCRIPTS = new Set(
  `Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak Bengali Bhaiksuki Bopomofo
  Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian Caucasian_Albanian Chakma Cham Cherokee Chorasmian Common
  Coptic Cuneiform Cypriot Cyrillic Deseret Devanagari Dives_Akuru Dogra Duployan Egyptian_Hieroglyphs Elbasan Elymaic
  Ethiopic Georgian Glagolitic Gothic Grantha Greek Gujarati Gunjala_Gondi Gurmukhi Han Hangul Hanifi_Rohingya Hanunoo
  Hatran Hebrew Hiragana Imperial_Aramaic Inherited Inscriptional_Pahlavi Inscriptional_Parthian Javanese Kaithi
  Kannada Katakana Kayah_Li Kharoshthi Khitan_Small_Script Khmer Khojki Khudawadi Lao Latin Lepcha Limbu Linear_A
  Linear_B Lisu Lycian Lydian Mahajani Makasar Malayalam Mandaic Manichaean Marchen Masaram_Gondi Medefaidrin
  Meetei_Mayek Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mongolian Mro Multani Myanmar Nabataean
  Nandinagari New_Tai_Lue Newa Nko Nushu Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Old_Hungarian Old_Italic
  Old_North_Arabian Old_Permic Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic Oriya Osage Osmanya Pahawh_Hmong
  Palmyrene Pau_Cin_Hau Phags_Pa Phoenician Psalter_Pahlavi Rejang Runic Samaritan Saurashtra Sharada Shavian Siddham
  SignWriting Sinhala Sogdian Sora_Sompeng Soyombo Sundanese Syloti_Nagri Syriac Tagalog Tagbanwa Tai_Le Tai_Tham
  Tai_Viet Takri Tamil Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta Ugaritic Vai Wancho Warang_Citi Yezidi Yi
  Zanabazar_Square`.split(/\s+/),
);

/** A parse-tree node, reduced to what Go's limits measure. */
interface Node {
  op: 'literal' | 'leaf' | 'empty' | 'capture' | 'star' | 'plus' | 'quest' | 'repeat' | 'concat' | 'alternate';
  subs: Node[];
  runes: number;
  min: number;
  max: number;
  height: number;
  size: number;
  /** A run of literals still being read: the next literal joins it, a repetition takes its last rune. */
  open?: boolean;
}

function node(op: Node['op'], subs: Node[] = [], runes = 0, min = 0, max = 0): Node {
  const n: Node = { op, subs, runes, min, max, height: 1, size: 0 };
  for (const s of subs) n.height = Math.max(n.height, s.height + 1);
  const sub = subs[0]?.size ?? 0;
  let size = 0;
  switch (op) {
    case 'literal':
      size = runes;
      break;
    case 'capture':
    case 'star':
      size = 2 + sub;
      break;
    case 'plus':
    case 'quest':
      size = 1 + sub;
      break;
    case 'concat':
      size = subs.reduce((t, s) => t + s.size, 0);
      break;
    case 'alternate':
      size = subs.reduce((t, s) => t + s.size, 0) + subs.length - 1;
      break;
    case 'repeat':
      size = max === -1 ? (min === 0 ? 2 + sub : 1 + min * sub) : max * sub + (max - min);
      break;
    default:
  }
  n.size = Math.max(1, size);
  return n;
}

/** Go's repeatIsValid: nested counted repetitions may not multiply beyond 1000. */
function repeatIsValid(re: Node, n: number): boolean {
  let budget = n;
  if (re.op === 'repeat') {
    let m = re.max;
    if (m === 0) return true;
    if (m < 0) m = re.min;
    if (m > budget) return false;
    if (m > 0) budget = Math.floor(budget / m);
  }
  return re.subs.every((s) => repeatIsValid(s, budget));
}

class Fail {
  constructor(
    readonly code: string,
    readonly offset: number,
    readonly end: number,
    readonly expr: string,
  ) {}
}

/** An open group: where it started, whether it captures, and its alternatives so far. */
interface Frame {
  offset: number;
  capture: boolean;
  alternatives: Node[][];
}

const isAlnum = (c: string) => /^[0-9A-Za-z]$/.test(c);
const isOctal = (c: string | undefined) => c !== undefined && c >= '0' && c <= '7';
const isHex = (c: string | undefined) => c !== undefined && /^[0-9A-Fa-f]$/.test(c);

class Parser {
  private i = 0;
  private readonly frames: Frame[] = [{ offset: -1, capture: false, alternatives: [[]] }];
  /** Text of the repetition operator just parsed: Perl forbids stacking them (`a**`). */
  private lastRepeat: { start: number } | undefined;
  /** Where each group closed, by its opening offset: locates the `)` that closed a group it did not open. */
  readonly closedAt = new Map<number, number>();

  constructor(private readonly s: string) {}

  private fail(code: string, start: number, end: number): never {
    throw new Fail(code, start, end, this.s.slice(start, end));
  }

  /** One code point at `at`; a lone surrogate cannot be encoded as UTF-8. */
  private rune(at: number): string {
    const cp = this.s.codePointAt(at)!;
    if (cp >= 0xd800 && cp <= 0xdfff) this.fail('invalid UTF-8', at, at + 1);
    return String.fromCodePoint(cp);
  }

  private get items(): Node[] {
    const f = this.frames[this.frames.length - 1]!;
    return f.alternatives[f.alternatives.length - 1]!;
  }

  private push(n: Node) {
    const items = this.items;
    const last = items[items.length - 1];
    // Go keeps a run of literals as one node (`abc`), from which a repetition takes only the last rune.
    if (n.op === 'literal' && last?.op === 'literal' && last.open) {
      const run = node('literal', [], last.runes + 1);
      run.open = true;
      items[items.length - 1] = run;
      this.checkLimits(run);
      return;
    }
    if (n.op === 'literal') n.open = true;
    items.push(n);
    this.checkLimits(n);
  }

  private checkLimits(n: Node) {
    if (n.height > MAX_HEIGHT) throw new Fail('expression nests too deeply', 0, this.s.length, this.s);
    if (n.size > MAX_SIZE) throw new Fail('expression too large', 0, this.s.length, this.s);
  }

  parse(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i]!;
      const start = this.i;
      let repeated = false;
      switch (c) {
        case '(':
          if (s[this.i + 1] === '?') this.perlFlags();
          else {
            this.frames.push({ offset: start, capture: true, alternatives: [[]] });
            this.i++;
          }
          break;
        case '|': {
          const f = this.frames[this.frames.length - 1]!;
          f.alternatives.push([]);
          this.i++;
          break;
        }
        case ')':
          this.closeGroup(start);
          this.i++;
          break;
        case '^':
        case '$':
        case '.':
          this.push(node('leaf'));
          this.i++;
          break;
        case '[':
          this.charClass();
          break;
        case '*':
        case '+':
        case '?':
          this.i++;
          this.repeat(c === '*' ? 'star' : c === '+' ? 'plus' : 'quest', 0, 0, start);
          repeated = true;
          break;
        case '{': {
          const counts = this.repeatCounts();
          if (!counts) {
            this.push(node('literal', [], 1));
            this.i++;
            break;
          }
          const { min, max, end } = counts;
          if (min < 0 || min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) this.fail('invalid repeat count', start, end);
          this.i = end;
          this.repeat('repeat', min, max, start);
          repeated = true;
          break;
        }
        case '\\':
          this.escapeAtTop();
          break;
        default:
          this.push(node('literal', [], 1));
          this.i += this.rune(this.i).length;
      }
      if (!repeated) this.lastRepeat = undefined;
    }
    if (this.frames.length > 1) {
      const open = this.frames[this.frames.length - 1]!;
      throw new Fail('missing closing )', Math.max(open.offset, 0), s.length, s);
    }
    this.finish(this.frames[0]!);
  }

  private repeat(op: Node['op'], min: number, max: number, start: number) {
    if (this.s[this.i] === '?') this.i++; // non-greedy
    if (this.lastRepeat) this.fail('invalid nested repetition operator', this.lastRepeat.start, this.i);
    const items = this.items;
    if (items.length === 0) this.fail('missing argument to repetition operator', start, this.i);
    let sub = items.pop()!;
    // The operator applies to the last rune of a literal run only.
    if (sub.op === 'literal' && sub.open && sub.runes > 1) {
      items.push(node('literal', [], sub.runes - 1));
      sub = node('literal', [], 1);
    }
    const re = node(op, [sub], 0, min, max);
    items.push(re);
    this.checkLimits(re);
    if (op === 'repeat' && (min >= 2 || max >= 2) && !repeatIsValid(re, MAX_REPEAT)) this.fail('invalid repeat count', start, this.i);
    this.lastRepeat = { start };
  }

  /** `{n}`, `{n,}`, `{n,m}`: the counts and where they end; undefined when `{` is a literal. */
  private repeatCounts(): { min: number; max: number; end: number } | undefined {
    const s = this.s;
    let j = this.i + 1;
    const int = (): number | undefined => {
      if (!(s[j]! >= '0' && s[j]! <= '9')) return undefined;
      if (s[j] === '0' && s[j + 1]! >= '0' && s[j + 1]! <= '9') return undefined; // no leading zeros
      const from = j;
      while (s[j]! >= '0' && s[j]! <= '9') j++;
      const digits = s.slice(from, j);
      return digits.length > 9 ? -1 : Number(digits);
    };
    let min = int();
    if (min === undefined || j >= s.length) return undefined;
    let max: number;
    if (s[j] !== ',') max = min;
    else {
      j++;
      if (j >= s.length) return undefined;
      if (s[j] === '}') max = -1;
      else {
        const m = int();
        if (m === undefined) return undefined;
        max = m;
        if (m < 0) min = -1;
      }
    }
    if (s[j] !== '}') return undefined;
    return { min, max, end: j + 1 };
  }

  /** `(?flags)`, `(?flags:…)` and `(?P<name>…)`. */
  private perlFlags() {
    const s = this.s;
    const start = this.i;
    if (s.length - start > 4 && s[start + 2] === 'P' && s[start + 3] === '<') {
      const close = s.indexOf('>', start);
      if (close < 0) this.fail('invalid named capture', start, s.length);
      const name = s.slice(start + 4, close);
      if (!/^[A-Za-z0-9_]+$/.test(name)) this.fail('invalid named capture', start, close + 1);
      this.frames.push({ offset: start, capture: true, alternatives: [[]] });
      this.i = close + 1;
      return;
    }
    let j = start + 2;
    let negated = false;
    let sawFlag = false;
    while (j < s.length) {
      const c = this.rune(j);
      j += c.length;
      if ('imsU'.includes(c)) {
        sawFlag = true;
        continue;
      }
      if (c === '-') {
        if (negated) break;
        negated = true;
        sawFlag = false;
        continue;
      }
      if (c === ':' || c === ')') {
        if (negated && !sawFlag) break;
        if (c === ':') this.frames.push({ offset: start, capture: false, alternatives: [[]] });
        this.i = j;
        return;
      }
      break;
    }
    this.fail('invalid or unsupported Perl syntax', start, j);
  }

  private closeGroup(at: number) {
    if (this.frames.length === 1) throw new Fail('unexpected )', at, at + 1, this.s);
    const f = this.frames.pop()!;
    this.closedAt.set(f.offset, at);
    const inner = this.finish(f);
    const n = f.capture ? node('capture', [inner]) : inner;
    this.items.push(n.op === 'literal' ? node('literal', [], n.runes) : n);
    this.checkLimits(n);
  }

  private finish(f: Frame): Node {
    const branches = f.alternatives.map((items) => (items.length === 0 ? node('empty') : items.length === 1 ? items[0]! : node('concat', items)));
    const n = branches.length === 1 ? branches[0]! : node('alternate', branches);
    this.checkLimits(n);
    return n;
  }

  private escapeAtTop() {
    const s = this.s;
    const start = this.i;
    const next = s[start + 1];
    if (next !== undefined) {
      if ('AbBz'.includes(next)) {
        this.push(node('leaf'));
        this.i += 2;
        return;
      }
      if (next === 'C') this.fail('invalid escape sequence', start, start + 2);
      if (next === 'Q') {
        const close = s.indexOf('\\E', start + 2);
        const literal = close < 0 ? s.slice(start + 2) : s.slice(start + 2, close);
        for (let k = 0; k < literal.length; ) {
          const r = this.rune(start + 2 + k);
          this.push(node('literal', [], 1));
          k += r.length;
        }
        this.i = close < 0 ? s.length : close + 2;
        return;
      }
    }
    const end = this.unicodeClass(start) ?? this.perlClass(start);
    if (end !== undefined) {
      this.push(node('leaf'));
      this.i = end;
      return;
    }
    this.i = this.escape(start);
    this.push(node('literal', [], 1));
  }

  /** `\d \D \s \S \w \W`: the end offset, or undefined. */
  private perlClass(at: number): number | undefined {
    return this.s[at] === '\\' && 'dDsSwW'.includes(this.s[at + 1] ?? ' ') ? at + 2 : undefined;
  }

  /** `\pL`, `\p{Greek}`, `\P{^Greek}`: the end offset, or undefined when there is none at `at`. */
  private unicodeClass(at: number): number | undefined {
    const s = this.s;
    if (s[at] !== '\\' || (s[at + 1] !== 'p' && s[at + 1] !== 'P')) return undefined;
    let name: string;
    let end: number;
    if (s[at + 2] !== '{') {
      const r = at + 2 < s.length ? this.rune(at + 2) : '';
      end = at + 2 + r.length;
      name = r;
    } else {
      const close = s.indexOf('}', at);
      if (close < 0) this.fail('invalid character class range', at, s.length);
      end = close + 1;
      name = s.slice(at + 3, close);
    }
    if (name.startsWith('^')) name = name.slice(1);
    if (name !== 'Any' && !UNICODE_CATEGORIES.has(name) && !UNICODE_SCRIPTS.has(name)) this.fail('invalid character class range', at, end);
    return end;
  }

  /** A single-character escape (outside or inside a class): the offset after it. */
  private escape(at: number): number {
    const s = this.s;
    if (at + 1 >= s.length) throw new Fail('trailing backslash at end of expression', at, at + 1, '');
    const c = this.rune(at + 1);
    let j = at + 1 + c.length;
    if (c.length === 1 && c.charCodeAt(0) < 0x80 && !isAlnum(c)) return j; // escaped punctuation is itself
    if (c >= '1' && c <= '7' && !isOctal(s[j])) this.fail('invalid escape sequence', at, j); // a backreference
    if (c >= '0' && c <= '7') {
      for (let k = 1; k < 3 && isOctal(s[j]); k++) j++;
      return j;
    }
    if (c === 'x') {
      if (j >= s.length) this.fail('invalid escape sequence', at, j);
      if (s[j] === '{') {
        let k = j + 1;
        let value = 0;
        while (k < s.length && s[k] !== '}') {
          if (!isHex(s[k])) this.fail('invalid escape sequence', at, k + 1);
          value = value * 16 + parseInt(s[k]!, 16);
          if (value > 0x10ffff) this.fail('invalid escape sequence', at, k + 1);
          k++;
        }
        if (k >= s.length || k === j + 1) this.fail('invalid escape sequence', at, Math.min(k + 1, s.length));
        return k + 1;
      }
      if (!isHex(s[j]) || !isHex(s[j + 1])) this.fail('invalid escape sequence', at, Math.min(j + 2, s.length));
      return j + 2;
    }
    if ('afnrtv'.includes(c)) return j;
    this.fail('invalid escape sequence', at, j);
  }

  /** `[…]`, with ranges, negation, POSIX `[:alpha:]`, `\p{…}` and Perl classes inside. */
  private charClass() {
    const s = this.s;
    const start = this.i;
    let j = start + 1;
    if (s[j] === '^') j++;
    let first = true;
    const missing = () => this.fail('missing closing ]', start, s.length);
    while (j >= s.length || s[j] !== ']' || first) {
      first = false;
      if (s[j] === '[' && s[j + 1] === ':' && j + 2 < s.length) {
        const close = s.indexOf(':]', j + 2);
        if (close >= 0) {
          const name = s.slice(j + 2, close).replace(/^\^/, '');
          if (!POSIX_CLASSES.has(name)) this.fail('invalid character class range', j, close + 2);
          j = close + 2;
          continue;
        }
      }
      const special = this.unicodeClass(j) ?? this.perlClass(j);
      if (special !== undefined) {
        j = special;
        continue;
      }
      const rangeStart = j;
      const lo = this.classChar(j, missing);
      j = lo.end;
      let hi = lo.value;
      if (s[j] === '-' && j + 1 < s.length && s[j + 1] !== ']') {
        const h = this.classChar(j + 1, missing);
        j = h.end;
        hi = h.value;
        if (hi < lo.value) this.fail('invalid character class range', rangeStart, j);
      }
    }
    this.push(node('leaf'));
    this.i = j + 1;
  }

  private classChar(at: number, missing: () => never): { value: number; end: number } {
    const s = this.s;
    if (at >= s.length) missing();
    if (s[at] === '\\') {
      const end = this.escape(at);
      return { value: escapedValue(s.slice(at, end)), end };
    }
    const r = this.rune(at);
    return { value: r.codePointAt(0)!, end: at + r.length };
  }
}

/** The code point a valid single-character escape stands for. */
function escapedValue(esc: string): number {
  const c = esc[1]!;
  if (c >= '0' && c <= '7') return parseInt(esc.slice(1), 8);
  if (c === 'x') return parseInt(esc.slice(2).replace(/[{}]/g, ''), 16);
  const simple: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };
  return simple[c] ?? esc.codePointAt(1)!;
}

function toError(f: Fail, shift = 0, length = Infinity): Re2SyntaxError {
  const clamp = (n: number) => Math.min(Math.max(n - shift, 0), length);
  const offset = clamp(f.offset);
  // Go quotes the whole expression for some errors; a 100 kB pattern must not make a 100 kB message.
  const expr = f.expr.length > 60 ? `${f.expr.slice(0, 40)}…${f.expr.slice(-10)}` : f.expr;
  return { message: expr === '' ? f.code : `${f.code}: \`${expr}\``, offset, end: Math.max(clamp(f.end), offset) };
}

function run(pattern: string): { fail?: Fail; parser: Parser } {
  const parser = new Parser(pattern);
  try {
    parser.parse();
    return { parser };
  } catch (e) {
    if (e instanceof Fail) return { fail: e, parser };
    throw e;
  }
}

/** Why Go's regexp/syntax rejects `pattern` (parsed as is, with the Perl flags), or undefined when it parses. */
export function re2SyntaxError(pattern: string): Re2SyntaxError | undefined {
  const { fail } = run(pattern);
  return fail && toError(fail, 0, pattern.length);
}

const PREFIX = '^(?:';

/**
 * Why `pattern` fails where it is compiled anchored, `^(?:pattern)$` — Alertmanager matchers and label_replace() —
 * or undefined when it compiles. The anchoring decides validity (`a)(b` passes, `\Qa` does not); offsets and
 * wording stay the user's own where the anchoring is not involved.
 */
export function anchoredRe2SyntaxError(pattern: string): Re2SyntaxError | undefined {
  const wrapped = `${PREFIX}${pattern})$`;
  const { fail, parser } = run(wrapped);
  if (!fail) return undefined;
  const own = re2SyntaxError(pattern);
  const shift = PREFIX.length;
  const inWrapper = fail.offset < shift || fail.offset >= shift + pattern.length;
  if (fail.code === 'unexpected )') {
    // The user's stray `)` closed the anchoring group; Go then trips over the group's own `)`.
    const closer = parser.closedAt.get(PREFIX.length - 3);
    if (closer !== undefined && closer < shift + pattern.length) return { message: 'unexpected ): `)`', offset: closer - shift, end: closer - shift + 1 };
  }
  if (inWrapper && own) return own;
  if (inWrapper) {
    const hint = fail.code === 'missing closing )' && /\\Q/.test(pattern) ? ' (\\Q quotes up to \\E, and here it swallows the closing parenthesis of the anchoring)' : '';
    return { message: `${fail.code}${hint}`, offset: 0, end: pattern.length };
  }
  return toError(fail, shift, pattern.length);
}

/**
 * Why `pattern` fails as a PromQL label-matcher regex (`=~`, `!~`), or undefined when Prometheus 2.42 accepts it: it
 * compiles the pattern anchored and then parses it alone as well, so both must pass (`a)(b` fails here).
 */
export function prometheusMatcherRegexError(pattern: string): Re2SyntaxError | undefined {
  return anchoredRe2SyntaxError(pattern) ?? re2SyntaxError(pattern);
}
