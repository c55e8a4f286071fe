// Issue #11: `vigil import alertmanager --verify` on the public corpus (test/fixtures/import-corpus/alertmanager, see
// its SOURCES.md). Each routing tree is imported as a team would import it (one file, one project), the definitions
// are built, and the build must route every label set the input's matchers imply to the same receivers with the same
// grouping and timing (our router and, when installed, amtool config routes test on both files), have the same inhibit
// rules, time intervals and receivers, and pass amtool check-config.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileProject } from '../src/compile-project.ts';
import { amtoolAvailable } from '../src/import/alertmanager-amtool.ts';
import { verifyImportedAlertmanager } from '../src/import/alertmanager-roundtrip.ts';
import { importAlertmanager } from '../src/import/import-alertmanager.ts';
import { loadYamlSources } from '../src/load/index.ts';

const CORPUS = path.join(import.meta.dirname, 'fixtures/import-corpus/alertmanager');

/** Files whose round trip is known not to be exact yet, with the exact differences and why. None today. */
const KNOWN: Record<string, string[]> = {};

const files = (await readdir(CORPUS)).filter((f) => /\.ya?ml$/.test(f)).sort();
const withAmtool = amtoolAvailable();
if (!withAmtool) console.warn('import-corpus-alertmanager.test.ts: amtool not on PATH, the amtool half of --verify is skipped');

describe('import alertmanager --verify on the public corpus', () => {
  it('has the corpus (13 routing trees, one a Secret)', () => {
    expect(files).toHaveLength(13);
  });

  it.each(files)('%s', async (file) => {
    const result = importAlertmanager(file, await readFile(path.join(CORPUS, file), 'utf8'));
    expect(result.diagnostics).toEqual([]);
    const project = compileProject(loadYamlSources(result.files.map((f) => ({ file: f.path, text: f.content }))));
    expect(project.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`)).toEqual([]);
    const trip = await verifyImportedAlertmanager(result, project.base.artifacts, withAmtool);
    expect(trip.amtool).toBe(withAmtool);
    expect(trip.differences).toEqual(KNOWN[file] ?? []);
    expect(trip.compared.labelSets).toBeGreaterThan(0);
  }, 60_000);
});

describe('the comparison can fail', () => {
  it('a build that routes one alert elsewhere is caught by our router and by amtool', async () => {
    const file = 'alertmanager-v0.25-simple.yml';
    const result = importAlertmanager(file, await readFile(path.join(CORPUS, file), 'utf8'));
    const project = compileProject(loadYamlSources(result.files.map((f) => ({ file: f.path, text: f.content }))));
    // The database team's sub-route for owner team-Y now pages team X instead.
    const artifacts = project.base.artifacts.map((a) => (a.path === 'alertmanager/alertmanager.yml' ? { ...a, content: a.content.replace(/receiver: team-Y-pager\n(\s+matchers:\n\s+- owner="team-Y")/, 'receiver: team-X-pager\n$1') } : a));
    expect(artifacts.find((a) => a.path === 'alertmanager/alertmanager.yml')!.content).not.toBe(project.base.artifacts.find((a) => a.path === 'alertmanager/alertmanager.yml')!.content);
    const trip = await verifyImportedAlertmanager(result, artifacts, withAmtool);
    expect(trip.differences).toContain('{service="database", owner="team-Y"}: the input routes to team-Y-pager, the build to team-X-pager');
    if (withAmtool) expect(trip.differences).toContain('amtool config routes test {service="database", owner="team-Y"}: the input routes to team-Y-pager, the build to team-X-pager');
  }, 60_000);
});
