import { describe, expect, it } from 'vitest';
import { allInOrder } from './all-in-order.ts';

const later = <T,>(ms: number, value: T, fail = false) => new Promise<T>((resolve, reject) => setTimeout(() => (fail ? reject(new Error(String(value))) : resolve(value)), ms));

describe('allInOrder', () => {
  it('gives every value in order, as Promise.all does', async () => {
    expect(await allInOrder([later(20, 'a'), later(1, 'b'), Promise.resolve(3)])).toEqual(['a', 'b', 3]);
    expect(await allInOrder([])).toEqual([]);
  });

  // Each row makes its promises when it runs: a rejection made earlier would have no handler yet.
  it.each([
    ['the first fails last', () => [later(30, 'first', true), later(1, 'second', true)], 'first'],
    ['the first fails first', () => [later(1, 'first', true), later(30, 'second', true)], 'first'],
    ['only a later one fails', () => [later(1, 'ok'), later(20, 'third', true), later(5, 'fourth', true)], 'third'],
  ] as const)('throws the first failure in order when %s', async (_name, promises, expected) => {
    await expect(allInOrder(promises() as Promise<unknown>[])).rejects.toThrow(expected);
  });

  it('waits for every promise before it throws (nothing is left running behind the error)', async () => {
    let finished = false;
    const slow = later(30, 'slow').then((v) => ((finished = true), v));
    await expect(allInOrder([Promise.reject(new Error('fast')), slow])).rejects.toThrow('fast');
    expect(finished).toBe(true);
  });
});
