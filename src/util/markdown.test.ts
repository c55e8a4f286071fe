import { describe, expect, it } from 'vitest';
import { oneLine } from './markdown.ts';

describe('oneLine', () => {
  // The two replacements it makes, without its shortcut for text that needs neither.
  const reference = (s: string) =>
    s
      .replace(/\r\n|[\n\r\u000b\u000c\u0085\u2028\u2029]/g, ' ')
      .replace(/[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

  it('gives what the replacements give, for every UTF-16 code unit alone and between letters', () => {
    for (let code = 0; code <= 0xffff; code++) {
      const c = String.fromCharCode(code);
      expect(oneLine(c)).toBe(reference(c));
      expect(oneLine(`a${c}b`)).toBe(reference(`a${c}b`));
    }
    expect(oneLine('a\r\nb\tc\u202ed')).toBe('a b\tc\\u202ed');
  });
});
