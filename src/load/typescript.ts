import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic, Span } from '../diagnostics.ts';
import type { Definition, Path } from './definition.ts';
import { bundleDefinition, type Bundled } from './typescript-bundle.ts';
import { defaultExportHint } from './define-hint.ts';
import { SDK_CACHE_WRITER, sdkCodeCache, sdkScript, type SdkScript } from './grafana-sdk-script.ts';
import { sdkWarmUp as warmUpOf } from './sdk-resolve.ts';
import { adoptPrestartedLoader, cleanEnvironment, discardPrestartedLoader, earlyBundle, forkLoader, loaderLaunch, readableRoots, sdkMessageOf, sendSdk, tsLoadLimits, type LoaderLaunch, type SdkMessage, type TsLoadLimits } from './loader-process.ts';

export { tsLoadLimits, type TsLoadLimits };

export interface TsLoadResult {
  definitions: Definition[];
  diagnostics: Diagnostic[];
  /** A load without a problem: the exported JSON and the files the module was made from, for the cache. */
  exported?: { json: string; inputs: string[] };
}

export interface TsFile {
  /** The file's name in diagnostics. */
  file: string;
  absolutePath: string;
  text: string;
}

/** Imports one TypeScript definition file in the loader process; see loadTypeScriptFiles. */
export async function loadTypeScript(file: string, absolutePath: string, text: string, limits?: TsLoadLimits): Promise<TsLoadResult> {
  return (await loadTypeScriptFiles([{ file, absolutePath, text }], limits)).get(file)!;
}

/**
 * TypeScript definitions are code from whoever edits the repository. They run in a separate Node process (one for
 * all files of a load): a clean environment (no secrets: only what the loader needs), a time limit, a memory limit,
 * no file writes and no child processes (Node's permission model), and their default exports come back as JSON data.
 * The parent decides the outcome, so a definition that exits, hangs, throws later from a timer or a promise, or
 * exports something that is not data becomes a located `ts/load` error, never a pass or a stack trace.
 */
