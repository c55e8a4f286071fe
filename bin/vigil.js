#!/usr/bin/env node
// Vigil's command line. An installed package runs dist/vigil.cjs, built once when the package was packed; nothing is
// ever written into node_modules/vigil (it may be read-only). In a checkout of the repository the bundle is rebuilt by
// esbuild (in ~50 ms) whenever a source file is newer than it, so a command starts in a fraction of the time of
// transpiling every module on the fly; if it cannot be written (read-only checkout), the sources run through tsx.
//
// The bundle is one script, compiled here with a V8 code cache (issue #12 §3): Node 20 caches no compiled code for
// ES modules (module.enableCompileCache is Node 22), and compiling Vigil's code was a fifth of a cold `vigil validate`.
// The cache is made at the end of the first run of each command, so it holds the bytecode of every function that
// command ran; it is kept with the incremental cache (node_modules/.cache/vigil/code of the nearest package.json,
// VIGIL_CACHE_DIR, else the user's cache directory), never in the package. Its file name is a sha256 of the bundle's
// text (bin/dist.mjs writes it on the bundle's first line), Vigil's and Node's versions and V8's flags, and its header
// repeats the bundle's sha256 and gives the data's: V8 itself only compares the length of the source and its flags
// before it runs the bytecode it finds. Written only when missing or rejected, or when the run that made it failed (a
// provisional cache: the next successful run makes it again). The two CommonJS files a command requires before its
// work (dist/loader-process.cjs, esbuild's API) get caches of their own the same way (requireWithCodeCache).
// VIGIL_CODE_CACHE=0 turns them off, VIGIL_CODE_CACHE=debug says what happened to each.
//
// CommonJS (bin/package.json), as are the modules it requires (dist/loader-process.cjs, bin/dist-files.cjs): an ES
// module entry, or an ES module import, costs Node's module loader and an event-loop turn before the command runs
// (≈ 5 ms of this thread's CPU each, ≈ 10 ms of wall time, issue #12 §3). bin/dist.mjs is imported only to rebuild.
const { createHash } = require('node:crypto');
const { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { cachedDataVersionTag, setFlagsFromString } = require('node:v8');
const { Script } = require('node:vm');

// Before any code runs: the command line starts from the middle of this module.
const CODE_CACHE_MAGIC = Buffer.from('vigil code cache 1\n'); // then the sha256 of the script and of the data
// The same, for a cache made by a run that failed (see cachesToMake): the next run that succeeds makes it again.
const PROVISIONAL_MAGIC = Buffer.from('vigil code cache P\n');
const SHA256_BYTES = 32;
// The first line of the bundle bin/dist.mjs writes, before the sha256 of the rest of it (see bundleDigest).
const BUNDLE_DIGEST_LINE = Buffer.from('// vigil bundle sha256 ');
const EXIT_USAGE = 2; // src/cli/exit.ts
const root = path.resolve(__dirname, '..');
const bundle = path.join(root, 'dist', 'vigil.cjs');
const checkout = existsSync(path.join(root, 'src')) && !root.split(path.sep).includes('node_modules');
// A command's name (`validate`, `build`…), not `--version` & co. or nothing; a mistyped one is its own usage error.
const command = /^[a-z][a-z-]{0,30}$/.test(process.argv[2] ?? '') ? process.argv[2] : undefined;

// On two cores or fewer, V8's optimising compiles (on threads of its own) take the core the command's thread would
// run on: a cold build of 10,000 alerts spent ≈ 0.2 s of its 1.2 s waiting for one. Inlining less makes each compile
// cheaper, at a small cost to the code it makes (issue #12 §3, docs/benchmarks.md: 30 pairs, −6 % wall, −11 % CPU);
// with more cores nothing waits, and V8's defaults stay, as they do for the relay, a server that runs for days, and
// when node was given the flag itself. Set before the bundle is compiled: its code cache is made and read under the
// same flags (V8's cachedDataVersionTag).
//
// Node's own modules carry code caches made under V8's default flags, which V8 rejects once a flag has changed: each
// one loaded after the bound (or the first growth's flag, below) is compiled from its source. So the modules a command
// loads anyway (the TypeScript loader's child_process and its net, esbuild's tty, fs/promises, path/posix,
// `performance`, structuredClone's worker_threads, the standard streams, util.parseArgs) are loaded first: ≈ 5 ms less
// of a validate of the example (faster in 25 of 30 pairs; docs/benchmarks.md). Not for `--version` & co., which need
// none of them. The bound is set before the loader's early start, whose fork then compiles one small module of its
// channel (internal/child_process/serialization): the loader's own module and esbuild's API, compiled there with code
// caches of their own (requireWithCodeCache), are compiled under the flags their caches are made under at the exit.
const INLINING_BOUND = 'max-inlined-bytecode-size-cumulative';
const BUILTINS_OF_COMMANDS = ['node:child_process', 'node:fs/promises', 'node:net', 'node:path/posix', 'node:perf_hooks', 'node:tty', 'node:worker_threads'];
const givenToNode = (flag) => [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.replaceAll('_', '-').includes(flag));
// Two cores or fewer: where V8's compiler threads take the core the command's thread would run on.
const fewCores = os.availableParallelism() <= 2;
const boundInlining = process.argv[2] !== 'relay' && fewCores && !givenToNode(INLINING_BOUND);

// The old generation's first growth ten times what survived its first full collection, not V8's ≈ 4 times: that
// collection comes ≈ 0.1 s after the start, when the heap holds the command's code and little of its data (≈ 13 MB),
// and the limit it sets (≈ 70 MB) made a cold build of 10,000 alerts collect the whole heap once more half-way (≈ 30 ms
// of its main thread, marking on the core it shares) only to find ≈ 90 % of it alive (issue #12 §3, docs/benchmarks.md).
// Only that first growth: once it is set, V8's own factor again (startGenerousGrowth). Not for the relay, a server
// whose heap stays small; not when node was given the flag itself. Set after the bundle's compile and unset before its
// code cache is made: the cache is made and read under the same flags (V8's flag hash).
const FIRST_GROWTH = 'heap-growing-percent';
const FIRST_GROWTH_PERCENT = 900;
const growGenerously = command !== undefined && command !== 'relay' && !givenToNode(FIRST_GROWTH);
// A validate or build of a small project lets V8 optimise a function only after it has run four times as much
// bytecode as V8's default asks (`--interrupt-budget`), until the definitions it reads turn out large
// (src/util/large-work.ts, at 1 MiB of text): on two cores, each optimising compile of code that runs a few hundred
// milliseconds costs the command's thread its share of the compile and takes the other core from the TypeScript
// loader process, and pays back only in a longer run. Cold `vigil validate` of the example ≈ 10 ms faster, of 300-
// to 1,000-alert projects 15–26 ms (their builds 20–40 ms); a 670 KB project whose check is a long loop (16,000
// metric names, 800 misspelt) no slower, where no optimising compiler at all made it 160 ms slower (issue #12 §3,
// docs/benchmarks.md). Not with `--watch` (a process that runs for hours), for other commands, with more cores (as
// for the inlining bound), or when node was given the flag itself; only with V8 11.3 (Node 20), where it was measured
// and whose default budget is the large work's. Set with the bound, before the bundle's compile; for large work V8's
// budget again, then back to the small one before the code cache is made, which is made and read under it.
const INTERRUPT_BUDGET = 'interrupt-budget';
const LARGE_WORK_BUDGET = 67_584;
const SMALL_WORK_BUDGET = 4 * LARGE_WORK_BUDGET;
const budgetByWork =
  (command === 'validate' || command === 'build') && !process.argv.includes('--watch') && fewCores && process.versions.v8.startsWith('11.3.') && !givenToNode(INTERRUPT_BUDGET);
// Declared before main() runs: it reaches both synchronously (a `let` below it would not be initialised yet).
let inliningBoundSet = false;
let endGenerousGrowth = () => {};
let smallWorkBudgetSet = false;
let restoreSmallWorkBudget = () => {};
/**
 * Scripts compiled in this run whose code cache was missing, rejected or provisional: each is made at the exit, after
 * the command's work (and after any process.exit), when the functions it ran are compiled. Not after a usage error
 * (exit 2): a mistyped command would leave a file of its own, and its run compiled almost nothing. A cache stays as it
 * is made, so a run that stopped early (definitions that do not load, a build with errors: nothing emitted) makes a
 * provisional one, which the next successful run makes again with all it compiled; else every later run would
 * compile, without a cache, whatever the first one never reached.
 */
const cachesToMake = [];
/** The modules requireWithCodeCache ran, by file. */
const modulesWithCodeCache = new Map();
let packageVersionRead;
let codeCacheDirFound;
globalThis[Symbol.for('vigil.require-with-code-cache')] = requireWithCodeCache;

if (command && (boundInlining || growGenerously)) {
  for (const name of BUILTINS_OF_COMMANDS) require(name);
  void [process.stdout, process.stderr, require('node:util').parseArgs];
}

void main();

async function main() {
  if (!checkout) {
    if (!existsSync(bundle)) {
      process.stderr.write(`vigil: this installation has no ${path.relative(root, bundle)}; reinstall the package (npm install --save-dev vigil)\n`);
      process.exit(2);
    }
    runBundle(await compileBundle());
  } else if (process.env.NODE_V8_COVERAGE && process.env.VIGIL_COVERAGE_BUNDLE) {
    // `npm test` measures the coverage of the commands its tests run: this bundle of src/ carries its source map, so
    // scripts/coverage-report.mjs can map what ran back to src/*.ts (scripts/coverage-bundle.mjs builds it).
    await import(pathToFileURL(process.env.VIGIL_COVERAGE_BUNDLE).href);
  } else {
    const useBundle = process.env.VIGIL_NO_BUNDLE !== '1';
    // The bundle is compiled (from its code cache) before the sources' times are looked at, and run only if none is
    // newer: the walk's ≈ 600 stat calls, made first, left the heap just big enough for the code cache's
    // deserialization to start a full garbage collection (6–14 ms) that a run without them never makes.
    const compiled = useBundle && existsSync(bundle) ? await compileBundle().catch(() => undefined) : undefined;
    const { bundlesAreFresh } = require('./dist-files.cjs');
    if (compiled && bundlesAreFresh()) {
      runBundle(compiled);
    } else {
      // A source changed since the bundle was written: the loader process started for it goes, the bundle is made again.
      compiled?.discardLoader();
      if (useBundle) {
        try {
          await (await import('./dist.mjs')).writeBundles();
        } catch {
          // fall through to running the sources
        }
      }
      if (useBundle && bundlesAreFresh()) {
        runBundle(await compileBundle({ prestart: false }));
      } else {
        const { register } = await import('tsx/esm/api');
        register();
        await import('../src/cli/run.ts');
      }
    }
  }
}

/**
 * Reads and compiles the command line's bundle (with its code cache) without running it. First, unless `prestart` is
 * false, the TypeScript loader process is started when this command line used it last time in this folder (it takes
 * ≈ 50 ms to start: Node with its permission model); the bundle adopts it when it computes the very same launch
 * (dist/loader-process.cjs, src/load/loader-process.ts). Not for `--version` & co. `discardLoader` ends it, for a
 * bundle that is not run.
 */
async function compileBundle({ prestart = true } = {}) {
  const cacheDir = codeCacheDir();
  // Before any script is compiled with a code cache (the loader's module, esbuild's API, the bundle): each cache is made
  // and read under the same flags. The early start's fork loads one small module of Node's after them (its channel's).
  setInliningBound();
  setSmallWorkBudget();
  let discardLoader = () => {};
  if (prestart && cacheDir && command) {
    try {
      const loader = requireWithCodeCache(path.join(root, 'dist', 'loader-process.cjs'), 'loader-process');
      const dist = path.dirname(bundle);
      loader.prestartLoader({ script: path.join(dist, 'typescript-child.mjs'), sdkDescription: path.join(dist, 'grafana-sdk.json'), cacheDir, argv: process.argv.slice(2) });
      discardLoader = () => loader.discardPrestartedLoader();
    } catch {
      // only an early start is lost: the load starts the loader itself
    }
  }
  try {
    const bytes = readFileSync(bundle);
    const source = bytes.toString('latin1'); // bin/dist.mjs writes it in ASCII: no UTF-8 decoding of 3 MB
    return { ...compileWithCodeCache(source, bundle, command ?? 'other', bundleDigest(bytes)), discardLoader };
  } catch (e) {
    discardLoader();
    throw e;
  }
}

/** Runs the compiled bundle (its code cache, like every script's that runs, made at the exit: see cachesToMake). */
function runBundle({ script, cacheToMake }) {
  makeAtExit(cacheToMake);
  if (growGenerously) startGenerousGrowth();
  // The bundle is `(function (exports, require, module, __filename, __dirname, importMetaUrl) { … })`.
  const commandLine = script.runInThisContext();
  const module = { exports: {} };
  commandLine(module.exports, createRequire(bundle), module, bundle, path.dirname(bundle), pathToFileURL(bundle).href);
}

/** The inlining bound (see INLINING_BOUND), once. */
function setInliningBound() {
  if (!boundInlining || inliningBoundSet) return;
  setFlagsFromString(`--${INLINING_BOUND}=200`);
  inliningBoundSet = true;
}

/**
 * The old generation's next growth ten times what survives (see FIRST_GROWTH) until a full collection has used it;
 * V8's own factor after that.
 */
function startGenerousGrowth() {
  const { PerformanceObserver, constants } = require('node:perf_hooks');
  setFlagsFromString(`--${FIRST_GROWTH}=${FIRST_GROWTH_PERCENT}`);
  const observer = new PerformanceObserver((list) => {
    if (list.getEntries().some((entry) => entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) endGenerousGrowth();
  });
  observer.observe({ entryTypes: ['gc'] });
  endGenerousGrowth = () => {
    observer.disconnect();
    // 0 is V8's default (its own factor): the flag hash is again the one the bundle was compiled under.
    setFlagsFromString(`--${FIRST_GROWTH}=0`);
    endGenerousGrowth = () => {};
  };
}

/**
 * The small work's interrupt budget (see INTERRUPT_BUDGET), once; the bundle calls the function it finds under
 * Symbol.for('vigil.large-work') when the work turns out large (src/util/large-work.ts).
 */
function setSmallWorkBudget() {
  if (!budgetByWork || smallWorkBudgetSet) return;
  setFlagsFromString(`--${INTERRUPT_BUDGET}=${SMALL_WORK_BUDGET}`);
  smallWorkBudgetSet = true;
  const largeWork = Symbol.for('vigil.large-work');
  globalThis[largeWork] = () => {
    delete globalThis[largeWork];
    setFlagsFromString(`--${INTERRUPT_BUDGET}=${LARGE_WORK_BUDGET}`);
    restoreSmallWorkBudget = () => setFlagsFromString(`--${INTERRUPT_BUDGET}=${SMALL_WORK_BUDGET}`);
  };
}

/**
 * `source` (the text of `filename`) compiled with its code cache in the code-cache folder: one file per `label` (the
 * bundle's: one per command, as each runs other functions) named by `digest` (the sha256 of the script's text),
 * Vigil's and Node's versions and V8's flags, whose header repeats the digest: a cache copied from another checkout
 * or version under this name is ignored. Without a code-cache folder, compiled as it is. `cacheToMake`, for
 * makeAtExit when the script is run: its cache was missing, rejected or provisional.
 */
function compileWithCodeCache(source, filename, label, digest) {
  const dir = codeCacheDir();
  if (!dir) return { script: new Script(source, { filename }) };
  // The TypeScript loader's code cache of the Grafana SDK script is kept here too (src/load/grafana-sdk-script.ts).
  globalThis[Symbol.for('vigil.code-cache-dir')] = dir;
  const flags = cachedDataVersionTag();
  const key = createHash('sha256')
    .update([packageVersion(), digest.toString('hex'), process.version, process.arch, flags, ...process.execArgv].join('\0'))
    .digest('hex')
    .slice(0, 32);
  const cache = { file: path.join(dir, `${label}-${key}.bin`), label, digest, missing: 'missing' };
  const cachedData = readCodeCache(cache);
  const script = new Script(source, { filename, cachedData });
  const accepted = cachedData !== undefined && !script.cachedDataRejected;
  report(cache, !accepted ? (cachedData === undefined ? cache.missing : 'rejected by V8') : cache.provisional ? 'accepted (provisional)' : 'accepted');
  return { script, cacheToMake: !accepted || cache.provisional ? { cache, script, accepted, flags } : undefined };
}

/** The cache of a script that runs, made at the exit (see cachesToMake); a bundle compiled but not run makes none. */
function makeAtExit(cacheToMake) {
  if (!cacheToMake) return;
  if (cachesToMake.length === 0) process.once('exit', makeCodeCaches);
  cachesToMake.push(cacheToMake);
}

function makeCodeCaches(code) {
  if (code === EXIT_USAGE) return;
  endGenerousGrowth();
  restoreSmallWorkBudget();
  for (const { cache, script, accepted, flags } of cachesToMake) {
    // One compiled under other flags (esbuild's API first required while the first growth's flag was set) would make a
    // cache that the runs which compile it under these flags reject.
    if ((accepted && code !== 0) || flags !== cachedDataVersionTag()) continue;
    writeCodeCache(cache, script.createCachedData(), code !== 0);
  }
}

/**
 * The sha256 of the bundle's text: bin/dist.mjs writes that of the rest of the file on its first line (the whole file
 * is written at once), so that 3 MB are not hashed at every start; that of the whole file for a bundle without it.
 */
function bundleDigest(bytes) {
  const hex = bytes.toString('latin1', BUNDLE_DIGEST_LINE.length, BUNDLE_DIGEST_LINE.length + 64);
  if (bytes.subarray(0, BUNDLE_DIGEST_LINE.length).equals(BUNDLE_DIGEST_LINE) && bytes[BUNDLE_DIGEST_LINE.length + 64] === 0x0a && /^[0-9a-f]{64}$/.test(hex)) {
    return Buffer.from(hex, 'hex');
  }
  return sha256(bytes);
}

/**
 * A CommonJS file (dist/loader-process.cjs, and esbuild's API, which the bundle and that module ask for under
 * Symbol.for('vigil.require-with-code-cache')) compiled with a code cache of its own, as the bundle is, and run once:
 * Node 20 caches no compiled code for a module it requires, and these two were ≈ 750 functions compiled from their
 * source at every start (issue #12 §3). Every caller gets the same module (one esbuild service).
 */
function requireWithCodeCache(file, label) {
  let module = modulesWithCodeCache.get(file);
  if (module) return module.exports;
  if (!codeCacheDir()) return require(file);
  const bytes = readFileSync(file);
  const text = bytes.toString('utf8');
  // Node's wrapper of a CommonJS module; a first line starting with #! is a comment to Node.
  const source = `(function (exports, require, module, __filename, __dirname) {${text.startsWith('#!') ? `//${text}` : text}\n})`;
  // One cache per command, as the bundle's: commands set different V8 flags (the small work's budget), and a cache of
  // another command's flags, under the same name, would be replaced at every change of command.
  const { script, cacheToMake } = compileWithCodeCache(source, file, `module-${label}-${command ?? 'other'}`, sha256(bytes));
  makeAtExit(cacheToMake);
  module = { exports: {} };
  modulesWithCodeCache.set(file, module);
  try {
    script.runInThisContext()(module.exports, createRequire(file), module, file, path.dirname(file));
  } catch (e) {
    modulesWithCodeCache.delete(file);
    throw e;
  }
  return module.exports;
}

function packageVersion() {
  return (packageVersionRead ??= JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version);
}

function codeCacheDir() {
  if (codeCacheDirFound === undefined) codeCacheDirFound = process.env.VIGIL_CODE_CACHE === '0' ? null : (findCodeCacheDir() ?? null);
  return codeCacheDirFound ?? undefined;
}

function findCodeCacheDir() {
  let cwd;
  try {
    cwd = process.cwd();
  } catch {
    return undefined; // the working directory was removed: the command says so itself if it needs one
  }
  if (process.env.VIGIL_CACHE_DIR) return path.join(path.resolve(cwd, process.env.VIGIL_CACHE_DIR), 'code');
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'node_modules', '.cache', 'vigil', 'code');
    if (path.dirname(dir) === dir) break;
  }
  const home = os.homedir();
  const user = process.env.XDG_CACHE_HOME || (process.platform === 'win32' ? process.env.LOCALAPPDATA : home && path.join(home, process.platform === 'darwin' ? 'Library/Caches' : '.cache'));
  return user ? path.join(user, 'vigil', 'code') : undefined;
}

