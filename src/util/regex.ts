import { anchoredRe2SyntaxError } from './re2-syntax.ts';

const cache = new Map<string, RegExp | null>();

/**
 * A Prometheus (RE2) regex as JavaScript evaluates it (routing, test synthesis, emptiness): anchored as Prometheus and
 * Alertmanager anchor it, `^(?:…)$`, translated construct by construct into a `u`-mode RegExp that accepts the same
 * strings. Undefined when the pattern is not valid RE2 (util/re2-syntax.ts decides validity, never this) or uses the
 * one thing JavaScript cannot express here: case-insensitivity switched on or off in the middle (`a(?i)b`).
 * Compiled once per source.
 */
export function prometheusRegex(source: string): RegExp | undefined {
  let re = cache.get(source);
  if (re === undefined) {
    re = null;
    if (!anchoredRe2SyntaxError(source)) {
      const translated = translate(`^(?:${source})$`);
      if (translated) {
        try {
          re = new RegExp(translated.source, translated.ignoreCase ? 'iu' : 'u');
        } catch {
          re = null;
        }
      }
    }
    cache.set(source, re);
  }
  return re ?? undefined;
}

export interface Re2Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U?: boolean;
}

/** Code points as `\u{…}`: valid anywhere in a `u`-mode RegExp, in or out of a class, whatever the character. */
const cp = (c: number) => `\\u{${c.toString(16)}}`;
const range = (lo: number, hi: number) => (lo === hi ? cp(lo) : `${cp(lo)}-${cp(hi)}`);
const WORD = /[A-Za-z0-9_]/;

/** RE2's ASCII classes as code point ranges. */
const POSIX: Record<string, [number, number][]> = {
  alnum: [[48, 57], [65, 90], [97, 122]],
  alpha: [[65, 90], [97, 122]],
  ascii: [[0, 127]],
  blank: [[9, 9], [32, 32]],
  cntrl: [[0, 31], [127, 127]],
  digit: [[48, 57]],
  graph: [[33, 126]],
  lower: [[97, 122]],
  print: [[32, 126]],
  punct: [[33, 47], [58, 64], [91, 96], [123, 126]],
  space: [[9, 13], [32, 32]],
  upper: [[65, 90]],
  word: [[48, 57], [65, 90], [95, 95], [97, 122]],
  xdigit: [[48, 57], [65, 70], [97, 102]],
};
/** Perl `\s` in RE2 is ASCII only: `[\t\n\f\r ]` (JavaScript's `\s` also takes \v and Unicode spaces). */
const PERL_SPACE: [number, number][] = [[9, 10], [12, 13], [32, 32]];

function complement(ranges: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of [...ranges].sort((a, b) => a[0] - b[0])) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= 0x10ffff) out.push([next, 0x10ffff]);
  return out;
}
const ranges = (rs: [number, number][]) => rs.map(([lo, hi]) => range(lo, hi)).join('');

/** `\p…`: the JavaScript property escape, or undefined when there is none at `i`. */
function unicodeClass(s: string, i: number): { text: string; end: number } | undefined {
  if (s[i] !== '\\' || (s[i + 1] !== 'p' && s[i + 1] !== 'P')) return undefined;
  let negated = s[i + 1] === 'P';
  let name: string;
  let end: number;
  if (s[i + 2] === '{') {
    end = s.indexOf('}', i) + 1;
    name = s.slice(i + 3, end - 1);
  } else {
    name = String.fromCodePoint(s.codePointAt(i + 2)!);
    end = i + 2 + name.length;
  }
  if (name.startsWith('^')) {
    negated = !negated;
    name = name.slice(1);
  }
  if (name === 'Any') return { text: negated ? '' : range(0, 0x10ffff), end };
  const property = CATEGORIES.test(name) ? name : `Script=${name}`;
  return { text: `\\${negated ? 'P' : 'p'}{${property}}`, end };
}

/** `\d \D \w \W \s \S`, as the contents of a class. */
function perlClass(c: string): string | undefined {
  switch (c) {
    case 'd':
      return ranges([[48, 57]]);
    case 'D':
      return ranges(complement([[48, 57]]));
    case 'w':
      return ranges(POSIX.word!);
    case 'W':
      return ranges(complement(POSIX.word!));
    case 's':
      return ranges(PERL_SPACE);
    case 'S':
      return ranges(complement(PERL_SPACE));
    default:
      return undefined;
  }
}

const CATEGORIES = /^(?:C|Cc|Cf|Co|Cs|L|Ll|Lm|Lo|Lt|Lu|M|Mc|Me|Mn|N|Nd|Nl|No|P|Pc|Pd|Pe|Pf|Pi|Po|Ps|S|Sc|Sk|Sm|So|Z|Zl|Zp|Zs)$/;

const SIMPLE_ESCAPES: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };

