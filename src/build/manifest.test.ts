import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { artifactBytes, artifactSha256, forgetArtifactBytes, withContentParts, withLazyContent } from './manifest.ts';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Texts of every kind a generated file holds: ASCII, Latin-1, other BMP characters, astral ones, large or empty. */
function randomText(next: () => number): string {
  const alphabets = ['abc xyz|-\n', 'é ü ß ±', '— → 告警 ≥', '😀𝔘', ''];
  const alphabet = [...alphabets[Math.floor(next() * alphabets.length)]!];
  let text = '';
  for (let i = Math.floor(next() * 200); i > 0 && alphabet.length > 0; i--) text += alphabet[Math.floor(next() * alphabet.length)];
  // Now and then past the size from which the bytes are made once and kept (1 MB).
  return next() < 0.1 && text !== '' ? text.repeat(Math.ceil((1 << 20) / text.length) + 1) : text;
}

describe('generated files with contents made on demand', () => {
  it('give the bytes, sha256 and content of the joined parts, before and after the write drops the bytes', () => {
    let seed = 12;
    const next = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let round = 0; round < 60; round++) {
      const parts = Array.from({ length: 1 + Math.floor(next() * 3) }, () => randomText(next));
      const joined = parts.join('');
      const file = withContentParts({ path: 'docs/alerts.md', sources: [] }, parts);
      const expected = Buffer.from(joined, 'utf8');
      expect(artifactBytes(file).equals(expected), `round ${round}`).toBe(true);
      expect(artifactSha256(file)).toBe(sha256(expected));
      forgetArtifactBytes(file);
      expect(artifactBytes(file).equals(expected)).toBe(true);
      expect(file.content).toBe(joined);
      // A plain file of the same content: the same digest and bytes, whichever way they were made.
      const plain = { path: 'x', content: joined, sources: [] };
      expect(artifactSha256(plain)).toBe(sha256(expected));
      expect(artifactBytes(plain).equals(expected)).toBe(true);
    }
  });

  it('read a kept text once, when its content is first asked for', () => {
    let reads = 0;
    const file = withLazyContent({ path: 'prometheus/rules/a.yml', sources: [] }, 'f'.repeat(64), () => (reads++, 'groups: []\n'));
    expect(artifactSha256(file)).toBe('f'.repeat(64));
    expect(reads).toBe(0);
    expect([file.content, file.content]).toEqual(['groups: []\n', 'groups: []\n']);
    expect(reads).toBe(1);
  });
});