export async function loadTypeScriptFiles(files: readonly TsFile[], limits: TsLoadLimits = tsLoadLimits(), handedOver?: () => void): Promise<Map<string, TsLoadResult>> {
  const results = new Map<string, TsLoadResult>();
  if (files.length === 0) {
    // A loader bin/vigil.js started early (see loader-process.ts) is not needed: it goes now, not at exit.
    discardPrestartedLoader();
    handedOver?.();
    return results;
  }
  // The modules go to a private directory that only this process writes and that is gone when the load is over.
  // Made synchronously, so that esbuild and the loader process both start before this call returns: the caller's
  // work until it awaits the result (parsing the YAML files) overlaps them. A loader process bin/vigil.js started
  // before this bundle ran is taken, with its folder, when it was started exactly as this load would start it.
  const adopted = CHILD ? adoptPrestartedLoader((modulesDir) => launchFor(files, modulesDir, limits), files.map((f) => f.absolutePath)) : 'none';
  const dir = typeof adopted === 'object' ? adopted.modulesDir : mkdtempSync(path.join(os.tmpdir(), 'vigil-ts-'));
  try {
    const modules = files.map((_f, i) => path.join(dir, `definition-${i}.mjs`));
    const bundled = Promise.all(
      files.map(async (f, i) => {
        // Bundled already when bin/vigil.js started the loader for these files (loader-process.ts), else now.
        const b = await (earlyBundle(f.absolutePath, modules[i]!) ?? bundleDefinition(f.absolutePath, modules[i]!));
        if (b.code === undefined) {
          results.set(f.file, { definitions: [], diagnostics: bundleDiagnostics(f, b) });
          return undefined;
        }
        await writeFile(modules[i]!, b.code, { mode: 0o600 });
        return { ...f, module: modules[i]!, inputs: b.inputs ?? [] };
      }),
    ).then((list) => list.filter((e): e is TsFile & { module: string; inputs: string[] } => e !== undefined));
    const run = await runLoader(files, bundled, dir, limits, handedOver, typeof adopted === 'object' ? adopted : undefined);
    if (run.sdkCache && process.env.VIGIL_CODE_CACHE === 'debug') process.stderr.write(`vigil: Grafana SDK code cache ${run.sdkCache} in the TypeScript loader\n`);
    // Not waited for: it runs beside the compile (and the command's process waits for it before it exits).
    if (run.sdkCache === 'missing' || run.sdkCache === 'rejected') void writeSdkCodeCache(sdkWarmUp(files).entries, limits);
    const entries = await bundled;
    if (run.outcome !== 'hung' || entries.length === 1) {
      for (const [i, f] of entries.entries()) results.set(f.file, resultOf(f, run, i, limits));
    } else {
      // Something kept the batch running: load each file alone to find which, so the error points at the right one.
      for (const f of entries) results.set(f.file, resultOf(f, await runLoader([f], Promise.resolve([f]), dir, limits), 0, limits));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  // In the order asked, whatever finished first.
  return new Map(files.map((f) => [f.file, results.get(f.file)!]));
}

function bundleDiagnostics(f: TsFile, b: Bundled): Diagnostic[] {
  return b.errors.map((e) => {
    const here = e.file === undefined || path.resolve(e.file) === path.resolve(f.absolutePath);
    const offset = here && e.line !== undefined ? offsetOfLineCol(f.text, e.line, e.col ?? 1) : 0;
    return {
      code: 'ts/load',
      severity: 'error' as const,
      message: here ? e.message : `${e.message} (in ${path.relative(path.dirname(f.absolutePath), e.file!)}${e.line !== undefined ? `:${e.line}:${e.col}` : ''})`,
      span: { file: f.file, start: offset, end: Math.min(offset + 1, f.text.length) },
      hint: /Could not resolve/.test(e.message) ? 'check the import: is the package installed (npm ci) and the path right?' : 'fix the TypeScript syntax error',
    };
  });
}

interface FileOutcome {
  json?: string | undefined;
  loaded: boolean;
  failure?: { message: string; path?: Path; line?: number; col?: number; exit?: boolean };
  late: { message: string; line?: number; col?: number }[];
}

interface LoaderRun {
  /** done: the load finished and nothing was left running; hung: it did not, within the limit; ended: the process ended first. */
  outcome: 'done' | 'hung' | 'ended';
  files: FileOutcome[];
  /** The file being loaded (or the last one loaded) when the process hung or ended. */
  current: number;
  /** Out of memory, a signal, or an exit code, for the message. */
  ending?: string;
  /** What the loader found of the SDK script's code cache, when it compiled the script with one named. */
  sdkCache?: 'accepted' | 'rejected' | 'missing';
}

// Beside this module in the sources; beside src/ when this runs from the CLI's bundle in dist/.
const CHILD = ['./typescript-child.mjs', '../src/load/typescript-child.mjs'].map((rel) => fileURLToPath(new URL(rel, import.meta.url))).find((p) => existsSync(p));

/**
 * How the loader process for `files` is started (loader-process.ts): Node's permission model with reads under the
 * modules folder, Vigil's package, the working directory and each definition's repository (and the SDK script's code
 * cache file); the heap limit; a clean environment.
 */
function launchFor(files: readonly TsFile[], modulesDir: string, limits: TsLoadLimits): LoaderLaunch {
  const sdk = sdkScript();
  return loaderLaunch({
    script: CHILD!,
    modulesDir,
    roots: readableRoots(CHILD!, process.cwd(), files.map((f) => path.dirname(f.absolutePath))),
    sdkCache: sdk && sdkCodeCache(sdk, limits.memoryMb),
    memoryMb: limits.memoryMb,
  });
}

/**
 * Starts the loader process at once and gives it the modules when `entries` is ready, so that Node's start-up
 * overlaps the bundling. `files` are the TypeScript files the modules will come from (their repository is readable).
 * `handedOver` is called once the modules are sent (or there is nothing to send). `adopted`: the process bin/vigil.js
 * started early with the launch this load computes (see loadTypeScriptFiles), instead of a new one.
 */
function runLoader(
  files: readonly TsFile[],
  entries: Promise<readonly (TsFile & { module: string })[]>,
  modulesDir: string,
  limits: TsLoadLimits,
  handedOver?: () => void,
  adopted?: { child: ChildProcess; early: unknown[]; sdk?: SdkMessage },
): Promise<LoaderRun> {
  const run: LoaderRun = { outcome: 'ended', files: [], current: 0 };
  if (!CHILD) {
    run.ending = 'the TypeScript loader (typescript-child.mjs) is missing from this installation';
    handedOver?.();
    return Promise.resolve(run);
  }
  const sdk = sdkScript();
  const sdkCache = sdk && sdkCodeCache(sdk, limits.memoryMb);
  return new Promise((resolve) => {
    const child = adopted?.child ?? forkLoader(launchFor(files, modulesDir, limits));
    // The loader starts on the SDK's modules while esbuild bundles the definitions (see sdkWarmUp): the SDK script
    // (whenever this installation has one: a definition's own modules may import the SDK too) and its entries the
    // definitions import, and the SDK's files from node_modules the script does not stand for — unless bin/vigil.js
    // started it with them already (loader-process.ts).
    if (!adopted?.sdk) {
      const warm = sdkWarmUp(files, sdk);
      sendSdk({ child }, sdk && sdkMessageOf(sdk, sdkCache, warm.entries), warm.modules);
    }
    // What a definition prints is not passed on (it could forge CI annotations); the tail explains a crash.
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        run.outcome = 'hung';
        child.kill('SIGKILL');
      }, limits.timeoutMs);
    };
    const onMessage = (m: LoaderMessage) => {
      const at = typeof m.index === 'number' && m.index >= 0 && m.index < run.files.length ? m.index : undefined;
      if (m.type === 'start' && at !== undefined) {
        run.current = at;
        arm();
      } else if (m.type === 'loaded' && at !== undefined) {
        run.files[at]!.loaded = true;
        run.files[at]!.json = m.json;
        arm();
      } else if (m.type === 'failed' && at !== undefined) {
        run.files[at]!.failure = { message: String(m.message), path: Array.isArray(m.path) ? m.path : undefined, line: m.line, col: m.col, exit: m.exit };
        arm();
      } else if (m.type === 'late') {
        run.files[at ?? run.current]?.late.push({ message: String(m.message), line: m.line, col: m.col });
      } else if (m.type === 'sdk-cache') {
        run.sdkCache = m.state === 'accepted' ? 'accepted' : m.state === 'rejected' ? 'rejected' : 'missing';
      } else if (m.type === 'done') {
        run.outcome = 'done';
        clearTimeout(timer);
        child.kill('SIGKILL');
      }
    };
    child.on('message', onMessage);
    // What an early process sent before it was adopted (the SDK code cache's state), in order, before anything later.
    for (const m of adopted?.early ?? []) onMessage(m as LoaderMessage);
    child.on('error', (e) => {
      run.ending = `cannot start the TypeScript loader: ${e.message}`;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      if (run.outcome === 'ended') {
        run.ending ??= /heap out of memory|Allocation failed/i.test(stderr)
          ? `ran out of memory (more than ${limits.memoryMb} MB; VIGIL_TS_MEMORY_MB raises the limit)`
          : signal
            ? `the loader was ended by ${signal}`
            : `the loader ended with exit code ${code}`;
      }
      resolve(run);
    });
    void entries
      .then(
        (list) => {
          if (settled) return;
          if (list.length === 0) {
            run.outcome = 'done';
            child.kill('SIGKILL');
            return;
          }
          run.files = list.map(() => ({ loaded: false, late: [] }));
          arm();
          // The definitions run in the first one's folder (the process starts in the command's: see forkLoader).
          child.send({ cwd: path.dirname(files[0]!.absolutePath), files: list.map((f) => ({ module: f.module, source: f.absolutePath })) });
        },
        () => child.kill('SIGKILL'),
      )
      .finally(() => handedOver?.());
  });
}

