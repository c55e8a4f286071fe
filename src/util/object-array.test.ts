import { describe, expect, it } from 'vitest';
import { holdsPackedObjects } from '../../test/helpers/v8-shapes.ts';
import { objectArray } from './object-array.ts';

describe('objectArray', () => {
  it('is empty and new each time', () => {
    const a = objectArray<{ n: number }>();
    const b = objectArray<{ n: number }>();
    expect(a).toEqual([]);
    a.push({ n: 1 });
    expect(b).toEqual([]);
    expect(objectArray()).toEqual([]);
  });

  it('has the kind an array of objects has, where [] has another', () => {
    expect(holdsPackedObjects(objectArray())).toBe(true);
    expect(holdsPackedObjects([])).toBe(false);
    expect(holdsPackedObjects([{}])).toBe(true);
    // Made in a loop hot enough to be optimised, it stays of that kind.
    const made: object[][] = [];
    for (let i = 0; i < 50_000; i++) made.push(objectArray());
    expect(made.every(holdsPackedObjects)).toBe(true);
  });

  it('keeps that kind when objects are pushed', () => {
    const list = objectArray<object>();
    list.push({}, {});
    expect(list).toHaveLength(2);
    expect(holdsPackedObjects(list)).toBe(true);
  });
});
