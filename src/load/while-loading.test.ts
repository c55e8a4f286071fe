import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDirectory } from './index.ts';
import { loadTypeScriptFiles, sdkModulesImportedBy } from './typescript.ts';
import { REPO } from '../../test/helpers/cli.ts';
import { isDeclarativeDashboard } from '../model/kinds/dashboard.ts';
import { SDK_DASHBOARD_KEY } from '../spec/sdk.ts';

// Issue #12 §3 (validate start-up): the CLI imports the compiler while the TypeScript loader process runs. The load
// says when that process has its modules; the result is the same whoever waits for what.
const root = mkdtempSync(path.join(os.tmpdir(), 'vigil-while-loading-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const RECEIVERS = "apiVersion: vigil/v1\nkind: Receivers\nreceivers:\n  - name: team\n    email: { to: ['team@example.com'] }\n";
const TS_RECEIVERS = "export default { apiVersion: 'vigil/v1', kind: 'Receivers', receivers: [{ name: 'ts-team', email: { to: ['ts@example.com'] } }] };\n";

describe('loadDirectory: whileLoading', () => {
  it('is called once, before the load ends, when the loader process has its module; the definitions are all there', async () => {
    const dir = path.join(root, 'with-ts');
    writeAll(dir, { 'receivers.yaml': RECEIVERS, 'more.ts': TS_RECEIVERS });
    const events: string[] = [];
    // Called only once the module is written for the loader (never while esbuild, waiting on this thread, bundles it),
    // though the YAML file is parsed long before.
    const loading = loadDirectory(dir, { whileLoading: () => events.push(`whileLoading ${loaderModules().includes('definition-0.mjs')}`) }).then((r) => (events.push('loaded'), r));
    const loaded = await loading;
    expect(events).toEqual(['whileLoading true', 'loaded']);
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.definitions.map((d) => `${d.file}:${(d.value as { kind: string }).kind}`).sort()).toEqual(['with-ts/more.ts:Receivers', 'with-ts/receivers.yaml:Receivers']);
  }, 30_000);

  it('is called once for a project without TypeScript files', async () => {
    const dir = path.join(root, 'yaml-only');
    writeAll(dir, { 'receivers.yaml': RECEIVERS });
    let calls = 0;
    const loaded = await loadDirectory(dir, { whileLoading: () => calls++ });
    expect(calls).toBe(1);
    expect(loaded.definitions).toHaveLength(1);
  });
});

describe('loadDirectory: yamlParsed', () => {
  it('is called once, after whileLoading and before the load ends, with the YAML files\' definitions only', async () => {
    const dir = path.join(root, 'yaml-parsed');
    writeAll(dir, { 'receivers.yaml': RECEIVERS, 'more.ts': TS_RECEIVERS, 'board.yaml': 'apiVersion: vigil/v1\nkind: Dashboard\nuid: b\ntitle: B\npanels: []\n' });
    const events: string[] = [];
    const loaded = await loadDirectory(dir, {
      whileLoading: () => events.push('whileLoading'),
      yamlParsed: (definitions) => events.push(`yamlParsed ${definitions.map((d) => `${d.file}:${(d.value as { kind: string }).kind}:${isDeclarativeDashboard(d.value)}`).join(' ')}`),
    });
    events.push('loaded');
    expect(events).toEqual(['whileLoading', 'yamlParsed yaml-parsed/board.yaml:Dashboard:true yaml-parsed/receivers.yaml:Receivers:false', 'loaded']);
    expect(loaded.definitions).toHaveLength(3);
  }, 30_000);

  it('isDeclarativeDashboard: a Dashboard without the SDK\'s or a JSON dashboard\'s key', () => {
    expect(isDeclarativeDashboard({ kind: 'Dashboard', uid: 'a', panels: [] })).toBe(true);
    expect(isDeclarativeDashboard({ kind: 'Dashboard', uid: 'a', json: 'a.json' })).toBe(false);
    expect(isDeclarativeDashboard({ kind: 'Dashboard', [SDK_DASHBOARD_KEY]: {} })).toBe(false);
    expect(isDeclarativeDashboard({ kind: 'AlertRules' })).toBe(false);
    expect(isDeclarativeDashboard(null)).toBe(false);
  });
});

describe('loadTypeScriptFiles: handedOver', () => {
  it('is called once the loader has its modules, also when a file does not bundle', async () => {
    const dir = path.join(root, 'broken-ts');
    writeAll(dir, { 'broken.ts': 'export default {\n' });
    let calls = 0;
    const results = await loadTypeScriptFiles([{ file: 'broken-ts/broken.ts', absolutePath: path.join(dir, 'broken.ts'), text: 'export default {\n' }], undefined, () => calls++);
    expect(calls).toBe(1);
    expect(results.get('broken-ts/broken.ts')!.diagnostics.map((d) => d.code)).toEqual(['ts/load']);
  }, 30_000);

  it('is called before the load ends, with the module written for the loader to import', async () => {
    const dir = path.join(root, 'good-ts');
    writeAll(dir, { 'good.ts': TS_RECEIVERS });
    let ended = false;
    const seen: { ended: boolean; modules: string[] }[] = [];
    const loading = loadTypeScriptFiles([{ file: 'good-ts/good.ts', absolutePath: path.join(dir, 'good.ts'), text: TS_RECEIVERS }], undefined, () => seen.push({ ended, modules: loaderModules() })).then(
      (r) => ((ended = true), r),
    );
    const results = await loading;
    expect(seen).toHaveLength(1);
    expect(seen[0]!.ended).toBe(false);
    expect(seen[0]!.modules).toContain('definition-0.mjs');
    expect(results.get('good-ts/good.ts')!.diagnostics).toEqual([]);
  }, 30_000);

  it('is called at once when there is nothing to load', async () => {
    let calls = 0;
    await loadTypeScriptFiles([], undefined, () => calls++);
    expect(calls).toBe(1);
  });
});

describe('sdkModulesImportedBy: the Grafana SDK modules the loader imports while esbuild bundles', () => {
  const sdk = (name: string) => createRequire(path.join(REPO, 'package.json')).resolve(`@grafana/grafana-foundation-sdk/${name}`);
  const inRepo = (name: string, text: string) => ({ file: `monitoring/${name}`, absolutePath: path.join(REPO, 'examples/ml-platform/dashboards', name), text });

  it("the files the SDK's imports resolve to, each once, as the definitions import them", () => {
    const a = inRepo('a.ts', "import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';\nimport { PanelBuilder } from \"@grafana/grafana-foundation-sdk/timeseries\";\n");
    const b = inRepo('b.ts', "import { defineDashboard } from 'vigil';\nimport * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';\nimport { x } from './shared.ts';\n");
    expect(sdkModulesImportedBy([a, b])).toEqual([sdk('dashboard'), sdk('timeseries')]);
    expect(sdk('dashboard')).toMatch(/grafana-foundation-sdk\/dist\/dashboard\/index\.js$/);
  });

  it('leaves out what does not resolve (no such module, or no SDK installed where the definition is)', () => {
    expect(sdkModulesImportedBy([inRepo('c.ts', "import { X } from '@grafana/grafana-foundation-sdk/no-such-module';\n")])).toEqual([]);
    const outside = { file: 'elsewhere/d.ts', absolutePath: path.join(root, 'elsewhere', 'd.ts'), text: "import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';\n" };
    expect(sdkModulesImportedBy([outside])).toEqual([]);
  });

  it('a TypeScript dashboard written with the SDK loads with its modules imported ahead', async () => {
    const text = readFileSync(path.join(REPO, 'examples/ml-platform/dashboards/inference.ts'), 'utf8');
    const file = { file: 'sdk/inference.ts', absolutePath: path.join(REPO, 'examples/ml-platform/dashboards/inference.ts'), text };
    expect(sdkModulesImportedBy([file]).length).toBeGreaterThan(3);
    const result = (await loadTypeScriptFiles([file])).get('sdk/inference.ts')!;
    expect(result.diagnostics).toEqual([]);
    expect((result.definitions[0]!.value as { kind: string; uid?: string }).kind).toBe('Dashboard');
  }, 30_000);
});

/** The modules written for loader processes running now. */
function loaderModules(): string[] {
  return readdirSync(os.tmpdir())
    .filter((d) => d.startsWith('vigil-ts-'))
    .flatMap((d) => {
      try {
        return readdirSync(path.join(os.tmpdir(), d));
      } catch {
        return [];
      }
    });
}

function writeAll(dir: string, files: Record<string, string>): void {
  rmSync(dir, { recursive: true, force: true });
  for (const [file, text] of Object.entries(files)) {
    const full = path.join(dir, file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
}