/**
 * Makes the SDK script's code cache the loader process found missing or rejected, in a process of its own (trusted:
 * Vigil's script only, no definition runs there) with the loader's heap limit, while this one goes on; the entries
 * the definitions import are evaluated first, so that their functions are in it. A cache that cannot be written
 * (read-only, full) only costs the next load the time it would have saved.
 */
function writeSdkCodeCache(entries: readonly string[], limits: TsLoadLimits): Promise<void> {
  const sdk = sdkScript();
  const file = sdk && sdkCodeCache(sdk, limits.memoryMb);
  if (!sdk || !file) return Promise.resolve();
  try {
    mkdirSync(path.dirname(file), { recursive: true });
  } catch {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const writer = spawn(process.execPath, [`--max-old-space-size=${limits.memoryMb}`, '-e', SDK_CACHE_WRITER, sdk.script, sdk.sha256, file, ...entries], { env: cleanEnvironment(), stdio: 'ignore' });
    writer.on('error', () => resolve());
    writer.on('exit', (code) => {
      if (process.env.VIGIL_CODE_CACHE === 'debug') process.stderr.write(`vigil: Grafana SDK code cache ${code === 0 ? 'written' : 'not written'}: ${file}\n`);
      resolve();
    });
  });
}

export { sdkModulesImportedBy } from './sdk-resolve.ts';

