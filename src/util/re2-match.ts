/**
 * Matching a valid RE2 regex in time linear in the input, as RE2 does: a Thompson NFA simulated one character at a
 * time (Pike's VM, without captures). JavaScript's backtracking engine takes exponential time on patterns such as
 * `(a*)*b`, and both the pattern and the strings it is tested on (alert labels in routing) come from a pull request.
 * Single characters are still tested with small JavaScript classes (util/regex.ts writes them), whose cost is bounded.
 */
import { anchoredRe2SyntaxError } from './re2-syntax.ts';
import { classSource, prometheusRegex, type Re2Flags } from './regex.ts';

type Node =
  | { t: 'char'; test: (c: string) => boolean }
  | { t: 'assert'; test: (prev: string | undefined, next: string | undefined) => boolean }
  | { t: 'cat'; items: Node[] }
  | { t: 'alt'; alts: Node[] }
  | { t: 'rep'; sub: Node; min: number; max: number }
  | { t: 'empty' };

type Inst =
  | { op: 'char'; test: (c: string) => boolean }
  | { op: 'assert'; test: (prev: string | undefined, next: string | undefined) => boolean }
  | { op: 'split'; x: number; y: number }
  | { op: 'jmp'; x: number }
  | { op: 'match' };

/** Programs beyond this many instructions are not built (RE2 allows ~3.3M); the caller falls back. */
const MAX_PROGRAM = 100_000;

const isWord = (c: string | undefined) => c !== undefined && /^[A-Za-z0-9_]$/.test(c);

/** A single-character test: exact for a literal without case folding, a JavaScript class otherwise. */
function charTest(source: string, ignoreCase: boolean): (c: string) => boolean {
  const re = new RegExp(`^${source}$`, ignoreCase ? 'iu' : 'u');
  return (c) => re.test(c);
}

/** The parse tree of valid RE2 `s` (validity is checked before; nothing here reports errors). */
function parse(s: string): Node {
  interface Frame {
    alts: Node[][];
    flags: Re2Flags;
  }
  const frames: Frame[] = [{ alts: [[]], flags: { i: false, m: false, s: false } }];
  const top = () => frames[frames.length - 1]!;
  const items = () => top().alts[top().alts.length - 1]!;
  const finish = (f: Frame): Node => {
    const alts = f.alts.map((a): Node => (a.length === 0 ? { t: 'empty' } : a.length === 1 ? a[0]! : { t: 'cat', items: a }));
    return alts.length === 1 ? alts[0]! : { t: 'alt', alts };
  };
  let flags = top().flags;
  const pushChar = (source: string) => items().push({ t: 'char', test: charTest(source, flags.i) });
  const repeat = (min: number, max: number) => {
    const list = items();
    list.push({ t: 'rep', sub: list.pop()!, min, max });
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '(') {
      if (s[i + 1] === '?' && s[i + 2] !== 'P') {
        let j = i + 2;
        const next = { ...flags };
        let on = true;
        for (; s[j] !== ':' && s[j] !== ')'; j++) {
          const f = s[j]!;
          if (f === '-') on = false;
          else if (f === 'i' || f === 'm' || f === 's') next[f] = on;
        }
        if (s[j] === ':') frames.push({ alts: [[]], flags });
        flags = next;
        i = j + 1;
        continue;
      }
      frames.push({ alts: [[]], flags });
      i = s[i + 1] === '?' ? s.indexOf('>', i) + 1 : i + 1;
      continue;
    }
    if (c === ')') {
      const f = frames.pop()!;
      flags = f.flags;
      items().push(finish(f));
      i++;
      continue;
    }
    if (c === '|') {
      top().alts.push([]);
      i++;
      continue;
    }
    if (c === '*' || c === '+' || c === '?') {
      repeat(c === '+' ? 1 : 0, c === '?' ? 1 : -1);
      i += s[i + 1] === '?' ? 2 : 1;
      continue;
    }
    if (c === '{') {
      const m = /^\{(0|[1-9][0-9]*)(,(0|[1-9][0-9]*)?)?\}/.exec(s.slice(i, i + 24));
      if (m) {
        const min = Number(m[1]);
        repeat(min, m[2] === undefined ? min : m[3] === undefined ? -1 : Number(m[3]));
        i += m[0].length;
        if (s[i] === '?') i++;
        continue;
      }
    }
    const m = flags.m;
    if (c === '^' || (c === '\\' && s[i + 1] === 'A')) {
      const multiline = c === '^' && m;
      items().push({ t: 'assert', test: (prev) => prev === undefined || (multiline && prev === '\n') });
      i += c === '^' ? 1 : 2;
      continue;
    }
    if (c === '$' || (c === '\\' && s[i + 1] === 'z')) {
      const multiline = c === '$' && m;
      items().push({ t: 'assert', test: (_, next) => next === undefined || (multiline && next === '\n') });
      i += c === '$' ? 1 : 2;
      continue;
    }
    if (c === '\\' && (s[i + 1] === 'b' || s[i + 1] === 'B')) {
      const want = s[i + 1] === 'b';
      items().push({ t: 'assert', test: (prev, next) => (isWord(prev) !== isWord(next)) === want });
      i += 2;
      continue;
    }
    if (c === '\\' && s[i + 1] === 'Q') {
      const close = s.indexOf('\\E', i + 2);
      for (const ch of close < 0 ? s.slice(i + 2) : s.slice(i + 2, close)) pushChar(`\\u{${ch.codePointAt(0)!.toString(16)}}`);
      i = close < 0 ? s.length : close + 2;
      continue;
    }
    if (c === '.') {
      const dotAll = flags.s;
      items().push({ t: 'char', test: (ch) => dotAll || ch !== '\n' });
      i++;
      continue;
    }
    const atom = classSource(s, i);
    pushChar(atom.source);
    i = atom.end;
  }
  return finish(frames[0]!);
}

