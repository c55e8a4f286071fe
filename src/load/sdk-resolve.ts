import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { SdkScript } from './loader-process.ts';

// Which imports of the Grafana Foundation SDK the SDK script (dist/grafana-sdk.cjs, see grafana-sdk-script.ts) stands
// for. Apart from grafana-sdk-script.ts because dist/loader-process.cjs (bin/vigil.js's early loader) needs it too,
// and that script has no import.meta of its own.

const manifests = new Map<string, { name?: unknown; version?: unknown } | undefined>();

/**
 * The script's entry that stands for `resolvedPath`, the file an import of `specifier` resolves to from a definition;
 * undefined when the script does not carry it (another package or version, a name it does not have).
 */
export function sdkEntryFor(sdk: SdkScript, specifier: string, resolvedPath: string): string | undefined {
  if (!specifier.startsWith(`${sdk.package}/`)) return undefined;
  const entry = specifier.slice(sdk.package.length + 1);
  if (!Object.hasOwn(sdk.exports, entry)) return undefined;
  const manifest = packageManifestOf(resolvedPath);
  if (manifest === undefined) return undefined;
  if (!manifests.has(manifest)) {
    try {
      manifests.set(manifest, JSON.parse(readFileSync(manifest, 'utf8')));
    } catch {
      manifests.set(manifest, undefined);
    }
  }
  const m = manifests.get(manifest);
  return m?.name === sdk.package && m.version === sdk.version ? entry : undefined;
}

/** The package.json of the package a file belongs to (the nearest one above it), if any. */
export function packageManifestOf(file: string): string | undefined {
  for (let dir = path.dirname(file); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) return manifest;
  }
  return undefined;
}

/**
 * An SDK entry imported from `importer` (an absolute path), found without asking esbuild: the package is in a
 * node_modules folder of the importer's own folders (the first that has it, as Node and esbuild look, no link on the
 * way), the entry is a plain export of it (one file for every condition), and no tsconfig.json or jsconfig.json esbuild
 * reads for the importer could send the import elsewhere — then esbuild's resolution finds that very file, and the
 * package's version is all that decides (sdkEntryFor). Undefined otherwise: esbuild resolves it (its plugin's three
 * round trips to this thread, which a cold `vigil validate` spends parsing YAML — the definition's bundle waited for
 * them, issue #12 §3). `packages` keeps what was found per folder for one bundle (a build's imports share a folder).
 */
export function sdkEntryByNodeResolution(sdk: SdkScript, specifier: string, importer: string, packages = new Map<string, InstalledPackage | null>()): { path: string; entry: string } | undefined {
  if (!specifier.startsWith(`${sdk.package}/`) || !path.isAbsolute(importer)) return undefined;
  const entry = specifier.slice(sdk.package.length + 1);
  if (!Object.hasOwn(sdk.exports, entry)) return undefined;
  const dir = path.dirname(importer);
  let installed = packages.get(dir);
  if (installed === undefined) packages.set(dir, (installed = mayRemapPackages(dir) ? null : installedPackage(dir, sdk.package)));
  if (!installed || installed.name !== sdk.package || installed.version !== sdk.version) return undefined;
  const target = plainExport(installed.exports, `./${entry}`);
  return target === undefined ? undefined : { path: path.join(installed.dir, target), entry };
}

/** A package as a folder of node_modules holds it: its folder and what its package.json says of it. */
export interface InstalledPackage {
  dir: string;
  name?: unknown;
  version?: unknown;
  exports?: unknown;
}

/** The first `node_modules/<name>` with a package.json from `dir` up, if it is where it is (no link in its path). */
function installedPackage(dir: string, name: string): InstalledPackage | null {
  for (let d = dir; ; d = path.dirname(d)) {
    const candidate = path.join(d, 'node_modules', name);
    const manifest = path.join(candidate, 'package.json');
    if (existsSync(manifest)) {
      try {
        if (realpathSync(candidate) !== candidate) return null;
        const m = JSON.parse(readFileSync(manifest, 'utf8')) as Omit<InstalledPackage, 'dir'>;
        return { dir: candidate, name: m.name, version: m.version, exports: m.exports };
      } catch {
        return null;
      }
    }
    if (path.dirname(d) === d) return null;
  }
}