/**
 * What the loader process evaluates ahead, while esbuild bundles: the SDK script's entries for the imports it
 * stands for (see grafana-sdk-script.ts), the SDK's files from node_modules for the others.
 */
export const sdkWarmUp = (files: readonly TsFile[], sdk: SdkScript | undefined = sdkScript()) => warmUpOf(files, sdk);

interface LoaderMessage {
  type: 'start' | 'loaded' | 'failed' | 'late' | 'done' | 'sdk-cache';
  state?: string;
  index?: number;
  json?: string;
  message?: string;
  path?: Path;
  line?: number;
  col?: number;
  exit?: boolean;
}

function resultOf(f: TsFile & { inputs?: string[] }, run: LoaderRun, index: number, limits: TsLoadLimits): TsLoadResult {
  const { file, text } = f;
  // A loader that ended before it was given the files has no outcome for them.
  const outcome = run.files[index] ?? { loaded: false, late: [] };
  const at = (line?: number, col?: number): Span => {
    if (line === undefined) return { file, start: 0, end: Math.min(text.length, 1) };
    const offset = offsetOfLineCol(text, line, col ?? 1);
    return { file, start: offset, end: Math.min(offset + 1, text.length) };
  };
  const problem = (message: string, span: Span, hint: string): TsLoadResult => ({ definitions: [], diagnostics: [{ code: 'ts/load', severity: 'error', message, span, hint }] });
  const diagnostics: Diagnostic[] = outcome.late.map((l) => ({
    code: 'ts/load',
    severity: 'error' as const,
    message: l.message,
    span: at(l.line, l.col),
    hint: 'a definition must finish its work while it loads: no timers, intervals or promises that fail later',
  }));
  if (outcome.failure) {
    const fail = outcome.failure;
    if (fail.exit) return problem(fail.message, at(fail.line, fail.col), 'a definition must only export data; it cannot end the process (the loader decides whether loading succeeded)');
    if (fail.path) return problem(`${fail.message} (at ${formatPath(fail.path)})`, locatePath(text, fail.path, file), 'export plain data: objects, arrays, strings, finite numbers, booleans and null');
    const failed = problem(`cannot load TypeScript definition: ${fail.message.split('\n')[0]}`, at(fail.line, fail.col), 'the file must run on its own: check its imports and any code it runs at load time');
    return { definitions: [], diagnostics: [...diagnostics, ...failed.diagnostics] };
  }
  if (!outcome.loaded) {
    if (run.outcome === 'hung' && run.current === index) {
      return problem(`did not finish loading within ${limits.timeoutMs / 1000} s`, at(), 'a definition must not loop, wait or keep timers running; VIGIL_TS_TIMEOUT (seconds) raises the limit');
    }
    if (run.current === index) return problem(`loading stopped: ${run.ending ?? 'the loader ended early'}`, at(), 'a definition must only export data; it cannot end or crash the loader');
    return problem(`not loaded: the loader stopped at an earlier file (${run.ending ?? 'it did not finish'})`, at(), 'fix the first TypeScript file reported');
  }
  if (run.outcome === 'hung') {
    diagnostics.push(problem(`kept running after it was loaded (timers, intervals or open handles) for more than ${limits.timeoutMs / 1000} s`, at(), 'a definition must not leave timers, intervals, sockets or servers running').diagnostics[0]!);
  } else if (run.outcome === 'ended') {
    diagnostics.push(problem(`the loader ended before the load settled: ${run.ending ?? 'unknown reason'}`, at(), 'a definition must not end or crash the loader').diagnostics[0]!);
  }
  if (diagnostics.length) return { definitions: [], diagnostics };
  if (outcome.json === undefined) {
    return problem('TypeScript definition has no default export', { file, start: 0, end: Math.min(text.length, 1) }, defaultExportHint(file));
  }
  return { ...tsDefinitionsOf(file, text, outcome.json), exported: { json: outcome.json, inputs: f.inputs ?? [] } };
}