/** A single-character escape of valid RE2 at `i` (`\x41`, `\101`, `\.`, `\n`): its code point and end. */
function escapedChar(s: string, i: number): { code: number; end: number } {
  const c = s[i + 1]!;
  if (c === 'x') {
    if (s[i + 2] === '{') {
      const close = s.indexOf('}', i);
      return { code: parseInt(s.slice(i + 3, close), 16), end: close + 1 };
    }
    return { code: parseInt(s.slice(i + 2, i + 4), 16), end: i + 4 };
  }
  if (c >= '0' && c <= '7') {
    let j = i + 2;
    while (j < i + 4 && s[j]! >= '0' && s[j]! <= '7') j++;
    return { code: parseInt(s.slice(i + 1, j), 8), end: j };
  }
  if (c in SIMPLE_ESCAPES) return { code: SIMPLE_ESCAPES[c]!, end: i + 2 };
  const code = s.codePointAt(i + 1)!;
  return { code, end: i + 1 + (code > 0xffff ? 2 : 1) };
}

/** A valid RE2 repetition `{n}`, `{n,}`, `{n,m}` at `i`: its end, or undefined when `{` is a literal there. */
function repeatEnd(s: string, i: number): number | undefined {
  const m = /^\{(?:0|[1-9][0-9]*)(?:,(?:0|[1-9][0-9]*)?)?\}/.exec(s.slice(i, i + 24));
  return m ? i + m[0].length : undefined;
}

/**
 * The JavaScript source accepting what valid RE2 `s` accepts. Flags s and m become local constructs; i becomes the
 * RegExp's flag when it holds for the whole pattern, and the translation gives up (undefined) when it does not.
 */
