import { afterEach, describe, expect, it } from 'vitest';
import { definitionsRead, LARGE_WORK_CHARS } from './large-work.ts';

const HOOK = Symbol.for('vigil.large-work');
const global = globalThis as Record<symbol, unknown>;

describe('definitionsRead', () => {
  afterEach(() => {
    delete global[HOOK];
  });

  it.each([
    [0, 0],
    [121_047, 0], // the example
    [LARGE_WORK_CHARS - 1, 0],
    [LARGE_WORK_CHARS, 1],
    [10 * LARGE_WORK_CHARS, 1],
  ])('%i characters of definitions call the command line back %i times', (chars, calls) => {
    let called = 0;
    global[HOOK] = () => called++;
    definitionsRead(chars);
    expect(called).toBe(calls);
  });

  it('is nothing without the command line (tests, the library, another command)', () => {
    expect(() => definitionsRead(LARGE_WORK_CHARS)).not.toThrow();
    global[HOOK] = 'not a function';
    expect(() => definitionsRead(LARGE_WORK_CHARS)).not.toThrow();
  });
});
