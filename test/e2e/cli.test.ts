import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runOnBuild, runVigil } from '../helpers/cli.ts';
import { buildExample, exampleScratch } from '../helpers/example.ts';
import { freePort } from '../helpers/services.ts';

let work: string;
/** The example copied to `<example>/monitoring/` and built into `<example>/generated/` (environments dev, prod, staging). */
let example: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'vigil-cli-'));
  await cp(path.join(REPO, 'test/fixtures/base'), path.join(work, 'monitoring'), { recursive: true });
  example = await exampleScratch('cli-example-');
  await buildExample(example);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await rm(example, { recursive: true, force: true });
});

describe('vigil CLI', () => {
  it('prints help and exits 0', () => {
    const r = runVigil(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: vigil <command>');
    expect(runVigil(['build', '--help']).stdout).toContain('--check');
  });

  it('rejects an unknown command and an unknown option with exit 2 and no stack trace', () => {
    const cmd = runVigil(['deploi'], work);
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
    expect(r.stdout).toMatch(/monitoring: 8 files, 2 alerts: 0 errors/);
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
    const staleJson = JSON.parse(runVigil(['build', '--out', 'out', '--check', '--format', 'json'], work).stdout) as { ok: boolean; stale: { changed: string[] } };
    expect(staleJson.ok).toBe(false);
    expect(staleJson.stale.changed).toContain('prometheus/rules/app.yml');
    await writeFile(alertsFile, original);

    // A file Vigil never generated is left alone by build and does not make --check fail; one it generated before does.
    await writeFile(path.join(work, 'out/README.txt'), 'notes\n');
    const foreign = runVigil(['build', '--out', 'out', '--check'], work);
    expect(foreign.code).toBe(0);
    expect(foreign.stderr).toContain('not generated by Vigil, ignored: out/README.txt');
    await writeFile(path.join(work, 'out/prometheus/rules/old-group.yml'), 'groups: []\n');
    const manifestPath = path.join(work, 'out/manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { files: { path: string }[] };
    manifest.files.push({ path: 'prometheus/rules/old-group.yml' });
    await writeFile(manifestPath, JSON.stringify(manifest));
    const leftover = runVigil(['build', '--out', 'out', '--check'], work);
    expect(leftover.code).toBe(1);
    expect(leftover.stderr).toContain('no longer generated: out/prometheus/rules/old-group.yml');
    const rebuilt = runVigil(['build', '--out', 'out'], work);
    expect(rebuilt.stdout).toMatch(/1 removed/);
    await expect(readFile(path.join(work, 'out/prometheus/rules/old-group.yml'))).rejects.toThrow();
    expect(await readFile(path.join(work, 'out/README.txt'), 'utf8')).toBe('notes\n');
  });

  it('writes byte-identical output however the directory is named and wherever it runs from', async () => {
    expect(runVigil(['build', 'monitoring', '--out', 'rel'], work).code).toBe(0);
    expect(runVigil(['build', path.join(work, 'monitoring'), '--out', path.join(work, 'abs')], work).code).toBe(0);
    expect(runVigil(['build', './monitoring/', '--out', 'dot'], work).code).toBe(0);
    expect(runVigil(['build', '.', '--out', path.join(work, 'inside')], path.join(work, 'monitoring')).code).toBe(0);
    const manifest = await readFile(path.join(work, 'rel/manifest.json'), 'utf8');
    expect(manifest).toContain('"monitoring/alerts.yaml"');
    const files = (JSON.parse(manifest) as { files: { path: string }[] }).files.map((f) => f.path);
    for (const file of [...files, 'manifest.json']) {
      const want = await readFile(path.join(work, 'rel', file), 'utf8');
      expect(await readFile(path.join(work, 'abs', file), 'utf8'), file).toBe(want);
      expect(await readFile(path.join(work, 'dot', file), 'utf8'), file).toBe(want);
      expect(await readFile(path.join(work, 'inside', file), 'utf8'), file).toBe(want);
    }
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

describe('vigil plan and deploy: usage', () => {
  it('needs --env when the build holds several environments, and names them', () => {
    const r = runVigil(['plan'], example);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--env is required: generated/ holds builds of dev, prod, staging');
  });

  it('rejects an environment that was not built as a usage error, with a did-you-mean (#9)', () => {
    const r = runVigil(['plan', '--env', 'prd'], example);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('vigil plan: generated/ holds no build of environment "prd" (built: dev, prod, staging); did you mean "prod"?');
    expect(r.stderr).not.toContain('skipped');
  });

  it('says to build first when there is no build, and that it compiles nothing', () => {
    const r = runVigil(['deploy'], work);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('deploy failed [deploy/build]: there is no build in generated/');
    expect(r.stderr).toContain('hint: run `vigil build` first: deploy reads the build and compiles nothing');
  });

  it.each(['plan', 'deploy'])('%s takes no --environment-file, and says how to build with one (usage error)', (command) => {
    const r = runVigil([command, '--environment-file', 'env.yaml'], work);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${command} reads a build and compiles nothing, so it takes no --environment-file: build with \`vigil build monitoring --environment-file env.yaml --out DIR\``);
    // The command it suggests is one that works: plan takes the build's targets from --targets.
    expect(r.stderr).toContain(`then \`vigil ${command} monitoring ${command === 'plan' ? '--targets' : '--build'} DIR --env NAME\``);
  });

  it('rejects formats a command does not have', () => {
    expect(runVigil(['plan', '--env', 'dev', '--format', 'github'], example).stderr).toContain('this command does not take --format "github" (only validate, build and test do); use text, json or markdown');
    expect(runVigil(['deploy', '--env', 'dev', '--format', 'github'], example).code).toBe(2);
  });

  it('fails without a stack trace when the environment’s services cannot be reached', async () => {
    const envFile = path.join(work, 'env.yaml');
    const port = await freePort();
    await writeFile(envFile, `apiVersion: vigil/v1\nkind: Environment\nname: lab\nprometheus:\n  - { url: "http://127.0.0.1:${port}", rulesDir: /tmp/vigil-e2e-rules }\nscrape:\n  app: { targets: ["127.0.0.1:9"] }\n  node_exporter: { targets: ["127.0.0.1:9"] }\n`);
    const r = await runOnBuild(['plan', '--environment-file', envFile], work);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`plan failed [deploy/unreachable]: cannot reach prometheus prom-0 at http://127.0.0.1:${port}/api/v1/rules: ECONNREFUSED`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('vigil plan and deploy read the build, never a build of other definitions', () => {
  const variants: [string, (root: string) => Promise<void>, string][] = [
    ['a definition changed (a comment is enough)', (root) => appendTo(path.join(root, 'monitoring/receivers.yaml'), '\n# edited\n'), 'changed: monitoring/receivers.yaml'],
    ['a definition added', (root) => writeFile(path.join(root, 'monitoring/extra.yaml'), 'apiVersion: vigil/v1\nkind: Receivers\nreceivers: []\n'), 'added: monitoring/extra.yaml'],
    ['a definition removed', (root) => rm(path.join(root, 'monitoring/routes.yaml')), 'removed: monitoring/routes.yaml'],
  ];
  it.each(variants)('%s: plan and deploy stop before reading a secret or a service', async (_name, change, says) => {
    const root = await mkdtemp(path.join(example, 'v-'));
    await cp(path.join(example, 'monitoring'), path.join(root, 'monitoring'), { recursive: true });
    await cp(path.join(example, 'generated'), path.join(root, 'generated'), { recursive: true });
    await change(root);
    for (const command of ['plan', 'deploy']) {
      const r = runVigil([command, '--env', 'dev'], root, { GRAFANA_TOKEN: '' });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`${command} failed [deploy/stale-build]: generated/dev/ was not built from the definitions in monitoring/ as they are now (${says}`);
      expect(r.stderr).not.toContain('GRAFANA_TOKEN');
    }
  });

  it('refuses a build file edited by hand (its sha256 is not the manifest’s)', async () => {
    const root = await mkdtemp(path.join(example, 'v-'));
    await cp(path.join(example, 'monitoring'), path.join(root, 'monitoring'), { recursive: true });
    await cp(path.join(example, 'generated'), path.join(root, 'generated'), { recursive: true });
    await appendTo(path.join(root, 'generated/dev/docs/alerts.md'), '\nedited by hand\n');
    const r = runVigil(['deploy', '--env', 'dev'], root, { GRAFANA_TOKEN: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('deploy failed [deploy/build]: the build in generated/dev cannot be used: docs/alerts.md is not the file its manifest lists (sha256 differs)');
  });

  it('plans the build of unchanged definitions (and then needs the secrets, not a compile)', () => {
    const r = runVigil(['plan', '--env', 'dev'], example, { GRAFANA_TOKEN: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('environment variable $GRAFANA_TOKEN is not set');
    expect(r.stderr).not.toContain('stale');
  });
});

async function appendTo(file: string, text: string): Promise<void> {
  await writeFile(file, (await readFile(file, 'utf8')) + text);
}
