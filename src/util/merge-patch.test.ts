import { describe, expect, it } from 'vitest';
import { applyMergePatch, deepEqual, mergePatchBetween } from './merge-patch.ts';

describe('JSON Merge Patch (RFC 7386)', () => {
  // The examples of RFC 7386 appendix A: target, patch, result.
  const rfc: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  it.each(rfc)('%j patched with %j is %j', (target, patch, result) => {
    expect(applyMergePatch(target, patch)).toEqual(result);
  });

  it('changes neither the target nor the patch', () => {
    const target = { a: { b: 1 } };
    const patch = { a: { c: 2 } };
    applyMergePatch(target, patch);
    expect(target).toEqual({ a: { b: 1 } });
    expect(patch).toEqual({ a: { c: 2 } });
  });

  // Pairs a dashboard import meets: the patch found must turn the first into the second, and be no larger than needed.
  const pairs: [string, Record<string, unknown>, Record<string, unknown>, Record<string, unknown> | undefined][] = [
    ['equal documents need no patch', { a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 2] } }, {}],
    ['a key the target lacks is added', { a: 1 }, { a: 1, b: { c: 2 } }, { b: { c: 2 } }],
    ['a key the result lacks is removed', { a: 1, b: 2 }, { a: 1 }, { b: null }],
    ['nested objects are patched, not replaced', { o: { x: 1, y: 2 } }, { o: { x: 1, y: 3 } }, { o: { y: 3 } }],
    ['an array differing anywhere is replaced whole', { l: [1, 2, 3] }, { l: [1, 2, 4] }, { l: [1, 2, 4] }],
    ['nulls inside arrays are written with the array', { s: [] }, { s: [{ value: null, color: 'green' }] }, { s: [{ value: null, color: 'green' }] }],
    ['an object replacing a scalar', { o: 1 }, { o: { p: true } }, { o: { p: true } }],
    ['a null member cannot be written', { a: 1 }, { a: 1, b: null }, undefined],
    ['a null member changed from a value cannot be written', { a: 1 }, { a: null }, undefined],
    ['a null deep in a new object cannot be written', { a: 1 }, { a: 1, o: { p: { q: null } } }, undefined],
  ];
  it.each(pairs)('%s', (_, from, to, expected) => {
    const found = mergePatchBetween(from, to);
    if (expected === undefined) return expect(found).toBeUndefined();
    expect(found?.patch).toEqual(expected);
    expect(applyMergePatch(from, found!.patch)).toEqual(to);
  });

  it('a null both sides hold is no difference', () => {
    expect(mergePatchBetween({ a: null }, { a: null })).toEqual({ patch: {} });
  });

  it('deepEqual ignores undefined members and key order, not array order', () => {
    expect(deepEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(deepEqual({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
    expect(deepEqual({ a: null }, {})).toBe(false);
  });
});

describe("keys Object.prototype also has (the patch is a dashboard definition's: a pull request's)", () => {
  // JSON.parse, as YAML and JSON definitions are read, makes `__proto__` a key like any other.
  const doc = (text: string) => JSON.parse(text) as Record<string, unknown>;
  it.each(['__proto__', 'constructor', 'toString'])('%s is a key of the document, never its prototype', (key) => {
    const patched = applyMergePatch({ a: 1 }, doc(`{ ${JSON.stringify(key)}: { "inherited": true }, "b": 2 }`)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(patched)).toBe(Object.prototype);
    expect(Object.keys(patched).sort()).toEqual([key, 'a', 'b'].sort());
    expect(Object.getOwnPropertyDescriptor(patched, key)?.value).toEqual({ inherited: true });
    expect((patched as { inherited?: unknown }).inherited).toBeUndefined();
    // And the patch between two documents that differ in that key alone.
    const from = doc(`{ "a": 1, ${JSON.stringify(key)}: { "x": 1 } }`);
    const to = doc(`{ "a": 1, ${JSON.stringify(key)}: { "x": 2 } }`);
    const found = mergePatchBetween(from, to);
    expect(Object.getOwnPropertyDescriptor(found!.patch, key)?.value).toEqual({ x: 2 });
    expect(deepEqual(applyMergePatch(from, found!.patch), to)).toBe(true);
    expect(deepEqual({ a: 1 }, doc(`{ ${JSON.stringify(key)}: 1 }`))).toBe(false);
  });
});
