import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The layering of src/: a unit is a folder of src/ (src/emit/…) or a file directly in src/ (src/compile.ts), and no
 * two units may import each other, directly or round a longer loop. Tests beside the code (*.test.ts) are left out:
 * a test exercises several units together and is no part of what the code depends on.
 */
const SRC = path.resolve(import.meta.dirname, '../../src');

type Graph = Map<string, Map<string, string[]>>;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|cts|mts)$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

function unitOf(relative: string): string {
  const [first, ...rest] = relative.split(path.sep);
  return rest.length > 0 ? `${first}/` : first!;
}

/** Every relative import, re-export and dynamic import(), read by TypeScript's own scanner (comments and strings are not imports). */
function unitGraph(files: { file: string; text: string }[], root: string): Graph {
  const graph: Graph = new Map();
  for (const { file, text } of files) {
    const from = unitOf(path.relative(root, file));
    if (!graph.has(from)) graph.set(from, new Map());
    for (const imported of ts.preProcessFile(text, true, true).importedFiles) {
      if (!imported.fileName.startsWith('.')) continue;
      const target = path.relative(root, path.resolve(path.dirname(file), imported.fileName));
      if (target.startsWith('..')) continue;
      const to = unitOf(target);
      if (to === from) continue;
      const edges = graph.get(from)!;
      edges.set(to, [...(edges.get(to) ?? []), `${path.relative(root, file)} → ${imported.fileName}`]);
    }
  }
  return graph;
}

/** Each loop of units once (the strongly connected components of more than one unit), with the imports that close it. */
function loops(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  let next = 0;
  const visit = (unit: string): void => {
    index.set(unit, next);
    low.set(unit, next++);
    stack.push(unit);
    for (const to of graph.get(unit)?.keys() ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(unit, Math.min(low.get(unit)!, low.get(to)!));
      } else if (stack.includes(to)) low.set(unit, Math.min(low.get(unit)!, index.get(to)!));
    }
    if (low.get(unit) !== index.get(unit)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      component.push(member);
    } while (member !== unit);
    if (component.length > 1) {
      const members = new Set(component);
      found.push(
        [...members].sort().flatMap((a) => [...(graph.get(a) ?? [])].filter(([b]) => members.has(b)).flatMap(([, via]) => via)),
      );
    }
  };
  for (const unit of [...graph.keys()].sort()) if (!index.has(unit)) visit(unit);
  return found;
}

/**
 * Units that serve alerts at run time (the relay, an API; future folders) stay apart from the build pipeline: they
 * read what the build wrote, never the loader, the compiler or the checks.
 */
const RUNTIME_UNITS = ['relay/', 'api/'];
const BUILD_PIPELINE = (unit: string) => unit === 'load/' || unit === 'checks/' || /^compile/.test(unit);

function runtimeViolations(graph: Graph): string[] {
  return RUNTIME_UNITS.flatMap((unit) =>
    [...(graph.get(unit) ?? [])].filter(([to]) => BUILD_PIPELINE(to)).flatMap(([, via]) => via),
  );
}

/**
 * synth/ is pure (series synthesis, coverage, the promtool test format): nothing it imports, however indirectly, may
 * spawn a process. The runners that do (promtool, amtool, a throwaway Alertmanager) live in testing/.
 */
const PURE_UNITS = ['synth/'];
const SPAWNS = /^(node:)?(child_process|cluster)$/;

function spawnViolations(files: { file: string; text: string }[], root: string): string[] {
  const imports = new Map<string, string[]>();
  for (const { file, text } of files) {
    imports.set(
      file,
      ts.preProcessFile(text, true, true).importedFiles.map((i) => (i.fileName.startsWith('.') ? path.resolve(path.dirname(file), i.fileName) : i.fileName)),
    );
  }
  const found: string[] = [];
  for (const start of files.map((f) => f.file).filter((f) => PURE_UNITS.includes(unitOf(path.relative(root, f))))) {
    const seen = new Set([start]);
    const queue: string[][] = [[start]];
    while (queue.length) {
      const chain = queue.shift()!;
      for (const to of imports.get(chain.at(-1)!) ?? []) {
        if (SPAWNS.test(to)) {
          found.push([...chain.map((f) => path.relative(root, f)), to].join(' → '));
        } else if (path.isAbsolute(to) && !seen.has(to)) {
          seen.add(to);
          queue.push([...chain, to]);
        }
      }
    }
  }
  return [...new Set(found)];
}

