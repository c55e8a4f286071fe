import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { writeSyntheticProject } from '../../test/bench/synthetic.ts';
import { CharSearch, readPlainYaml } from './plain-yaml.ts';
import { seededRandom as mulberry32 } from '../../test/helpers/seeded-random.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** A value written out with its types and its key order (deep equality ignores the order of keys). */
function canon(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return Object.is(v, -0) ? 'n:-0' : `n:${String(v)}`;
  if (typeof v === 'string') return `s:${JSON.stringify(v)}`;
  if (typeof v === 'boolean') return `b:${v}`;
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return `{${Object.keys(v).map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return `?${Object.prototype.toString.call(v)}`; // a Date, a Map, undefined…: never what the reader gives
}

/** js-yaml's reading of `text` (or `throws`), and the reader's (or `declined`). */
function both(text: string): { expected: string; actual: string } {
  let expected: string;
  try {
    expected = canon(loadAll(text, { schema: CORE_SCHEMA }));
  } catch {
    expected = 'throws';
  }
  const mine = readPlainYaml(text);
  return { expected, actual: mine === undefined ? 'declined' : canon(mine) };
}

/** Accepting means giving js-yaml's exact values; where js-yaml throws, the reader must decline. */
function expectAgreement(text: string, label = JSON.stringify(text)): boolean {
  const { expected, actual } = both(text);
  if (actual === 'declined') return false;
  if (actual !== expected) expect.fail(`the reader accepted ${label} as ${actual}; js-yaml gives ${expected}`);
  // What lets loadYaml skip counting a short file's values (yaml.ts, withinLimitsByLength): no more values than
  // characters, no deeper than 65 levels.
  const { values, depth } = sizeOf(readPlainYaml(text)!);
  if (values > text.length || depth > 65) expect.fail(`the reader read ${values} values ${depth} levels deep from ${text.length} characters: ${label}`);
  return true;
}

/** The values of the documents as oversize counts them (every item of every collection), and the deepest nesting. */
function sizeOf(documents: unknown[]): { values: number; depth: number } {
  let values = 0;
  let deepest = 0;
  const visit = (value: unknown, depth: number) => {
    if (value === null || typeof value !== 'object') return;
    deepest = Math.max(deepest, depth);
    const items = Array.isArray(value) ? value : Object.values(value);
    values += items.length;
    for (const item of items) visit(item, depth + 1);
  };
  for (const document of documents) visit(document, 0);
  return { values, depth: deepest };
}

function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.') || e.name === 'dist' || e.name === 'coverage') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...yamlFilesUnder(p));
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

describe('readPlainYaml', () => {
  it("gives js-yaml's values for every YAML file of the repository, and accepts every definition of the examples", () => {
    const files = yamlFilesUnder(ROOT);
    expect(files.length).toBeGreaterThan(400);
    const declined: string[] = [];
    for (const file of files) if (!expectAgreement(readFileSync(file, 'utf8'), path.relative(ROOT, file))) declined.push(path.relative(ROOT, file));
    // Definitions as people write them are read by the reader; what it leaves is odd on purpose (broken fixtures,
    // a `--- 1` document).
    for (const dir of ['examples/', 'monitoring/', 'templates/', 'generated/']) expect(declined.filter((f) => f.startsWith(dir))).toEqual([]);
    expect(declined.length / files.length).toBeLessThan(0.03);
  });

  it("reads every file of the benchmark's synthetic project, with js-yaml's values", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-plain-yaml-'));
    try {
      await writeSyntheticProject(dir, 500, 20);
      const files: string[] = [];
      for (const sub of ['', 'alerts', 'dashboards']) for (const e of await readdir(path.join(dir, sub), { withFileTypes: true })) if (e.isFile()) files.push(path.join(dir, sub, e.name));
      expect(files.length).toBe(5 + 10 + 20);
      for (const file of files) expect(expectAgreement(await readFile(file, 'utf8'), file)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads the plain scalars as CORE_SCHEMA resolves them, keys as strings in order', () => {
    const scalars = ['', '~', 'null', 'Null', 'NULL', 'nULL', 'true', 'True', 'TRUE', 'tRUE', 'false', 'yes', 'no', 'on', 'off', 'y', 'n', '0', '-0', '+0', '007', '+12', '-12', '0x1F', '0X1F', '-0x1F', '0o17', '0O17', '0o8', '0b101', '1_000', '1e3', '1E+3', '-1.5e-3', '.5', '-.5', '5.', '1.0', '.inf', '-.Inf', '+.INF', '.nan', '.NaN', 'NaN', 'inf', '1:30', '2001-12-14', '12345678901234567890', '1e400', '0x', 'a#b', 'http://x:9/p?q#f', '-a', '--', ':a', '?a', 'a b  c', 'é', '中文', '🔥', 'x 😀 y', 'rate(x[5m]) > 0'];
    for (const s of scalars) {
      expect(expectAgreement(`k: ${s}\n`)).toBe(true);
      expect(expectAgreement(`- ${s} # a comment\n`)).toBe(true);
      if (s !== '' && !s.startsWith(':') && !s.startsWith('?') && !s.includes('#')) expect(expectAgreement(`${s}: v\n`)).toBe(true);
      if (s !== '' && !/[[\]{},#]/.test(s)) expect(expectAgreement(`[${s}, {k: ${s}}]\n`)).toBe(true);
    }
    expect(readPlainYaml('b: 1\n2: x\n0x10: y\n~: z\n')).toEqual([{ b: 1, 2: 'x', 16: 'y', null: 'z' }]);
    expect(Object.keys(readPlainYaml('b: 1\n2: x\na: 3\n')![0]!)).toEqual(['2', 'b', 'a']);
  });

  it('reads a scalar the same wherever it comes again, as a key or a value (the cache of recent scalars)', () => {
    // Texts of one length with the same first and last characters share a slot of the cache; the same text reads as a
    // different key and value (`0x10` is the key '16' and the value 16, `~` the key 'null' and the value null).
    const scalars = ['0x10', '0x1f', '0o10', '0b10', '0_10', '~', 'null', 'Null', 'true', 'tRue', 'tree', '1e3', '1x3', '1.3', '5m', '5.', '2m', '-1', '-a', 'ab', 'aab', 'abb', 'a_b', 'a b', '.5', '.inf', '.nan', '.nah'];
    // (`~`, `null` and `Null` are one key: each mapping holds one of them.)
    const block = scalars.map((k, i) => `- ${k}:\n    - ${k}\n    - {${k}: ${scalars[(i + 7) % scalars.length]}}\n    - [${k}, x${i}]\n    - ${k}: ${k}\n  k${i}: ${k}\n`).join('');
    const flow = `- [${scalars.map((k, i) => `{${k}: ${scalars[(i * 5) % scalars.length]}}`).join(', ')}]\n- [${scalars.join(', ')}]\n`;
    for (let round = 0; round < 2; round++) {
      expect(expectAgreement(block)).toBe(true);
      expect(expectAgreement(flow)).toBe(true);
      expect(expectAgreement(`k:\n  ${flow.trimEnd().replaceAll('\n', '\n  ')}\n`)).toBe(true);
    }
    expect(readPlainYaml('0x10: 0x10\n~: ~\nv: [0x10, ~, "0x10"]\n')).toEqual([{ 16: 16, null: null, v: [16, null, '0x10'] }]);
  });

  it('reads block scalars with their chomping, folding, and empty lines as js-yaml does', () => {
    const bodies = ['  a\n  b\n', '  a\n\n  b\n', '  a\n   b\n  c\n', '  a\n\n\n', '\n  a\n', '  a\n  \n  b\n', '  a\n    b\n\n    c\n  d\n', '', '\n\n', '  a  \n  b\n', '  # not a comment\n', '  a\n# a comment\n'];
    let accepted = 0;
    for (const header of ['|', '|-', '|+', '>', '>-', '>+', '| # c', '>+ # c'])
      for (const body of bodies)
        for (const tail of ['', 'next: 1\n', '---\n', '# c\n\n'])
          for (const indent of ['', '  '])
            for (const wrap of [(t: string) => `k: ${t}`, (t: string) => `- ${t}`, (t: string) => `- k: ${t}`]) {
              const b = body.replace(/^(?=.)/gm, indent);
              if (expectAgreement(`${wrap(header)}\n${b}${tail}`)) accepted++;
            }
    expect(accepted).toBeGreaterThan(1000);
  });

  it('reads flow collections over several lines as js-yaml does, and leaves their odd indentation to it', () => {
    const accepted = ['a: [1,\n  2]\n', 'a: [\n  1, 2\n  ]\n', 'a: {\n  b: 1,\n  c: [x,\n    y]\n  }\n', '- [a,\n  b]\n', 'k:\n  a: [1,\n   2]\n', 'a: [1, 2\n  ] # c\nb: 1\n'];
    for (const text of accepted) expect(expectAgreement(text), JSON.stringify(text)).toBe(true);
    // js-yaml throws on some of these, reads others; the reader leaves them all to it.
    for (const text of ['a: [\n  1, 2\n]\n', 'k:\n  a: [1,\n  2]\n', '---\n   {  a: 1\n  }\n', 'a:\n    [1,\n  2]\n', '[a,\nb]\n']) {
      expect(readPlainYaml(text), JSON.stringify(text)).toBeUndefined();
    }
  });

  it('leaves to js-yaml what it is not certain of', () => {
    const declined = [
      'a: &x 1\nb: *x\n', // anchors and aliases
      'a: !!str 1\n', // tags
      'a: !custom x\n',
      '<<: {a: 1}\n', // merge keys
      'base: {a: 1}\n<<: x\n',
      '? complex\n: key\n',
      '[a]: 1\n',
      'a:\n\tb: 1\n', // tabs
      'a: "x\ty"\n',
      'a: 1\na: 2\n', // duplicate keys (js-yaml throws)
      'a: {b: 1, b: 2}\n',
      '1: a\n"1": b\n',
      '__proto__: 1\n',
      '%YAML 1.2\n---\na: 1\n', // directives
      '\ufeffa: 1\n', // a byte order mark
      '--- 1\n', // a node on the `---` line
      'a: 1\n...\n', // document end markers
      '  ---\n',
      'a: 1\rb: 2\n', // a lone carriage return
      'a: [1, # c\n  2]\n', // comments and empty lines inside flow collections, lines not indented enough
      'a: [1,\n\n  2]\n',
      'a: [1,\n2]\n',
      'a: [a\n  b]\n', // a plain scalar over several lines inside one
      'a: [1, 2,]\n', // trailing commas
      'a: {b: }\n',
      'a: [b: c]\n',
      'a: {"b":1}\n',
      "a: 'x\ny'\n", // quoted scalars continued at their key's indentation, or with an escaped line break
      'a: "x\\\n  y"\n',
      'a: "\\q"\n', // an unknown escape
      'a: "\\ud800"\n',
      'a: |2\n   x\n', // indentation indicators
      '|\n x\n', // a block scalar as the whole document
      'a: |\n     \n  x\n', // a leading empty line longer than the indentation (js-yaml throws)
      '- - a\n', // compact nested sequences
      'a: b: c\n', // errors
      'a: - b\n',
      'a: 1\n  b: 2\n',
      'a:\n  b: 1\n c: 2\n',
      '- a\nb: 1\n',
      'a: b\n- c\n',
      'a: "x" y\n',
      '{a: 1}}\n',
      'a: @x\n',
      'a: `x`\n',
      'a: x\u2028y\n', // line separators, controls, C1
      'a: \x07\n',
      'a: x\x85y\n',
      'a: x\ud83dy\n', // a lone surrogate (js-yaml throws)
      'a: \ude00\n',
      'a: x\ufffey\n',
      `${'- '.repeat(1)}${'['.repeat(70)}${']'.repeat(70)}\n`, // deeper than the reader goes
    ];
    for (const text of declined) expect(readPlainYaml(text), JSON.stringify(text)).toBeUndefined();
  });

  it('reads no deeper than 64 nested collections (loadYaml counts no values of a short file it read)', () => {
    const flow = (n: number) => `a: ${'['.repeat(n)}${']'.repeat(n)}\n`;
    const block = (n: number) => `${Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k${i}:\n`).join('')}${' '.repeat(n)}v: 1\n`;
    for (const text of [flow(63), block(63)]) {
      expect(expectAgreement(text)).toBe(true);
      expect(sizeOf(readPlainYaml(text)!).depth).toBe(63);
    }
    for (const text of [flow(64), block(64)]) expect(readPlainYaml(text)).toBeUndefined();
  });

  it("agrees with js-yaml over thousands of seeded random documents and their mutations: accepted ⇒ js-yaml's exact values", () => {
    const random = mulberry32(20261205);
    let cases = 0;
    let accepted = 0;
    let acceptedMutants = 0;
    let throwing = 0;
    for (let n = 0; n < 2500; n++) {
      const text = randomStream(random);
      for (let m = 0; m < 4; m++) {
        const variant = m === 0 ? text : mutate(text, random);
        cases++;
        const { expected } = both(variant);
        if (expected === 'throws') throwing++;
        if (expectAgreement(variant)) {
          accepted++;
          if (m > 0) acceptedMutants++;
        }
      }
    }
    // The generator and the mutations reach both sides: a fair share accepted, a fair share that js-yaml rejects.
    expect(cases).toBe(10_000);
    console.log(`plain-yaml differential: ${cases} cases, ${accepted} accepted (${acceptedMutants} mutants), js-yaml threw on ${throwing}`);
    expect(accepted).toBeGreaterThan(2000);
    expect(acceptedMutants).toBeGreaterThan(500);
    expect(throwing).toBeGreaterThan(1000);
  });
});

type Random = () => number;
const pick = <T,>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const PLAIN = ['-}} x', '-x', '🔥 hot', 'a', 'b', 'name', 'x y', 'BenchAlert1', '5m', '0.7', '1', '-1', '+1', '0x1F', '0o17', '0b1', '1e3', '.5', '5.', '.inf', '-.inf', '.nan', 'null', '~', 'Null', 'true', 'False', 'TRUE', 'yes', 'on', '1_000', '1:30', '2001-12-14', 'a#b', 'http://x:9', 'sum(rate(m{a="b"}[5m])) > 0.5', "it's", 'say "hi"', '-a', ':a', '?a', 'a,b', 'a[0]', 'a{b}', 'é', '中文', '{{ $labels.x }}', 'a  b', 'a:b', '---x', '...x', '%x', '@x', 'a !b', 'a &b', 'a *b', 'a | b', 'a > b'];
const FLOW_PLAIN = PLAIN.filter((s) => !/[[\]{},]/.test(s));
const KEYS = ['a', 'b', 'c', 'name', 'expr', 'for', '1', '0x10', 'null', 'true', '~', '.inf', '-1', 'x y', 'a#b', 'k:x', 'x-y', 'é', '"dq"', "'sq'", '"a: b"', "'it''s'", '"\\u00e9"'];
const ESCAPED = ['\\n', '\\t', '\\"', '\\\\', '\\x41', '\\u00e9', '\\U0001F600', '\\/', '\\0', '\\e', '\\ ', '\\N', '\\_', '\\L', '\\P', '\\a', '\\b', '\\v', '\\f', '\\r'];

function inlineScalar(r: Random, inFlow = false): string {
  const s = pick(r, inFlow ? FLOW_PLAIN : PLAIN);
  const style = r();
  if (style < 0.6) return s;
  if (style < 0.8) return `'${s.replaceAll("'", "''")}'`;
  let body = s.replaceAll('\\', '\\\\').replaceAll('"', '\\"');
  if (r() < 0.5) body += pick(r, ESCAPED);
  return `"${body}"`;
}

