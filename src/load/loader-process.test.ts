import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO } from '../../test/helpers/cli.ts';
import { CODE_CACHE_DIR, earlyBundle, forkLoader, hintFile, loaderLaunch, prestartedLoader, prestartLoader, readableRoots, resetLoaderState, sdkCodeCacheFile, sdkScriptOf, tsLoadLimits, vigilPackageRoot } from './loader-process.ts';
import { loadTypeScriptFiles, type TsFile } from './typescript.ts';

// Issue #12 §3: bin/vigil.js starts the TypeScript loader process before it reads the command line's bundle, and the
// load adopts it only when it would have started the very same process. Here the early start is made as bin/vigil.js
// makes it (the loader of the sources, which the load runs in these tests), then a load changes one thing or none.
const CHILD = path.join(REPO, 'src/load/typescript-child.mjs');
const SDK_DESCRIPTION = path.join(REPO, 'dist/grafana-sdk.json');
const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'vigil-prestart-')));
const cacheDir = path.join(root, 'cache');
const projectDir = path.join(root, 'project');
const otherRepository = path.join(root, 'other-repository');
const ARGV = ['validate', 'monitoring', '--no-cache'];
mkdirSync(cacheDir);
for (const dir of [projectDir, otherRepository]) {
  mkdirSync(path.join(dir, 'monitoring'), { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), '{ "private": true }\n');
}

// What a definition sees: the process it runs in and its working directory.
const WHO = "export default { apiVersion: 'vigil/v1', kind: 'Receivers', receivers: [], pid: process.pid, cwd: process.cwd() };\n";

function definition(dir: string, name = 'who.ts'): TsFile {
  const absolutePath = path.join(dir, 'monitoring', name);
  writeFileSync(absolutePath, WHO);
  return { file: `monitoring/${name}`, absolutePath, text: WHO };
}

