// Issue #11: `vigil import rules --verify` on the public corpus (test/fixtures/import-corpus, see its SOURCES.md).
// Each rule file and PrometheusRule manifest is imported as a team would import it (one file, one project), the
// definitions are built, the built rule files are compared with the input, and promtool checks what was built.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileProject } from '../src/compile-project.ts';
import { foldGroups } from '../src/import/fold.ts';
import { importRules } from '../src/import/import-rules.ts';
import { verifyRules } from '../src/import/verify-rules.ts';
import { loadDirectory } from '../src/load/index.ts';
import { hasCommand } from './helpers/cli.ts';

const CORPUS = path.join(import.meta.dirname, 'fixtures/import-corpus');
const temps: string[] = [];
afterAll(async () => Promise.all(temps.map((t) => rm(t, { recursive: true, force: true }))));

const files = (
  await Promise.all(['rules', 'prometheusrule'].map(async (dir) => (await readdir(path.join(CORPUS, dir))).filter((f) => /\.ya?ml$/.test(f)).map((f) => `${dir}/${f}`)))
).flat().sort();

describe('import --verify on the public corpus', () => {
  it('has the corpus', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  it.each(files)('%s', async (file) => {
    const result = importRules([{ file, text: await readFile(path.join(CORPUS, file), 'utf8') }]);
    expect(result.diagnostics).toEqual([]);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-corpus-'));
    temps.push(dir);
    for (const f of result.files) {
      await mkdir(path.dirname(path.join(dir, 'monitoring', f.path)), { recursive: true });
      await writeFile(path.join(dir, 'monitoring', f.path), f.content);
    }
    const project = compileProject(await loadDirectory(path.join(dir, 'monitoring')));
    expect(project.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`)).toEqual([]);
    const rules = project.base.artifacts.filter((a) => a.path.startsWith('prometheus/rules/'));
    const trip = verifyRules(foldGroups(result.groups).groups, new Map(rules.map((a) => [a.path, a.content])));
    expect(trip.differences).toEqual([]);
    expect(trip.compared.alertRules + trip.compared.recordingRules).toBe(result.counts.alertRules + result.counts.recordingRules);
    if (hasCommand('promtool')) {
      for (const a of rules) {
        await mkdir(path.dirname(path.join(dir, 'out', a.path)), { recursive: true });
        await writeFile(path.join(dir, 'out', a.path), a.content);
      }
      const check = spawnSync('promtool', ['check', 'rules', ...rules.map((a) => path.join(dir, 'out', a.path))], { encoding: 'utf8' });
      expect(check.status, check.stdout + check.stderr).toBe(0);
    }
  }, 60_000);
});
