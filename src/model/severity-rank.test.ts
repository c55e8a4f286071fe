import { describe, expect, it } from 'vitest';
import { severityRank } from './severity-rank.ts';
import type { SeverityModel } from './types.ts';

const ladder = (...names: string[]) => ({ severities: names.map((name, rank) => ({ name, rank }) as SeverityModel) });

describe('severityRank', () => {
  const rank = severityRank(ladder('critical', 'warning', 'info'));

  it('gives each declared severity its place on the ladder, 0 the most severe', () => {
    expect(['critical', 'warning', 'info', 'page'].map((s) => rank.of(s))).toEqual([0, 1, 2, undefined]);
    expect(['critical', 'info', 'page', ''].map((s) => rank.declares(s))).toEqual([true, true, false, false]);
  });

  // Every ordered pair of names, declared or not: declared names by rank, undeclared ones after them and tied.
  const names = ['critical', 'warning', 'info', 'page', 'zzz'];
  const expected = (a: string, b: string) => {
    const i = names.indexOf(a), j = names.indexOf(b);
    if (i > 2 && j > 2) return 0;
    return Math.sign(Math.min(i, 3) - Math.min(j, 3));
  };
  it.each(names.flatMap((a) => names.map((b) => [a, b] as const)))('compare(%s, %s)', (a, b) => {
    expect(Math.sign(rank.compare(a, b))).toBe(expected(a, b));
  });

  it('does not rank undeclared names after the 99th level (no sentinel rank)', () => {
    const many = severityRank(ladder(...Array.from({ length: 120 }, (_, i) => `l${i}`)));
    expect(many.compare('l110', 'other')).toBeLessThan(0);
    expect(many.compare('other', 'l110')).toBeGreaterThan(0);
  });

  it('sorts levels most severe first, undeclared last in their written order, without touching the input', () => {
    const levels = [{ severity: 'info' }, { severity: 'x' }, { severity: 'critical' }, { severity: 'y' }, { severity: 'warning' }];
    const copy = structuredClone(levels);
    expect(rank.sortLevels(levels).map((l) => l.severity)).toEqual(['critical', 'warning', 'info', 'x', 'y']);
    expect(levels).toEqual(copy);
  });

  it('ladder: the distinct declared severities of a list, most severe first', () => {
    expect(rank.ladder(['info', 'page', 'critical', 'info', 'warning', 'critical'])).toEqual(['critical', 'warning', 'info']);
    expect(rank.ladder(['page'])).toEqual([]);
  });

  it('without a Severities definition nothing is declared and every name ties', () => {
    const none = severityRank({ severities: [] });
    expect(none.declares('critical')).toBe(false);
    expect(none.compare('critical', 'info')).toBe(0);
    expect(none.sortLevels([{ severity: 'b' }, { severity: 'a' }]).map((l) => l.severity)).toEqual(['b', 'a']);
  });
});
