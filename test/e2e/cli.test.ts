import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runVigil } from '../helpers/cli.ts';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'vigil-cli-'));
  await cp(path.join(REPO, 'test/fixtures/base'), path.join(work, 'monitoring'), { recursive: true });
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('vigil CLI', () => {
  it('prints help and exits 0', () => {
    const r = runVigil(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: vigil <command>');
    expect(runVigil(['build', '--help']).stdout).toContain('--check');
  });

  it('rejects an unknown command and an unknown option with exit 2 and no stack trace', () => {
    const cmd = runVigil(['deploi']);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toContain('unknown command "deploi"');
    const opt = runVigil(['validate', '--frmat', 'json'], work);
    expect(opt.code).toBe(2);
    expect(opt.stderr).not.toMatch(/\n\s+at /);
    const dir = runVigil(['validate', 'nowhere'], work);
    expect(dir.code).toBe(2);
    expect(dir.stderr).toContain('"nowhere" does not exist');
  });

  it('validates a clean project with exit 0', () => {
    const r = runVigil(['validate'], work);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/monitoring: 8 files, 2 alerts, \d+ checks: 0 errors/);
  });

  it('reports every problem with file:line:col, a caret and a hint, and exits 1', async () => {
    const bad = path.join(work, 'bad');
    await cp(path.join(work, 'monitoring'), bad, { recursive: true });
    const alerts = (await readFile(path.join(bad, 'alerts.yaml'), 'utf8')).replace('max by (service) (queue_depth)', 'max by (service) (queue_dept)').replace('value: 500', 'value: 50');
    await writeFile(path.join(bad, 'alerts.yaml'), alerts);
    const r = runVigil(['validate', 'bad'], work);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('bad/alerts.yaml:7:29: error[ref/metric]: alert QueueDeep: metric "queue_dept" is not in the catalogue');
    expect(r.stderr).toContain('^^^^^^^^^^');
    expect(r.stderr).toContain('hint: did you mean "queue_depth"?');
    expect(r.stderr).toContain('error[threshold/order]');
    expect(r.stderr).not.toMatch(/\n\s+at /);

    const gh = runVigil(['validate', 'bad', '--format', 'github'], work);
    expect(gh.stdout).toContain('::error file=bad/alerts.yaml,line=7,col=29,endLine=7,endColumn=39,title=ref/metric::alert QueueDeep: metric "queue_dept"');

    const json = runVigil(['validate', 'bad', '--format', 'json'], work);
    const parsed = JSON.parse(json.stdout) as { ok: boolean; diagnostics: { code: string; line: number; col: number }[] };
    expect(parsed.ok).toBe(false);
    expect(parsed.diagnostics.map((d) => d.code)).toEqual(expect.arrayContaining(['ref/metric', 'threshold/order']));
  });

  it('build writes generated files, then --check passes, and fails with the stale file listed after an edit', async () => {
    const build = runVigil(['build', '--out', 'out'], work);
    expect(build.code, build.stderr).toBe(0);
    expect(build.stdout).toContain('alerts       2 alerts, 3 levels');
    const rules = await readFile(path.join(work, 'out/prometheus/rules/app.yml'), 'utf8');
    expect(rules).toContain('alert: QueueDeep');

    expect(runVigil(['build', '--out', 'out', '--check'], work).code).toBe(0);
    const again = runVigil(['build', '--out', 'out'], work);
    expect(again.stdout).toMatch(/0 written/);

    const alertsFile = path.join(work, 'monitoring/alerts.yaml');
    const original = await readFile(alertsFile, 'utf8');
    await writeFile(alertsFile, original.replace('value: 100', 'value: 120'));
    const stale = runVigil(['build', '--out', 'out', '--check'], work);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('changed: out/prometheus/rules/app.yml');
    await writeFile(alertsFile, original);
  });

  it('writes nothing when the definitions have errors', async () => {
    const broken = path.join(work, 'broken');
    await cp(path.join(work, 'monitoring'), broken, { recursive: true });
    await writeFile(path.join(broken, 'routes.yaml'), 'apiVersion: vigil/v1\nkind: Routes\nreceiver: nobody\n');
    const r = runVigil(['build', 'broken', '--out', 'broken-out'], work);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nothing was written');
    await expect(readFile(path.join(work, 'broken-out/manifest.json'))).rejects.toThrow();
  });
});

describe('TypeScript definitions through the CLI', () => {
  it('loads a TS AlertRules file in a project without package.json and positions its problems on the right line', async () => {
    const dir = path.join(work, 'ts-project');
    await cp(path.join(work, 'monitoring'), dir, { recursive: true });
    await rm(path.join(dir, 'alerts.yaml'));
    const source = await readFile(path.join(REPO, 'test/fixtures/ts-definitions/alerts.ts'), 'utf8');
    await writeFile(path.join(dir, 'alerts.ts'), source.replace('../../../src/index.ts', path.join(REPO, 'src/index.ts')));
    const r = runVigil(['validate', 'ts-project'], work);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`ts-project/alerts.ts:22:12: error[schema]: alerts[1].for: "1 minute" is not a Prometheus duration`);

    await writeFile(path.join(dir, 'alerts.ts'), (await readFile(path.join(dir, 'alerts.ts'), 'utf8')).replace("'1 minute'", "'1m'"));
    const fixed = runVigil(['validate', 'ts-project'], work);
    expect(fixed.stderr).toContain('ts-project/alerts.ts:9:32: error[ref/metric]: alert QueueDeep: metric "queue_dpth" is not in the catalogue');
    expect(fixed.stderr).toContain('ts-project/alerts.ts:12:30: error[threshold/order]');
  });
});