/** A flow collection; now and then over several lines, indented more than `indent` (or not: an error). */
function flow(r: Random, depth: number, indent = 0): string {
  const sp = () => {
    const k = r();
    if (k < 0.08) return `\n${' '.repeat(Math.max(0, indent + 1 + Math.floor(r() * 3) - (r() < 0.15 ? 2 : 0)))}`;
    return k < 0.7 ? ' ' : k < 0.85 ? '' : '  ';
  };
  const item = (): string => (depth < 3 && r() < 0.2 ? flow(r, depth + 1, indent) : inlineScalar(r, r() < 0.9));
  const n = Math.floor(r() * 4);
  if (r() < 0.5) return `[${sp()}${Array.from({ length: n }, item).join(`,${sp()}`)}${sp()}]`;
  const keys = distinctKeys(r, n);
  return `{${sp()}${keys.map((k) => `${k}:${r() < 0.9 ? ' ' : ''}${item()}`).join(`,${sp()}`)}${sp()}}`;
}

function blockScalar(r: Random, indent: number): string[] {
  const header = `${pick(r, ['|', '>'])}${pick(r, ['', '', '-', '+'])}${r() < 0.1 ? ' # c' : ''}`;
  const lines = [header];
  const n = Math.floor(r() * 5);
  const pad = ' '.repeat(indent + 1 + Math.floor(r() * 2));
  for (let i = 0; i < n; i++) {
    const k = r();
    if (k < 0.15) lines.push('');
    else if (k < 0.2) lines.push(pad.slice(0, Math.floor(r() * pad.length)));
    else if (k < 0.35) lines.push(`${pad}  ${pick(r, PLAIN)}`);
    else if (k < 0.4) lines.push(`${pad}# ${pick(r, PLAIN)}`);
    else lines.push(`${pad}${pick(r, PLAIN)}${r() < 0.1 ? ' ' : ''}`);
  }
  if (r() < 0.3) lines.push('');
  return lines;
}

