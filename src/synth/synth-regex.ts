import { anchoredRegex } from './synth-eval.ts';

/**
 * Strings that a (RE2, fully anchored) label regex matches, shortest first, for label values of synthesized series:
 * `5..` → `500`, `api|web` → `api`, `node-[0-9]+` → `node-0`. Covers literals, `.`, classes, escapes, groups,
 * alternation and quantifiers; every candidate is checked against the real regex, so a construct read wrongly only
 * costs a candidate.
 */
export function regexExamples(source: string, limit = 20): string[] {
  let node: Node;
  try {
    const body = source.replace(/^\(\?[imsU]+\)/, '');
    const parser = new Parser(body);
    node = parser.alternation();
    if (parser.pos < body.length) return [];
  } catch {
    return [];
  }
  const re = anchoredRegex(source);
  const out: string[] = [];
  for (const s of generate(node, limit * 4)) {
    if (!out.includes(s) && re.test(s)) out.push(s);
    if (out.length >= limit) break;
  }
  return out;
}

type Node =
  | { kind: 'alt'; options: Node[] }
  | { kind: 'seq'; items: Node[] }
  | { kind: 'chars'; choices: string[] }
  | { kind: 'repeat'; node: Node; min: number; max: number };

const DIGITS = '0123456789';
const WORD = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_';
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');

class Parser {
  pos = 0;
  constructor(private readonly s: string) {}

  alternation(): Node {
    const options = [this.sequence()];
    while (this.s[this.pos] === '|') {
      this.pos++;
      options.push(this.sequence());
    }
    return options.length === 1 ? options[0]! : { kind: 'alt', options };
  }

  private sequence(): Node {
    const items: Node[] = [];
    while (this.pos < this.s.length && this.s[this.pos] !== '|' && this.s[this.pos] !== ')') items.push(this.quantified());
    return { kind: 'seq', items };
  }

  private quantified(): Node {
    let node = this.atom();
    for (;;) {
      const c = this.s[this.pos];
      let min: number;
      let max: number;
      if (c === '*') [min, max] = [0, Infinity];
      else if (c === '+') [min, max] = [1, Infinity];
      else if (c === '?') [min, max] = [0, 1];
      else if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.pos));
        if (!m) return node;
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
        this.pos += m[0].length - 1;
      } else return node;
      this.pos++;
      if (this.s[this.pos] === '?') this.pos++;
      node = { kind: 'repeat', node, min, max };
    }
  }

  private atom(): Node {
    const c = this.s[this.pos++]!;
    if (c === '(') {
      if (this.s.startsWith('?:', this.pos)) this.pos += 2;
      else if (this.s.startsWith('?P<', this.pos) || this.s.startsWith('?<', this.pos)) this.pos = this.s.indexOf('>', this.pos) + 1;
      const inner = this.alternation();
      if (this.s[this.pos] !== ')') throw new Error('unclosed group');
      this.pos++;
      return inner;
    }
    if (c === '[') return this.charClass();
    if (c === '.') return { kind: 'chars', choices: ['0', 'x', 'a'] };
    if (c === '^' || c === '$') return { kind: 'seq', items: [] };
    if (c === '\\') return this.escape();
    return { kind: 'chars', choices: [c] };
  }

  private escape(): Node {
    const e = this.s[this.pos++];
    if (e === undefined) throw new Error('dangling escape');
    if (e === 'd') return { kind: 'chars', choices: ['0', '1'] };
    if (e === 'w') return { kind: 'chars', choices: ['a', 'x'] };
    if (e === 's') return { kind: 'chars', choices: [' '] };
    if (e === 'D') return { kind: 'chars', choices: ['a'] };
    if (e === 'W' || e === 'S') return { kind: 'chars', choices: ['-'] };
    if (/[a-zA-Z0-9]/.test(e)) throw new Error(`escape \\${e}`);
    return { kind: 'chars', choices: [e] };
  }

  private charClass(): Node {
    let negated = false;
    if (this.s[this.pos] === '^') {
      negated = true;
      this.pos++;
    }
    const set = new Set<string>();
    let first = true;
    while (this.pos < this.s.length && (this.s[this.pos] !== ']' || first)) {
      first = false;
      let c = this.s[this.pos++]!;
      if (c === '[' && this.s[this.pos] === ':') {
        const end = this.s.indexOf(':]', this.pos);
        const name = this.s.slice(this.pos + 1, end);
        this.pos = end + 2;
        const named: Record<string, string> = { digit: DIGITS, alpha: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', alnum: WORD.replace('_', ''), lower: 'abcdefghijklmnopqrstuvwxyz', upper: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', word: WORD };
        for (const ch of named[name] ?? '') set.add(ch);
        continue;
      }
      if (c === '\\') {
        const e = this.s[this.pos++]!;
        if (e === 'd') {
          for (const ch of DIGITS) set.add(ch);
          continue;
        }
        if (e === 'w') {
          for (const ch of WORD) set.add(ch);
          continue;
        }
        if (e === 's') {
          set.add(' ');
          continue;
        }
        c = e;
      }
      if (this.s[this.pos] === '-' && this.s[this.pos + 1] !== ']' && this.pos + 1 < this.s.length) {
        this.pos++;
        let hi = this.s[this.pos++]!;
        if (hi === '\\') hi = this.s[this.pos++]!;
        for (let code = c.charCodeAt(0); code <= hi.charCodeAt(0) && code - c.charCodeAt(0) < 256; code++) set.add(String.fromCharCode(code));
        continue;
      }
      set.add(c);
    }
    if (this.s[this.pos] !== ']') throw new Error('unclosed class');
    this.pos++;
    const choices = negated ? [...(WORD + PRINTABLE)].filter((ch) => !set.has(ch)) : [...set];
    return { kind: 'chars', choices: [...new Set(choices)].slice(0, 3) };
  }
}

/** Candidate strings for a node, shortest repetitions first, at most `limit`. */
function generate(node: Node, limit: number): string[] {
  switch (node.kind) {
    case 'chars':
      return node.choices.slice(0, limit);
    case 'alt':
      return node.options.flatMap((o) => generate(o, limit)).slice(0, limit);
    case 'seq': {
      let acc = [''];
      for (const item of node.items) {
        const next: string[] = [];
        const options = generate(item, limit);
        for (const a of acc) for (const o of options) if (next.length < limit) next.push(a + o);
        acc = next;
        if (acc.length === 0) return [];
      }
      return acc;
    }
    case 'repeat': {
      const out: string[] = [];
      const options = generate(node.node, limit);
      const maxReps = Math.min(node.max, node.min + 2);
      for (let n = node.min; n <= maxReps && out.length < limit; n++) {
        let acc = [''];
        for (let i = 0; i < n; i++) {
          const next: string[] = [];
          for (const a of acc) for (const o of options) if (next.length < limit) next.push(a + o);
          acc = next;
        }
        out.push(...acc.slice(0, limit - out.length));
      }
      return out;
    }
  }
}