/** The file an `exports` entry gives every importer alike (a string, or only `default` beside `types`), if so. */
function plainExport(exports: unknown, subpath: string): string | undefined {
  if (!exports || typeof exports !== 'object' || !Object.hasOwn(exports, subpath)) return undefined;
  const target = (exports as Record<string, unknown>)[subpath];
  if (typeof target === 'string') return target.startsWith('./') ? target : undefined;
  if (!target || typeof target !== 'object') return undefined;
  const conditions = Object.keys(target);
  const only = conditions.every((c) => c === 'default' || c === 'types');
  const chosen = (target as Record<string, unknown>).default;
  return only && typeof chosen === 'string' && chosen.startsWith('./') ? chosen : undefined;
}

/**
 * Whether the tsconfig.json (else jsconfig.json) esbuild reads for files in `dir` — the nearest one at or above it —
 * may map a package import elsewhere: it names paths or baseUrl, or extends another (not followed here). A file that
 * cannot be read counts as one that may. Read each time (a `--watch` process sees a tsconfig.json edited meanwhile).
 */
function mayRemapPackages(dir: string): boolean {
  for (let d = dir; ; d = path.dirname(d)) {
    for (const name of ['tsconfig.json', 'jsconfig.json']) {
      let text: string;
      try {
        text = readFileSync(path.join(d, name), 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        return true;
      }
      return /"(paths|baseUrl|extends)"/.test(text);
    }
    if (path.dirname(d) === d) return false;
  }
}

const SDK_IMPORT = /\bfrom\s*['"](@grafana\/grafana-foundation-sdk\/[a-z0-9]+)['"]/g;

/** The SDK's imports of the TypeScript files: each file they resolve to, with its specifier. */
function sdkImports(files: readonly { absolutePath: string; text: string }[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const f of files) {
    const resolve = createRequire(f.absolutePath).resolve;
    for (const [, specifier] of f.text.matchAll(SDK_IMPORT)) {
      try {
        found.set(resolve(specifier!), specifier!);
      } catch {
        // not installed, or no such module: the bundle reports it
      }
    }
  }
  return found;
}

/**
 * The script's entries the TypeScript files' imports name, without resolving them (which costs the thread that
 * starts the loader ≈ 10 ms cold): what an early loader evaluates ahead. An entry of another version of the package
 * than the script's is evaluated for nothing, never used in its place (the bundle decides that: sdkEntryFor).
 */
export function sdkEntriesNamedIn(files: readonly { text: string }[], sdk: SdkScript): string[] {
  const entries = new Set<string>();
  for (const f of files) {
    for (const [, specifier] of f.text.matchAll(SDK_IMPORT)) {
      const entry = specifier!.slice(sdk.package.length + 1);
      if (specifier!.startsWith(`${sdk.package}/`) && Object.hasOwn(sdk.exports, entry)) entries.add(entry);
    }
  }
  return [...entries];
}

/**
 * The files of the Grafana Foundation SDK's modules the TypeScript files import, as Node resolves them: most
 * TypeScript dashboards are written with the SDK, and importing it takes the loader process ≈ 0.2 s (240 CommonJS
 * files, each read for its export names), so the loader imports them while esbuild bundles the definitions, and a
 * definition's import finds them done. Only this package: its modules have no side effects, and its exports give one
 * file for import and require alike, so the early import is the module the definition imports, evaluated once. A
 * name that does not resolve is left to the definition's own import, which reports it.
 */
export function sdkModulesImportedBy(files: readonly { absolutePath: string; text: string }[]): string[] {
  return [...sdkImports(files).keys()];
}

/**
 * What the loader process evaluates ahead, while esbuild bundles: the SDK script's entries for the imports it
 * stands for, the SDK's files from node_modules for the others.
 */
export function sdkWarmUp(files: readonly { absolutePath: string; text: string }[], sdk: SdkScript | undefined): { entries: string[]; modules: string[] } {
  const entries: string[] = [];
  const modules: string[] = [];
  for (const [resolved, specifier] of sdkImports(files)) {
    const entry = sdk && sdkEntryFor(sdk, specifier, resolved);
    if (entry !== undefined) entries.push(entry);
    else modules.push(resolved);
  }
  return { entries, modules };
}
