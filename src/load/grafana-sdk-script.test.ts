import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { REPO } from '../../test/helpers/cli.ts';
import { sdkEntryModule, sdkScript, SDK_GLOBAL } from './grafana-sdk-script.ts';
import { sdkEntryFor } from './sdk-resolve.ts';
import { loadTypeScriptFiles, sdkWarmUp, type TsFile } from './typescript.ts';

// Issue #12 §3: the TypeScript loader process takes the Grafana Foundation SDK from one script (dist/grafana-sdk.cjs)
// compiled with a V8 code cache, instead of importing its ≈ 600 files from node_modules. A definition must see the
// same SDK either way, and a missing, damaged or foreign cache only costs time.
const PACKAGE = '@grafana/grafana-foundation-sdk';
// A project whose node_modules is the repository's (a link: nothing is written there), so that the SDK resolves from
// its definitions as from the example's.
const root = mkdtempSync(path.join(os.tmpdir(), 'vigil-sdk-script-test-'));
writeFileSync(path.join(root, 'package.json'), '{"name":"sdk-script-test","private":true}\n');
symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'), 'dir');
afterAll(() => rmSync(root, { recursive: true, force: true }));
const CACHE_DIR = Symbol.for('vigil.code-cache-dir');
afterEach(() => {
  delete process.env.VIGIL_TS_SDK_SCRIPT;
  delete process.env.VIGIL_CODE_CACHE;
  delete (globalThis as Record<symbol, unknown>)[CACHE_DIR];
  vi.restoreAllMocks();
});

const sdk = sdkScript()!;
const requireFromRepo = createRequire(path.join(REPO, 'package.json'));

function definition(name: string, text: string, dir = root): TsFile {
  mkdirSync(dir, { recursive: true });
  const absolutePath = path.join(dir, name);
  writeFileSync(absolutePath, text);
  return { file: `sdk/${name}`, absolutePath, text };
}

async function exported(f: TsFile): Promise<unknown> {
  return JSON.parse((await loaded(f)).json);
}

/** The definition's data and its inputs (the files the incremental cache hashes to know the data is still the same). */
async function loaded(f: TsFile): Promise<{ json: string; inputs: string[] }> {
  const result = (await loadTypeScriptFiles([f])).get(f.file)!;
  expect(result.diagnostics).toEqual([]);
  return result.exported!;
}

/** An SDK file's package.json is among the inputs with it: an entry file may stay the same across versions. */
const sdkManifest = path.join(REPO, 'node_modules', PACKAGE, 'package.json');

const INFERENCE = path.join(REPO, 'examples/ml-platform/dashboards/inference.ts');
const inference = (): TsFile => ({ file: 'sdk/inference.ts', absolutePath: INFERENCE, text: readFileSync(INFERENCE, 'utf8') });

describe('the SDK script (dist/grafana-sdk.cjs)', () => {
  it("describes every entry with Node's own export names for it, for the version installed here", async () => {
    expect(sdk.version).toBe(JSON.parse(readFileSync(path.join(REPO, 'node_modules', PACKAGE, 'package.json'), 'utf8')).version);
    expect(Object.keys(sdk.exports).length).toBeGreaterThan(40);
    // The names a definition's import gets from Node in the loader process, the SDK imported from node_modules.
    const entries = Object.keys(sdk.exports);
    const f = definition(
      'names.ts',
      entries.map((e, i) => `import * as e${i} from '${PACKAGE}/${e}';\n`).join('') +
        `export default { ${entries.map((e, i) => `${JSON.stringify(e)}: Object.keys(e${i}).filter((n) => n !== 'default').sort()`).join(', ')} };\n`,
    );
    process.env.VIGIL_TS_SDK_SCRIPT = '0';
    expect(await exported(f)).toEqual(sdk.exports);
  }, 30_000);

  it('stands for an import only of that package at that version, and an entry it has', () => {
    const dashboard = requireFromRepo.resolve(`${PACKAGE}/dashboard`);
    expect(sdkEntryFor(sdk, `${PACKAGE}/dashboard`, dashboard)).toBe('dashboard');
    expect(sdkEntryFor(sdk, `${PACKAGE}/no-such-entry`, dashboard)).toBeUndefined();
    expect(sdkEntryFor(sdk, 'js-yaml', requireFromRepo.resolve('js-yaml'))).toBeUndefined();
    const other = fakeSdk('other-version');
    expect(sdkEntryFor(sdk, `${PACKAGE}/dashboard`, other)).toBeUndefined();
  });

  it('the module that stands for an entry: its names (reserved words too) and its default export', async () => {
    const fake = { ...sdk, exports: { dashboard: ['A', 'default2', 'enum', '__esModule'] } };
    const value = { A: 1, default2: 2, enum: 3, __esModule: true };
    (globalThis as Record<symbol, unknown>)[Symbol.for(SDK_GLOBAL)] = (entry: string) => (entry === 'dashboard' ? value : undefined);
    try {
      const m = await import(`data:text/javascript,${encodeURIComponent(sdkEntryModule(fake, 'dashboard'))}`);
      expect(m.default).toBe(value);
      expect([m.A, m.default2, m.enum, m.__esModule]).toEqual([1, 2, 3, true]);
    } finally {
      delete (globalThis as Record<symbol, unknown>)[Symbol.for(SDK_GLOBAL)];
    }
  });
});