const saved = { cwd: process.cwd(), env: { ...process.env } };
beforeEach(() => {
  process.chdir(projectDir);
  (globalThis as Record<symbol, unknown>)[CODE_CACHE_DIR] = cacheDir;
  for (const name of ['VIGIL_TS_MEMORY_MB', 'VIGIL_TS_TIMEOUT', 'VIGIL_TS_PRESTART', 'VIGIL_TS_SDK_SCRIPT', 'VIGIL_CODE_CACHE', 'TZ']) delete process.env[name];
});
afterEach(() => {
  resetLoaderState();
  process.chdir(saved.cwd);
  delete (globalThis as Record<symbol, unknown>)[CODE_CACHE_DIR];
  process.env = { ...saved.env };
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The early start bin/vigil.js makes for ARGV, with a hint in place. */
function prestart(hint = '') {
  writeFileSync(hintFile(cacheDir, process.cwd(), ARGV), hint);
  expect(prestartLoader({ script: CHILD, sdkDescription: SDK_DESCRIPTION, cacheDir, argv: ARGV })).toBe(true);
  const early = prestartedLoader()!;
  expect(early.pid).toBeGreaterThan(0);
  expect(existsSync(early.modulesDir)).toBe(true);
  return early;
}

/** Whether a process is there: a killed one goes once this process has reaped it (within a few event-loop turns). */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

interface Variant {
  name: string;
  /** What changes between the early start and the load. */
  change?: () => void;
  /** The files the load is given (default: one definition in the project, the working directory). */
  files?: () => TsFile[];
  limits?: { timeoutMs: number; memoryMb: number };
  adopted: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'nothing: the same launch', adopted: true },
  { name: 'two definitions in the same repository', files: () => [definition(projectDir), definition(projectDir, 'second.ts')], adopted: true },
  { name: 'VIGIL_TS_TIMEOUT (a limit kept by this process, not a flag of the loader)', change: () => (process.env.VIGIL_TS_TIMEOUT = '2'), adopted: true },
  { name: 'a definition in another repository (another readable root)', files: () => [definition(otherRepository)], adopted: false },
  { name: 'one definition here, one in another repository', files: () => [definition(projectDir), definition(otherRepository)], adopted: false },
  { name: 'VIGIL_TS_MEMORY_MB (the heap limit, and the SDK code cache named by it)', change: () => (process.env.VIGIL_TS_MEMORY_MB = '300'), adopted: false },
  { name: 'limits given by the caller', limits: { timeoutMs: 5000, memoryMb: 512 }, adopted: false },
  { name: 'an environment variable the loader gets (TZ)', change: () => (process.env.TZ = 'Asia/Shanghai'), adopted: false },
  { name: 'the code cache turned off (no SDK cache file to read)', change: () => delete (globalThis as Record<symbol, unknown>)[CODE_CACHE_DIR], adopted: false },
  { name: 'another working directory', change: () => process.chdir(otherRepository), adopted: false },
];

describe('a loader process started early', () => {
  it.each(VARIANTS.map((v) => [v.name, v] as const))('changed between the start and the load: %s', async (_name, v) => {
    const early = prestart();
    v.change?.();
    const files = v.files?.() ?? [definition(projectDir)];
    const results = await loadTypeScriptFiles(files, v.limits ?? tsLoadLimits());
    for (const f of files) {
      const r = results.get(f.file)!;
      expect(r.diagnostics).toEqual([]);
      const seen = r.definitions[0]!.value as { pid: number; cwd: string };
      // Adopted: the definitions ran in the early process. Either way, in the first definition's folder, as always.
      if (v.adopted) expect(seen.pid).toBe(early.pid);
      else expect(seen.pid).not.toBe(early.pid);
      expect(seen.cwd).toBe(path.dirname(files[0]!.absolutePath));
    }
    // Nothing is left: neither process, nor the early one's modules folder (the load removes its own).
    expect(prestartedLoader()).toBeUndefined();
    expect(await gone(early.pid!)).toBe(true);
    expect(existsSync(early.modulesDir)).toBe(false);
  });

  it('the early launch is the one the load computes, whatever the hint holds (it only decides whether to start)', () => {
    const early = prestart('--allow-fs-read=/*\n{"execArgv":["--allow-fs-read=/*"],"env":{"SECRET":"x"}}\n');
    const sdk = sdkScriptOf([SDK_DESCRIPTION]);
    const memoryMb = tsLoadLimits().memoryMb;
    const expected = loaderLaunch({ script: CHILD, modulesDir: early.modulesDir, roots: readableRoots(CHILD, projectDir, [path.join(projectDir, 'monitoring')]), sdkCache: sdk && sdkCodeCacheFile(cacheDir, sdk.sha256, memoryMb), memoryMb });
    expect(early.launch).toEqual(expected);
    expect(early.launch.execArgv.join(' ')).not.toContain('--allow-fs-read=/*');
    expect(Object.keys(early.launch.env)).not.toContain('SECRET');
  });

  it("names the SDK script's code cache alike whatever V8 flags this process changed since the early start", () => {
    const sdk = sdkScriptOf([SDK_DESCRIPTION])!;
    const memoryMb = tsLoadLimits().memoryMb;
    const early = sdkCodeCacheFile(cacheDir, sdk.sha256, memoryMb);
    // bin/vigil.js sets the old generation's first growth after the early start and unsets it by the exit.
    v8.setFlagsFromString('--heap-growing-percent=900');
    try {
      expect(sdkCodeCacheFile(cacheDir, sdk.sha256, memoryMb)).toBe(early);
    } finally {
      v8.setFlagsFromString('--heap-growing-percent=0');
    }
    // What does name it: the loader's heap limit (its own V8 flag) and the script.
    expect(sdkCodeCacheFile(cacheDir, sdk.sha256, memoryMb + 1)).not.toBe(early);
    expect(sdkCodeCacheFile(cacheDir, '0'.repeat(64), memoryMb)).not.toBe(early);
  });

  it('bundles the files the hint names when it starts, and the load takes that bundle for the same file and module', async () => {
    const f = definition(projectDir);
    const early = prestart(JSON.stringify([f.absolutePath]));
    const module = path.join(early.modulesDir, 'definition-0.mjs');
    // Started: the load's own bundle of the same file into the same module would be the same.
    const bundled = earlyBundle(f.absolutePath, module);
    expect(bundled).toBeDefined();
    expect(earlyBundle(f.absolutePath, module)).toBeUndefined();
    const { bundleDefinition } = await import('./typescript-bundle.ts');
    expect(await bundled).toEqual(await bundleDefinition(f.absolutePath, module));
    resetLoaderState();
    // Taken by the load: the definition runs in the early process from it, as from the load's own bundle.
    const again = prestart(JSON.stringify([f.absolutePath]));
    const r = (await loadTypeScriptFiles([f])).get(f.file)!;
    expect(r.diagnostics).toEqual([]);
    expect((r.definitions[0]!.value as { pid: number }).pid).toBe(again.pid);
  });

  it('is given the SDK script and the entries the hinted files import; what it says before the load adopts it is not lost', async () => {
    const text = "import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';\nimport { PanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';\nexport default { apiVersion: 'vigil/v1', kind: 'Receivers', receivers: [], pid: process.pid, uid: new DashboardBuilder('x').uid('u').build().uid, panel: typeof PanelBuilder };\n";
    const absolutePath = path.join(projectDir, 'monitoring', 'sdk.ts');
    writeFileSync(absolutePath, text);
    symlinkSync(path.join(REPO, 'node_modules'), path.join(projectDir, 'node_modules'), 'dir');
    try {
      const early = prestart(JSON.stringify([absolutePath]));
      const sdk = sdkScriptOf([SDK_DESCRIPTION])!;
      expect(prestartedLoader()!.sdk).toEqual({ script: sdk.script, sha256: sdk.sha256, cache: sdkCodeCacheFile(cacheDir, sdk.sha256, tsLoadLimits().memoryMb), entries: ['dashboard', 'timeseries'] });
      // The SDK script compiled in the early process, before any load: it says how its code cache was.
      for (let i = 0; i < 250 && prestartedLoader()!.early.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(prestartedLoader()!.early).toContainEqual({ type: 'sdk-cache', state: expect.stringMatching(/^(missing|accepted|rejected)$/) });
      process.env.VIGIL_CODE_CACHE = 'debug';
      const said: string[] = [];
      const write = process.stderr.write;
      process.stderr.write = ((chunk: string) => (said.push(String(chunk)), true)) as typeof process.stderr.write;
      let r;
      try {
        r = (await loadTypeScriptFiles([{ file: 'monitoring/sdk.ts', absolutePath, text }])).get('monitoring/sdk.ts')!;
      } finally {
        process.stderr.write = write;
      }
      expect(r.diagnostics).toEqual([]);
      expect(r.definitions[0]!.value).toMatchObject({ pid: early.pid, uid: 'u', panel: 'function' });
      // Read by the load from what the early process said before it was adopted.
      expect(said.join('')).toMatch(/Grafana SDK code cache (missing|accepted|rejected) in the TypeScript loader/);
    } finally {
      rmSync(path.join(projectDir, 'node_modules'));
      rmSync(absolutePath);
    }
  }, 30_000);

  it('is not adopted by a load that would give it no SDK script (another launch: it names the script’s code cache)', async () => {
    const early = prestart();
    expect(prestartedLoader()!.sdk).toBeDefined();
    const f = definition(projectDir);
    process.env.VIGIL_TS_SDK_SCRIPT = '0';
    const r = (await loadTypeScriptFiles([f])).get(f.file)!;
    expect(r.diagnostics).toEqual([]);
    expect((r.definitions[0]!.value as { pid: number }).pid).not.toBe(early.pid);
    expect(await gone(early.pid!)).toBe(true);
  });

  it.each([
    ['a file outside the working directory', () => [definition(otherRepository).absolutePath]],
    ['a relative path', () => ['monitoring/who.ts']],
    ['a file that is not TypeScript', () => [path.join(projectDir, 'package.json')]],
    ['not a list of paths', () => ({ files: [definition(projectDir).absolutePath] })],
  ])('bundles nothing early for a hint naming %s (only whether to start is taken from it then)', async (_name, listed) => {
    const early = prestart(JSON.stringify(listed()));
    for (const file of [path.join(otherRepository, 'monitoring/who.ts'), 'monitoring/who.ts', path.join(projectDir, 'monitoring/who.ts'), path.join(projectDir, 'package.json')]) {
      expect(earlyBundle(file, path.join(early.modulesDir, 'definition-0.mjs'))).toBeUndefined();
    }
  });

  it('a bundle of another file than the load gives is not taken: the load bundles its own', async () => {
    const named = definition(projectDir, 'named.ts');
    writeFileSync(named.absolutePath, "export default { apiVersion: 'vigil/v1', kind: 'Receivers', receivers: [], named: true };\n");
    const early = prestart(JSON.stringify([named.absolutePath]));
    const f = definition(projectDir);
    const r = (await loadTypeScriptFiles([f])).get(f.file)!;
    expect(r.diagnostics).toEqual([]);
    expect(r.definitions[0]!.value).toMatchObject({ pid: early.pid });
    expect(r.definitions[0]!.value).not.toHaveProperty('named');
  });

  it('a load without TypeScript files ends it at once and removes its folder', async () => {
    const early = prestart();
    expect((await loadTypeScriptFiles([])).size).toBe(0);
    expect(prestartedLoader()).toBeUndefined();
    expect(await gone(early.pid!)).toBe(true);
    expect(existsSync(early.modulesDir)).toBe(false);
  });

  it('one that ended before the load is not adopted: the load forks its own', async () => {
    const early = prestart();
    process.kill(early.pid!, 'SIGKILL');
    expect(await gone(early.pid!)).toBe(true);
    const f = definition(projectDir);
    const r = (await loadTypeScriptFiles([f])).get(f.file)!;
    expect(r.diagnostics).toEqual([]);
    expect((r.definitions[0]!.value as { pid: number }).pid).not.toBe(early.pid);
    expect(existsSync(early.modulesDir)).toBe(false);
  });

  it.each([
    ['no hint for this command line', () => undefined],
    ['a hint for another command line', () => writeFileSync(hintFile(cacheDir, projectDir, ['build']), '')],
    ['a hint for this command line in another folder', () => writeFileSync(hintFile(cacheDir, otherRepository, ARGV), '')],
    ['VIGIL_TS_PRESTART=0', () => (writeFileSync(hintFile(cacheDir, projectDir, ARGV), ''), (process.env.VIGIL_TS_PRESTART = '0'))],
  ])('is not started with %s', (_name, setUp) => {
    rmSync(hintFile(cacheDir, projectDir, ARGV), { force: true });
    setUp();
    expect(prestartLoader({ script: CHILD, sdkDescription: SDK_DESCRIPTION, cacheDir, argv: ARGV })).toBe(false);
    expect(prestartedLoader()).toBeUndefined();
  });
});

describe("what the loader reads of Vigil's own package", () => {
  // The loader's script in each place it can be: a checkout (from src/ or from dist/), an npm install, pnpm's store.
  const layouts: { name: string; packageRoot: string; script: string; readable: string }[] = [
    { name: 'a checkout, dist/', packageRoot: 'checkout', script: 'checkout/dist/typescript-child.mjs', readable: 'checkout' },
    { name: 'a checkout, src/load/', packageRoot: 'checkout', script: 'checkout/src/load/typescript-child.mjs', readable: 'checkout' },
    { name: 'installed by npm', packageRoot: 'app/node_modules/vigil', script: 'app/node_modules/vigil/dist/typescript-child.mjs', readable: 'app/node_modules' },
    { name: "installed by pnpm", packageRoot: 'app/node_modules/.pnpm/vigil@0.1.0/node_modules/vigil', script: 'app/node_modules/.pnpm/vigil@0.1.0/node_modules/vigil/dist/typescript-child.mjs', readable: 'app/node_modules/.pnpm/vigil@0.1.0/node_modules' },
    { name: 'a folder named like a package, no package.json above', packageRoot: '', script: 'loose/dist/typescript-child.mjs', readable: 'loose/dist' },
  ];
  const base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'vigil-package-root-')));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  it.each(layouts)('$name: $readable', ({ packageRoot, script, readable }) => {
    if (packageRoot) {
      mkdirSync(path.join(base, packageRoot), { recursive: true });
      writeFileSync(path.join(base, packageRoot, 'package.json'), '{ "name": "vigil" }\n');
    }
    mkdirSync(path.dirname(path.join(base, script)), { recursive: true });
    expect(vigilPackageRoot(path.join(base, script))).toBe(path.join(base, readable));
  });

  it("this checkout's loader reads the checkout, not the folder it is in", () => {
    for (const script of ['dist/typescript-child.mjs', 'src/load/typescript-child.mjs']) expect(vigilPackageRoot(path.join(REPO, script))).toBe(REPO);
  });

  it('the readable roots hold no folder inside another (the installed package inside the repository, the command run from a folder in it)', () => {
    const app = path.join(base, 'roots-app');
    mkdirSync(path.join(app, 'node_modules', 'vigil', 'dist'), { recursive: true });
    mkdirSync(path.join(app, 'monitoring'), { recursive: true });
    writeFileSync(path.join(app, 'package.json'), '{ "private": true }\n');
    writeFileSync(path.join(app, 'node_modules', 'vigil', 'package.json'), '{ "name": "vigil" }\n');
    const script = path.join(app, 'node_modules', 'vigil', 'dist', 'typescript-child.mjs');
    const elsewhere = path.join(base, 'roots-elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(path.join(elsewhere, 'package.json'), '{ "private": true }\n');
    expect(readableRoots(script, app, [app, path.join(app, 'monitoring')])).toEqual([app]);
    expect(readableRoots(script, path.join(app, 'monitoring'), [app])).toEqual([app]);
    expect(readableRoots(script, app, [elsewhere])).toEqual([app, elsewhere]);
    // A sibling whose name starts with the repository's is not inside it.
    expect(readableRoots(script, `${app}-more`, [app])).toEqual([`${app}-more`, app]);
  });
});

