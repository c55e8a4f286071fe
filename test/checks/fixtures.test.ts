import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { compileProject } from '../../src/compile-project.ts';
import { lineColAt } from '../../src/diagnostics.ts';
import { loadDirectory } from '../../src/load/index.ts';

/**
 * One fixture per error kind: test/fixtures/checks/<name>/ holds files that replace or add to the clean project in
 * test/fixtures/base/ (a file containing only `# delete` removes the base file), and expect.yaml lists every error the
 * result must contain — code, file, line, col. Any other error fails the test, so a fixture proves its check alone.
 */
const FIXTURES = path.join(import.meta.dirname, '../fixtures/checks');
const BASE = path.join(import.meta.dirname, '../fixtures/base');
const temps: string[] = [];

afterAll(async () => {
  await Promise.all(temps.map((t) => rm(t, { recursive: true, force: true })));
});

interface Expected {
  code: string;
  file: string;
  line: number;
  col: number;
  message?: string;
  severity?: 'error' | 'warning';
}

async function compileFixture(name: string | undefined) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-fixture-'));
  temps.push(dir);
  await cp(BASE, dir, { recursive: true });
  if (name) {
    const fixtureDir = path.join(FIXTURES, name);
    for (const file of await readdir(fixtureDir, { recursive: true })) {
      const full = path.join(fixtureDir, file);
      const bytes = file === 'expect.yaml' ? null : await readFile(full).catch(() => null);
      if (!bytes) continue;
      // Bytes, not text: the load/encoding fixture holds a byte that is not UTF-8.
      if (bytes.toString('utf8').trim() === '# delete') await rm(path.join(dir, file), { force: true });
      else await writeFile(path.join(dir, file), bytes);
    }
  }
  const loaded = await loadDirectory(dir);
  const result = compileProject(loaded);
  const texts = new Map(loaded.sources.map((s) => [s.file, s.text]));
  return result.diagnostics.map((d) => {
    // Files are named <definitions dir>/<path>; the fixture's own path is what follows.
    const file = d.span ? d.span.file.split('/').slice(1).join('/') : '';
    const pos = d.span ? lineColAt(texts.get(d.span.file) ?? '', d.span.start) : { line: 0, col: 0 };
    return { code: d.code, severity: d.severity, file, line: pos.line, col: pos.col, message: d.hint ? `${d.message} (hint: ${d.hint})` : d.message };
  });
}

const names = (await readdir(FIXTURES)).sort();

describe('check fixtures', () => {
  it('the base project is clean', async () => {
    const problems = await compileFixture(undefined);
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  });

  it.each(names)('%s reports the right id at the right file:line:col', async (name) => {
    const expected = parse(await readFile(path.join(FIXTURES, name, 'expect.yaml'), 'utf8')) as Expected[];
    const problems = await compileFixture(name);
    for (const want of expected) {
      const found = problems.find((p) => p.code === want.code && p.file === want.file && p.line === want.line && p.col === want.col);
      expect(found, `expected ${want.code} at ${want.file}:${want.line}:${want.col}; got:\n${JSON.stringify(problems, null, 1)}`).toBeDefined();
      if (want.message) expect(found!.message).toContain(want.message);
      if (want.severity) expect(found!.severity).toBe(want.severity);
    }
    const unexpected = problems.filter((p) => p.severity === 'error' && !expected.some((w) => w.code === p.code && w.file === p.file && w.line === p.line && w.col === p.col));
    expect(unexpected, 'errors the fixture did not declare').toEqual([]);
  });
});

