import { describe, expect, it } from 'vitest';
import { sortDistinctStrings } from './sort-strings.ts';
import { seededRandom } from '../../test/helpers/seeded-random.ts';

describe('sortDistinctStrings', () => {
  it('orders distinct strings exactly as Array.prototype.sort does, in place, at every length around the insertion cut', () => {
    const random = seededRandom(20261205);
    // Characters where code-unit order differs from code-point or locale order: digits, cases, astral halves, BMP tail.
    const alphabet = ['0', '9', 'A', 'Z', '_', 'a', 'z', 'é', '\u{1F600}', '\uFFFD', '\uD800', ' ', ''];
    for (let n = 0; n < 2000; n++) {
      const length = n % 14;
      const keys = new Set<string>();
      while (keys.size < length) keys.add(Array.from({ length: 1 + Math.floor(random() * 3) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
      const input = [...keys];
      const expected = [...input].sort();
      const sorted = sortDistinctStrings(input);
      expect(sorted, JSON.stringify([...keys])).toEqual(expected);
      expect(sorted).toBe(input);
    }
  });
});
