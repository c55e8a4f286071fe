import { describe, expect, it } from 'vitest';
import { MAX_VALUE_BYTES, ownLabelsBytes, ownLabelsMaxBytes, putBytes, putOwnLabels, putValue } from './bytes.ts';
import { formatOwnLabels, formatValue, type LabelSet } from './format.ts';

describe('putValue writes what formatValue prints', () => {
  it.each([
    0, -0, 1, 9, 10, 11, 99, 100, 101, 12345, 999_999_999_999_999, 1e15, 1e15 + 1, 2 ** 53, 2 ** 53 + 2, 1e21, 1e22, 123e20,
    0.1, 0.1 + 0.2, 1.5, -1, -1.5, -10, 1e-7, 5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, -2.2250738585072014e-308,
    NaN, Infinity, -Infinity, 4.35, 1 / 3,
  ])('%d', (value) => {
    const into = Buffer.alloc(40, 0x2a);
    const end = putValue(value, into, 3);
    expect(into.toString('latin1', 3, end)).toBe(formatValue(value));
    expect(end - 3).toBeLessThanOrEqual(MAX_VALUE_BYTES);
    expect(into[2]).toBe(0x2a);
    expect(into[end]).toBe(0x2a);
  });
});

describe('putBytes', () => {
  it('copies the bytes at the offset and returns the offset after them', () => {
    const into = Buffer.alloc(8, 0x2e);
    expect(putBytes(Buffer.from('ab✓'), into, 2)).toBe(7);
    expect(into.toString('utf8')).toBe('..ab✓.');
  });
});

describe('putOwnLabels writes what formatOwnLabels prints, within ownLabelsMaxBytes, in ownLabelsBytes exactly', () => {
  const values: unknown[] = ['', 'plain', 'back\\slash', 'quote"d', 'new\nline', 'all \\"\n three', 'ünïcødé ✓', '𝄞 clef',
    'lone \ud800 surrogate', 'ascii then é', '"""', '\\\\', 0, -1.5, 1e21, NaN, true, null, undefined];
  const names = ['a', 'service', 'le', '_x9', 'route_name'];

  it.each([[{}], [{ a: 'x' }], [{ b: 'é', a: 1 }], [{ a: '"\n\\' }], [{ 1: 'index-like name first', z: 'z' }]] as [LabelSet][])('%j', (labels) => {
    expectSame(labels);
  });

  it('over seeded random label sets (values of every kind, escapes, multi-byte and lone surrogates)', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let n = 0; n < 2_000; n++) {
      const labels: LabelSet = {};
      const count = Math.floor(next() * 5);
      for (let i = 0; i < count; i++) {
        const value = values[Math.floor(next() * values.length)];
        labels[names[Math.floor(next() * names.length)]] = typeof value === 'string' && next() < 0.3 ? value.repeat(1 + Math.floor(next() * 40)) : value;
      }
      expectSame(labels);
    }
  });

  function expectSame(labels: LabelSet) {
    const room = ownLabelsMaxBytes(labels);
    const into = Buffer.alloc(room + 2, 0x2a);
    const end = putOwnLabels(labels, into, 1);
    expect(into.toString('utf8', 1, end)).toBe(Buffer.from(formatOwnLabels(labels)).toString());
    expect(into.subarray(1, end).equals(Buffer.from(formatOwnLabels(labels)))).toBe(true);
    expect(end - 1).toBeLessThanOrEqual(room);
    expect(ownLabelsBytes(labels)).toBe(end - 1);
    expect(into[0]).toBe(0x2a);
    expect(into[end]).toBe(0x2a);
  }
});