/** Lines of a value after `key:` or `- ` (the first element continues that line). */
function value(r: Random, indent: number, depth: number): string[] {
  const k = r();
  const comment = () => (r() < 0.15 ? ` # ${pick(r, PLAIN)}` : '');
  if (depth > 3 || k < 0.45) {
    if (r() < 0.1) {
      // A plain scalar continued on more indented lines, maybe after an empty one.
      const more = Array.from({ length: 1 + Math.floor(r() * 2) }, () => `${r() < 0.2 ? '\n' : ''}${' '.repeat(indent + 1 + Math.floor(r() * 3))}${pick(r, PLAIN)}`);
      return [` ${pick(r, PLAIN)}`, ...more];
    }
    if (r() < 0.1) {
      // A quoted scalar over several lines, maybe with empty lines and an escape on its last.
      const q = r() < 0.5 ? "'" : '"';
      const text = () => (q === "'" ? pick(r, PLAIN).replaceAll("'", "''") : pick(r, PLAIN).replaceAll('\\', '\\\\').replaceAll('"', '\\"'));
      const pad = () => ' '.repeat(indent + 1 + Math.floor(r() * 3));
      const middle = Array.from({ length: Math.floor(r() * 3) }, () => (r() < 0.3 ? '' : `${pad()}${text()}${r() < 0.2 ? ' ' : ''}`));
      return [` ${q}${r() < 0.2 ? '' : text()}${r() < 0.2 ? ' ' : ''}`, ...middle, `${pad()}${text()}${q === '"' && r() < 0.3 ? pick(r, ESCAPED) : ''}${q}${comment()}`];
    }
    return [` ${inlineScalar(r)}${comment()}`];
  }
  if (k < 0.55) return [` ${flow(r, 0, indent)}${comment()}`];
  if (k < 0.65) return [` ${blockScalar(r, indent)[0]}`, ...blockScalar(r, indent).slice(1)];
  if (k < 0.7) return [comment()];
  const step = 1 + Math.floor(r() * 3);
  const sameIndentSequence = r() < 0.3;
  return [comment(), ...block(r, sameIndentSequence ? indent : indent + step, depth + 1, sameIndentSequence ? 'seq' : undefined)];
}