function filesOf(files: Record<string, string>): { file: string; text: string }[] {
  return Object.entries(files).map(([file, text]) => ({ file: path.join('/p/src', file), text }));
}

function graphOf(files: Record<string, string>): Graph {
  return unitGraph(
    Object.entries(files).map(([file, text]) => ({ file: path.join('/p/src', file), text })),
    '/p/src',
  );
}

describe('architecture of src/', () => {
  const sources = sourceFiles(SRC).map((file) => ({ file, text: readFileSync(file, 'utf8') }));
  const graph = unitGraph(sources, SRC);

  it('has no two units that import each other (directly or round a loop)', () => {
    expect(loops(graph)).toEqual([]);
  });

  it('keeps relay/ and api/ away from load/, compile* and checks/', () => {
    expect(runtimeViolations(graph)).toEqual([]);
  });

  it('keeps synth/ free of anything that spawns a process, however indirectly', () => {
    expect(spawnViolations(sources, SRC)).toEqual([]);
  });

  it('reads the imports of the real tree (the test is not vacuous)', () => {
    expect(graph.get('compile.ts')?.has('checks/')).toBe(true);
    expect(graph.get('emit/')?.has('model/')).toBe(true);
    expect(graph.get('synth/')?.has('promql/')).toBe(true);
    expect(graph.get('testing/')?.has('synth/')).toBe(true);
  });
});

