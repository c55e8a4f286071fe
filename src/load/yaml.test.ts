import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { lineColAt } from '../diagnostics.ts';
import { loadYaml, loadYamlCached } from './yaml.ts';

const at = (text: string, offset: number) => lineColAt(text, offset);

describe('loadYaml', () => {
  it('splits documents and keeps their positions', () => {
    const text = 'apiVersion: vigil/v1\nkind: Metrics\n---\napiVersion: vigil/v1\nkind: Receivers\n';
    const { definitions, diagnostics } = loadYaml('m.yaml', text);
    expect(diagnostics).toEqual([]);
    expect(definitions.map((d) => (d.value as { kind: string }).kind)).toEqual(['Metrics', 'Receivers']);
    expect(at(text, definitions[1]!.locate(['kind']).start)).toEqual({ line: 5, col: 7 });
  });

  it('names where a document is too large: the dotted path of a too-deep or too-wide collection', () => {
    // Deeper than js-yaml's own limit of 100 only through aliases.
    const nest = (inner: string) => `${'['.repeat(90)}${inner}${']'.repeat(90)}`;
    const deep = `a: &a ${nest('1')}\nb: &b ${nest('*a')}\nc: ${nest('*b')}\n`;
    expect(loadYaml('deep.yaml', deep).diagnostics[0]?.message).toBe('this document is too large to read: `c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.…` nests more than 256 levels deep');
    const wide = `x:\n  "":\n    y: [${'1,'.repeat(100_001)}1]\n`;
    expect(loadYaml('wide.yaml', wide).diagnostics[0]?.message).toBe(
      'this document is too large to read: `x..y` has 100002 items, more than the 100000 Vigil reads in one list',
    );
    const top = `${Array.from({ length: 100_001 }, (_, i) => `k${i}: 1`).join('\n')}\n`;
    expect(loadYaml('top.yaml', top).diagnostics[0]?.message).toBe('this document is too large to read: its top level has 100001 keys, more than the 100000 Vigil reads in one mapping');
  });

  it('reports syntax errors with positions and a hint, and keeps going', () => {
    const text = 'a: 1\na: 2\n';
    const { diagnostics } = loadYaml('d.yaml', text);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code: 'yaml/syntax', message: expect.stringContaining('unique') });
    expect(at(text, diagnostics[0]!.span!.start)).toEqual({ line: 2, col: 1 });
    expect(diagnostics[0]!.hint).toContain('once');
  });

  it('locates keys and falls back to the nearest existing ancestor', () => {
    const text = 'alerts:\n  - name: A\n    expr: up\n';
    const def = loadYaml('a.yaml', text).definitions[0]!;
    expect(at(text, def.locateKey(['alerts', 0, 'expr']).start)).toEqual({ line: 3, col: 5 });
    expect(at(text, def.locate(['alerts', 0, 'missing']).start)).toEqual({ line: 2, col: 5 });
  });

  it.each([
    ['plain', 'expr: sum(rate(x[5m]))\n', 4, { line: 1, col: 11 }],
    ['single-quoted with an escaped quote', "expr: 'a{b=''c''} + rate(x)'\n", 11, { line: 1, col: 21 }],
    ['double-quoted with an escape', 'expr: "a{b=\\"c\\"} + rate(x)"\n', 11, { line: 1, col: 21 }],
    ['literal block', 'expr: |\n  sum by (a) (\n    rate(x)\n  )\n', 15, { line: 3, col: 5 }],
    ['folded block', 'expr: >-\n  sum(\n    rate(x))\n', 7, { line: 3, col: 5 }],
  ])('maps offsets inside a %s scalar back to the file', (_name, text, offset, want) => {
    const def = loadYaml('e.yaml', text).definitions[0]!;
    const span = def.locateInString(['expr'], offset, offset + 4);
    expect(at(text, span.start)).toEqual(want);
    expect(text.slice(span.start, span.start + 4)).toBe('rate');
  });
});

describe('fast path', () => {
  const repo = path.resolve(import.meta.dirname, '../..');
  const files = ['examples/ml-platform', 'test/fixtures']
    .flatMap((dir) => readdirSync(path.join(repo, dir), { recursive: true }).map((f) => path.join(dir, String(f))))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();

  it.each(files)('reads %s exactly as the positional parser does', (file) => {
    const text = readFileSync(path.join(repo, file), 'utf8');
    const slow = parseAllDocuments(text).filter((d) => d.errors.length === 0 && d.contents !== null).map((d) => d.toJS());
    const { definitions, diagnostics } = loadYaml(file, text);
    if (diagnostics.length === 0) expect(definitions.map((d) => d.value)).toEqual(slow);
  });

  it('still positions values of a multi-document file read on the fast path', () => {
    const text = 'a: 1\n---\n~\n---\nkind: X\nname: y\n';
    const { definitions } = loadYaml('m.yaml', text);
    expect(definitions.map((d) => d.value)).toEqual([{ a: 1 }, { kind: 'X', name: 'y' }]);
    expect(at(text, definitions[1]!.locate(['name']).start)).toEqual({ line: 6, col: 7 });
  });
});

describe('loadYamlCached', () => {
  it('gives what loadYaml gives, first and through the cache, and keeps no file with a document too large', () => {
    const kept = new Map<string, unknown[]>();
    const cache = { get: (k: string) => kept.get(k), set: (k: string, v: unknown[]) => void kept.set(k, v) };
    const deep = (n: number): string => (n === 0 ? '1' : `[${deep(n - 1)}]`);
    const texts = {
      clean: 'apiVersion: vigil/v1\nkind: Metrics\n---\napiVersion: vigil/v1\nkind: Receivers\n',
      // Nested past the depth limit, after a document within it (an error either way).
      'too deep': `apiVersion: vigil/v1\nkind: Metrics\n---\nkind: Metrics\nx: ${deep(300)}\n`,
      'too many values': `a: &a [${Array(2000).fill(1).join(',')}]\nb: &b [${Array(2000).fill('*a').join(',')}]\n`,
    };
    for (const [name, text] of Object.entries(texts)) {
      const plain = loadYaml(`${name}.yaml`, text);
      for (let run = 0; run < 2; run++) {
        const cached = loadYamlCached(`${name}.yaml`, text, cache, name);
        expect(cached.diagnostics, `${name}, run ${run}`).toEqual(plain.diagnostics);
        expect(cached.definitions.map((d) => d.value), `${name}, run ${run}`).toEqual(plain.definitions.map((d) => d.value));
      }
      expect(kept.has(name), name).toBe(plain.diagnostics.length === 0);
    }
    expect(loadYaml('too deep.yaml', texts['too deep']).diagnostics.length).toBeGreaterThan(0);
    expect(loadYaml('too many values.yaml', texts['too many values']).diagnostics.map((d) => d.code)).toEqual(['load/limit']);
  });
});
