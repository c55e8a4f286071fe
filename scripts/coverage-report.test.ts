import libCoverage from 'istanbul-lib-coverage';
import { describe, expect, it } from 'vitest';
import { addHits, thresholdFailures } from './coverage-report.mjs';

const loc = (line: number, start: number, end: number | null, endLine = line) => ({ start: { line, column: start }, end: { line: endLine, column: end } });

/** A file as vitest reports it: two statements, one function, one if-branch, none run in-process. */
function inProcess() {
  return libCoverage.createFileCoverage({
    path: '/repo/src/cli/main.ts',
    statementMap: { 0: loc(4, 6, 41), 1: loc(7, 2, null, 9) },
    fnMap: { 0: { name: 'main', decl: loc(6, 16, 20), loc: loc(6, 0, null, 10), line: 6 } },
    branchMap: { 0: { type: 'if', loc: loc(7, 2, null, 9), locations: [loc(7, 2, null, 9), loc(7, 2, null, 9)], line: 7 } },
    s: { 0: 0, 1: 0 },
    f: { 0: 0 },
    b: { 0: [0, 0] },
  });
}

describe('adding the hits of the subprocesses to the in-process coverage', () => {
  it('finds an item by its start, by its end when the start is a token later, and by its lines', () => {
    const target = inProcess();
    const unmatched = addHits(target, {
      // `const NAME = {…}` placed at the `{` by the bundle's source map: same end.
      statementMap: { 0: loc(4, 16, 41), 1: loc(7, 3, 40, 9) },
      fnMap: { 0: { name: 'main', decl: loc(6, 16, 20), loc: loc(6, 0, null, 10), line: 6 } },
      branchMap: { 0: { type: 'if', loc: loc(7, 2, null, 9), locations: [loc(7, 2, null, 9), loc(7, 2, null, 9)], line: 7 } },
      s: { 0: 1, 1: 3 },
      f: { 0: 2 },
      b: { 0: [3, 0] },
    });
    expect(unmatched).toBe(0);
    expect(target.data.s).toEqual({ 0: 1, 1: 3 });
    expect(target.data.f).toEqual({ 0: 2 });
    expect(target.data.b).toEqual({ 0: [3, 0] });
  });

  it('counts, and does not add, what has no counterpart: imports, another kind of branch, items that did not run', () => {
    const target = inProcess();
    const unmatched = addHits(target, {
      statementMap: { 0: loc(1, 0, 40), 1: loc(4, 6, 41) },
      fnMap: {},
      branchMap: { 0: { type: 'cond-expr', loc: loc(7, 2, null, 9), locations: [loc(7, 2, 5), loc(7, 8, 9)], line: 7 } },
      s: { 0: 5, 1: 0 },
      f: {},
      b: { 0: [1, 1] },
    });
    expect(unmatched).toBe(2);
    expect(target.toSummary().statements.covered).toBe(0);
    expect(target.data.b).toEqual({ 0: [0, 0] });
  });

  it('keeps the totals of the in-process coverage, so code run both ways is counted once', () => {
    const target = inProcess();
    target.data.s[0] = 4;
    addHits(target, { statementMap: { 0: loc(4, 6, 41) }, fnMap: {}, branchMap: {}, s: { 0: 2 }, f: {}, b: {} });
    expect(target.toSummary().statements).toMatchObject({ total: 2, covered: 1 });
    expect(target.data.s[0]).toBe(6);
  });
});

describe('thresholds', () => {
  const summary = (lines: number, statements: number) => {
    const s = libCoverage.createCoverageSummary();
    s.data.lines = { total: 100, covered: lines, skipped: 0, pct: lines };
    s.data.statements = { total: 100, covered: statements, skipped: 0, pct: statements };
    return s;
  };

  it('passes at 85% lines, 80% statements overall and 70% lines in every folder', () => {
    expect(thresholdFailures([['cli/', summary(70, 60)]], summary(85, 80))).toEqual([]);
  });

  it.each([
    ['lines overall', summary(84.9, 90), [['cli/', summary(90, 90)]], 'lines 84.9% < 85% overall'],
    ['statements overall', summary(90, 79.9), [['cli/', summary(90, 90)]], 'statements 79.9% < 80% overall'],
    ['a folder', summary(90, 90), [['cli/', summary(90, 90)], ['deploy/', summary(69.9, 90)]], 'src/deploy/ lines 69.9% < 70%'],
  ])('fails below the threshold of %s', (_, total, folders, failure) => {
    expect(thresholdFailures(folders as [string, ReturnType<typeof summary>][], total)).toEqual([failure]);
  });
});
