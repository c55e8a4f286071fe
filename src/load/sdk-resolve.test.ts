import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sdkScript, SDK_GLOBAL } from './grafana-sdk-script.ts';
import { sdkEntriesNamedIn, sdkEntryByNodeResolution } from './sdk-resolve.ts';
import { bundleDefinition } from './typescript-bundle.ts';

// Issue #12 §3: an import of the Grafana SDK is taken from the SDK script without asking esbuild where it resolves
// (three round trips to a thread busy parsing YAML) only where esbuild could not resolve it elsewhere. Each layout
// below is bundled by esbuild as well: the bundle must take what esbuild's own resolution finds.
const PACKAGE = '@grafana/grafana-foundation-sdk';
const sdk = sdkScript()!;
const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'vigil-sdk-resolve-')));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const IMPORTS = `import { DashboardBuilder } from '${PACKAGE}/dashboard';\nexport default { which: String(DashboardBuilder) };\n`;
const STUB = "export const DashboardBuilder = 'the projects own stub';\n";

/** A package of the SDK's name in `dir`'s node_modules: of the script's version unless told. */
function sdkPackage(dir: string, version = sdk.version): void {
  const pkg = path.join(dir, 'node_modules', PACKAGE);
  mkdirSync(pkg, { recursive: true });
  writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: PACKAGE, version, exports: { './dashboard': './dashboard.js' } }));
  writeFileSync(path.join(pkg, 'dashboard.js'), `exports.DashboardBuilder = 'node_modules ${version}';\n`);
}

/** A project folder with the definition in monitoring/; `setUp` adds what the layout has. */
function project(name: string, setUp: (dir: string) => void): string {
  const dir = path.join(root, name);
  mkdirSync(path.join(dir, 'monitoring'), { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), '{ "private": true }\n');
  setUp(dir);
  const file = path.join(dir, 'monitoring', 'dashboard.ts');
  writeFileSync(file, IMPORTS);
  return file;
}

const pathsTo = (base: string) => JSON.stringify({ compilerOptions: { baseUrl: base, paths: { [`${PACKAGE}/*`]: ['./stub/*'] } } });
const stub = (dir: string) => (mkdirSync(path.join(dir, 'stub'), { recursive: true }), writeFileSync(path.join(dir, 'stub', 'dashboard.ts'), STUB));

/** What the bundle takes for the import: the SDK script, the package in node_modules, or the project's own stub. */
type Taken = 'script' | 'node_modules' | 'stub';

