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

  it('sortLevels gives what a stable sort by rank gives, and a copy (2,000 random level lists, two swapped without a sort)', () => {
    let seed = 9;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const names = ['critical', 'warning', 'info', 'x', 'y'];
    for (let n = 0; n < 2000; n++) {
      const levels = Array.from({ length: Math.floor(rand() * 5) }, (_, i) => ({ severity: names[Math.floor(rand() * names.length)]!, i }));
      const sorted = rank.sortLevels(levels);
      expect(sorted).toEqual([...levels].sort((a, b) => rank.compare(a.severity, b.severity)));
      expect(sorted).not.toBe(levels);
      for (let i = 0; i < sorted.length; i++) expect(sorted[i]).toBe(levels.find((l) => l.i === sorted[i]!.i));
    }
  });

  it('ladder gives the distinct declared severities by rank, as a Set and a sort give them (2,000 random lists, ties included)', () => {
    let seed = 4;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const tied = severityRank({ severities: [{ name: 'critical', rank: 0 }, { name: 'page', rank: 0 }, { name: 'warning', rank: 1 }] as SeverityModel[] });
    const names = ['critical', 'warning', 'info', 'page', 'x', '__proto__'];
    for (const r of [rank, tied]) {
      for (let n = 0; n < 2000; n++) {
        const list = Array.from({ length: Math.floor(rand() * 4) }, () => names[Math.floor(rand() * names.length)]!);
        expect(r.ladder(list)).toEqual([...new Set(list)].filter((s) => r.declares(s)).sort(r.compare));
      }
    }
  });
});

