// How the TypeScript loader process (typescript-child.mjs) is started: its Node flags (the permission model's readable
// roots, the heap limit), its clean environment, its stdio and IPC serialization. One module for the two places that
// start it: src/load/typescript.ts (in the command line's bundle, dist/vigil.cjs) and bin/vigil.js, which imports it
// as dist/loader-process.cjs (bin/dist.mjs builds it) to start the process before the bundle is even read (issue #12
// §3: Node's start-up with --experimental-permission is ≈ 47 ms, and a cold `vigil validate` of the example waited
// for it). Nothing here decides more than the loader's start; what it runs and what comes back is typescript.ts's.
//
// The early start ("prestart"): bin/vigil.js forks the process when the same command line in the same folder used
// the loader last time (a hint file in the code-cache directory, written at the end of such a run and removed after
// a run that did not use it). The hint is untrusted (a CI cache can be restored from a pull request's run): it only
// decides WHETHER to fork early; the flags, paths and environment are computed here, from this process's own state,
// as typescript.ts computes them. typescript.ts adopts the process only when what it computes for its load is exactly
// what the process was started with (the whole launch: script, flags, environment, stdio, serialization); otherwise
// it kills it, removes its modules folder and forks its own. A process nobody adopts is killed, and its folder
// removed, when the command exits; until then it holds nothing that keeps the command alive.
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { bundleDefinition, esbuildApi, type Bundled } from './typescript-bundle.ts';
import { sdkEntriesNamedIn } from './sdk-resolve.ts';
import { isWithin } from '../util/within.ts';

/** Limits of the loader process; the defaults can be changed with VIGIL_TS_TIMEOUT (seconds) and VIGIL_TS_MEMORY_MB. */
export interface TsLoadLimits {
  /** How long one file may take to load, and the load may take to settle after the last one (no timers left). */
  timeoutMs: number;
  memoryMb: number;
}

export function tsLoadLimits(env: NodeJS.ProcessEnv = process.env): TsLoadLimits {
  const seconds = Number(env.VIGIL_TS_TIMEOUT);
  const memory = Number(env.VIGIL_TS_MEMORY_MB);
  return { timeoutMs: seconds > 0 ? seconds * 1000 : 5000, memoryMb: memory >= 64 ? Math.floor(memory) : 1024 };
}

/** Everything the loader process is started with: two launches that are equal start the same process. */
export interface LoaderLaunch {
  script: string;
  execArgv: string[];
  env: Record<string, string>;
  stdio: ['ignore', 'ignore', 'pipe', 'ipc'];
  serialization: 'json';
}

/** Only what Node needs: no inherited variables, so a definition can read no CI secret. */
export function cleanEnvironment(from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = { NODE_ENV: 'production' };
  for (const name of ['PATH', 'TMPDIR', 'TZ', 'LANG', 'LC_ALL', 'SYSTEMROOT']) if (from[name] !== undefined) env[name] = from[name]!;
  return env;
}

/**
 * Directories the loader may read: Vigil's own package with its dependencies (see vigilPackageRoot), the working
 * directory, and the repository of each folder a definition is in.
 */
export function readableRoots(script: string, cwd: string, definitionDirs: readonly string[]): string[] {
  const roots = new Set<string>([vigilPackageRoot(script), cwd]);
  for (const dir of definitionDirs) roots.add(repositoryRoot(dir));
  return outermost([...roots]);
}

/**
 * The folders not inside another of them, in their order: one inside another adds nothing to what may be read, and
 * Node 20's permission model, given both `/repo/*` and `/repo/node_modules/*` (an installed package's root), refuses
 * process.chdir('/repo') — a definition at the repository's root, or the command run from a folder inside it, failed
 * with "cannot change to the definition's folder".
 */
function outermost(dirs: readonly string[]): string[] {
  return dirs.filter((dir) => !dirs.some((other) => other !== dir && isWithin(dir, other)));
}

/**
 * What the loader reads of Vigil itself (for `vigil`'s define helpers and their packages): the package the script is
 * in (the nearest folder above it with a package.json), or, for an installed package, the node_modules folder that
 * holds it, where npm puts its dependencies beside it. Never a checkout's parent folder: from dist/ as from src/load/,
 * a checkout is its own root.
 */
