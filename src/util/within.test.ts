import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isWithin } from './within.ts';

describe('isWithin', () => {
  const p = (...parts: string[]) => path.join(path.sep, ...parts);
  it.each([
    ['the folder itself', p('repo'), p('repo'), true],
    ['a file in it', p('repo', 'a.yaml'), p('repo'), true],
    ['a folder deeper in it', p('repo', 'node_modules', 'vigil'), p('repo'), true],
    ['a sibling whose name starts with the folder’s', p('repo-more'), p('repo'), false],
    ['a sibling file named like it', p('repo.yaml'), p('repo'), false],
    ['the folder above', p(), p('repo'), false],
    ['anything, in the root', p('repo'), path.sep, true],
    ['a folder given with a trailing separator', p('repo', 'x'), p('repo') + path.sep, true],
  ])('%s', (_, target, folder, expected) => {
    expect(isWithin(target, folder)).toBe(expected);
  });
});