describe('the loop detector', () => {
  const loopCases: { name: string; files: Record<string, string>; loops: number }[] = [
    { name: 'a folder pair', files: { 'a/x.ts': "import { y } from '../b/y.ts';", 'b/y.ts': "import { x } from '../a/x.ts';" }, loops: 1 },
    { name: 'a type-only import', files: { 'a/x.ts': "import type { Y } from '../b/y.ts';", 'b/y.ts': "import type { X } from '../a/x.ts';" }, loops: 1 },
    { name: 'a re-export', files: { 'a/x.ts': "export { y } from '../b/y.ts';", 'b/y.ts': "import { x } from '../a/x.ts';" }, loops: 1 },
    { name: 'a dynamic import', files: { 'a/x.ts': "const y = await import('../b/y.ts');", 'b/y.ts': "import '../a/x.ts';" }, loops: 1 },
    { name: 'a multi-line import', files: { 'a/x.ts': "import {\n  y,\n  z,\n} from '../b/y.ts';", 'b/y.ts': "import { x } from '../a/x.ts';" }, loops: 1 },
    { name: 'a file in src/ and a folder', files: { 'compile.ts': "import { x } from './env/x.ts';", 'env/x.ts': "import { compile } from '../compile.ts';" }, loops: 1 },
    { name: 'a loop of three', files: { 'a/x.ts': "import '../b/y.ts';", 'b/y.ts': "import '../c/z.ts';", 'c/z.ts': "import '../a/x.ts';" }, loops: 1 },
    { name: 'two separate pairs', files: { 'a/x.ts': "import '../b/y.ts';", 'b/y.ts': "import '../a/x.ts';", 'c/z.ts': "import '../d/w.ts';", 'd/w.ts': "import '../c/z.ts';" }, loops: 2 },
    { name: 'one direction only', files: { 'a/x.ts': "import '../b/y.ts';", 'b/y.ts': "import { readFile } from 'node:fs';" }, loops: 0 },
    { name: 'imports inside one folder', files: { 'a/x.ts': "import './y.ts';", 'a/y.ts': "import './x.ts';" }, loops: 0 },
    { name: 'an import in a comment', files: { 'a/x.ts': "import '../b/y.ts';", 'b/y.ts': "// import { x } from '../a/x.ts';\n/* from '../a/x.ts' */" }, loops: 0 },
    { name: 'an import in a string', files: { 'a/x.ts': "import '../b/y.ts';", 'b/y.ts': "const s = \"import { x } from '../a/x.ts'\";" }, loops: 0 },
    { name: 'two files in src/', files: { 'compile.ts': "import './diagnostics.ts';", 'diagnostics.ts': "export const d = 1;" }, loops: 0 },
  ];
  it.each(loopCases)('$name: $loops loop(s)', ({ files, loops: expected }) => {
    expect(loops(graphOf(files))).toHaveLength(expected);
  });

  const runtimeCases: { name: string; files: Record<string, string>; bad: boolean }[] = [
    { name: 'relay/ → load/', files: { 'relay/r.ts': "import '../load/index.ts';" }, bad: true },
    { name: 'relay/ → checks/', files: { 'relay/r.ts': "import type { Check } from '../checks/check.ts';" }, bad: true },
    { name: 'relay/ → compile.ts', files: { 'relay/r.ts': "import { compile } from '../compile.ts';" }, bad: true },
    { name: 'api/ → compiler.ts', files: { 'api/a.ts': "export * from '../compiler.ts';" }, bad: true },
    { name: 'api/ → compile-project.ts', files: { 'api/a.ts': "import('../compile-project.ts');" }, bad: true },
    { name: 'relay/ → model/', files: { 'relay/r.ts': "import type { Model } from '../model/types.ts';" }, bad: false },
    { name: 'api/ → diagnostics.ts', files: { 'api/a.ts': "import '../diagnostics.ts';" }, bad: false },
    { name: 'emit/ → load/ (emit is no run-time unit)', files: { 'emit/e.ts': "import '../load/index.ts';" }, bad: false },
  ];
  it.each(runtimeCases)('$name is forbidden: $bad', ({ files, bad }) => {
    expect(runtimeViolations(graphOf(files)).length > 0).toBe(bad);
  });

  const spawnCases: { name: string; files: Record<string, string>; bad: boolean }[] = [
    { name: 'synth/ → node:child_process', files: { 'synth/s.ts': "import { spawn } from 'node:child_process';" }, bad: true },
    { name: 'synth/ → child_process (no node: prefix)', files: { 'synth/s.ts': "import { execFile } from 'child_process';" }, bad: true },
    { name: 'synth/ → node:cluster', files: { 'synth/s.ts': "import cluster from 'node:cluster';" }, bad: true },
    { name: 'a dynamic import in synth/', files: { 'synth/s.ts': "const cp = await import('node:child_process');" }, bad: true },
    { name: 'a require in synth/', files: { 'synth/s.ts': "const cp = require('child_process');" }, bad: true },
    { name: 'a re-export in synth/', files: { 'synth/s.ts': "export { spawn } from 'node:child_process';" }, bad: true },
    { name: 'synth/ → a runner in testing/', files: { 'synth/s.ts': "import { verdict } from '../testing/runner.ts';", 'testing/runner.ts': "import { spawn } from 'node:child_process';" }, bad: true },
    { name: 'a type-only import of a runner', files: { 'synth/s.ts': "import type { CaseResult } from '../testing/runner.ts';", 'testing/runner.ts': "import { spawn } from 'node:child_process';" }, bad: true },
    { name: 'two hops through util/', files: { 'synth/s.ts': "import '../util/a.ts';", 'util/a.ts': "import './b.ts';", 'util/b.ts': "import { execFileSync } from 'node:child_process';" }, bad: true },
    { name: 'a file inside synth/ that spawns', files: { 'synth/s.ts': "import './t.ts';", 'synth/t.ts': "import { spawnSync } from 'node:child_process';" }, bad: true },
    { name: 'synth/ → model/ (pure)', files: { 'synth/s.ts': "import '../model/types.ts';", 'model/types.ts': "import { readFile } from 'node:fs';" }, bad: false },
    { name: 'testing/ → node:child_process (the runner room)', files: { 'testing/r.ts': "import { spawn } from 'node:child_process';", 'synth/s.ts': "export const x = 1;" }, bad: false },
    { name: 'testing/ → synth/ (the right direction)', files: { 'testing/r.ts': "import { spawn } from 'node:child_process';\nimport '../synth/s.ts';", 'synth/s.ts': "export const x = 1;" }, bad: false },
    { name: 'child_process in a comment or a string', files: { 'synth/s.ts': "// import { spawn } from 'node:child_process';\nconst s = \"from 'child_process'\";" }, bad: false },
    { name: 'an import loop inside synth/ (terminates)', files: { 'synth/a.ts': "import './b.ts';", 'synth/b.ts': "import './a.ts';" }, bad: false },
  ];
  it.each(spawnCases)('spawning from synth/, $name: $bad', ({ files, bad }) => {
    expect(spawnViolations(filesOf(files), '/p/src').length > 0).toBe(bad);
  });
});
