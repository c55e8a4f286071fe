// isPlainSafe, quoted and canBeLiteral ask nonPrintable and unsafeInside instead of NON_PRINTABLE's and UNSAFE_INSIDE's
// alternatives (a character class first, substring searches): the same answers as the regular expressions over
// random strings of the characters at their edges — controls, C1, NEL, LS/PS, BOM, U+FFFE/F, paired and lone
// surrogates, `: `, ` #`, a final `:` — among ordinary text.
import { describe, expect, it } from 'vitest';
import { NON_PRINTABLE, nonPrintable, UNSAFE_INSIDE, unsafeInside } from './yaml-writer.ts';

const PIECES = ['a', 'b c', '告警', ':', ' ', '#', ': ', ' #', ':#', '\t', '\n', '\r', '\u0000', '\u0008', '\u000b', '\u000c', '\u000e', '\u001f', '\u007f', '\u0080', '\u0084', '\u0085', '\u0086', '\u009f', '\u00a0', '\u2028', '\u2029', '\ufeff', '\ufffe', '\uffff', '\ufffd', '\ud800', '\udbff', '\udc00', '\udfff', '😀', '\ud7ff', '\ue000'];

describe('the YAML writer\'s scans', () => {
  it('nonPrintable and unsafeInside answer as NON_PRINTABLE and UNSAFE_INSIDE (50,000 random strings)', () => {
    let seed = 21;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const seen = { printable: 0, non: 0, safe: 0, unsafe: 0 };
    for (let n = 0; n < 50_000; n++) {
      let text = '';
      const length = Math.floor(rand() * 8);
      // Mostly ordinary text, so that both answers are common.
      for (let i = 0; i < length; i++) text += rand() < 0.6 ? 'x' : PIECES[Math.floor(rand() * PIECES.length)];
      const non = NON_PRINTABLE.test(text);
      const unsafe = UNSAFE_INSIDE.test(text);
      expect(nonPrintable(text), JSON.stringify(text)).toBe(non);
      expect(unsafeInside(text), JSON.stringify(text)).toBe(unsafe);
      seen[non ? 'non' : 'printable']++;
      seen[unsafe ? 'unsafe' : 'safe']++;
    }
    for (const count of Object.values(seen)) expect(count).toBeGreaterThan(5000);
  });
});
