import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../diagnostics.ts';
import type { Definition, SourceFile } from './definition.ts';
import { sha256 } from '../build/manifest.ts';
import { rememberTextSha256 } from './text-hash.ts';
import { discoverDefinitionFiles } from './discover.ts';
import { firstInvalidUtf8, printableName } from './file-names.ts';
import { LIMITS } from './limits.ts';
import { attachDashboardJsonFiles } from './dashboard-json-files.ts';
import { definitionsRead } from '../util/large-work.ts';
import { loadTypeScript, loadTypeScriptFiles, type TsFile, type TsLoadResult } from './typescript.ts';
import { loadYaml, loadYamlCached, type YamlLoadResult } from './yaml.ts';
import type { DefinitionCache } from '../cache/index.ts';
import { rememberTypeScript, typeScriptFromCache } from './typescript-cache.ts';

export type { Definition, Path, SourceFile } from './definition.ts';

export interface LoadResult {
  dir: string;
  /**
   * File names are `<definitions dir name>/<path inside it>` (monitoring/alerts/gpu.yaml) wherever Vigil runs from,
   * so generated files name their sources identically on every machine; this maps them to paths the user can open
   * from the working directory, for printing.
   */
  displayNames?: Map<string, string>;
  sources: SourceFile[];
  definitions: Definition[];
  diagnostics: Diagnostic[];
}

export interface LoadOptions {
  /** Parsed YAML and TypeScript exports of unchanged files are taken from it, and new ones kept in it. */
  cache?: DefinitionCache;
  /**
   * Called once the TypeScript loader process has its modules (once the YAML is parsed when no TypeScript file is to
   * be loaded): the moment for a caller to start work of its own (importing modules) that overlaps that process.
   */
  whileLoading?: () => void;
  /**
   * Called once with the YAML files' definitions, once they are parsed and the TypeScript loader process (if any) no
   * longer needs this thread, before that process ends: what the caller may prepare for those definitions (see
   * cli/validate.ts) overlaps it.
   */
  yamlParsed?: (definitions: readonly Definition[]) => void;
}

/** Reads every definition under `dir`. IO lives here; everything after works on the returned texts. */
export async function loadDirectory(dir: string, options: LoadOptions = {}): Promise<LoadResult> {
  const { cache } = options;
  const { files, problems } = await discoverDefinitionFiles(dir);
  const sources: SourceFile[] = [];
  const definitions: Definition[] = [];
  const diagnostics: Diagnostic[] = [];
  const displayNames = new Map<string, string>();
  const root = path.basename(path.resolve(dir));
  const display = (rel: string) => path.relative(process.cwd(), path.resolve(dir, rel)).split(path.sep).join('/');
  // A file that cannot be read still gets a (empty) source, so its problem is printed as file:1:1 like any other.
  for (const problem of problems) {
    const file = `${root}/${problem.rel}`;
    displayNames.set(file, display(problem.rel));
    sources.push({ file, text: '' });
    diagnostics.push({ code: problem.code, severity: 'error', message: problem.message, hint: problem.hint, span: { file, start: 0, end: 0 } });
  }
  // Read one after the other, then parse in order so results never depend on timing.
  const contents = files.map((rel) => readDefinitionFile(path.resolve(dir, rel)));
  definitionsRead(contents.reduce((chars, c) => chars + c.text.length, 0));
  // Every TypeScript file loads in one loader process, started first: the YAML is parsed while it runs.
  const tsFiles = files.flatMap((rel, i) => (rel.endsWith('.ts') && !contents[i]!.problem ? [{ file: `${root}/${rel}`, absolutePath: path.resolve(dir, rel), text: contents[i]!.text }] : []));
  let handedOver = false;
  const whileLoading = () => {
    if (!handedOver) options.whileLoading?.();
    handedOver = true;
  };
  let modulesSent!: () => void;
  const loaderHasModules = new Promise<void>((resolve) => (modulesSent = resolve));
  const sent = () => {
    modulesSent();
    whileLoading();
  };
  const typescript = cache ? loadTypeScriptThroughCache(tsFiles, cache, sent) : loadTypeScriptFiles(tsFiles, undefined, sent);
  // The sha256 of each text keys the cache here, and is handed on with the file (textSha256) for every later use.
  const hashes: (string | undefined)[] = [];
  const yamlOf = (rel: string, text: string, i: number) => (cache ? loadYamlCached(`${root}/${rel}`, text, cache.yaml, (hashes[i] = sha256(text))) : loadYaml(`${root}/${rel}`, text));
  const yaml: (YamlLoadResult | undefined)[] = [];
  // While TypeScript files load, the parse lets the event loop run after each file that took over a millisecond:
  // esbuild's answer is then passed to the loader process at once instead of after the last YAML file, and each of
  // its plugin's requests (one or two per package a definition imports, one after the other: esbuild's service is
  // started early and asks during the parse) waits at most that long instead of up to 5 ms.
  let lastYield = performance.now();
  for (const [i, rel] of files.entries()) {
    yaml.push(rel.endsWith('.ts') || contents[i]!.problem ? undefined : yamlOf(rel, contents[i]!.text, i));
    if (tsFiles.length > 0 && performance.now() - lastYield > YIELD_EVERY_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = performance.now();
    }
  }
  // The parse is done. Until esbuild has bundled the TypeScript files, this thread answers its plugin's requests
  // (resolving each package a definition imports): work started now, such as the caller's imports (≈ 0.1 s of module
  // evaluation), would hold them up and the loader process with them. It starts once that process has its modules.
  if (tsFiles.length > 0) await Promise.race([loaderHasModules, typescript.catch(() => undefined)]);
  whileLoading();
  options.yamlParsed?.(yaml.flatMap((result) => result?.definitions ?? []));
  const loadedTs = await typescript;
  for (const [i, rel] of files.entries()) {
    const file = `${root}/${rel}`;
    displayNames.set(file, display(rel));
    const content = contents[i]!;
    const source = { file, text: content.text };
    if (hashes[i] !== undefined) rememberTextSha256(source, hashes[i]!);
    sources.push(source);
    if (content.problem) {
      diagnostics.push(problemDiagnostic(file, content.problem));
      continue;
    }
    const result = yaml[i] ?? loadedTs.get(file)!;
    for (const d of result.definitions) definitions.push(d);
    for (const d of result.diagnostics) diagnostics.push(d);
  }
  // Dashboard JSON files named by definitions are read after them, each once, and printed like definition files.
  await attachDashboardJsonFiles({ definitions, diagnostics, sources }, async (file) => {
    displayNames.set(file, display(file.slice(root.length + 1)));
    return readDefinitionFile(path.resolve(dir, file.slice(root.length + 1)));
  });
  return { dir, displayNames, sources, definitions, diagnostics };
}

