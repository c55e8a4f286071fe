// The generated validators count a string's code points (minLength, maxLength) with ajv's ucs2length behind a
// shortcut for strings without a high surrogate: the same counts as ajv's own function over random strings of
// ASCII, CJK, pairs, lone high and low surrogates (at the start, the end, side by side), and the same verdicts from a
// generated validator.
import { readFileSync } from 'node:fs';
import ajvUcs2length from 'ajv/dist/runtime/ucs2length.js';
import { describe, expect, it } from 'vitest';
import { UCS2LENGTH_SOURCE } from './gen-validators.ts';

const reference = ((ajvUcs2length as unknown as { default?: (s: string) => number }).default ?? ajvUcs2length) as unknown as (s: string) => number;
const shortcut = new Function(`return ${UCS2LENGTH_SOURCE}`)() as (s: string) => number;

const UNITS = ['a', ' ', '\n', '告', '\u00e9', '\ud83d', '\ude00', '\ud800', '\udbff', '\udc00', '\udfff', '\uffff', '\u2028'];

describe('ucs2length', () => {
  it("counts what ajv's counts (20,000 random strings)", () => {
    let seed = 11;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    let surrogates = 0;
    for (let n = 0; n < 20_000; n++) {
      let text = '';
      const length = Math.floor(rand() * 12);
      for (let i = 0; i < length; i++) text += rand() < 0.5 ? 'a' : UNITS[Math.floor(rand() * UNITS.length)];
      if (/[\ud800-\udfff]/.test(text)) surrogates++;
      expect(shortcut(text), JSON.stringify(text)).toBe(reference(text));
    }
    expect(surrogates).toBeGreaterThan(5000);
    expect(shortcut('😀😀')).toBe(2);
    expect(shortcut('\ud83d')).toBe(1);
  });

  it('is the function the generated validators use', () => {
    const generated = readFileSync(new URL('./validators.gen.cjs', import.meta.url), 'utf8');
    expect(generated).toContain(UCS2LENGTH_SOURCE);
    expect(generated).not.toContain('ajv/dist/runtime/ucs2length');
  });
});
