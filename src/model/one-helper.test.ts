import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// The severity rank and a level's label set each have one helper (severity-rank.ts, level-labels.ts); a new private
// copy drifts (one sorted undeclared levels after rank 99, another after MAX_SAFE_INTEGER).
const SRC = new URL('..', import.meta.url).pathname;
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );

const COPIES: { what: string; pattern: RegExp; home: string; absentAtHome?: true }[] = [
  { what: 'a map from severity name to rank', pattern: /\[\s*\w+\.name\s*,\s*\w+\.rank\s*\]/, home: 'model/severity-rank.ts' },
  { what: 'a rank with a sentinel for undeclared levels', pattern: /rank\w*\.get\([^)]*\)\s*\?\?/, home: 'model/severity-rank.ts', absentAtHome: true },
  { what: "a level's notification labels", pattern: /alertname:\s*\w+\.name\b/, home: 'model/level-labels.ts' },
  // An alert's labels (not a firing's, which promtool-format completes with its own severity).
  { what: "a level's rule labels", pattern: /\.\.\.(?:alert|a)\.labels\s*,\s*severity(:\s*\w+(\.severity)?)?\s*\}/, home: 'model/level-labels.ts' },
];

describe('one helper each for the severity rank and a level label set', () => {
  const sources = files(SRC).map((path) => ({ path: relative(SRC, path), text: readFileSync(path, 'utf8') }));

  it.each(COPIES)('$what is built only in $home', ({ pattern, home }) => {
    const copies = sources.filter((f) => f.path !== home && pattern.test(f.text)).map((f) => f.path);
    expect(copies).toEqual([]);
  });

  it.each(COPIES.filter((c) => !c.absentAtHome))('the pattern for $what still finds the helper itself', ({ pattern, home }) => {
    // Guards the scan: a pattern that matches nothing would pass the test above vacuously.
    expect(pattern.test(sources.find((f) => f.path === home)!.text)).toBe(true);
  });
});
