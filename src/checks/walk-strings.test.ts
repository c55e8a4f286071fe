// walkStrings walks each object once with a record per object, not per value (the secret checks walk every string of
// a project): the same strings, paths and order as the general walk it replaced, a node per value, kept here as the
// reference, over random trees with aliases, `__proto__` keys, deep nesting and hostile text.
import { describe, expect, it } from 'vitest';
import type { Path } from '../load/definition.ts';
import { walkStrings, type StringVisit } from './walk-strings.ts';

/** The walk before: one node per value, children pushed in reverse, `seen` tested when an object is popped. */
function referenceWalk(root: unknown, wants: (text: string) => boolean, visit: (found: StringVisit) => void): void {
  interface Node {
    value: unknown;
    key?: string | number;
    parent?: Node;
  }
  const pathOf = (node: Node): Path => {
    const path: (string | number)[] = [];
    for (let n: Node | undefined = node; n?.parent; n = n.parent) path.push(n.key!);
    return path.reverse();
  };
  const stack: Node[] = [{ value: root }];
  const seen = new Set<object>();
  while (stack.length) {
    const node = stack.pop()!;
    const { value } = node;
    if (typeof node.key === 'string' && wants(node.key)) visit({ text: node.key, path: () => pathOf(node), isKey: true });
    if (typeof value === 'string') {
      if (wants(value)) visit({ text: value, path: () => pathOf(node), isKey: false });
    } else if (value !== null && typeof value === 'object' && !seen.has(value)) {
      seen.add(value);
      if (Array.isArray(value)) for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], key: i, parent: node });
      else {
        const keys = Object.keys(value);
        for (let i = keys.length - 1; i >= 0; i--) stack.push({ value: (value as Record<string, unknown>)[keys[i]!], key: keys[i]!, parent: node });
      }
    }
  }
}

const HOSTILE = ['', 'a', 'line\nbreak', '"quoted"', "it's", 'key: value', '# comment', '告警 名称', '__proto__', 'constructor', 'https://user:pw@example.com/x', '${SECRET}', '\u2028', ' ', 'ü', '0', 'toString'];

function random(seed: number) {
  let s = seed >>> 0 || 1;
  return () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
}

function tree(rand: () => number, depth: number, shared: object[]): unknown {
  const r = rand();
  const text = () => HOSTILE[Math.floor(rand() * HOSTILE.length)]! + (rand() < 0.3 ? String(Math.floor(rand() * 100)) : '');
  if (depth <= 0 || r < 0.25) {
    const leaf = rand();
    return leaf < 0.6 ? text() : leaf < 0.7 ? null : leaf < 0.8 ? Math.floor(rand() * 10) : leaf < 0.9 ? rand() < 0.5 : undefined;
  }
  if (r < 0.32 && shared.length) return shared[Math.floor(rand() * shared.length)];
  let made: object;
  if (r < 0.6) {
    const list: unknown[] = [];
    const n = Math.floor(rand() * 5);
    for (let i = 0; i < n; i++) list.push(tree(rand, depth - 1, shared));
    if (rand() < 0.1) list.length += 2; // holes
    made = list;
  } else {
    const map: Record<string, unknown> = rand() < 0.2 ? Object.create(null) : {};
    const n = Math.floor(rand() * 5);
    for (let i = 0; i < n; i++) Object.defineProperty(map, text(), { value: tree(rand, depth - 1, shared), enumerable: true, writable: true, configurable: true });
    made = map;
  }
  if (rand() < 0.2) shared.push(made);
  return made;
}

function visits(walk: typeof walkStrings, root: unknown, wants: (text: string) => boolean): [string, Path, boolean][] {
  const out: [string, Path, boolean][] = [];
  walk(root, wants, ({ text, path, isKey }) => out.push([text, path(), isKey]));
  return out;
}

describe('walkStrings', () => {
  it('visits what the per-value walk visits, in its order, with its paths (2,000 random trees)', () => {
    const rand = random(12);
    const filters = [() => true, (t: string) => t.includes(':'), (t: string) => t.includes('${'), (t: string) => t.length > 3];
    for (let n = 0; n < 2000; n++) {
      const root = tree(rand, 1 + Math.floor(rand() * 7), []);
      for (const wants of filters) expect(visits(walkStrings, root, wants)).toEqual(visits(referenceWalk, root, wants));
    }
  });

  it('walks a JSON.parse tree with an own __proto__ key, a string root, and 100,000 levels of nesting', () => {
    const parsed = JSON.parse('{"__proto__": {"x": "https://a:b@c/"}, "a": ["${A}", {"__proto__": "${B}"}]}');
    for (const wants of [() => true, (t: string) => t.includes('${')]) expect(visits(walkStrings, parsed, wants)).toEqual(visits(referenceWalk, parsed, wants));
    expect(visits(walkStrings, parsed, (t) => t.includes('${'))).toEqual([['${A}', ['a', 0], false], ['${B}', ['a', 1, '__proto__'], false]]);
    expect(visits(walkStrings, 'x', () => true)).toEqual([['x', [], false]]);
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i++) deep = i % 2 ? [deep] : { k: deep };
    const found = visits(walkStrings, deep, (t) => t === 'bottom');
    expect(found).toHaveLength(1);
    expect(found[0]![1]).toHaveLength(100_000);
  });
});
