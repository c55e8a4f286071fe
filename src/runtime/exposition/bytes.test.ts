import { describe, expect, it } from 'vitest';
import { MAX_VALUE_BYTES, putBytes, putValue } from './bytes.ts';
import { formatValue } from './format.ts';

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