/** `n` keys, mostly different (a repeated key is an error js-yaml reports). */
function distinctKeys(r: Random, n: number): string[] {
  const keys: string[] = [];
  while (keys.length < n) {
    const k = pick(r, KEYS);
    if (!keys.includes(k) || r() < 0.05) keys.push(k);
  }
  return keys;
}

function block(r: Random, indent: number, depth: number, kind?: 'seq' | 'map'): string[] {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  const n = 1 + Math.floor(r() * 4);
  const keys = distinctKeys(r, n);
  const seq = kind ? kind === 'seq' : r() < 0.4;
  for (let i = 0; i < n; i++) {
    if (r() < 0.08) lines.push(`${' '.repeat(Math.floor(r() * (indent + 3)))}# ${pick(r, PLAIN)}`);
    if (r() < 0.05) lines.push('');
    if (seq) {
      if (r() < 0.3 && depth < 4) {
        // A compact mapping: its first key on the `- ` line.
        const inner = block(r, indent + 2, depth + 1, 'map');
        lines.push(`${pad}- ${inner[0]!.slice(indent + 2)}`, ...inner.slice(1));
      } else {
        const [first, ...rest] = value(r, indent, depth);
        lines.push(`${pad}-${first}`, ...rest);
      }
    } else {
      const [first, ...rest] = value(r, indent, depth);
      lines.push(`${pad}${keys[i]}${r() < 0.05 ? ' ' : ''}:${first}`, ...rest);
    }
  }
  return lines;
}

