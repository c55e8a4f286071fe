// PROOF OF THE PUBLISHED PACKAGE (slow: ~30 s, most of it `npm pack` building dist/). The repository is packed as
// npm would publish it, the tarball is installed into an empty project from npm's cache, and a new user's first steps
// must work there: `npx vigil init`, then validate, build and test, with a CI workflow GitHub accepts and TypeScript
// definitions that import their helpers from 'vigil' with types. The installed package is made read-only first and
// must stay unchanged: Vigil writes nothing into node_modules.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCommand, REPO } from '../helpers/cli.ts';
import { installPackedVigil } from '../helpers/packed-install.ts';

const temp = mkdtempSync(path.join(os.tmpdir(), 'vigil-package-'));
const project = path.join(temp, 'team-monitoring');
const installed = path.join(project, 'node_modules', 'vigil');

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', npm_config_update_notifier: 'false', ...env }, timeout: 180_000 });
}
const output = (r: SpawnSyncReturns<string>) => `exit ${r.status}\n${r.stdout}\n${r.stderr}`;
const vigil = (args: string[], cwd = project, env: NodeJS.ProcessEnv = {}) => run('npx', ['--no', 'vigil', ...args], cwd, env);

/** Every file of a tree with its size and modification time, to see that nothing was written into it. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const full = path.join(e.parentPath, e.name);
      const s = statSync(full);
      return `${path.relative(dir, full)} ${s.size} ${s.mtimeMs}`;
    })
    .sort();
}
let installedBefore: string[] = [];

beforeAll(() => {
  expect(installPackedVigil(temp, 'team-monitoring', { type: 'module' })).toBe(project);
  // Root ignores the permission bits, so the snapshot is what proves it; chmod proves it for everyone else.
  chmodSync(installed, 0o555);
  spawnSync('chmod', ['-R', 'a-w', installed]);
  installedBefore = snapshot(installed);
}, 240_000);

afterAll(() => {
  spawnSync('chmod', ['-R', 'u+w', installed]);
  rmSync(temp, { recursive: true, force: true });
});

describe('the packed package, installed into an empty project', () => {
  it('ships compiled JavaScript, declarations, the schemas and the templates, and no TypeScript sources', () => {
    const files = snapshot(installed).map((line) => line.split(' ')[0]!);
    for (const file of ['bin/vigil.js', 'dist/vigil.cjs', 'dist/loader-process.cjs', 'dist/index.js', 'dist/types/index.d.ts', 'schemas/alert-rules.schema.json', 'templates/init/minimal/dot-github/workflows/vigil.yml']) {
      expect(files).toContain(file);
    }
    expect(files.filter((f) => f.startsWith('src/'))).toEqual([]);
    // dist/vigil.cjs carries copies of some packages (bin/dist.mjs BUNDLED_PACKAGES): their licences ship with it.
    const notices = readFileSync(path.join(installed, 'dist', 'THIRD-PARTY-NOTICES.txt'), 'utf8');
    for (const [name, licence] of [['@grafana/grafana-foundation-sdk', 'Apache-2.0'], ['handlebars', 'MIT'], ['js-yaml', 'MIT'], ['yaml', 'ISC']]) {
      expect(notices).toMatch(new RegExp(`^${name} v?\\d+\\.\\d+\\.\\d+ \\(${licence}\\)$`, 'm'));
    }
    expect(notices).toContain('Apache License');
  });

  it('vigil init scaffolds a repository that validates, builds and tests at once', () => {
    const init = vigil(['init']);
    expect(init.status, output(init)).toBe(0);
    for (const file of ['monitoring/project.yaml', '.github/workflows/vigil.yml', '.vscode/settings.json', 'README.md', '.gitignore']) {
      expect(statSync(path.join(project, file)).isFile(), file).toBe(true);
    }
    // A definition in TypeScript, with the package's helpers.
    writeFileSync(
      path.join(project, 'monitoring/dashboards/queue.ts'),
      `import { defineDashboard } from 'vigil';\n\nexport default defineDashboard({\n  uid: 'queue',\n  title: 'Queue',\n  rows: [{ title: 'Queue', panels: [{ title: 'Depth', type: 'timeseries', queries: [{ expr: 'max(queue_depth)' }] }] }],\n});\n`,
    );
    const validate = vigil(['validate']);
    expect(validate.status, output(validate)).toBe(0);
    expect(validate.stdout).toContain('0 errors, 0 warnings');
    const build = vigil(['build']);
    expect(build.status, output(build)).toBe(0);
    expect(statSync(path.join(project, 'generated/grafana/dashboards/queue.json')).isFile()).toBe(true);
    expect(vigil(['build', '--check']).status).toBe(0);
  });

  it.skipIf(!hasCommand('promtool') || !hasCommand('amtool'))('vigil test passes on the scaffold: both levels tested, coverage met', () => {
    const test = vigil(['test']);
    expect(test.status, output(test)).toBe(0);
    expect(test.stdout).toMatch(/coverage\s+2\/2 levels tested/);
  });

  it('init refuses a directory with files of its own, exit 2, and writes nothing', () => {
    const again = vigil(['init']);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('is not empty');
    expect(again.stderr).toContain('--force');
  });

  it('the scaffolded workflow is one GitHub accepts, and runs the installed package', async () => {
    const content = readFileSync(path.join(project, '.github/workflows/vigil.yml'), 'utf8');
    const parsed = parseWorkflow({ name: 'vigil.yml', content }, new NoOperationTraceWriter());
    const template = parsed.value ? await convertWorkflowTemplate(parsed.context, parsed.value) : undefined;
    expect([...parsed.context.errors.getErrors().map((e) => e.message), ...(template?.errors ?? []).map((e) => e.Message)]).toEqual([]);
    const jobs = (template as unknown as { jobs: { id: { value: string } }[] }).jobs.map((j) => j.id.value);
    expect(jobs).toEqual(['check', 'plan', 'deploy']);
    for (const step of ['npx vigil validate', 'npx vigil build --check', 'npx vigil test --check', 'npx vigil plan', 'npx vigil deploy']) expect(content).toContain(step);
  });

  it("TypeScript definitions type-check against the package's declarations, and a wrong field is a type error", () => {
    const tsc = path.join(REPO, 'node_modules/typescript/bin/tsc');
    const compilerOptions = { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: [] };
    writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['monitoring/**/*.ts'] }));
    writeFileSync(
      path.join(project, 'monitoring/alerts-typed.ts'),
      `import { defineAlertRules, type AlertRulesSpec } from 'vigil';\n\nexport const rules: AlertRulesSpec = defineAlertRules({ group: 'typed', alerts: [{ name: 'Typed', expr: 'up == 0', severity: 'critical', summary: 's' }] });\n`,
    );
    const good = run(process.execPath, [tsc, '-p', '.'], project);
    expect(good.status, output(good)).toBe(0);
    writeFileSync(path.join(project, 'monitoring/alerts-typed.ts'), `import { defineAlertRules } from 'vigil';\n\nexport default defineAlertRules({ group: 'typed', alerts: [{ name: 'Typed', expr: 'up == 0', sevrity: 'critical' }] });\n`);
    const bad = run(process.execPath, [tsc, '-p', '.'], project);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toContain("'sevrity' does not exist");
    rmSync(path.join(project, 'monitoring/alerts-typed.ts'));
  });

  it('--example ml-platform gives the full example, whose TypeScript dashboard resolves the installed packages', () => {
    const init = vigil(['init', 'ml', '--example', 'ml-platform']);
    expect(init.status, output(init)).toBe(0);
    expect(readFileSync(path.join(project, 'ml/monitoring/alerts/system.yaml'), 'utf8')).toContain('$schema=../../node_modules/vigil/schemas/alert-rules.schema.json');
    const validate = vigil(['validate', 'ml/monitoring']);
    expect(validate.status, output(validate)).toBe(0);
    // Run again, the installed command line starts the TypeScript loader before it reads its script (the hint in the
    // project's code cache), from dist/loader-process.cjs, and the load adopts it.
    const again = vigil(['validate', 'ml/monitoring', '--no-cache'], project, { VIGIL_TS_PRESTART: 'debug' });
    expect(again.status, output(again)).toBe(0);
    expect(again.stderr).not.toMatch(/started early/);
    const early = vigil(['validate', 'ml/monitoring', '--no-cache'], project, { VIGIL_TS_PRESTART: 'debug' });
    expect(early.status, output(early)).toBe(0);
    expect(early.stderr).toMatch(/started early: adopted/);
  });

  it("wrote nothing into the installed package; the code cache of the commands is in the project's node_modules/.cache", () => {
    expect(snapshot(installed)).toEqual(installedBefore);
    const codeCache = readdirSync(path.join(project, 'node_modules', '.cache', 'vigil', 'code'));
    expect(codeCache.filter((name) => /^(init|validate|build|test)-[0-9a-f]{32}\.bin$/.test(name)).length, codeCache.join(' ')).toBeGreaterThanOrEqual(3);
  });
});
