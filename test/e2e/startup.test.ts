// Start-up (issue #12 §3): a command evaluates only the modules it uses, from the command line's one script
// (dist/vigil.cjs) compiled with a V8 code cache. The real CLI runs under hooks that record every package it imports
// or requires; commands that never talk to a store, a mail server or a metrics registry must not load their clients.
// The code cache is made once per command, used after, and anything wrong with it costs only the time it saves.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { AS_SHIPPED, REPO, VIGIL_BIN } from '../helpers/cli.ts';
import { EXAMPLE } from '../helpers/example.ts';
import { writeSyntheticProject } from '../bench/synthetic.ts';

const work = mkdtempSync(path.join(os.tmpdir(), 'vigil-startup-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The command line as an installation runs it (see AS_SHIPPED), its own coverage left out too. */
function shippedCommandLine(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_V8_COVERAGE: _coverage, ...rest } = process.env;
  return { ...rest, ...AS_SHIPPED, NO_COLOR: '1', ...env };
}

const HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  if (/^[@a-z]/.test(specifier) && !specifier.startsWith('node:')) appendFileSync(process.env.VIGIL_IMPORT_LOG, specifier + '\\n');
  return next(specifier, context);
}`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)});`;
// The command line's script loads its packages with require(), which does not pass the ES module hook.
const PRELOAD = `const Module = require('node:module');
const { appendFileSync } = require('node:fs');
const load = Module._load;
Module._load = function (request, ...rest) {
  if (/^[@a-z]/.test(request) && !request.startsWith('node:')) appendFileSync(process.env.VIGIL_IMPORT_LOG, request + '\\n');
  return load.call(this, request, ...rest);
};`;

/**
 * The packages the command line's script carries (bin/dist.mjs BUNDLED_PACKAGES) are never required: the packages
 * whose code ran are read from V8's coverage of the script, each function placed by the `// node_modules/<package>/…`
 * line esbuild writes above every module it copies, and of the package modules bin/vigil.js compiles itself (esbuild's
 * API, with a code cache of its own).
 */
function bundledPackagesRun(coverageDir: string): Set<string> {
  const ran = new Set<string>();
  const source = readFileSync(path.join(REPO, 'dist', 'vigil.cjs'), 'latin1');
  const regions = [...source.matchAll(/^\/\/ (node_modules\/(@[^/\n]+\/)?[^/\n]+|src)\//gm)].map((m) => ({ at: m.index!, name: m[1]!.replace(/^node_modules\//, '') }));
  const packageAt = (offset: number) => {
    let found: string | undefined;
    for (const r of regions) if (r.at <= offset) found = r.name;
    return found === 'src' ? undefined : found;
  };
  for (const file of readdirSync(coverageDir)) {
    const { result } = JSON.parse(readFileSync(path.join(coverageDir, file), 'utf8')) as { result: { url: string; functions: { ranges: { startOffset: number; count: number }[] }[] }[] };
    // A package's module that bin/vigil.js compiled with a code cache of its own (esbuild's API), not required.
    for (const script of result) {
      const name = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(script.url)?.[1];
      if (name && script.functions.some((f) => f.ranges[0]!.count > 0)) ran.add(name);
    }
    for (const script of result.filter((r) => r.url === pathToFileURL(path.join(REPO, 'dist', 'vigil.cjs')).href)) {
      for (const f of script.functions) {
        const name = f.ranges[0]!.count > 0 && f.ranges[0]!.startOffset > 0 ? packageAt(f.ranges[0]!.startOffset) : undefined;
        if (name) ran.add(name);
      }
    }
  }
  return ran;
}

/** The bare specifiers (packages) the command imported or required, or whose bundled code ran, with its exit code. */
function packagesImportedBy(args: string[]): { code: number | null; packages: Set<string>; required: Set<string>; stderr: string } {
  const log = path.join(work, `imports-${args[0]}.log`);
  writeFileSync(log, '');
  const coverage = mkdtempSync(path.join(work, `coverage-${args[0]}-`));
  const register = path.join(work, 'register.mjs');
  writeFileSync(register, REGISTER);
  const preload = path.join(work, 'preload.cjs');
  writeFileSync(preload, PRELOAD);
  const r = spawnSync(process.execPath, ['--require', preload, '--import', pathToFileURL(register).href, VIGIL_BIN, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: shippedCommandLine({ VIGIL_IMPORT_LOG: log, VIGIL_CACHE_DIR: path.join(work, 'hooked-cache'), NODE_V8_COVERAGE: coverage }),
    timeout: 60_000,
  });
  const packages = new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean).map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!)));
  const required = new Set(packages);
  for (const name of bundledPackagesRun(coverage)) packages.add(name);
  return { code: r.status, packages, required, stderr: r.stderr };
}

const RELAY_ONLY = ['pg', 'better-sqlite3', 'nodemailer', 'prom-client'];