describe('a definition sees the same SDK from the script as from node_modules', () => {
  it('the example dashboard exports the same data, from the same inputs', async () => {
    expect(sdkWarmUp([inference()]).entries.length).toBeGreaterThan(3);
    const fromScript = await loaded(inference());
    process.env.VIGIL_TS_SDK_SCRIPT = '0';
    expect(sdkWarmUp([inference()]).entries).toEqual([]);
    const fromNodeModules = await loaded(inference());
    expect(JSON.parse(fromNodeModules.json)).toEqual(JSON.parse(fromScript.json));
    // The entries the script stood for are inputs as the files they stand for (found here without asking esbuild).
    expect(fromScript.inputs).toEqual(fromNodeModules.inputs);
    expect(fromScript.inputs).toContain(sdkManifest);
    expect(fromScript.inputs).toContain(requireFromRepo.resolve(`${PACKAGE}/dashboard`));
    expect(fromScript.inputs.every((i) => path.isAbsolute(i) && existsSync(i))).toBe(true);
  }, 30_000);

  it('default, namespace and named imports, and an import from a module of its own', async () => {
    definition('helper.ts', `import { RowBuilder } from '${PACKAGE}/dashboard';\nexport const row = () => new RowBuilder('from a helper').build();\n`);
    const f = definition(
      'imports.ts',
      `import sdkDefault, * as ns from '${PACKAGE}/dashboard';\nimport { DashboardBuilder } from '${PACKAGE}/dashboard';\nimport { row } from './helper.ts';\n` +
        `export default { names: Object.keys(ns).sort(), defaultNames: Object.keys(sdkDefault).sort(), esModule: ns.__esModule ?? null, same: ns.DashboardBuilder === DashboardBuilder && sdkDefault.DashboardBuilder === DashboardBuilder, built: new DashboardBuilder('x').uid('y').build(), row: row() };\n`,
    );
    const fromScript = await loaded(f);
    process.env.VIGIL_TS_SDK_SCRIPT = '0';
    const fromNodeModules = await loaded(f);
    expect(JSON.parse(fromScript.json)).toEqual(JSON.parse(fromNodeModules.json));
    expect((JSON.parse(fromScript.json) as { same: boolean }).same).toBe(true);
    // Here the SDK is found through a linked node_modules (esbuild resolves it): the same inputs either way too.
    expect(fromScript.inputs).toEqual(fromNodeModules.inputs);
    expect(fromScript.inputs.filter((i) => i.includes(`${PACKAGE}/`)).length).toBeGreaterThan(1);
    expect(fromScript.inputs.every((i) => path.isAbsolute(i) && existsSync(i))).toBe(true);
  }, 30_000);

  it('another version of the package is imported from node_modules, as it is', async () => {
    const dir = path.join(root, 'other-project');
    fakeSdk('other-project', dir);
    writeFileSync(path.join(dir, 'package.json'), '{"name":"other-project","private":true}\n');
    const f = definition('other.ts', `import { WHICH } from '${PACKAGE}/dashboard';\nexport default { which: WHICH };\n`, dir);
    expect(sdkWarmUp([f])).toEqual({ entries: [], modules: [path.join(dir, 'node_modules', PACKAGE, 'dashboard.js')] });
    expect(await exported(f)).toEqual({ which: 'the fake SDK v9.9.9' });
  }, 30_000);
});