const LAYOUTS: { name: string; setUp: (dir: string) => void; byNode: boolean; taken: Taken }[] = [
  { name: 'the package of the script’s version in node_modules', setUp: (d) => sdkPackage(d), byNode: true, taken: 'script' },
  { name: 'a tsconfig.json without paths, baseUrl or extends', setUp: (d) => (sdkPackage(d), writeFileSync(path.join(d, 'tsconfig.json'), '{ "compilerOptions": { "strict": true } }')), byNode: true, taken: 'script' },
  { name: 'tsconfig.json paths that send the package to a stub', setUp: (d) => (sdkPackage(d), stub(d), writeFileSync(path.join(d, 'tsconfig.json'), pathsTo('.'))), byNode: false, taken: 'stub' },
  { name: 'a tsconfig.json that extends one with such paths', setUp: (d) => (sdkPackage(d), stub(d), writeFileSync(path.join(d, 'base.json'), pathsTo('.')), writeFileSync(path.join(d, 'tsconfig.json'), '{ "extends": "./base.json" }')), byNode: false, taken: 'stub' },
  { name: 'a jsconfig.json with such paths (no tsconfig.json)', setUp: (d) => (sdkPackage(d), stub(d), writeFileSync(path.join(d, 'jsconfig.json'), pathsTo('.'))), byNode: false, taken: 'stub' },
  { name: 'such paths in the definition folder’s own tsconfig.json', setUp: (d) => (sdkPackage(d), stub(path.join(d, 'monitoring')), writeFileSync(path.join(d, 'monitoring', 'tsconfig.json'), pathsTo('.'))), byNode: false, taken: 'stub' },
  { name: 'a tsconfig.json that cannot be read (a folder)', setUp: (d) => (sdkPackage(d), mkdirSync(path.join(d, 'tsconfig.json'))), byNode: false, taken: 'script' },
  { name: 'another version of the package', setUp: (d) => sdkPackage(d, 'v9.9.9'), byNode: false, taken: 'node_modules' },
  {
    name: 'an entry exported by condition (import and require apart)',
    setUp: (d) => {
      sdkPackage(d);
      const pkg = path.join(d, 'node_modules', PACKAGE);
      writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: PACKAGE, version: sdk.version, exports: { './dashboard': { import: './dashboard.mjs', require: './dashboard.js' } } }));
      writeFileSync(path.join(pkg, 'dashboard.mjs'), `export const DashboardBuilder = 'node_modules ${sdk.version}';\n`);
    },
    byNode: false,
    taken: 'script',
  },
  {
    name: 'a package in a nearer node_modules than the project’s, of another version',
    setUp: (d) => (sdkPackage(d), sdkPackage(path.join(d, 'monitoring'), 'v9.9.9')),
    byNode: false,
    taken: 'node_modules',
  },
  {
    name: 'the package linked from a folder outside the project',
    setUp: (d) => {
      const elsewhere = path.join(root, 'elsewhere');
      sdkPackage(elsewhere);
      mkdirSync(path.join(d, 'node_modules', '@grafana'), { recursive: true });
      symlinkSync(path.join(elsewhere, 'node_modules', PACKAGE), path.join(d, 'node_modules', PACKAGE), 'dir');
    },
    byNode: false,
    taken: 'script',
  },
];

describe('an SDK import found without esbuild', () => {
  it.each(LAYOUTS.map((l, i) => [l.name, l, i] as const))('%s', async (_name, layout, i) => {
    const file = project(`layout-${i}`, layout.setUp);
    const known = sdkEntryByNodeResolution(sdk, `${PACKAGE}/dashboard`, file);
    if (layout.byNode) expect(known).toEqual({ path: path.join(path.dirname(file), '..', 'node_modules', PACKAGE, 'dashboard.js'), entry: 'dashboard' });
    else expect(known).toBeUndefined();
    const bundled = await bundleDefinition(file, path.join(root, `layout-${i}.mjs`));
    expect(bundled.errors).toEqual([]);
    const taken: Taken = bundled.code!.includes(SDK_GLOBAL) ? 'script' : bundled.code!.includes('projects own stub') ? 'stub' : 'node_modules';
    expect(taken).toBe(layout.taken);
  });

  it('only for an entry the script carries, from an absolute path', () => {
    const file = project('entries', (d) => sdkPackage(d));
    expect(sdkEntryByNodeResolution(sdk, `${PACKAGE}/no-such-entry`, file)).toBeUndefined();
    expect(sdkEntryByNodeResolution(sdk, 'js-yaml', file)).toBeUndefined();
    expect(sdkEntryByNodeResolution(sdk, `${PACKAGE}/dashboard`, 'monitoring/dashboard.ts')).toBeUndefined();
  });
});

describe('the entries a definition names (what an early loader evaluates ahead)', () => {
  it('each entry the script carries once, whatever else is imported', () => {
    const text = `import { A } from '${PACKAGE}/dashboard';\nimport { B } from "${PACKAGE}/timeseries";\nimport { C } from '${PACKAGE}/dashboard';\nimport { D } from '${PACKAGE}/no-such-entry';\nimport x from 'js-yaml';\n`;
    expect(sdkEntriesNamedIn([{ text }], sdk)).toEqual(['dashboard', 'timeseries']);
    expect(sdkEntriesNamedIn([{ text: 'export default {};' }], sdk)).toEqual([]);
  });
});