/** The definitions of a TypeScript file whose default export the loader sent as `json` (fresh, or from the cache). */
export function tsDefinitionsOf(file: string, text: string, json: string): TsLoadResult {
  const exported = JSON.parse(json) as unknown;
  const values = Array.isArray(exported) ? exported : [exported];
  return { definitions: values.map((value, i) => tsDefinition(file, text, i, value)), diagnostics: [] };
}

const formatPath = (p: Path) => (p.length ? p.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('').replace(/^\./, '') : 'the default export');

/** Where a path of an exported value is written, searching the source for its keys after `export default`. */
function locatePath(text: string, p: Path, file: string): Span {
  let pos = Math.max(0, text.search(/export\s+default/));
  for (const segment of p) if (typeof segment === 'string') pos = findKey(text, segment, pos);
  return { file, start: pos, end: Math.min(pos + 1, text.length) };
}

function offsetOfLineCol(text: string, line: number, col: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', offset);
    if (nl === -1) return text.length;
    offset = nl + 1;
  }
  return Math.min(offset + col - 1, text.length);
}

const NAMING_KEYS = ['name', 'record', 'uid', 'title', 'group'];

/**
 * TypeScript objects carry no positions, so spans are found by searching the text for the keys and names along the
 * path: good enough to point a reviewer at the right line.
 */
function tsDefinition(file: string, text: string, index: number, value: unknown): Definition {
  const anchor = Math.max(0, text.search(/export\s+default/));
  const walk = (path: Path): { pos: number; value: unknown } => {
    let pos = anchor;
    let current: unknown = value;
    for (const segment of path) {
      if (current === null || typeof current !== 'object') break;
      const next = (current as Record<string | number, unknown>)[segment];
      if (typeof segment === 'number') {
        const naming = next && typeof next === 'object' ? namingValue(next as Record<string, unknown>) : undefined;
        if (naming !== undefined) {
          const found = findStringLiteral(text, naming, pos);
          // From the element's opening brace: its keys may come before or after the name found.
          if (found >= 0) pos = Math.max(pos, text.lastIndexOf('{', found));
        }
      } else {
        pos = findKey(text, segment, pos);
      }
      current = next;
    }
    return { pos, value: current };
  };
  const spanAt = (pos: number, len: number): Span => ({ file, start: pos, end: Math.min(pos + Math.max(len, 1), text.length) });
  const valueSpan = (path: Path): Span => {
    const { pos, value: v } = walk(path);
    if (typeof v === 'string') {
      const lit = findStringLiteral(text, v, pos);
      if (lit >= 0) return spanAt(lit, v.length + 2);
    }
    const lineEnd = text.indexOf('\n', pos);
    return spanAt(pos, (lineEnd === -1 ? text.length : lineEnd) - pos);
  };
  return {
    file,
    index,
    origin: 'ts',
    value,
    locate: valueSpan,
    locateKey: (path) => {
      const { pos } = walk(path);
      const key = String(path[path.length - 1] ?? '');
      return spanAt(pos, key.length);
    },
    locateInString: (path, start, end) => {
      const { pos, value: v } = walk(path);
      if (typeof v === 'string') {
        const lit = findStringLiteral(text, v, pos);
        if (lit >= 0) return { file, start: lit + 1 + start, end: lit + 1 + Math.max(end, start + 1) };
      }
      return valueSpan(path);
    },
  };
}

function namingValue(obj: Record<string, unknown>): string | undefined {
  for (const key of NAMING_KEYS) if (typeof obj[key] === 'string') return obj[key] as string;
  return undefined;
}

function findStringLiteral(text: string, value: string, from: number): number {
  const firstLine = value.split('\n')[0]!;
  for (const quote of ["'", '"', '`']) {
    const at = text.indexOf(quote + firstLine, from);
    if (at >= 0) return at;
  }
  return -1;
}

/** The position of `key:` (quoted or not) at or after `from`; `from` when the key is not written there. */
function findKey(text: string, key: string, from: number): number {
  const found = text.slice(from).search(new RegExp(`(^|[\\s{,'"])${escapeRegExp(key)}['"]?\\s*:`));
  return found < 0 ? from : from + found + (/[\s{,'"]/.test(text[from + found] ?? '') ? 1 : 0);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