function translate(s: string): { source: string; ignoreCase: boolean } | undefined {
  const stack: Re2Flags[] = [];
  let flags: Re2Flags = { i: false, m: false, s: false };
  const caseModes = new Set<boolean>();
  let out = '';
  /** Where the last atom starts in `out`, and whether a quantifier already follows it. */
  let atom = 0;
  let quantified = false;
  const groupStarts: number[] = [];
  const names = new Map<string, number>();
  for (const m of s.matchAll(/\(\?P<(\w+)>/g)) names.set(m[1]!, (names.get(m[1]!) ?? 0) + 1);
  const quantifier = (text: string) => {
    // RE2 lets a repetition follow another once a flag group or `\Q\E` stands between them (`a*(?i)*`).
    if (quantified) out = `${out.slice(0, atom)}(?:${out.slice(atom)})`;
    out += text;
    quantified = true;
  };
  // Only characters with a case tell whether the case-insensitivity is uniform: `1(?i)a` can be read with the i flag.
  const literal = (code: number) => {
    const ch = String.fromCodePoint(code);
    if (ch.toLowerCase() !== ch.toUpperCase()) caseModes.add(flags.i);
    atom = out.length;
    out += cp(code);
  };
  const classText = (text: string) => {
    caseModes.add(flags.i);
    atom = out.length;
    out += text;
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    const before = out.length;
    const wasQuantified: boolean = quantified;
    if (c !== '*' && c !== '+' && c !== '?' && !(c === '{' && repeatEnd(s, i) !== undefined)) quantified = false;
    if (c === '(') {
      stack.push(flags);
      groupStarts.push(before);
      if (s[i + 1] !== '?') {
        out += '(';
        i++;
        continue;
      }
      if (s[i + 2] === 'P') {
        // Keep the name where JavaScript can (label_replace's `${name}`): unique, not starting with a digit.
        const close = s.indexOf('>', i);
        const name = s.slice(i + 4, close);
        out += /^[A-Za-z_]\w*$/.test(name) && names.get(name) === 1 ? `(?<${name}>` : '(';
        i = close + 1;
        continue;
      }
      let j = i + 2;
      const next = { ...flags };
      let on = true;
      while (s[j] !== ':' && s[j] !== ')') {
        const f = s[j]!;
        if (f === '-') on = false;
        else if (f === 'i' || f === 'm' || f === 's') next[f] = on;
        j++;
      }
      if (s[j] === ')') {
        stack.pop();
        groupStarts.pop();
        flags = next; // (?i) changes the flags up to the end of the enclosing group
        quantified = wasQuantified;
      } else {
        flags = next;
        out += '(?:';
      }
      i = j + 1;
      continue;
    }
    if (c === ')') {
      flags = stack.pop() ?? flags;
      atom = groupStarts.pop() ?? 0;
      out += ')';
      i++;
      continue;
    }
    if (c === '|') {
      out += '|';
      i++;
      continue;
    }
    if (c === '^') {
      atom = before;
      out += flags.m ? '(?:(?<=^|\\n))' : '(?:^)';
      i++;
      continue;
    }
    if (c === '$') {
      atom = before;
      out += flags.m ? '(?:(?=$|\\n))' : '(?:$)';
      i++;
      continue;
    }
    if (c === '.') {
      atom = before;
      out += flags.s ? '[\\s\\S]' : '[^\\n]';
      i++;
      continue;
    }
    if (c === '*' || c === '+' || c === '?') {
      quantifier(c);
      i++;
      if (s[i] === '?') i++; // greediness does not change which strings match
      continue;
    }
    if (c === '{') {
      const end = repeatEnd(s, i);
      if (end === undefined) {
        literal(0x7b);
      } else quantifier(s.slice(i, end));
      i = end ?? i + 1;
      if (end !== undefined && s[i] === '?') i++;
      continue;
    }
    if (c === '[') {
      const cls = translateClass(s, i);
      classText(cls.text);
      i = cls.end;
      continue;
    }
    if (c === '\\') {
      const e = s[i + 1]!;
      const previous = atom;
      atom = before;
      if (e === 'A' || e === 'z') {
        out += e === 'A' ? '(?:^)' : '(?:$)';
        i += 2;
      } else if (e === 'b' || e === 'B') {
        out += `(?:\\${e})`;
        i += 2;
      } else if (e === 'Q') {
        const close = s.indexOf('\\E', i + 2);
        const text = close < 0 ? s.slice(i + 2) : s.slice(i + 2, close);
        for (const ch of text) literal(ch.codePointAt(0)!);
        if (text === '') {
          quantified = wasQuantified;
          atom = previous;
        }
        i = close < 0 ? s.length : close + 2;
      } else if (unicodeClass(s, i)) {
        const u = unicodeClass(s, i)!;
        classText(`[${u.text}]`);
        i = u.end;
      } else if (perlClass(e) !== undefined) {
        out += `[${perlClass(e)}]`; // holds both cases of every letter it holds: no case mode to keep
        i += 2;
      } else {
        const { code, end } = escapedChar(s, i);
        literal(code);
        i = end;
      }
      continue;
    }
    const code = s.codePointAt(i)!;
    if (code < 128 && WORD.test(c)) {
      if (/[A-Za-z]/.test(c)) caseModes.add(flags.i);
      atom = before;
      out += c;
    } else literal(code);
    i += code > 0xffff ? 2 : 1;
  }
  if (caseModes.size > 1) return undefined;
  return { source: out, ignoreCase: caseModes.has(true) };
}

/** A bracket expression of valid RE2 at `start`: its JavaScript class and end. */
function translateClass(s: string, start: number): { text: string; end: number } {
  let i = start + 1;
  let negated = false;
  if (s[i] === '^') {
    negated = true;
    i++;
  }
  let body = '';
  let first = true;
  while (s[i] !== ']' || first) {
    first = false;
    if (s[i] === '[' && s[i + 1] === ':') {
      const close = s.indexOf(':]', i + 2);
      if (close >= 0) {
        const name = s.slice(i + 2, close);
        const set = POSIX[name.replace(/^\^/, '')]!;
        body += ranges(name.startsWith('^') ? complement(set) : set);
        i = close + 2;
        continue;
      }
    }
    const u = unicodeClass(s, i);
    if (u) {
      body += u.text;
      i = u.end;
      continue;
    }
    if (s[i] === '\\' && perlClass(s[i + 1]!) !== undefined) {
      body += perlClass(s[i + 1]!);
      i += 2;
      continue;
    }
    const lo = classChar(s, i);
    i = lo.end;
    if (s[i] === '-' && s[i + 1] !== ']') {
      const hi = classChar(s, i + 1);
      body += range(lo.code, hi.code);
      i = hi.end;
    } else body += cp(lo.code);
  }
  // An empty JavaScript class `[]` matches nothing, `[^]` anything: the same as RE2's empty and full sets.
  return { text: `[${negated ? '^' : ''}${body}]`, end: i + 1 };
}

function classChar(s: string, i: number): { code: number; end: number } {
  if (s[i] === '\\') return escapedChar(s, i);
  const code = s.codePointAt(i)!;
  return { code, end: i + (code > 0xffff ? 2 : 1) };
}

/**
 * The single-character atom of valid RE2 at `i` — a bracket expression, an escape, a Unicode or Perl class, or a plain
 * character (a `{` that starts no repetition included) — as a JavaScript `u`-mode source matching one code point.
 */
export function classSource(s: string, i: number): { source: string; end: number } {
  if (s[i] === '[') {
    const cls = translateClass(s, i);
    return { source: cls.text, end: cls.end };
  }
  if (s[i] === '\\') {
    const u = unicodeClass(s, i);
    if (u) return { source: `[${u.text}]`, end: u.end };
    const perl = perlClass(s[i + 1]!);
    if (perl !== undefined) return { source: `[${perl}]`, end: i + 2 };
    const { code, end } = escapedChar(s, i);
    return { source: cp(code), end };
  }
  const code = s.codePointAt(i)!;
  return { source: cp(code), end: i + (code > 0xffff ? 2 : 1) };
}
