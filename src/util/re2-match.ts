/**
 * Matching a valid RE2 regex in time linear in the input, as RE2 does: a Thompson NFA simulated one character at a
 * time (Pike's VM, without captures). JavaScript's backtracking engine takes exponential time on patterns such as
 * `(a*)*b`, and both the pattern and the strings it is tested on (alert labels in routing) come from a pull request.
 * Single characters are still tested with small JavaScript classes (util/regex.ts writes them), whose cost is bounded.
 */
import { anchoredRe2SyntaxError } from './re2-syntax.ts';
import { classSource, type Re2Flags } from './regex.ts';

type Node =
  | { t: 'char'; test: (c: string) => boolean }
  | { t: 'assert'; test: (prev: string | undefined, next: string | undefined) => boolean }
  | { t: 'cat'; items: Node[] }
  | { t: 'cap'; index: number; sub: Node }
  | { t: 'alt'; alts: Node[] }
  | { t: 'rep'; sub: Node; min: number; max: number; greedy: boolean }
  | { t: 'empty' };

type Inst =
  | { op: 'char'; test: (c: string) => boolean }
  | { op: 'assert'; test: (prev: string | undefined, next: string | undefined) => boolean }
  | { op: 'split'; x: number; y: number }
  | { op: 'jmp'; x: number }
  | { op: 'save'; slot: number }
  | { op: 'match' };

/**
 * Programs beyond this many instructions are not built (RE2 allows ~3.3M): only patterns made of hundreds of counted
 * repetitions reach it, and falling back to a backtracking engine would bring the exponential cases back.
 */
const MAX_PROGRAM = 200_000;

const isWord = (c: string | undefined) => c !== undefined && /^[A-Za-z0-9_]$/.test(c);

/** A single-character test: exact for a literal without case folding, a JavaScript class otherwise. */
function charTest(source: string, ignoreCase: boolean): (c: string) => boolean {
  const re = new RegExp(`^${source}$`, ignoreCase ? 'iu' : 'u');
  return (c) => re.test(c);
}

interface Parsed {
  root: Node;
  /** Capture groups, and the numbers of the groups of each name (RE2 allows a name twice). */
  groups: number;
  names: Map<string, number[]>;
}

