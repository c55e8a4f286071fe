// A catalogue part's lines are encoded straight into a buffer instead of joined and encoded: the same bytes and line
// ends as the join it replaced (kept here as the reference), over random rows and sections of hostile text — CJK,
// emoji, lone surrogates, quotes, line breaks — and parts large enough to grow the buffer it reuses.
import { describe, expect, it } from 'vitest';
import { cataloguePart, type CatalogueEntry } from './docs.ts';

function referencePart(entries: readonly CatalogueEntry[]) {
  const lines = [...entries.map((e) => e.row), ...entries.map((e) => e.section)];
  const ends = new Uint32Array(lines.length);
  let end = 0;
  lines.forEach((line, k) => (ends[k] = end += Buffer.byteLength(line, 'utf8') + 1));
  const text = lines.length ? Buffer.from(lines.join('\n') + '\n', 'utf8') : Buffer.alloc(0);
  return { names: entries.map((e) => e.name), levels: entries.reduce((n, e) => n + e.levels, 0), text: new Uint8Array(text.buffer, text.byteOffset, text.length), ends };
}

function random(seed: number) {
  let s = seed >>> 0 || 1;
  return () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
}

const PIECES = ['| a | b |', '告警名称', '😀', '\ud800', '\udc00x', '"q"', "it's", '\n', ': ', '# h', '`code`', '__proto__', 'é', ''];

/** The ASCII pieces alone: a part of them is encoded at once (its line ends are its characters'). */
const ASCII_PIECES = PIECES.filter((p) => /^[\x00-\x7f]*$/.test(p));

function text(rand: () => number, max: number, pieces = PIECES): string {
  let out = '';
  const n = Math.floor(rand() * max);
  for (let i = 0; i < n; i++) out += pieces[Math.floor(rand() * pieces.length)];
  return out;
}

describe('catalogue parts', () => {
  it('the bytes and line ends of the joined text (500 random parts, up to 4,000 entries)', () => {
    const rand = random(5);
    for (let n = 0; n < 500; n++) {
      const count = n % 50 === 0 ? 4000 : Math.floor(rand() * 60);
      const entries: CatalogueEntry[] = Array.from({ length: count }, () => ({ name: text(rand, 4), levels: Math.floor(rand() * 4), row: text(rand, 20), section: text(rand, 200) }));
      expectPartAsReference(entries);
    }
  });

  it('the same for parts of ASCII text, and for ASCII parts with one character beyond (300 random parts)', () => {
    const rand = random(11);
    for (let n = 0; n < 300; n++) {
      const count = n % 50 === 0 ? 3000 : Math.floor(rand() * 60);
      const entries: CatalogueEntry[] = Array.from({ length: count }, () => ({ name: text(rand, 4, ASCII_PIECES), levels: Math.floor(rand() * 4), row: text(rand, 20, ASCII_PIECES), section: text(rand, 200, ASCII_PIECES) }));
      if (n % 2 === 1 && count > 0) {
        const at = Math.floor(rand() * count);
        entries[at] = { ...entries[at]!, section: `${entries[at]!.section}${PIECES[1 + Math.floor(rand() * 4)]}` };
      }
      expectPartAsReference(entries);
    }
  });
});

/** cataloguePart's names, level count, bytes and line ends are the reference join's. */
function expectPartAsReference(entries: CatalogueEntry[]): void {
  const made = cataloguePart(entries);
  const expected = referencePart(entries);
  expect(made.names).toEqual(expected.names);
  expect(made.levels).toBe(expected.levels);
  expect(Buffer.from(made.text).equals(Buffer.from(expected.text))).toBe(true);
  expect([...made.ends]).toEqual([...expected.ends]);
}