export function vigilPackageRoot(script: string): string {
  let root = path.dirname(path.resolve(script));
  while (!existsSync(path.join(root, 'package.json')) && path.dirname(root) !== root) root = path.dirname(root);
  if (!existsSync(path.join(root, 'package.json'))) return path.dirname(path.resolve(script));
  return path.basename(path.dirname(root)) === 'node_modules' ? path.dirname(root) : root;
}

/** The nearest folder at or above `dir` with a package.json or .git; `dir` itself when there is none. */
export function repositoryRoot(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'package.json')) || existsSync(path.join(d, '.git'))) return d;
    if (path.dirname(d) === d) return dir;
  }
}

/**
 * One background thread for the loader's V8 instead of Node's four: the loader runs beside the command's own main
 * thread, and on a two-core machine its compiler's and collector's threads took that thread's core (a cold `vigil
 * validate` of the example: 1.4–5.7 ms shorter in the paired medians of four runs of 30 pairs; issue #12 §3).
 */
const LOADER_THREADS = process.allowedNodeEnvironmentFlags.has('--v8-pool-size') ? ['--v8-pool-size=1'] : [];

/**
 * The launch of a loader process: Node's permission model (Node 20: experimental) — reads only under the modules
 * folder and the roots, and of the SDK script's code cache, that one file (made by the trusted process of
 * writeSdkCodeCache, never by the loader); no writes, no child processes, no workers — one V8 background thread, the
 * heap limit, no warnings, a clean environment; stderr piped (the tail explains a crash), IPC in JSON.
 */
export function loaderLaunch(o: { script: string; modulesDir: string; roots: readonly string[]; sdkCache?: string | undefined; memoryMb: number }): LoaderLaunch {
  const permission: string[] = [];
  if (process.allowedNodeEnvironmentFlags.has('--experimental-permission')) {
    permission.push('--experimental-permission', ...[o.modulesDir, ...o.roots].map((r) => `--allow-fs-read=${path.join(r, '*')}`));
    if (o.sdkCache) permission.push(`--allow-fs-read=${o.sdkCache}`);
  }
  return {
    script: o.script,
    execArgv: [...permission, ...LOADER_THREADS, `--max-old-space-size=${o.memoryMb}`, '--no-warnings'],
    env: cleanEnvironment(),
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'json',
  };
}

/**
 * Starts the process. Its working directory is this process's: the loader changes to the first definition's folder
 * when it is given the definitions (a definition sees that folder as process.cwd(), as it always has; the folder is
 * under a readable root, which is what the permission model asks of process.chdir).
 */
export function forkLoader(launch: LoaderLaunch): ChildProcess {
  // Copies: Node adds to the env object it is given (NODE_V8_COVERAGE, when the parent has it), and the launch must
  // stay what was computed, to be compared with the one a load computes.
  return fork(launch.script, [], { execArgv: [...launch.execArgv], env: { ...launch.env }, stdio: launch.stdio, serialization: launch.serialization });
}

export const sameLaunch = (a: LoaderLaunch, b: LoaderLaunch): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The Grafana Foundation SDK as one script (dist/grafana-sdk.cjs, described by dist/grafana-sdk.json). */
export interface SdkScript {
  /** The script's path. */
  script: string;
  package: string;
  version: string;
  /** The sha256 of the script's text (hex). */
  sha256: string;
  /** Each entry's export names, as Node gives them to an ES module that imports the entry from node_modules. */
  exports: Record<string, string[]>;
}

/** The SDK script described in the first of `descriptions` that has one (VIGIL_TS_SDK_SCRIPT=0: none). */
export function sdkScriptOf(descriptions: readonly string[]): SdkScript | undefined {
  if (process.env.VIGIL_TS_SDK_SCRIPT === '0') return undefined;
  for (const description of descriptions) {
    const script = path.join(path.dirname(description), 'grafana-sdk.cjs');
    try {
      const d = JSON.parse(readFileSync(description, 'utf8')) as Omit<SdkScript, 'script'>;
      if (existsSync(script) && typeof d.version === 'string' && typeof d.sha256 === 'string' && d.exports && typeof d.exports === 'object') return { ...d, script };
    } catch {
      // none here
    }
  }
  return undefined;
}

/**
 * The file of the SDK script's V8 code cache in the code-cache folder `dir`: named by the script's sha256, Node's
 * version and the loader's heap limit (a V8 flag: V8 rejects cached data made under other flags). Not by this
 * process's V8 flags: they are not the loader's, and bin/vigil.js changes one while a command runs (the old
 * generation's first growth), so the early start and the load would look for the cache under two names.
 */
