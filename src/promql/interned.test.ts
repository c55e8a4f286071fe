import { describe, expect, it } from 'vitest';
import { functionUse, located, locatedName } from './interned.ts';
import { analyzePromql } from './index.ts';

describe('interned located objects', () => {
  it('gives the same frozen object for the same values, and a different one for different values', () => {
    expect(located(3, 9)).toBe(located(3, 9));
    expect(located(3, 9)).toEqual({ start: 3, end: 9 });
    expect(located(3, 9)).not.toBe(located(3, 10));
    expect(located(4, 9)).not.toBe(located(3, 9));
    expect(Object.isFrozen(located(3, 9))).toBe(true);
    expect(() => {
      (located(3, 9) as { start: number }).start = 4;
    }).toThrow(TypeError);
  });

  it('keys named ones by name too, keeping each kind its own key order', () => {
    expect(locatedName(0, 4, 'rate')).toBe(locatedName(0, 4, 'rate'));
    expect(locatedName(0, 4, 'rate')).not.toBe(locatedName(0, 4, 'sum'));
    expect(Object.keys(locatedName(0, 4, 'rate'))).toEqual(['start', 'end', 'name']);
    expect(functionUse('rate', 0, 4)).toBe(functionUse('rate', 0, 4));
    expect(Object.keys(functionUse('rate', 0, 4))).toEqual(['name', 'start', 'end']);
  });

  it('makes a fresh object beyond its tables', () => {
    expect(located(100_000, 100_004)).not.toBe(located(100_000, 100_004));
    expect(located(10, 10 + 5000)).toEqual({ start: 10, end: 5010 });
    expect(located(10, 10 + 5000)).not.toBe(located(10, 10 + 5000));
    expect(Object.isFrozen(located(100_000, 100_004))).toBe(false);
  });

  it('is shared between analyses of expressions of the same shape', () => {
    const a = analyzePromql('sum by (job) (rate(x{code="5"}[5m]))');
    const b = analyzePromql('sum by (job) (rate(y{code="6"}[5m]))');
    expect(a.functions[0]).toBe(b.functions[0]);
    expect(a.facts!.groupings[0]!.labels[0]).toBe(b.facts!.groupings[0]!.labels[0]);
    expect(a.facts!.selectors[0]!.at).toBe(b.facts!.selectors[0]!.at);
    expect(a.facts!.selectors[0]!.metric).not.toBe(b.facts!.selectors[0]!.metric);
  });
});