describe('start-up: each command imports what it uses', () => {
  it.each([
    ['validate', EXAMPLE, '--no-cache'],
    ['build', EXAMPLE, '--no-cache', '--out', path.join(work, 'generated')],
    ['checks'],
    ['--version'],
  ])('vigil %s loads no store, mail or metrics client', (...args) => {
    const run = packagesImportedBy(args);
    expect(run.code, run.stderr).toBe(0);
    expect(RELAY_ONLY.filter((name) => run.packages.has(name))).toEqual([]);
  });

  it('vigil --version loads neither YAML parser nor esbuild (only commands that load definitions do)', () => {
    const version = packagesImportedBy(['--version']);
    expect(version.code, version.stderr).toBe(0);
    expect(['yaml', 'js-yaml', 'esbuild'].filter((name) => version.packages.has(name))).toEqual([]);
    const validate = packagesImportedBy(['validate', EXAMPLE, '--no-cache']);
    expect(['yaml', 'js-yaml', 'esbuild'].filter((name) => validate.packages.has(name))).toEqual(['js-yaml', 'esbuild']);
  });

  it('the packages the script carries run when a command needs them: none for --version, not the SDK or Handlebars to list the checks, both for the example', () => {
    const version = packagesImportedBy(['--version']);
    expect(version.code, version.stderr).toBe(0);
    const packageNames = (packages: Set<string>) => [...packages].filter((name) => !name.includes(':')); // not file: URLs
    expect(packageNames(version.packages)).toEqual([]);
    const checks = packagesImportedBy(['checks']);
    expect(checks.code, checks.stderr).toBe(0);
    expect(['@grafana/grafana-foundation-sdk', 'handlebars', 'yaml'].filter((name) => checks.packages.has(name))).toEqual([]);
    const validate = packagesImportedBy(['validate', EXAMPLE, '--no-cache']);
    expect(validate.code, validate.stderr).toBe(0);
    const carried = ['@grafana/grafana-foundation-sdk', 'handlebars', '@lezer/common', 'js-yaml', 'ajv', 'fast-deep-equal'];
    for (const name of carried) expect(validate.packages, name).toContain(name);
    // …from the script: no package at all is required from node_modules (a createRequire() of one would be; the
    // schema validators' runtime helper was, from ajv), esbuild's API aside (compiled with a code cache of its own).
    expect(packageNames(validate.required).filter((name) => name !== 'esbuild' && !isBuiltin(name))).toEqual([]);
    // The example's expressions are all read by the fast parser: the PromQL grammar is not even loaded.
    expect(['@prometheus-io/lezer-promql', '@lezer/lr'].filter((name) => validate.packages.has(name))).toEqual([]);
  });

  it("the script carries the Grafana SDK's classic builders, not its dashboards v2 ones (bin/dist.mjs SDK_V2_BUILDERS)", () => {
    const source = readFileSync(path.join(REPO, 'dist', 'vigil.cjs'), 'latin1');
    const sdkModules = [...source.matchAll(/^\/\/ node_modules\/@grafana\/grafana-foundation-sdk\/dist\/([^\n]+)$/gm)].map((m) => m[1]!);
    expect(sdkModules).toContain('timeseries/panelBuilder.gen.js');
    expect(sdkModules).toContain('prometheus/dataqueryBuilder.gen.js');
    expect(sdkModules.filter((m) => /^dashboardv2|\/(visualizationV2Builder|visualizationBuilder|queryV2Builder|queryBuilder)\.gen\.js$/.test(m))).toEqual([]);
  });

  it("the script carries Handlebars without source-map: its code generator's own SourceNode (bin/dist.mjs HANDLEBARS_SOURCE_MAP)", () => {
    const source = readFileSync(path.join(REPO, 'dist', 'vigil.cjs'), 'latin1');
    expect(source).toMatch(/^\/\/ node_modules\/handlebars\/dist\/cjs\/handlebars\/compiler\/code-gen\.js$/m);
    expect(source).not.toMatch(/^\/\/ node_modules\/source-map\//m);
  });

  it('the yaml library (positions, syntax errors) is loaded when a problem is reported, not for clean definitions', () => {
    const broken = path.join(work, 'broken-yaml');
    mkdirSync(broken, { recursive: true });
    writeFileSync(path.join(broken, 'receivers.yaml'), 'apiVersion: vigil/v1\nkind: Receivers\nreceivers: [\n');
    const run = packagesImportedBy(['validate', broken, '--no-cache']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('yaml/syntax');
    expect(run.packages.has('yaml')).toBe(true);
  });

  it('the hook sees what a command does import: the relay loads its store driver', () => {
    const run = packagesImportedBy(['relay', '--build', path.join(work, 'no-such-build')]);
    expect(run.packages.has('better-sqlite3') || run.packages.has('pg') || run.packages.has('prom-client'), [...run.packages].join(' ')).toBe(true);
  });
});

describe('the code cache of the command line', () => {
  const BUNDLE = path.join(REPO, 'dist', 'vigil.cjs');
  const MAGIC = Buffer.from('vigil code cache 1\n');
  const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();

  /**
   * A run with VIGIL_CODE_CACHE=debug: what happened to the bundle's code cache (`states`, `file`), and to those of the
   * CommonJS modules the command line requires through one (`modules`: dist/loader-process.cjs, esbuild's API).
   */
  function vigil(args: string[], cacheDir: string, env: NodeJS.ProcessEnv = {}) {
    const r = spawnSync(process.execPath, [VIGIL_BIN, ...args], { cwd: REPO, encoding: 'utf8', env: shippedCommandLine({ VIGIL_CACHE_DIR: cacheDir, VIGIL_CODE_CACHE: 'debug', ...env }), timeout: 60_000 });
    const reports = [...r.stderr.matchAll(/^vigil: code cache (.+?): (.+)$/gm)].map((m) => ({ state: m[1]!, file: m[2]! }));
    const ofBundle = reports.filter((x) => !isModuleCache(x.file));
    // A module's cache by its name without the command and the key: `module-esbuild-validate-<key>.bin` → module-esbuild.
    const modules = reports.filter((x) => isModuleCache(x.file)).map((x) => `${path.basename(x.file).replace(/-[0-9a-f]{32}\.bin$/, '').replace(`-${args[0]}`, '')} ${x.state}`);
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, states: ofBundle.map((x) => x.state), file: ofBundle[0]?.file, modules };
  }
  const isModuleCache = (file: string) => path.basename(file).startsWith('module-');
  const VERSION = /^vigil \d+\.\d+\.\d+/;

  it('is written at the end of the first run of each command, in the cache directory, and used, not rewritten, after', () => {
    const dir = path.join(work, 'code-cache-first');
    const first = vigil(['--version'], dir);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(VERSION);
    expect(first.states).toEqual(['missing', 'written']);
    expect(path.dirname(first.file!)).toBe(path.join(dir, 'code'));
    expect(path.basename(first.file!)).toMatch(/^other-[0-9a-f]{32}\.bin$/);
    const written = statSync(first.file!).mtimeMs;
    const second = vigil(['--version'], dir);
    expect(second.stdout).toBe(first.stdout);
    expect(second.states).toEqual(['accepted']);
    expect(statSync(first.file!).mtimeMs).toBe(written);
    // Another command has a cache of its own (the functions it runs), beside the first.
    const checks = vigil(['checks'], dir);
    expect(checks.code, checks.stderr).toBe(0);
    expect(checks.states).toEqual(['missing', 'written']);
    expect(readdirSync(path.join(dir, 'code')).filter((f) => !isModuleCache(f)).sort()).toEqual([path.basename(checks.file!), path.basename(first.file!)].sort());
    // A command whose run made no full collection still made its cache under the flags its bundle was compiled under
    // (the first growth's flag unset before it).
    expect(vigil(['checks'], dir).states).toEqual(['accepted']);
  });

  it("the TypeScript loader's Grafana SDK cache, made by the first validate of the example, is used by the next", () => {
    const dir = path.join(work, 'code-cache-sdk');
    const first = vigil(['validate', EXAMPLE, '--no-cache'], dir);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('Grafana SDK code cache written');
    // Before the fix it was looked for under a name made with this process's V8 flags, which the first growth changes
    // after the early start: 'missing' and written again at every run.
    const second = vigil(['validate', EXAMPLE, '--no-cache'], dir);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('Grafana SDK code cache accepted in the TypeScript loader');
    expect(second.stderr).not.toContain('Grafana SDK code cache written');
  });

  it("dist/loader-process.cjs and esbuild's API have code caches of their own, made under the flags they are compiled under", () => {
    const dir = path.join(work, 'code-cache-modules');
    const runs = [1, 2, 3].map(() => vigil(['validate', EXAMPLE, '--no-cache'], dir));
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe(runs[0]!.stdout);
    }
    // The first run starts the loader late, and requires esbuild's API during the load: until the first full collection
    // the first growth's flag is set, and a cache made at the exit (under the bound alone) would be rejected by a run
    // that compiles it under both; then none is made.
    const first = runs[0]!.modules;
    expect(first.filter((m) => m.startsWith('module-loader-process'))).toEqual(['module-loader-process missing', 'module-loader-process written']);
    expect(first.filter((m) => m.startsWith('module-esbuild'))[0]).toBe('module-esbuild missing');
    // From the second on the loader starts early (the first left a hint), and esbuild's API is required with its module.
    const esbuildCacheMadeFirst = first.includes('module-esbuild written');
    expect(runs[1]!.modules).toEqual(['module-loader-process accepted', ...(esbuildCacheMadeFirst ? ['module-esbuild accepted'] : ['module-esbuild missing', 'module-esbuild written'])]);
    // Once each, whoever asks (the early start, the bundle's load): one module, one esbuild service.
    expect(runs[2]!.modules).toEqual(['module-loader-process accepted', 'module-esbuild accepted']);
    // One file per module and command (commands set different V8 flags), beside the command's bundle cache.
    const files = readdirSync(path.join(dir, 'code')).filter(isModuleCache).sort();
    expect(files.map((f) => f.replace(/-[0-9a-f]{32}\.bin$/, ''))).toEqual(['module-esbuild-validate', 'module-loader-process-validate']);
    // Another command's run (other flags: no small work's budget) keeps them, and has its own.
    const checks = vigil(['checks'], dir);
    expect(checks.modules).toEqual(['module-loader-process missing', 'module-loader-process written']);
    expect(readdirSync(path.join(dir, 'code')).filter(isModuleCache).sort().map((f) => f.replace(/-[0-9a-f]{32}\.bin$/, ''))).toEqual(['module-esbuild-validate', 'module-loader-process-checks', 'module-loader-process-validate']);
    expect(vigil(['validate', EXAMPLE, '--no-cache'], dir).modules).toEqual(['module-loader-process accepted', 'module-esbuild accepted']);
    // Each file names the sha256 of the module's text in its header, like the bundle's.
    const esbuildMain = createRequire(path.join(REPO, 'package.json')).resolve('esbuild');
    const header = readFileSync(path.join(dir, 'code', files[0]!)).subarray(0, MAGIC.length + 32);
    expect(header.equals(Buffer.concat([MAGIC, sha256(readFileSync(esbuildMain))]))).toBe(true);
  });

  it('a checkout whose bundle is fresh runs it as it is: no command rebuilds dist/ or runs the sources (each would pay ≈ 1 s)', () => {
    const dir = path.join(work, 'code-cache-fresh');
    // The first run rebuilds the bundle if a source is newer (a test run before may have touched one); none after it.
    vigil(['--version'], dir);
    // What bin/vigil.js imports to rebuild the bundle (bin/dist.mjs) or to run the sources (tsx), seen by a hook: not
    // dist/'s file times, which the package test's `npm pack` may renew meanwhile (it builds dist/ in this checkout).
    const log = path.join(work, 'rebuild-imports.log');
    const hooks = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  if (specifier.endsWith('/dist.mjs') || specifier.startsWith('tsx')) appendFileSync(process.env.VIGIL_REBUILD_LOG, specifier + '\\n');
  return next(specifier, context);
}`;
    const register = path.join(work, 'rebuild-register.mjs');
    writeFileSync(register, `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`);
    for (const args of [['--version'], ['checks'], ['validate', EXAMPLE, '--no-cache']]) {
      writeFileSync(log, '');
      const r = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, VIGIL_BIN, ...args], {
        cwd: REPO,
        encoding: 'utf8',
        env: shippedCommandLine({ VIGIL_CACHE_DIR: dir, VIGIL_REBUILD_LOG: log }),
        timeout: 60_000,
      });
      expect(r.status, r.stderr).toBe(0);
      // Before the fix bin/vigil.js set its inlining bound through a `let` declared after main() starts: the first
      // compile threw, and every command rebuilt the bundle before it ran.
      expect(readFileSync(log, 'utf8'), args.join(' ')).toBe('');
    }
  });

  it('a cold build\'s is used by the next cold build: made under the V8 flags the process started with, not its heap bound', () => {
    const dir = path.join(work, 'code-cache-cold-build');
    const out = path.join(work, 'code-cache-cold-build-out');
    const first = vigil(['build', EXAMPLE, '--out', out, '--no-cache'], dir);
    expect(first.code, first.stderr).toBe(0);
    expect(first.states).toEqual(['missing', 'written']);
    // Before the fix the build bounded the heap's growth (a V8 flag) and kept it to the end: 'rejected by V8', 'written'.
    // So would the inlining bound bin/vigil.js sets on two cores (CI's machine has two) if set after the bundle's compile.
    const second = vigil(['build', EXAMPLE, '--out', out, '--no-cache'], dir);
    expect(second.code, second.stderr).toBe(0);
    expect(second.states).toEqual(['accepted']);
  });

  /**
   * The preload of the runs below: it tells the command line it has two cores (bin/vigil.js sets its inlining bound
   * there) and records, in VIGIL_BOUND_LOG, every V8 flag the command line sets with the modules of Node loaded then,
   * and those loaded at the exit.
   */
  function boundPreload(): string {
    const preload = path.join(work, 'bound-preload.cjs');
    writeFileSync(
      preload,
      `const os = require('node:os');
const v8 = require('node:v8');
const { appendFileSync } = require('node:fs');
const builtins = () => process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
os.availableParallelism = () => 2;
const set = v8.setFlagsFromString;
v8.setFlagsFromString = (flags) => { appendFileSync(process.env.VIGIL_BOUND_LOG, JSON.stringify({ flags, loaded: builtins() }) + '\\n'); return set.call(v8, flags); };
process.on('exit', () => appendFileSync(process.env.VIGIL_BOUND_LOG, JSON.stringify({ exit: builtins() }) + '\\n'));`,
    );
    return preload;
  }

  /**
   * Node's own modules come with code caches made under V8's default flags, which V8 rejects after a flag changes.
   * A run of the command line under boundPreload: what it printed, the V8 flags it set (all, and those set before its
   * exit listeners ran) and the modules of Node loaded when the bound was set and at the exit.
   */
  function nodeModulesAroundTheBound(
    args: string[],
    o: { nodeFlags?: string[]; cacheDir?: string; env?: NodeJS.ProcessEnv } = {},
  ): { code: number | null; stdout: string; stderr: string; atBound?: string[]; atExit: string[]; flags: string[]; flagsBeforeExit: string[] } {
    const log = path.join(work, `bound-${args[0]}.jsonl`);
    writeFileSync(log, '');
    const preload = boundPreload();
    const r = spawnSync(process.execPath, [...(o.nodeFlags ?? []), '--require', preload, VIGIL_BIN, ...args], {
      cwd: REPO,
      encoding: 'utf8',
      env: shippedCommandLine({ VIGIL_BOUND_LOG: log, VIGIL_CACHE_DIR: o.cacheDir ?? path.join(work, 'bound-cache'), ...o.env }),
      timeout: 60_000,
      maxBuffer: 1 << 26,
    });
    const records = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { flags?: string; loaded?: string[]; exit?: string[] });
    const bound = records.find((x) => x.flags?.includes('max-inlined-bytecode-size-cumulative'));
    const flagsOf = (list: typeof records) => list.flatMap((x) => (x.flags ? [x.flags] : []));
    // The preload's exit listener runs before the command line's (which writes its code cache): flags set after the
    // exit record were set for that cache.
    const exitAt = records.findIndex((x) => x.exit);
    return {
      code: r.status,
      stdout: r.stdout,
      stderr: r.stderr,
      atBound: bound?.loaded,
      atExit: records[exitAt]?.exit ?? [],
      flags: flagsOf(records),
      flagsBeforeExit: flagsOf(exitAt < 0 ? records : records.slice(0, exitAt)),
    };
  }

  it.each([
    ['validate', EXAMPLE, '--no-cache'],
    ['build', EXAMPLE, '--no-cache', '--out', path.join(work, 'bound-generated')],
  ])("on two cores, vigil %s loads Node's modules before V8's inlining bound, so that their code caches are used", (...args) => {
    const run = nodeModulesAroundTheBound(args);
    expect(run.code, run.stderr).toBe(0);
    expect(run.atBound, 'the bound was set').toBeDefined();
    for (const name of ['child_process', 'net', 'fs/promises', 'perf_hooks', 'worker_threads']) expect(run.atBound, name).toContain(name);
    // What Node loaded after the bound: none of its public modules (a new one a command uses belongs in bin/vigil.js's
    // BUILTINS_OF_COMMANDS), only internals of theirs loaded on a first use.
    const after = run.atExit.filter((m) => !run.atBound!.includes(m));
    expect(after.filter((m) => !m.startsWith('internal/'))).toEqual([]);
  });

  it.each([
    ['validate', [EXAMPLE, '--no-cache'], ['--heap-growing-percent=900', '--heap-growing-percent=0']],
    ['build', [EXAMPLE, '--no-cache', '--out', path.join(work, 'growth-generated')], ['--heap-growing-percent=900', '--heap-growing-percent=0']],
    ['relay', ['--help'], []],
    ['--version', [], []],
  ])("vigil %s: the old generation's first growth is generous for a command, then V8's own again (not for the relay)", (first, rest, growth) => {
    const run = nodeModulesAroundTheBound([first, ...rest]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.flags.filter((f) => f.includes('heap-growing-percent'))).toEqual(growth);
    // Set after the bound (before the bundle's compile), and unset by the end: the code cache is made under the flags
    // the bundle was compiled under.
    if (growth.length) expect(run.flags[0]).toContain('max-inlined-bytecode-size-cumulative');
  });

  const largeProject = path.join(work, 'large-project');
  const largeProjectWritten = () => writeSyntheticProject(largeProject, 2_400, 10);

  const SMALL_BUDGET = '--interrupt-budget=270336';
  const LARGE_BUDGET = '--interrupt-budget=67584';
  const budgets = (flags: string[]) => flags.filter((f) => f.includes('interrupt-budget'));
  // Measured with V8 11.3 (Node 20), whose default budget is the large work's: bin/vigil.js sets it with no other V8.
  const BUDGETED = process.versions.v8.startsWith('11.3.');

  it.each([
    ['validate', [EXAMPLE, '--no-cache'], BUDGETED ? [SMALL_BUDGET] : []],
    ['build', [EXAMPLE, '--no-cache', '--out', path.join(work, 'budget-generated')], BUDGETED ? [SMALL_BUDGET] : []],
    ['test', ['--help'], []],
    ['relay', ['--help'], []],
    ['--version', [], []],
  ])("on two cores, vigil %s: four times V8's interrupt budget for a small project (validate and build only)", (first, rest, during) => {
    const cacheDir = path.join(work, `budget-cache-${first}`);
    const run = nodeModulesAroundTheBound([first, ...rest], { cacheDir, env: { VIGIL_CODE_CACHE: 'debug' } });
    expect(run.code, run.stderr).toBe(0);
    expect(budgets(run.flags)).toEqual(during);
    if (during.length === 0) return;
    // Set after the bound, before the bundle's compile: the code cache is made and read under it.
    expect(run.flags.indexOf(SMALL_BUDGET)).toBe(run.flags.findIndex((f) => f.includes('max-inlined-bytecode-size-cumulative')) + 1);
    const again = nodeModulesAroundTheBound([first, ...rest], { cacheDir, env: { VIGIL_CODE_CACHE: 'debug' } });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/code cache accepted: /);
  });

  it("on two cores, validate --watch keeps V8's interrupt budget (a process that runs for hours)", async () => {
    const log = path.join(work, 'bound-watch.jsonl');
    writeFileSync(log, '');
    const child = spawn(process.execPath, ['--require', boundPreload(), VIGIL_BIN, 'validate', EXAMPLE, '--watch', '--no-cache'], {
      cwd: REPO,
      env: shippedCommandLine({ VIGIL_BOUND_LOG: log, VIGIL_CACHE_DIR: path.join(work, 'bound-cache') }),
    });
    let printed = '';
    const watching = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "watching" line; printed:\n${printed}`)), 60_000);
      const onData = (d: Buffer) => {
        printed += d.toString();
        if (/watching .* for changes/.test(printed)) (clearTimeout(timer), resolve());
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      await watching;
    } finally {
      child.kill('SIGINT');
      await exited;
    }
    const flags = readFileSync(log, 'utf8').split('\n').filter(Boolean).flatMap((line) => (JSON.parse(line) as { flags?: string }).flags ?? []);
    expect(flags.some((f) => f.includes('max-inlined-bytecode-size-cumulative')), 'the preload saw the bound').toBe(true);
    expect(budgets(flags)).toEqual([]);
  }, 90_000);

  it.runIf(BUDGETED)("on two cores, validate optimises fewer functions of the example than with V8's budget, and takes V8's budget for definitions of 1 MiB", async () => {
    await largeProjectWritten();
    const optimised = (dir: string, nodeFlags: string[] = []) => {
      const cacheDir = path.join(work, `budget-trace-cache-${path.basename(dir)}${nodeFlags.join('')}`);
      const run = nodeModulesAroundTheBound(['validate', dir, '--no-cache'], { nodeFlags: ['--trace-opt', ...nodeFlags], cacheDir, env: { VIGIL_CODE_CACHE: 'debug' } });
      expect(run.code, run.stderr).toBe(0);
      return { compiled: run.stdout.split('\n').filter((line) => line.includes('completed compiling')).length, during: budgets(run.flagsBeforeExit), all: budgets(run.flags), stderr: run.stderr };
    };
    const small = optimised(EXAMPLE);
    expect(small.during).toEqual([SMALL_BUDGET]);
    // node given the flag itself (V8's own budget): the command line leaves it alone.
    const own = optimised(EXAMPLE, [LARGE_BUDGET]);
    expect(own.during).toEqual([]);
    expect(small.compiled).toBeLessThan(own.compiled / 2);
    const large = optimised(largeProject);
    // V8's budget once the files are read; the small one again for the code cache (the first run of a folder of its
    // own makes it), which the next run accepts.
    expect(large.during).toEqual([SMALL_BUDGET, LARGE_BUDGET]);
    expect(large.all.at(-1)).toBe(SMALL_BUDGET);
    expect(large.compiled).toBeGreaterThan(small.compiled);
    expect(optimised(largeProject).stderr).toMatch(/code cache accepted: /);
  }, 120_000);

  it("a cold build of 6,000 alerts collects the whole heap once, not twice as with V8's own growth", async () => {
    const project = path.join(work, 'growth-project');
    await writeSyntheticProject(project, 6_000, 20);
    const majorCollections = (nodeFlags: string[], out: string) => {
      const r = spawnSync(process.execPath, ['--trace-gc', ...nodeFlags, VIGIL_BIN, 'build', project, '--out', path.join(work, out), '--no-cache'], {
        cwd: REPO,
        encoding: 'utf8',
        env: shippedCommandLine({ VIGIL_CACHE_DIR: path.join(work, 'growth-cache') }),
        timeout: 120_000,
        maxBuffer: 1 << 26,
      });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.split('\n').filter((line) => line.includes(': Mark-Compact ')).length;
    };
    // node given the flag itself: V8's own growth (bin/vigil.js leaves it alone), the second collection half-way.
    expect(majorCollections(['--heap-growing-percent=0'], 'growth-own')).toBe(2);
    expect(majorCollections([], 'growth-generous')).toBe(1);
  }, 180_000);

  it("vigil --version loads no more of Node's modules for the bound than it needs (no child_process)", () => {
    const run = nodeModulesAroundTheBound(['--version']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.atBound, 'the bound was set').toBeDefined();
    expect(run.atExit).not.toContain('child_process');
  });

  it('a run that failed makes a provisional cache, which the next successful run makes again with what it compiled', () => {
    const dir = path.join(work, 'code-cache-provisional');
    const broken = path.join(work, 'code-cache-provisional-definitions');
    mkdirSync(broken, { recursive: true });
    writeFileSync(path.join(broken, 'project.yaml'), 'apiVersion: vigil/v1\nkind: Project\nname: [unclosed\n');
    const size = (file: string) => statSync(file).size;
    // Definitions that do not load: the run stops before the compile, so its cache lacks the compiler's functions.
    const failed = vigil(['validate', broken, '--no-cache'], dir);
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.states).toEqual(['missing', 'written (provisional)']);
    expect(readFileSync(failed.file!).subarray(0, MAGIC.length).toString()).toBe('vigil code cache P\n');
    const provisionalSize = size(failed.file!);
    // Failing again changes nothing (no rewrite at every failing run)…
    const again = vigil(['validate', broken, '--no-cache'], dir);
    expect(again.states).toEqual(['accepted (provisional)']);
    expect(size(failed.file!)).toBe(provisionalSize);
    // …the first success makes it again, whole, and it is kept from then on, whatever the runs after it do.
    const ok = vigil(['validate', EXAMPLE, '--no-cache'], dir);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.states).toEqual(['accepted (provisional)', 'written']);
    expect(readFileSync(ok.file!).subarray(0, MAGIC.length).equals(MAGIC)).toBe(true);
    expect(size(ok.file!)).toBeGreaterThan(provisionalSize * 1.5);
    const kept = statSync(ok.file!).mtimeMs;
    for (const args of [['validate', EXAMPLE, '--no-cache'], ['validate', broken, '--no-cache']]) {
      expect(vigil(args, dir).states).toEqual(['accepted']);
      expect(statSync(ok.file!).mtimeMs).toBe(kept);
    }
  });

  it.each([
    ['a mistyped command', ['deploi']],
    ['an unknown flag', ['validate', '--no-such-flag']],
    ['a missing argument', ['build', '--out']],
  ])('leaves no code cache after a usage error (%s): nothing compiled worth keeping, no file per typo', (_name, args) => {
    const dir = path.join(work, `code-cache-usage-${args[0]}-${args.length}`);
    const r = vigil(args, dir);
    expect(r.code, r.stderr).toBe(2);
    expect(r.states).toEqual(['missing']);
    expect(existsSync(path.join(dir, 'code')) ? readdirSync(path.join(dir, 'code')) : []).toEqual([]);
  });

  it('a damaged file, one made for another bundle, or bytecode of another source are not run: the command works and the cache is rewritten', () => {
    const dir = path.join(work, 'code-cache-wrong');
    const { file } = vigil(['--version'], dir);
    const good = readFileSync(file!);
    const bundleSha256 = good.subarray(MAGIC.length, MAGIC.length + 32);
    // The sha256 bin/dist.mjs wrote on the bundle's first line: that of the rest of the bundle.
    const [firstLine, ...rest] = readFileSync(BUNDLE, 'latin1').split('\n');
    expect(firstLine).toBe(`// vigil bundle sha256 ${bundleSha256.toString('hex')}`);
    expect(bundleSha256.equals(sha256(rest.join('\n')))).toBe(true);
    const data = good.subarray(MAGIC.length + 64);
    const otherSource = `(function () { return ${JSON.stringify('not vigil'.repeat(10))}; })`;
    // A code cache V8 made for another script, by a plain node as the command line's (V8 checks its flags too).
    const made = spawnSync(process.execPath, ['-e', `process.stdout.write(new (require('node:vm').Script)(${JSON.stringify(otherSource)}).createCachedData().toString('base64'))`], { encoding: 'utf8' });
    const foreignData = Buffer.from(made.stdout, 'base64');
    expect(foreignData.length).toBeGreaterThan(0);
    const cases: [string, Buffer, string][] = [
      ['garbage', Buffer.from('not a code cache at all'), 'damaged'],
      ['truncated', good.subarray(0, good.length - 100), 'damaged'],
      ['one byte of the data changed', Buffer.concat([good.subarray(0, good.length - 1), Buffer.from([good[good.length - 1]! ^ 1])]), 'damaged'],
      ['made for another bundle', Buffer.concat([MAGIC, sha256('another bundle'), sha256(data), data]), 'made for another bundle'],
      ['bytecode of another source under the right header', Buffer.concat([MAGIC, bundleSha256, sha256(foreignData), foreignData]), 'rejected by V8'],
    ];
    for (const [what, content, state] of cases) {
      writeFileSync(file!, content);
      const run = vigil(['--version'], dir);
      expect(run.code, `${what}: ${run.stderr}`).toBe(0);
      expect(run.stdout, what).toMatch(VERSION);
      expect(run.states, what).toEqual([state, 'written']);
      expect(vigil(['--version'], dir).states, what).toEqual(['accepted']);
    }
  });

  it('VIGIL_CODE_CACHE=0 turns it off, and a cache directory that cannot be made is no error', () => {
    const dir = path.join(work, 'code-cache-off');
    const off = vigil(['--version'], dir, { VIGIL_CODE_CACHE: '0' });
    expect(off.code, off.stderr).toBe(0);
    expect(off.states).toEqual([]);
    expect(() => statSync(path.join(dir, 'code'))).toThrow();
    const blocked = path.join(work, 'a-file-not-a-directory');
    writeFileSync(blocked, '');
    const run = vigil(['--version'], blocked);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(VERSION);
    expect(run.stderr.replace(/^vigil: code cache missing: .+\n/m, '')).toBe('');
    // A working directory removed under the shell: no cache directory to look for, the command still runs.
    const gone = path.join(work, 'removed-working-directory');
    const removed = spawnSync('sh', ['-c', `mkdir "$1" && cd "$1" && rmdir "$1" && exec "$2" "$3" --version`, 'sh', gone, process.execPath, VIGIL_BIN], { encoding: 'utf8', env: shippedCommandLine({ VIGIL_CODE_CACHE: 'debug' }) });
    expect(removed.status, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(VERSION);
  });

  it('without VIGIL_CACHE_DIR: in node_modules/.cache/vigil/code of the nearest package.json, else the user cache directory', () => {
    const written = (cwd: string, env: NodeJS.ProcessEnv) => {
      const { VIGIL_CACHE_DIR: _unset, ...inherited } = shippedCommandLine({ VIGIL_CODE_CACHE: 'debug', ...env });
      const r = spawnSync(process.execPath, [VIGIL_BIN, '--version'], { cwd, encoding: 'utf8', env: inherited, timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      return path.dirname(/^vigil: code cache written: (.+)$/m.exec(r.stderr)?.[1] ?? '(none written)');
    };
    const project = path.join(work, 'located', 'project');
    const nested = path.join(project, 'monitoring', 'alerts');
    mkdirSync(nested, { recursive: true });
    writeFileSync(path.join(project, 'package.json'), '{}\n');
    const loose = path.join(work, 'located', 'no-package-json');
    mkdirSync(loose, { recursive: true });
    const xdg = path.join(work, 'located', 'xdg');
    const home = path.join(work, 'located', 'home');
    expect(written(nested, { XDG_CACHE_HOME: xdg })).toBe(path.join(project, 'node_modules', '.cache', 'vigil', 'code'));
    expect(written(loose, { XDG_CACHE_HOME: xdg })).toBe(path.join(xdg, 'vigil', 'code'));
    expect(written(loose, { XDG_CACHE_HOME: '', HOME: home })).toBe(path.join(home, '.cache', 'vigil', 'code'));
  });

  it('escaping what esbuild leaves outside ASCII keeps every string literal the same (random texts, astral characters too)', async () => {
    const { asciiOnly } = (await import(path.join(REPO, 'bin', 'dist.mjs') as string)) as { asciiOnly(text: string): string };
    const alphabet = ['a', ' ', '\\', '"', "'", '`', '\n', '\u00e9', '\u2014', '\u7cfb', '\u7edf', '\u{1f600}', '\u{10ffff}', '\u2028', '\u0000', '$', '{'];
    let seed = 12;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let n = 0; n < 300; n++) {
      const text = Array.from({ length: Math.floor(random() * 24) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      const source = `[${JSON.stringify(text)}, /* ${text.replaceAll('*/', '')} */ ${JSON.stringify({ [text]: text })}]`;
      const escaped = asciiOnly(source);
      expect([...escaped].every((c) => c.charCodeAt(0) < 0x80), escaped).toBe(true);
      expect((0, eval)(escaped), JSON.stringify(text)).toEqual([text, { [text]: text }]);
    }
  });

  it('the script is ASCII (bin/vigil.js reads it as Latin-1), and its escaped strings still print as they are', () => {
    const bytes = readFileSync(BUNDLE);
    expect(bytes.findIndex((b) => b > 0x7f)).toBe(-1);
    const help = vigil(['--help'], path.join(work, 'code-cache-help'));
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('vigil \u2014 monitoring and alerting as code');
  });
});