export function sdkCodeCacheFile(dir: string, sdkSha256: string, memoryMb: number): string {
  const key = createHash('sha256')
    .update([sdkSha256, process.version, process.arch, memoryMb].join('\0'))
    .digest('hex')
    .slice(0, 32);
  return path.join(dir, `grafana-sdk-${key}.bin`);
}

/** The folder of the code caches bin/vigil.js passes in (none when they are off, or when the sources run). */
export const CODE_CACHE_DIR = Symbol.for('vigil.code-cache-dir');
const STATE = Symbol.for('vigil.ts-loader');

interface Prestarted {
  child: ChildProcess;
  launch: LoaderLaunch;
  modulesDir: string;
  error?: Error;
  /** The SDK script it was sent (see sdkMessageOf), with the warm-up for the hinted files: none when there is no script. */
  sdk?: SdkMessage;
  /** What it sent before it was adopted (the SDK code cache's state): the load reads these first. */
  early: unknown[];
  keepEarly: (message: unknown) => void;
}

/** The SDK script the loader process evaluates its entries from (typescript-child.mjs): its file, sha256 and code cache. */
export interface SdkMessage {
  script: string;
  sha256: string;
  cache: string | undefined;
  entries: string[];
}

/** The message that gives the loader process the SDK script and the entries to evaluate ahead. */
export function sdkMessageOf(sdk: SdkScript, cache: string | undefined, entries: string[]): SdkMessage {
  return { script: sdk.script, sha256: sdk.sha256, cache, entries };
}

/** What bin/vigil.js and the bundle share about this command's loader: the hint's file, an early process, its use. */
interface LoaderState {
  hint: string;
  hinted: boolean;
  /** The hint's text: the TypeScript files the last run loaded (JSON), or '' (an older hint). */
  hintText?: string;
  prestarted?: Prestarted | undefined;
  /** A load of this command started (or adopted) the loader. */
  used: boolean;
  /** The TypeScript files (absolute paths) that load gave the loader, for the next hint. */
  files?: readonly string[];
  /** esbuild's bundles of the files the hint named, started with the early process: by file and module path. */
  bundles?: Map<string, Promise<Bundled>>;
}

const state = (): LoaderState | undefined => (globalThis as Record<symbol, LoaderState | undefined>)[STATE];

/** Hints older than this are removed when one is written: the command lines they stand for were not run since. */
const HINT_AGE_MS = 7 * 24 * 3600_000;
const HINT = /^ts-loader-[0-9a-f]{32}\.hint$/;

/** The hint that the command line `argv`, run in `cwd`, used the loader last time: an empty file, read for its presence. */
export function hintFile(cacheDir: string, cwd: string, argv: readonly string[]): string {
  const key = createHash('sha256').update([cwd, ...argv].join('\0')).digest('hex').slice(0, 32);
  return path.join(cacheDir, `ts-loader-${key}.hint`);
}

/**
 * Called by bin/vigil.js before it reads the command line's bundle: forks the loader now when this command line
 * (`argv`, in the working directory) used it last time, started as the bundle will compute it (`script`: the loader
 * the bundle runs; `sdkDescription`: the bundle's dist/grafana-sdk.json; `cacheDir`: the code-cache folder the bundle
 * is given). VIGIL_TS_PRESTART=0 turns it off. Returns whether it forked.
 */
