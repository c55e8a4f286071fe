import { readdirSync, statSync, watch as watchFiles, type Dirent, type FSWatcher } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openCache, type CacheOptions, type DefinitionCache } from '../cache/index.ts';
import { hasErrors, lineColAt, type Diagnostic } from '../diagnostics.ts';
import type { LoadResult } from '../load/index.ts';
import { definitionsDirectory, styleFor, UsageError, type CliIO } from './io.ts';
import { countSummary, forDisplay, printDiagnostics } from './print.ts';
import { checkProject, validateSummary } from './validate.ts';
import { outputDirectoryProblem, writeArtifacts } from './write.ts';

/** One run of the watched command: what it found and, for build, what it changed on disk. */
export interface WatchRun {
  loaded: LoadResult;
  diagnostics: Diagnostic[];
  /** Summary of the first run, printed in full. */
  summary: string;
  written?: string[];
  removed?: string[];
}

export interface WatchOptions {
  envFile?: string;
  cache: CacheOptions;
  /** Milliseconds of quiet after the last change before a run: an editor's save is often several writes. */
  debounceMs?: number;
}

/** `vigil validate --watch`: re-check on every change. */
export function watchValidate(io: CliIO, dir: string, options: WatchOptions): Promise<number> {
  return watchLoop(io, dir, options, async (cache) => {
    const { loaded, project } = await checkProject(dir, options.envFile, cache, { emit: false });
    return { loaded, diagnostics: project.diagnostics, summary: validateSummary(dir, loaded, project) };
  });
}

/** `vigil build --watch`: re-build on every change; with errors nothing is written, as with build. */
export async function watchBuild(io: CliIO, dir: string, out: string, options: WatchOptions): Promise<number> {
  const outProblem = await outputDirectoryProblem(dir, out);
  if (outProblem) throw new UsageError(outProblem);
  return watchLoop(io, dir, options, async (cache) => {
    const { loaded, project } = await checkProject(dir, options.envFile, cache, { emit: true });
    if (hasErrors(project.diagnostics)) return { loaded, diagnostics: project.diagnostics, summary: `build failed: ${countSummary(project.diagnostics)}; nothing was written to ${out}/` };
    const written = await writeArtifacts(out, project.artifacts, cache?.outputs);
    await cache?.outputs.flush();
    return {
      loaded,
      diagnostics: project.diagnostics,
      summary: `${dir} → ${out}/: ${project.artifacts.length} files (${written.written.length} written, ${written.unchanged.length} unchanged): ${countSummary(project.diagnostics)}`,
      written: written.written,
      removed: written.removed,
    };
  });
}

const DEFINITION_FILE = /\.(ya?ml|ts|json)$/i;

/**
 * Runs once, then again after each change under `dir` (one run at a time; changes during a run start one more),
 * printing after the first run only what changed: new problems in full, fixed ones in a line each, files written.
 * SIGINT and SIGTERM end the watch once the current run is over, with 130 or 143.
 */
async function watchLoop(io: CliIO, dir: string, options: WatchOptions, run: (cache: DefinitionCache | undefined) => Promise<WatchRun>): Promise<number> {
  const style = styleFor(io);
  await definitionsDirectory(dir);
  const cache = await openCache(options.cache);
  let previous: WatchRun | undefined;
  const once = async (changed: Set<string>) => {
    const started = performance.now();
    const cpu = process.cpuUsage();
    try {
      const current = await run(cache);
      report(io, previous, current, changed, performance.now() - started);
      // CPU time of the run, for benchmarks on a shared machine (wall time there measures the load as much).
      if (process.env.VIGIL_TIMINGS && process.env.VIGIL_TIMINGS !== '0') {
        const used = process.cpuUsage(cpu);
        io.err(`timing run: ${Math.round(performance.now() - started)} ms, CPU ${Math.round((used.user + used.system) / 1000)} ms\n`);
      }
      previous = current;
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      io.err(`${style.red('error')}: ${e.message}\n`);
    }
  };

  return new Promise<number>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<void> | undefined;
    let pending = new Set<string>();
    let stopping = false;
    const start = () => {
      if (running || stopping || pending.size === 0) return;
      const changed = pending;
      pending = new Set();
      running = once(changed).then(
        () => {
          running = undefined;
          start();
        },
        (e) => finish(undefined, e),
      );
    };
    const changedFile = (file: string) => {
      if (file && !DEFINITION_FILE.test(file)) return;
      pending.add(file);
      clearTimeout(timer);
      timer = setTimeout(start, options.debounceMs ?? 100);
    };
    let tree: { close(): void } | undefined;
    const finish = (signal: NodeJS.Signals | undefined, error?: unknown) => {
      if (stopping) return;
      stopping = true;
      clearTimeout(timer);
      tree?.close();
      for (const s of SIGNALS) process.off(s, onSignal);
      void (running ?? Promise.resolve()).finally(() => (error ? reject(error) : resolve(signal ? 128 + os.constants.signals[signal] : 0)));
    };
    const onSignal = (signal: NodeJS.Signals) => finish(signal);
    for (const s of SIGNALS) process.on(s, onSignal);
    // Watching starts before the first run, so a save during it is not missed.
    tree = watchTree(dir, changedFile, (e) => finish(undefined, e));
    if (stopping) return;
    running = once(new Set()).then(
      () => {
        running = undefined;
        if (!stopping) io.err(`watching ${dir} for changes (Ctrl-C to stop)\n`);
        start();
      },
      (e) => finish(undefined, e),
    );
  });
}

