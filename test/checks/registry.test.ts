import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runChecks } from '../../src/cli/checks.ts';

/**
 * Every id `vigil checks` lists has a fixture under test/fixtures/checks/ (one folder named after the id, `/` as `-`,
 * possibly with a suffix: schema-kind, secret-literal-url) and a section in the English and Chinese checks.md.
 */
const REPO = path.join(import.meta.dirname, '../..');
const FIXTURES = path.join(REPO, 'test/fixtures/checks');
const fixtureDirs = readdirSync(FIXTURES);

/** Ids a fixture (files copied over the base project) cannot produce, and the test that proves each instead. */
const PROVEN_ELSEWHERE: Record<string, string> = {
  'load/read': 'test/security/hostile-inputs.test.ts', // an unreadable file, a pipe or a device cannot be committed
  'load/file-name': 'test/security/hostile-inputs.test.ts', // control and bidirectional characters in file names
  'load/symlink': 'test/security/hostile-inputs.test.ts', // links out of the repository, dangling links and loops
  'env/unknown': 'src/env/overrides.test.ts', // names the --env of a command, not a definition
  // asked of a running Prometheus by validate --live, never in a compile
  'live/label-missing': 'test/integration/validate-live.test.ts',
  'live/series-missing': 'test/integration/validate-live.test.ts',
  'live/type-mismatch': 'test/integration/validate-live.test.ts',
  'live/unreachable': 'test/integration/validate-live.test.ts',
};

function listedIds(): string[] {
  let json = '';
  runChecks({ out: (t) => (json += t), err: () => {}, color: false }, 'json');
  return (JSON.parse(json) as { id: string }[]).map((c) => c.id);
}

const ids = listedIds();
const docs = { en: readFileSync(path.join(REPO, 'docs/en/checks.md'), 'utf8'), zh: readFileSync(path.join(REPO, 'docs/zh/checks.md'), 'utf8') };

describe('every check id is proven and documented', () => {
  it('vigil checks lists ids', () => {
    expect(ids.length).toBeGreaterThan(30);
    expect(ids).toContain('metric/naming');
  });

  it.each(ids)('%s has a fixture (or a named test where a fixture cannot hold it)', (id) => {
    const name = id.replaceAll('/', '-');
    const fixtures = fixtureDirs.filter((d) => d === name || d.startsWith(`${name}-`));
    if (id in PROVEN_ELSEWHERE) {
      const test = path.join(REPO, PROVEN_ELSEWHERE[id]!);
      expect(existsSync(test), PROVEN_ELSEWHERE[id]).toBe(true);
      expect(readFileSync(test, 'utf8')).toContain(id);
      return;
    }
    expect(fixtures, `test/fixtures/checks/${name}/ is missing`).not.toEqual([]);
    for (const dir of fixtures) expect(readFileSync(path.join(FIXTURES, dir, 'expect.yaml'), 'utf8')).toContain(`code: ${id},`);
  });

  it.each(ids.flatMap((id) => [[id, 'en'] as const, [id, 'zh'] as const]))('%s has a section in docs/%s/checks.md', (id, lang) => {
    expect(docs[lang].split('\n')).toContain(`## ${id}`);
    expect(docs[lang]).toContain(`| [\`${id}\`](#${id.replace(/[^a-z0-9-]/g, '')})`);
  });
});
