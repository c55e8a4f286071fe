// `npm run example:check`: the repository's own project and its committed build. monitoring/ holds a copy of the
// example (examples/ml-platform/) and generated/ is its build; these checks are not part of `npm test`, which must
// stay green for a team that replaces monitoring/ with its own definitions.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasCommand, REPO, runVigil, runVigilAsync } from '../helpers/cli.ts';
import { EXAMPLE } from '../helpers/example.ts';

const MONITORING = path.join(REPO, 'monitoring');
const tools = hasCommand('promtool') && hasCommand('amtool') && hasCommand('prometheus-alertmanager');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** An example file as it reads in monitoring/, one folder shallower: its editor schema path climbs one `../` less. */
const asInMonitoring = (text: string) => text.replace(/^(# yaml-language-server: \$schema=)\.\.\//m, '$1');

describe('the repository’s monitoring/ and generated/', () => {
  it('monitoring/ is a copy of examples/ml-platform/ (same files and text, schema paths one folder shallower)', () => {
    const files = filesUnder(EXAMPLE);
    expect(filesUnder(MONITORING), 'files of monitoring/ against examples/ml-platform/').toEqual(files);
    const differing = files.filter((f) => readFileSync(path.join(MONITORING, f), 'utf8') !== asInMonitoring(readFileSync(path.join(EXAMPLE, f), 'utf8')));
    expect(differing, 'edit examples/ml-platform/ and copy the change to monitoring/').toEqual([]);
  });

  it('monitoring/ validates without errors', () => {
    const r = runVigil(['validate'], REPO);
    expect(r.code, r.stderr).toBe(0);
  });

  it('generated/ is the current build of monitoring/ (vigil build --check)', () => {
    const r = runVigil(['build', '--check'], REPO);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('generated/ is up to date');
  });

  it.skipIf(!tools)('generated/tests/ is current and the rule tests pass, live (vigil test --check --live)', async () => {
    // The whole example through promtool, amtool and a live Alertmanager: over a minute on a 2-core machine.
    const r = await runVigilAsync(['test', '--check', '--live'], REPO, {}, 300_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('is up to date');
  }, 320_000);
});