/** The parse tree of valid RE2 `s` (validity is checked before; nothing here reports errors). */
function parse(s: string): Parsed {
  interface Frame {
    alts: Node[][];
    flags: Re2Flags;
    /** The capture group's number; 0 for a non-capturing group. */
    index: number;
  }
  let groups = 0;
  const names = new Map<string, number[]>();
  const frames: Frame[] = [{ alts: [[]], flags: { i: false, m: false, s: false, U: false }, index: 0 }];
  const top = () => frames[frames.length - 1]!;
  const items = () => top().alts[top().alts.length - 1]!;
  const finish = (f: Frame): Node => {
    const alts = f.alts.map((a): Node => (a.length === 0 ? { t: 'empty' } : a.length === 1 ? a[0]! : { t: 'cat', items: a }));
    return alts.length === 1 ? alts[0]! : { t: 'alt', alts };
  };
  let flags = top().flags;
  const pushChar = (source: string) => items().push({ t: 'char', test: charTest(source, flags.i) });
  // A `?` after the operator, or the U flag, makes it prefer fewer repetitions: which groups capture what depends on it.
  const repeat = (min: number, max: number, lazy: boolean) => {
    const list = items();
    list.push({ t: 'rep', sub: list.pop()!, min, max, greedy: lazy === Boolean(flags.U) });
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
          else if (f === 'i' || f === 'm' || f === 's' || f === 'U') next[f] = on;
        }
        if (s[j] === ':') frames.push({ alts: [[]], flags, index: 0 });
        flags = next;
        i = j + 1;
        continue;
      }
      groups++;
      frames.push({ alts: [[]], flags, index: groups });
      if (s[i + 1] === '?') {
        const close = s.indexOf('>', i);
        const name = s.slice(i + 4, close);
        names.set(name, [...(names.get(name) ?? []), groups]);
        i = close + 1;
      } else i++;
      continue;
    }
    if (c === ')') {
      const f = frames.pop()!;
      flags = f.flags;
      const inner = finish(f);
      items().push(f.index > 0 ? { t: 'cap', index: f.index, sub: inner } : inner);
      i++;
      continue;
    }
    if (c === '|') {
      top().alts.push([]);
      i++;
      continue;
    }
    if (c === '*' || c === '+' || c === '?') {
      const lazy = s[i + 1] === '?';
      repeat(c === '+' ? 1 : 0, c === '?' ? 1 : -1, lazy);
      i += lazy ? 2 : 1;
      continue;
    }
    if (c === '{') {
      const m = /^\{(0|[1-9][0-9]*)(,(0|[1-9][0-9]*)?)?\}/.exec(s.slice(i, i + 24));
      if (m) {
        const min = Number(m[1]);
        i += m[0].length;
        const lazy = s[i] === '?';
        repeat(min, m[2] === undefined ? min : m[3] === undefined ? -1 : Number(m[3]), lazy);
        if (lazy) i++;
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
  return { root: finish(frames[0]!), groups, names };
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
      case 'cap':
        prog.push({ op: 'save', slot: 2 * node.index });
        if (!emit(node.sub)) return false;
        prog.push({ op: 'save', slot: 2 * node.index + 1 });
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
        // A split tries x first: the body when greedy, what follows when lazy.
        const branch = (split: Extract<Inst, { op: 'split' }>, body: number, after: number) => {
          split.x = node.greedy ? body : after;
          split.y = node.greedy ? after : body;
        };
        if (node.max === -1) {
          const split: Extract<Inst, { op: 'split' }> = { op: 'split', x: 0, y: 0 };
          const loop = prog.length;
          prog.push(split);
          if (!emit(node.sub)) return false;
          prog.push({ op: 'jmp', x: loop });
          branch(split, loop + 1, prog.length);
          return true;
        }
        const splits: [Extract<Inst, { op: 'split' }>, number][] = [];
        for (let k = node.min; k < node.max; k++) {
          const split: Extract<Inst, { op: 'split' }> = { op: 'split', x: 0, y: 0 };
          prog.push(split);
          splits.push([split, prog.length]);
          if (!emit(node.sub)) return false;
        }
        for (const [split, body] of splits) branch(split, body, prog.length);
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
      else if (inst.op === 'save') stack.push(pc + 1);
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
 * The capture groups of a full match, as RE2 picks them (leftmost-first: the first alternative and the greedy count
 * that lead to a match win), or null: threads carry their captures and keep their priority order.
 */
function runCaptures(prog: readonly Inst[], input: string, groups: number): (number | undefined)[] | null {
  const chars = Array.from(input);
  const offsets = [0];
  for (const ch of chars) offsets.push(offsets[offsets.length - 1]! + ch.length);
  const seen = new Int32Array(prog.length).fill(-1);
  let generation = 0;
  type Thread = { pc: number; caps: (number | undefined)[] };
  const closure = (start: number, caps: (number | undefined)[], pos: number, into: Thread[]) => {
    const prev = chars[pos - 1];
    const next = chars[pos];
    const stack: Thread[] = [{ pc: start, caps }];
    while (stack.length > 0) {
      const { pc, caps: c } = stack.pop()!;
      if (seen[pc] === generation) continue;
      seen[pc] = generation;
      const inst = prog[pc]!;
      if (inst.op === 'jmp') stack.push({ pc: inst.x, caps: c });
      else if (inst.op === 'split') stack.push({ pc: inst.y, caps: c }, { pc: inst.x, caps: c });
      else if (inst.op === 'save') {
        const copy = c.slice();
        copy[inst.slot] = offsets[pos];
        stack.push({ pc: pc + 1, caps: copy });
      } else if (inst.op === 'assert') {
        if (inst.test(prev, next)) stack.push({ pc: pc + 1, caps: c });
      } else into.push({ pc, caps: c });
    }
  };
  let current: Thread[] = [];
  closure(0, new Array<number | undefined>(2 * groups + 2).fill(undefined), 0, current);
  for (let pos = 0; ; pos++) {
    if (pos === chars.length) {
      const winner = current.find((t) => prog[t.pc]!.op === 'match');
      return winner ? winner.caps : null;
    }
    if (current.length === 0) return null;
    generation++;
    const following: Thread[] = [];
    for (const t of current) {
      const inst = prog[t.pc]!;
      if (inst.op === 'char' && inst.test(chars[pos]!)) closure(t.pc + 1, t.caps, pos + 1, following);
    }
    current = following;
  }
}

/**
 * `exec` for valid RE2 `source` (the caller anchors it) in linear time: the whole value, each group's text (undefined
 * when it did not take part) and `groups` by name, as JavaScript's RegExp.exec gives them; null when it does not
 * match. Undefined when the program would be too large to build here.
 */
export function re2Exec(source: string): ((value: string) => RegExpExecArray | null) | undefined {
  const parsed = parse(source);
  const prog = compile(parsed.root);
  if (!prog) return undefined;
  return (value: string) => {
    const caps = runCaptures(prog, value, parsed.groups);
    if (!caps) return null;
    const texts = Array.from({ length: parsed.groups + 1 }, (_, k) => {
      const [from, to] = k === 0 ? [0, value.length] : [caps[2 * k], caps[2 * k + 1]];
      return from === undefined || to === undefined ? undefined : value.slice(from, to);
    });
    const result = Object.assign(texts, { index: 0, input: value, groups: undefined as Record<string, string> | undefined });
    // Go's Expand takes, of the groups with a name, the first that took part in the match.
    if (parsed.names.size > 0) {
      result.groups = Object.fromEntries([...parsed.names].map(([name, ks]) => [name, ks.map((k) => texts[k]).find((t) => t !== undefined) ?? '']));
    }
    return result as unknown as RegExpExecArray;
  };
}

/**
 * A linear-time test for valid RE2 `source` (the caller anchors it), or undefined when its program would be too large
 * to build here.
 */
export function re2Matcher(source: string): ((value: string) => boolean) | undefined {
  const prog = compile(parse(source).root);
  return prog && ((value: string) => run(prog, value));
}

const cache = new Map<string, ((value: string) => boolean) | null>();

/**
 * Whether a value matches a Prometheus/Alertmanager regex, anchored as they anchor it, in linear time; undefined when
 * the pattern is not valid RE2, or too large to evaluate here (see MAX_PROGRAM).
 */
export function prometheusRegexTest(source: string): ((value: string) => boolean) | undefined {
  let test = cache.get(source);
  if (test === undefined) {
    test = null;
    if (!anchoredRe2SyntaxError(source)) test = re2Matcher(`^(?:${source})$`) ?? null;
    cache.set(source, test);
  }
  return test ?? undefined;
}

const execCache = new Map<string, ((value: string) => RegExpExecArray | null) | null>();

/** `exec` of a Prometheus regex, anchored, in linear time (label_replace); undefined as for prometheusRegexTest. */
export function prometheusRegexExec(source: string): ((value: string) => RegExpExecArray | null) | undefined {
  let exec = execCache.get(source);
  if (exec === undefined) {
    exec = null;
    if (!anchoredRe2SyntaxError(source)) exec = re2Exec(`^(?:${source})$`) ?? null;
    execCache.set(source, exec);
  }
  return exec ?? undefined;
}