const YIELD_EVERY_MS = 1;

/** TypeScript files whose inputs are unchanged come from the cache; only the others start the loader process. */
async function loadTypeScriptThroughCache(files: TsFile[], cache: DefinitionCache, handedOver?: () => void): Promise<Map<string, TsLoadResult>> {
  const { hits, misses } = await typeScriptFromCache(files, cache.typescript);
  const loaded = await loadTypeScriptFiles(misses, undefined, handedOver);
  await rememberTypeScript(misses, loaded, cache.typescript);
  return new Map(files.map((f) => [f.file, hits.get(f.file) ?? loaded.get(f.file)!]));
}

/**
 * The definition files under `dir` with the sha256 of each text, named as loadDirectory names them: what a build
 * records as its inputs, read without parsing anything (deploy compares them with the build it is given).
 */
export async function definitionInputs(dir: string): Promise<{ path: string; sha256: string }[]> {
  const { files, problems } = await discoverDefinitionFiles(dir);
  const root = path.basename(path.resolve(dir));
  const contents = files.map((rel) => readDefinitionFile(path.resolve(dir, rel)));
  // A file that cannot be read has no text to compare: it counts as changed (its hash is of nothing a build records).
  const inputs = [
    ...problems.map((p) => ({ path: `${root}/${p.rel}`, sha256: 'unreadable' })),
    ...files.map((rel, i) => ({ path: `${root}/${rel}`, sha256: contents[i]!.problem ? 'unreadable' : sha256(contents[i]!.text) })),
  ];
  // The dashboard JSON files definitions name are inputs too (a build records them): only files that mention one are parsed.
  const naming = files.flatMap((rel, i) => (!rel.endsWith('.ts') && !contents[i]!.problem && /\bjson:\s*\S+\.json\b/.test(contents[i]!.text) ? loadYaml(`${root}/${rel}`, contents[i]!.text).definitions : []));
  const read: { sources: SourceFile[]; definitions: Definition[]; diagnostics: Diagnostic[] } = { sources: [], definitions: naming, diagnostics: [] };
  await attachDashboardJsonFiles(read, async (file) => readDefinitionFile(path.resolve(dir, file.slice(root.length + 1))));
  for (const source of read.sources) inputs.push({ path: source.file, sha256: sha256(source.text) });
  return inputs;
}

interface FileContent {
  text: string;
  /** Why the file is not parsed, at `offset` in `text`. */
  problem?: { code: string; message: string; hint: string; offset: number };
}