/**
 * The cached data, if the file is there, whole and made for this bundle; anything else is no cache (it costs only
 * the time it would have saved). `cache.missing` says which, for VIGIL_CODE_CACHE=debug.
 */
function readCodeCache(cache) {
  let content;
  try {
    content = readFileSync(cache.file);
  } catch {
    return undefined;
  }
  const header = CODE_CACHE_MAGIC.length + 2 * SHA256_BYTES;
  const digest = content.subarray(CODE_CACHE_MAGIC.length, CODE_CACHE_MAGIC.length + SHA256_BYTES);
  const data = content.subarray(header);
  const magic = content.subarray(0, CODE_CACHE_MAGIC.length);
  cache.provisional = magic.equals(PROVISIONAL_MAGIC);
  if (content.length <= header || !(magic.equals(CODE_CACHE_MAGIC) || cache.provisional) || !sha256(data).equals(content.subarray(header - SHA256_BYTES, header))) {
    cache.missing = 'damaged';
  } else if (!digest.equals(cache.digest)) {
    cache.missing = cache.label.startsWith('module-') ? 'made for another module' : 'made for another bundle';
  } else {
    return data;
  }
  return undefined;
}

/** Written through a temporary file, so that a concurrent command reads the whole of it or nothing; other keys go. */
function writeCodeCache(cache, data, provisional) {
  try {
    const dir = path.dirname(cache.file);
    mkdirSync(dir, { recursive: true });
    const temp = `${cache.file}.${process.pid}.tmp`;
    writeFileSync(temp, Buffer.concat([provisional ? PROVISIONAL_MAGIC : CODE_CACHE_MAGIC, cache.digest, sha256(data), data]));
    renameSync(temp, cache.file);
    report(cache, provisional ? 'written (provisional)' : 'written');
    const sameLabel = new RegExp(`^${cache.label}-[0-9a-f]{32}\\.bin$`);
    for (const name of readdirSync(dir)) {
      if (name === path.basename(cache.file) || !sameLabel.test(name)) continue;
      try {
        unlinkSync(path.join(dir, name));
      } catch {
        // removed by a concurrent command
      }
    }
  } catch {
    // a read-only or full disk: the next run compiles again
  }
}

function report(cache, state) {
  if (process.env.VIGIL_CODE_CACHE === 'debug') process.stderr.write(`vigil: code cache ${state}: ${cache.file}\n`);
}

function sha256(data) {
  return createHash('sha256').update(data).digest();
}