describe("the SDK script's code cache", () => {
  it('is written by a trusted process when missing, then accepted; a damaged one is not used, and is rewritten', async () => {
    const dir = path.join(root, 'code-cache');
    (globalThis as Record<symbol, unknown>)[CACHE_DIR] = dir;
    process.env.VIGIL_CODE_CACHE = 'debug';
    const said: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (said.push(String(chunk)), true));
    const expected = await exported(inference());
    expect(said.join('')).toContain('Grafana SDK code cache missing in the TypeScript loader');
    const file = await cacheFile(dir);
    said.length = 0;
    expect(await exported(inference())).toEqual(expected);
    expect(said.join('')).toContain('Grafana SDK code cache accepted in the TypeScript loader');
    // One byte of the data changed: its sha256 no longer matches the header's, so V8 is never given it.
    const bytes = readFileSync(file);
    bytes[bytes.length - 100] ^= 0xff;
    writeFileSync(file, bytes);
    said.length = 0;
    expect(await exported(inference())).toEqual(expected);
    expect(said.join('')).toContain('Grafana SDK code cache missing in the TypeScript loader');
    await until(() => !readFileSync(file).equals(bytes));
    said.length = 0;
    expect(await exported(inference())).toEqual(expected);
    expect(said.join('')).toContain('Grafana SDK code cache accepted in the TypeScript loader');
  }, 60_000);

  it('made for another heap limit (another V8 flag), it is rejected by V8 and rewritten; the data is the same', async () => {
    const dir = path.join(root, 'code-cache-foreign');
    (globalThis as Record<symbol, unknown>)[CACHE_DIR] = dir;
    const expected = await exported(inference());
    const file = await cacheFile(dir);
    // The same script's cache, made under another heap limit, in the file this heap limit names.
    const other = (await loadTypeScriptFiles([inference()], { timeoutMs: 5000, memoryMb: 512 })).get('sdk/inference.ts')!;
    expect(JSON.parse(other.exported!.json)).toEqual(expected);
    await until(() => readdirSync(dir).some((n) => n.endsWith('.bin') && path.join(dir, n) !== file));
    const foreign = readdirSync(dir).find((n) => n.endsWith('.bin') && path.join(dir, n) !== file)!;
    // Its writer removes every other SDK cache after its rename: once this heap limit's file is gone, it is done (a copy
    // made before that was removed by it under load, and the next load found no cache at all).
    await until(() => !existsSync(file));
    writeFileSync(file, readFileSync(path.join(dir, foreign)));
    process.env.VIGIL_CODE_CACHE = 'debug';
    const said: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (said.push(String(chunk)), true));
    expect(await exported(inference())).toEqual(expected);
    expect(said.join('')).toContain('Grafana SDK code cache rejected in the TypeScript loader');
  }, 60_000);
});

/** A package named like the SDK, of another version, whose `dashboard` entry says which it is. */
function fakeSdk(name: string, dir = path.join(root, name)): string {
  const pkg = path.join(dir, 'node_modules', PACKAGE);
  mkdirSync(pkg, { recursive: true });
  writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: PACKAGE, version: 'v9.9.9', exports: { './dashboard': './dashboard.js' } }));
  writeFileSync(path.join(pkg, 'dashboard.js'), "exports.WHICH = 'the fake SDK v9.9.9';\n");
  return path.join(pkg, 'dashboard.js');
}

async function cacheFile(dir: string): Promise<string> {
  await until(() => readdirSync(dir).some((n) => /^grafana-sdk-[0-9a-f]{32}\.bin$/.test(n)));
  return path.join(dir, readdirSync(dir).find((n) => /^grafana-sdk-[0-9a-f]{32}\.bin$/.test(n))!);
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if (condition()) return;
    } catch {
      // not there yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('timed out');
}