/**
 * A definition file's text; too large or not UTF-8 is a problem to report, never a partial or repaired text. Read
 * synchronously: a definition file is small, and each of its open, stat, read and close through the thread pool is a
 * round trip of promises — the 405 files of the 10,000-alert project cost 35–80 ms of CPU so, 8–12 ms read in turn.
 */
function readDefinitionFile(absolute: string): FileContent {
  let bytes: Buffer;
  try {
    const fd = openSync(absolute, 'r');
    try {
      const { size } = fstatSync(fd);
      if (size > LIMITS.fileBytes)
        return { text: '', problem: { code: 'load/limit', message: `the file is ${size} bytes, more than the ${LIMITS.fileBytes} Vigil reads`, hint: 'split it into several files', offset: 0 } };
      bytes = readFileSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { text: '', problem: { code: code === 'ENAMETOOLONG' ? 'load/file-name' : 'load/read', message: `cannot be read (${code ?? (e as Error).message})`, hint: 'check that the file exists and is readable', offset: 0 } };
  }
  const invalid = firstInvalidUtf8(bytes);
  if (invalid === -1) return { text: bytes.toString('utf8') };
  // The valid prefix decodes exactly, so its length is the offset of the bad byte in the text shown with the error.
  const offset = bytes.subarray(0, invalid).toString('utf8').length;
  const byte = bytes[invalid]!.toString(16).padStart(2, '0');
  return {
    text: bytes.toString('utf8'),
    problem: { code: 'load/encoding', message: `the file is not valid UTF-8: byte 0x${byte} at byte offset ${invalid} cannot start a character here; the file was not read`, hint: 'save the file as UTF-8 (for example `iconv -f <its encoding> -t UTF-8`)', offset },
  };
}

function problemDiagnostic(file: string, problem: NonNullable<FileContent['problem']>): Diagnostic {
  const { code, message, hint, offset } = problem;
  return { code, severity: 'error', message, hint, span: { file, start: offset, end: offset + 1 } };
}

/**
 * Loads in-memory YAML sources (tests, editors): same result shape, no file system. `.json` sources are not
 * definitions: they are the dashboard JSON files Dashboard definitions name (`json: ./node.json`).
 */
export async function loadYamlSourcesWithJson(sources: SourceFile[]): Promise<LoadResult> {
  const result = loadYamlSources(sources.filter((s) => !s.file.endsWith('.json')));
  const texts = new Map(sources.map((s) => [s.file, s.text]));
  await attachDashboardJsonFiles(result, async (file) =>
    texts.has(file) ? { text: texts.get(file)! } : { text: '', problem: { code: 'load/read', message: 'cannot be read (ENOENT)', hint: 'check that the file exists and is readable', offset: 0 } },
  );
  return { ...result, sources };
}

/** Loads in-memory YAML sources (tests, editors): same result shape, no file system. */
export function loadYamlSources(sources: SourceFile[]): LoadResult {
  const definitions: Definition[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const source of sources) {
    const result = loadYaml(source.file, source.text);
    for (const d of result.definitions) definitions.push(d);
    for (const d of result.diagnostics) diagnostics.push(d);
  }
  return { dir: '.', sources, definitions, diagnostics };
}

/**
 * Adds the definitions of one file from outside the definitions directory (`--environment-file`: an Environment kept in CI
 * secrets or written by a test). An Environment in it replaces the repository's Environment of the same name.
 */
export async function withExtraFile(loaded: LoadResult, filePath: string): Promise<LoadResult> {
  const absolute = path.resolve(filePath);
  const content = readDefinitionFile(absolute);
  const text = content.text;
  const file = printableName(path.relative(process.cwd(), absolute).split(path.sep).join('/') || filePath);
  const result: { definitions: Definition[]; diagnostics: Diagnostic[] } = content.problem
    ? { definitions: [], diagnostics: [problemDiagnostic(file, content.problem)] }
    : file.endsWith('.ts')
      ? await loadTypeScript(file, absolute, text)
      : loadYaml(file, text);
  const names = new Set(result.definitions.map((d) => environmentNameOf(d)).filter((n): n is string => n !== undefined));
  const kept = loaded.definitions.filter((d) => !names.has(environmentNameOf(d) ?? ''));
  const displayNames = new Map(loaded.displayNames ?? []);
  displayNames.set(file, file);
  return {
    ...loaded,
    displayNames,
    sources: [...loaded.sources, { file, text, outside: true }],
    definitions: [...kept, ...result.definitions],
    diagnostics: [...loaded.diagnostics, ...result.diagnostics],
  };
}

/** The name of an Environment definition; undefined for any other definition. */
export function environmentNameOf(def: Definition): string | undefined {
  const v = def.value as { kind?: unknown; name?: unknown } | null;
  return v && typeof v === 'object' && v.kind === 'Environment' && typeof v.name === 'string' ? v.name : undefined;
}
