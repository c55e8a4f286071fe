// `npm test` stays green for a team that replaces monitoring/ with its own definitions (issue #12): the tests use the
// example through test/helpers/example.ts, never the repository's monitoring/ or generated/, which only
// `npm run example:check` (test/example/) checks.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers/cli.ts';
import { repositoryProjectUses } from './helpers/repository-project-uses.ts';

const THIS_FILE = 'test/repository-project.test.ts';

/** test/**\/*.ts and src/**\/*.test.ts, but test/example/ (whose subject is monitoring/) and this file (its samples). */
function scannedFiles(): string[] {
  const under = (dir: string) => readdirSync(path.join(REPO, dir), { recursive: true }).map((f) => path.join(dir, String(f)));
  return [...under('test').filter((f) => f.endsWith('.ts')), ...under('src').filter((f) => f.endsWith('.test.ts'))]
    .filter((f) => !f.startsWith('test/example/') && f !== THIS_FILE)
    .sort();
}

describe('the scan finds a test reading the repository’s project', () => {
  it.each([
    ["loadDirectory(path.join(REPO, 'monitoring'))", 'a path from the repository root'],
    ["cp(path.join(REPO, 'generated'), dir, { recursive: true })", 'a path from the repository root'],
    ["readFile(path.join(REPO, 'monitoring/project.yaml'), 'utf8')", 'a path from the repository root'],
    ["const files = readdirSync(path.join(repo, 'monitoring'))", 'a path from the repository root'],
    ["path.resolve(import.meta.dirname, '../../generated')", 'a relative path climbing'],
    ["loadDirectory('monitoring')", 'relative to the working directory'],
    ["runVigil(['build', '--check'])", 'without a working directory'],
    ["runVigil(['build', dir])", 'without a working directory'],
    ["runVigil(['validate'])", 'without a working directory'],
    ["runVigilAsync([\n  'plan',\n  '--env', 'prd',\n])", 'without a working directory'],
    ["runVigil(['build', 'monitoring', '--out', out], REPO)", 'in the repository on its monitoring/'],
    ["runOnBuild(['plan', '--environment-file', file], REPO)", 'without a definitions directory'],
  ])('%s', (source, why) => {
    const uses = repositoryProjectUses(`const x = 1;\n${source};\n`);
    expect(uses.map((u) => u.line)).toEqual([2]);
    expect(uses[0]!.why).toContain(why);
  });

  it.each([
    ["cp(EXAMPLE, path.join(dir, 'monitoring'), { recursive: true })"],
    ["runVigil(['build', monitoring, '--out', path.join(dir, 'generated')], dir)"],
    ["runVigil(['validate', EXAMPLE], REPO)"],
    ["runVigil(['plan', '--env', 'dev'], example, { GRAFANA_TOKEN: '' })"],
    ["runVigil(['build', '--help'])"],
    ["runVigilAsync(['validate', dir, '--format', 'json'])"],
    ["expect(r.stderr).toContain('monitoring/alerts.yaml:9:3: error[schema]')"],
    ["const dir = path.join(root, 'monitoring')"],
    ["export function runVigil(args: string[], cwd = REPO): CliRun {"],
  ])('not in %s', (source) => {
    expect(repositoryProjectUses(source)).toEqual([]);
  });
});

it('no test reads the repository’s monitoring/ or generated/ (use test/helpers/example.ts)', () => {
  const files = scannedFiles();
  expect(files).toContain('test/helpers/example.ts');
  expect(files).toContain('src/testing/runner.test.ts');
  const found = files.flatMap((file) => repositoryProjectUses(readFileSync(path.join(REPO, file), 'utf8')).map((u) => `${file}:${u.line}: ${u.why}: ${u.text}`));
  expect(found).toEqual([]);
});