/**
 * fs.watch on every directory of the tree, each added synchronously (Node's recursive watch on Linux adds its
 * subdirectories asynchronously, so a save right after it starts can go unseen). A new directory is watched as soon
 * as its creation is seen. Reports file names relative to `root`.
 */
function watchTree(root: string, onChange: (file: string) => void, onError: (e: unknown) => void): { close(): void } {
  const watchers = new Map<string, FSWatcher>();
  const add = (rel: string) => {
    if (watchers.has(rel)) return;
    let watcher: FSWatcher;
    try {
      watcher = watchFiles(path.join(root, rel), (_event, name) => {
        const file = name === null ? rel : rel ? `${rel}/${String(name)}` : String(name);
        if (name !== null) addNew(file);
        onChange(name === null ? '' : file);
      });
    } catch (e) {
      if (rel === '') onError(e);
      return;
    }
    watcher.on('error', () => {
      watchers.get(rel)?.close();
      watchers.delete(rel);
    });
    watchers.set(rel, watcher);
    let entries: Dirent[] = [];
    try {
      entries = readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      // removed meanwhile
    }
    for (const e of entries) if (e.isDirectory() && !IGNORED_DIRECTORY.test(e.name)) add(rel ? `${rel}/${e.name}` : e.name);
  };
  const addNew = (rel: string) => {
    try {
      if (statSync(path.join(root, rel)).isDirectory() && !IGNORED_DIRECTORY.test(path.basename(rel))) add(rel);
    } catch {
      // a file that is gone again, or no directory
    }
  };
  add('');
  return {
    close: () => {
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}

const IGNORED_DIRECTORY = /^(\.|node_modules$)/;

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

function report(io: CliIO, previous: WatchRun | undefined, current: WatchRun, changed: Set<string>, ms: number): void {
  if (!previous) {
    printDiagnostics(io, 'text', current.loaded, current.diagnostics);
    io.out(`${current.summary}\n`);
    return;
  }
  const before = keyed(previous);
  const after = keyed(current);
  const added = current.diagnostics.filter((_d, i) => take(before, after.keys[i]!));
  const fixed = previous.diagnostics.filter((_d, i) => take(after.counts, before.keys[i]!));
  const style = styleFor(io);
  const time = new Date().toTimeString().slice(0, 8);
  const files = [...changed].filter(Boolean);
  io.err(`\n${style.bold(`[${time}]`)} ${files.length ? `changed: ${files.join(', ')}` : 'changed'}\n`);
  if (added.length) printDiagnostics(io, 'text', current.loaded, added);
  const shown = forDisplay(previous.loaded, fixed);
  for (const d of shown.diagnostics) io.err(`${style.cyan('fixed')} ${where(d, shown.sources)}${d.severity}[${d.code}]: ${d.message}\n`);
  if (current.written?.length) io.out(`wrote ${current.written.join(', ')}\n`);
  if (current.removed?.length) io.out(`removed ${current.removed.join(', ')}\n`);
  const delta = [added.length ? `${added.length} new` : '', fixed.length ? `${fixed.length} fixed` : ''].filter(Boolean).join(', ');
  io.out(`${countSummary(current.diagnostics)}${delta ? ` (${delta})` : ', nothing new'}${current.written && !current.written.length ? '; no file changed' : ''} in ${Math.round(ms)} ms\n`);
}

/**
 * Problems compared without their position: an edit above a problem moves it without fixing it. Counted, so that a
 * second identical problem is new.
 */
function keyed(run: WatchRun): { keys: string[]; counts: Map<string, number> } {
  const keys = run.diagnostics.map((d) => `${d.severity}\0${d.code}\0${d.span?.file ?? ''}\0${d.message}`);
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return { keys, counts };
}

/** Whether `key` is not (any more) in `pool`; takes one occurrence from the pool when it is. */
function take(pool: { counts: Map<string, number> } | Map<string, number>, key: string): boolean {
  const counts = pool instanceof Map ? pool : pool.counts;
  const n = counts.get(key) ?? 0;
  if (n === 0) return true;
  counts.set(key, n - 1);
  return false;
}

function where(d: Diagnostic, sources: readonly { file: string; text: string }[]): string {
  if (!d.span) return '';
  const text = sources.find((s) => s.file === d.span!.file)?.text ?? '';
  const { line, col } = lineColAt(text, d.span.start);
  return `${d.span.file}:${line}:${col}: `;
}