export function prestartLoader(o: { script: string; sdkDescription: string; cacheDir: string; argv: readonly string[] }): boolean {
  if (process.env.VIGIL_TS_PRESTART === '0') return false;
  let cwd: string;
  try {
    cwd = process.cwd();
  } catch {
    return false;
  }
  const s: LoaderState = { hint: hintFile(o.cacheDir, cwd, o.argv), hinted: false, used: false };
  try {
    s.hintText = readFileSync(s.hint, 'utf8');
    s.hinted = true;
  } catch {
    s.hinted = false;
  }
  (globalThis as Record<symbol, unknown>)[STATE] = s;
  process.once('exit', finish);
  if (!s.hinted) return false;
  const script = o.script;
  const limits = tsLoadLimits();
  const sdk = sdkScriptOf([o.sdkDescription]);
  let modulesDir: string;
  try {
    modulesDir = mkdtempSync(path.join(os.tmpdir(), 'vigil-ts-'));
  } catch {
    return false;
  }
  const launch = loaderLaunch({ script, modulesDir, roots: readableRoots(script, cwd, []), sdkCache: sdk && sdkCodeCacheFile(o.cacheDir, sdk.sha256, limits.memoryMb), memoryMb: limits.memoryMb });
  const child = forkLoader(launch);
  const early: unknown[] = [];
  const p: Prestarted = { child, launch, modulesDir, early, keepEarly: (message) => early.push(message) };
  child.on('error', (e) => (p.error = e));
  // Until it is adopted: the load's own listener comes later (see adoptPrestartedLoader).
  child.on('message', p.keepEarly);
  // Until it is adopted, nothing of it keeps this process running.
  child.unref();
  child.channel?.unref();
  (child.stderr as Partial<Socket> | null)?.unref?.();
  s.prestarted = p;
  if (process.env.VIGIL_TS_PRESTART === 'debug') process.stderr.write(`vigil: TypeScript loader started early (pid ${child.pid})\n`);
  const files = hintedFiles(s.hintText ?? '', cwd);
  // The SDK script's entries the hinted definitions import are evaluated now, while this process reads and compiles
  // its own script and esbuild bundles them (≈ 25 ms in the loader: it waited for this command's load to ask).
  if (sdk) sendSdk(p, sdkMessageOf(sdk, sdkCodeCacheFile(o.cacheDir, sdk.sha256, limits.memoryMb), sdkEntriesNamedIn(readable(files), sdk)), []);
  if (files.length === 0) startEsbuild();
  // The definitions the last run loaded are bundled now, into the modules this process would be given (the load takes
  // a bundle only for the same file and module path: when it adopts this process and loads those files in that order).
  else s.bundles = new Map(files.map((file, i) => [bundleKey(file, path.join(modulesDir, `definition-${i}.mjs`)), bundleDefinition(file, path.join(modulesDir, `definition-${i}.mjs`))]));
  return true;
}

const bundleKey = (file: string, module: string) => `${file}\u0000${module}`;

/**
 * Sends the loader process the SDK script with the entries to evaluate ahead, and the SDK's files from node_modules
 * the script does not stand for, to import ahead (typescript-child.mjs takes the first SDK script it is sent). A
 * failure to send is not an outcome: a loader that did not start, or ended, is reported by its own events.
 */
export function sendSdk(p: { child: ChildProcess; sdk?: SdkMessage }, message: SdkMessage | undefined, modules: readonly string[]): void {
  if (message) {
    p.sdk = message;
    p.child.send({ sdk: message }, () => undefined);
  }
  if (modules.length > 0) p.child.send({ warm: modules }, () => undefined);
}

/** The hinted files with their text; one that cannot be read is left out (the load reports it). */
function readable(files: readonly string[]): { absolutePath: string; text: string }[] {
  return files.flatMap((absolutePath) => {
    try {
      return [{ absolutePath, text: readFileSync(absolutePath, 'utf8') }];
    } catch {
      return [];
    }
  });
}

/**
 * The files a hint names (it is untrusted: a CI cache can be restored from another branch's run): TypeScript files
 * under the working directory, at most 20. esbuild only reads them, and what it makes is used only for a load of the
 * very same files; anything else in the hint is no file.
 */
function hintedFiles(text: string, cwd: string): string[] {
  let listed: unknown;
  try {
    listed = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(listed) || listed.length > 20) return [];
  const inside = (f: string) => path.isAbsolute(f) && !path.relative(cwd, f).startsWith('..') && /\.[cm]?tsx?$/.test(f);
  return listed.every((f): f is string => typeof f === 'string' && inside(f)) ? listed : [];
}

/** The bundle of `file` into `module` started with the early process, if there is one (taken once). */
export function earlyBundle(file: string, module: string): Promise<Bundled> | undefined {
  const bundles = state()?.bundles;
  const key = bundleKey(file, module);
  const found = bundles?.get(key);
  bundles?.delete(key);
  return found;
}

/**
 * esbuild bundles the definitions in this process (typescript-bundle.ts's esbuildApi): its
 * service, a Go program that takes ≈ 20–30 ms to answer, is started with the loader, so that the bundle's first
 * request finds it running (the loader process waits for that bundle). Nothing is built here; a service not used
 * ends with this process.
 */