/** The program for `node`, or undefined when it would exceed MAX_PROGRAM instructions. */
function compile(root: Node): Inst[] | undefined {
  const prog: Inst[] = [];
  const emit = (node: Node): boolean => {
    if (prog.length > MAX_PROGRAM) return false;
    switch (node.t) {
      case 'char':
        prog.push({ op: 'char', test: node.test });
        return true;
      case 'assert':
        prog.push({ op: 'assert', test: node.test });
        return true;
      case 'empty':
        return true;
      case 'cat':
        return node.items.every(emit);
      case 'alt': {
        const jumps: Extract<Inst, { op: 'jmp' }>[] = [];
        for (let k = 0; k < node.alts.length - 1; k++) {
          const split: Extract<Inst, { op: 'split' }> = { op: 'split', x: prog.length + 1, y: 0 };
          prog.push(split);
          if (!emit(node.alts[k]!)) return false;
          const jmp: Extract<Inst, { op: 'jmp' }> = { op: 'jmp', x: 0 };
          jumps.push(jmp);
          prog.push(jmp);
          split.y = prog.length;
        }
        if (!emit(node.alts[node.alts.length - 1]!)) return false;
        for (const j of jumps) j.x = prog.length;
        return true;
      }
      case 'rep': {
        for (let k = 0; k < node.min; k++) if (!emit(node.sub)) return false;
        if (node.max === -1) {
          const split: Extract<Inst, { op: 'split' }> = { op: 'split', x: prog.length + 1, y: 0 };
          const loop = prog.length;
          prog.push(split);
          if (!emit(node.sub)) return false;
          prog.push({ op: 'jmp', x: loop });
          split.y = prog.length;
          return true;
        }
        const splits: Extract<Inst, { op: 'split' }>[] = [];
        for (let k = node.min; k < node.max; k++) {
          const split: Extract<Inst, { op: 'split' }> = { op: 'split', x: prog.length + 1, y: 0 };
          splits.push(split);
          prog.push(split);
          if (!emit(node.sub)) return false;
        }
        for (const split of splits) split.y = prog.length;
        return true;
      }
    }
  };
  if (!emit(root)) return undefined;
  prog.push({ op: 'match' });
  return prog.length > MAX_PROGRAM ? undefined : prog;
}

/** Whether the program matches all of `input`: every thread advances one character at a time. */
function run(prog: readonly Inst[], input: string): boolean {
  const chars = Array.from(input);
  const seen = new Int32Array(prog.length).fill(-1);
  let generation = 0;
  let current: number[] = [];
  const closure = (start: number, pos: number, into: number[]) => {
    const prev = chars[pos - 1];
    const next = chars[pos];
    const stack = [start];
    while (stack.length > 0) {
      const pc = stack.pop()!;
      if (seen[pc] === generation) continue;
      seen[pc] = generation;
      const inst = prog[pc]!;
      if (inst.op === 'jmp') stack.push(inst.x);
      else if (inst.op === 'split') stack.push(inst.y, inst.x);
      else if (inst.op === 'assert') {
        if (inst.test(prev, next)) stack.push(pc + 1);
      } else into.push(pc);
    }
  };
  closure(0, 0, current);
  for (let pos = 0; ; pos++) {
    if (current.some((pc) => prog[pc]!.op === 'match') && pos === chars.length) return true;
    if (pos >= chars.length || current.length === 0) return false;
    generation++;
    const following: number[] = [];
    for (const pc of current) {
      const inst = prog[pc]!;
      if (inst.op === 'char' && inst.test(chars[pos]!)) closure(pc + 1, pos + 1, following);
    }
    current = following;
  }
}

/**
 * A linear-time test for valid RE2 `source` (the caller anchors it), or undefined when its program would be too large
 * to build here.
 */
export function re2Matcher(source: string): ((value: string) => boolean) | undefined {
  const prog = compile(parse(source));
  return prog && ((value: string) => run(prog, value));
}

const cache = new Map<string, ((value: string) => boolean) | null>();

/**
 * Whether a value matches a Prometheus/Alertmanager regex, anchored as they anchor it, in linear time; undefined when
 * the pattern is not valid RE2. Patterns too large for the program here (far beyond any real matcher) fall back to
 * JavaScript's engine.
 */
export function prometheusRegexTest(source: string): ((value: string) => boolean) | undefined {
  let test = cache.get(source);
  if (test === undefined) {
    test = null;
    if (!anchoredRe2SyntaxError(source)) {
      const js = () => prometheusRegex(source);
      test = re2Matcher(`^(?:${source})$`) ?? (js() ? (value: string) => js()!.test(value) : null);
    }
    cache.set(source, test);
  }
  return test ?? undefined;
}