// The loader runs beside the command's main thread: its V8 has one background thread, not Node's default pool (on a
// two-core machine the pool's threads took the main thread's core). Counted in /proc, against the same launch without
// the flag; both processes idle, waiting for their definitions.
describe.skipIf(!existsSync('/proc/self/task'))("the loader's threads", () => {
  const threadsOf = (pid: number) => readdirSync(`/proc/${pid}/task`).length;
  /** The thread count of a forked launch once it has stayed the same for 200 ms (V8's threads start with Node). */
  async function settledThreads(launch: ReturnType<typeof loaderLaunch>): Promise<number> {
    const child = forkLoader(launch);
    try {
      let last = -1;
      for (let stable = 0, i = 0; stable < 10 && i < 250; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const now = threadsOf(child.pid!);
        stable = now === last ? stable + 1 : 0;
        last = now;
      }
      return last;
    } finally {
      child.kill('SIGKILL');
      await gone(child.pid!);
    }
  }

  it('a loader process has fewer threads than one started with Node’s default V8 pool', async () => {
    const modulesDir = mkdtempSync(path.join(root, 'modules-'));
    const launch = loaderLaunch({ script: CHILD, modulesDir, roots: readableRoots(CHILD, projectDir, []), memoryMb: tsLoadLimits().memoryMb });
    expect(launch.execArgv).toContain('--v8-pool-size=1');
    const withDefaultPool = { ...launch, execArgv: launch.execArgv.filter((a) => !a.startsWith('--v8-pool-size')) };
    const [loader, other] = [await settledThreads(launch), await settledThreads(withDefaultPool)];
    expect(loader).toBeGreaterThan(0);
    expect(other - loader).toBeGreaterThanOrEqual(2);
  });
});