function startEsbuild(): void {
  try {
    void esbuildApi().initialize({}).catch(() => undefined);
  } catch {
    // not installed, or started already: the bundle starts it (and reports what is wrong) itself
  }
}

/** The early process not yet adopted or discarded (for the tests). */
export function prestartedLoader(): { pid: number | undefined; modulesDir: string; launch: LoaderLaunch; sdk?: SdkMessage; early: readonly unknown[] } | undefined {
  const p = state()?.prestarted;
  return p && { pid: p.child.pid, modulesDir: p.modulesDir, launch: p.launch, ...(p.sdk ? { sdk: p.sdk } : {}), early: [...p.early] };
}

/** Forgets this process's loader state (for the tests: bin/vigil.js starts one command per process). */
export function resetLoaderState(): void {
  discardPrestartedLoader();
  process.off('exit', finish);
  (globalThis as Record<symbol, unknown>)[STATE] = undefined;
}

/** At exit: an early process nobody took is killed and its folder removed; the hint is written or removed. */
function finish(): void {
  const s = state();
  if (!s) return;
  discardPrestartedLoader();
  try {
    const text = JSON.stringify(s.files ?? []);
    if (s.used && (!s.hinted || s.hintText !== text)) {
      mkdirSync(path.dirname(s.hint), { recursive: true });
      writeFileSync(s.hint, text);
      const now = Date.now();
      for (const name of readdirSync(path.dirname(s.hint))) {
        const file = path.join(path.dirname(s.hint), name);
        if (HINT.test(name) && now - statSync(file).mtimeMs > HINT_AGE_MS) unlinkSync(file);
      }
    } else if (!s.used && s.hinted) {
      unlinkSync(s.hint);
    }
  } catch {
    // a read-only or full disk, a concurrent command: the hint only decides whether the next run forks early
  }
}

/** Kills the early process, if there is one nobody took, and removes its modules folder. */
export function discardPrestartedLoader(): void {
  const s = state();
  const p = s?.prestarted;
  if (!s || !p) return;
  s.prestarted = undefined;
  s.bundles = undefined;
  if (process.env.VIGIL_TS_PRESTART === 'debug' && !s.used) process.stderr.write('vigil: TypeScript loader started early: unused\n');
  p.child.kill('SIGKILL');
  rmSync(p.modulesDir, { recursive: true, force: true });
}

/** How an early process was used, for VIGIL_TS_PRESTART=debug and the tests. */
export type Adoption = 'adopted' | 'none' | 'refused: launch differs' | 'refused: not running';

/**
 * The early process for a load that uses the loader, when `launchFor(its modules folder)` — what the load computes
 * for itself — is exactly what it was started with and it is still running (its listeners are then the caller's;
 * it keeps this process running again). Otherwise it is discarded (killed, its folder removed) and the caller forks.
 */
export function adoptPrestartedLoader(launchFor: (modulesDir: string) => LoaderLaunch, files?: readonly string[]): { child: ChildProcess; modulesDir: string; early: unknown[]; sdk?: SdkMessage } | Adoption {
  const s = state();
  if (s) {
    s.used = true;
    s.files = files;
  }
  const p = s?.prestarted;
  if (!s || !p) return 'none';
  const alive = p.error === undefined && p.child.pid !== undefined && p.child.exitCode === null && p.child.signalCode === null && p.child.connected;
  // The launch names the SDK script's code cache file, which names the script's sha256: the same launch, the same script.
  const same = sameLaunch(launchFor(p.modulesDir), p.launch);
  const outcome: Adoption = !same ? 'refused: launch differs' : !alive ? 'refused: not running' : 'adopted';
  if (process.env.VIGIL_TS_PRESTART === 'debug') process.stderr.write(`vigil: TypeScript loader started early: ${outcome}\n`);
  if (outcome !== 'adopted') {
    discardPrestartedLoader();
    return outcome;
  }
  s.prestarted = undefined;
  p.child.off('message', p.keepEarly);
  p.child.ref();
  p.child.channel?.ref();
  (p.child.stderr as Partial<Socket> | null)?.ref?.();
  return { child: p.child, modulesDir: p.modulesDir, early: p.early, ...(p.sdk ? { sdk: p.sdk } : {}) };
}