function randomStream(r: Random): string {
  const docs: string[] = [];
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const k = r();
    const body = k < 0.05 ? [] : k < 0.1 ? [inlineScalar(r)] : k < 0.15 ? [flow(r, 0)] : block(r, r() < 0.1 ? 1 : 0, 0);
    const marker = i > 0 || r() < 0.3 ? [pick(r, ['---', '---', '--- # c', '---  '])] : [];
    docs.push([...marker, ...body].join('\n'));
  }
  return docs.join('\n') + (r() < 0.9 ? '\n' : '');
}

const MUTATION_CHARS = [' ', ' ', '\n', '\ud83d', ':', '-', '#', '"', "'", '\t', '\r', '[', ']', '{', '}', ',', '|', '>', '&', '*', '!', '?', '%', 'x', '1', '.', '\\'];

function mutate(text: string, r: Random): string {
  let t = text;
  const times = 1 + Math.floor(r() * 3);
  for (let i = 0; i < times; i++) {
    const at = Math.floor(r() * (t.length + 1));
    const lines = t.split('\n');
    const line = Math.floor(r() * lines.length);
    switch (Math.floor(r() * 11)) {
      case 0:
        t = t.slice(0, at) + pick(r, MUTATION_CHARS) + t.slice(at);
        break;
      case 1:
        t = t.slice(0, at) + t.slice(at + 1);
        break;
      case 2:
        t = t.slice(0, at) + pick(r, MUTATION_CHARS) + t.slice(at + 1);
        break;
      case 3:
        lines[line] = r() < 0.5 ? ` ${lines[line]}` : lines[line]!.replace(/^ {1,2}/, '');
        t = lines.join('\n');
        break;
      case 4:
        lines.splice(line, 0, lines[line]!);
        t = lines.join('\n');
        break;
      case 5:
        if (line + 1 < lines.length) [lines[line], lines[line + 1]] = [lines[line + 1]!, lines[line]!];
        t = lines.join('\n');
        break;
      case 6:
        lines[line] += pick(r, [' ', '  ', ' # c', '#c', ':', ' :', ' -']);
        t = lines.join('\n');
        break;
      case 7:
        t = r() < 0.5 ? t.replaceAll('\n', '\r\n') : t.replace(/\n$/, '');
        break;
      case 8:
        lines.splice(line, 0, `${' '.repeat(Math.floor(r() * 6))}${pick(r, ['# c', '', '  ', '---', '...', '- x', 'k: v'])}`);
        t = lines.join('\n');
        break;
      case 9:
        lines[line] = lines[line]!.replace(/^( *)/, (m) => m + ' '.repeat(1 + Math.floor(r() * 3)));
        t = lines.join('\n');
        break;
      default:
        t = t.slice(0, at) + pick(r, PLAIN) + t.slice(at);
    }
  }
  return t;
}

describe('CharSearch', () => {
  it("answers indexOf's position (or the length) for positions asked in any order: forward, repeated, backward, past the answer", () => {
    const random = mulberry32(20261206);
    for (let n = 0; n < 300; n++) {
      const text = Array.from({ length: Math.floor(random() * 40) }, () => 'ab:\n'[Math.floor(random() * 4)]).join('');
      const search = new CharSearch(text, ':');
      for (let k = 0; k < 40; k++) {
        const q = Math.floor(random() * (text.length + 2));
        const at = text.indexOf(':', q);
        expect(search.next(q), `${JSON.stringify(text)} from ${q}`).toBe(at < 0 ? text.length : at);
      }
    }
  });
});
