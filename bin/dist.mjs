// What the published package runs and imports, built from src/ by esbuild (and tsc for the type declarations):
//   dist/vigil.cjs               the command line (src/cli/run.ts): one script, a function bin/vigil.js compiles with
//                                a V8 code cache and calls (Node 20 keeps no compiled code of ES modules)
//   dist/index.js                the define helpers definitions import (`from 'vigil'`), dist/types/index.d.ts
//   dist/compiler.js             the compiler as a library (`from 'vigil/compiler'`), dist/types/compiler.d.ts
//   dist/typescript-child.mjs    the process that runs users' TypeScript definitions
//   dist/loader-process.cjs      how that process is started (src/load/loader-process.ts): bin/vigil.js requires it
//                                to start the process before it reads the command line's script (CommonJS: an ES
//                                module import there would cost each command Node's module loader, see dist-files.cjs)
//   dist/grafana-sdk.cjs         the Grafana Foundation SDK as one script, which that process compiles with a V8 code
//                                cache; dist/grafana-sdk.json gives its SDK version, its sha256 and each entry's exports
// bin/vigil.js rebuilds the bundles in a checkout when a source is newer; `npm run prepare` (also run by npm ci and
// npm pack) builds everything, declarations included.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DIST_FILES } from './dist-files.cjs';

export { bundlesAreFresh, newestSource } from './dist-files.cjs';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

export const CLI = { entry: 'src/cli/run.ts', out: DIST_FILES.cli };
const LIBRARIES = [
  { entry: 'src/index.ts', out: DIST_FILES.index },
  { entry: 'src/compiler.ts', out: DIST_FILES.compiler },
];
/** The ES module the TypeScript loader process runs, copied as it is. */
const CHILD = { source: 'src/load/typescript-child.mjs', out: DIST_FILES.loaderChild };
/** The SDK script for the TypeScript loader process and its description (src/load/grafana-sdk-script.ts reads them). */
export const SDK_SCRIPT = { package: '@grafana/grafana-foundation-sdk', out: DIST_FILES.sdkScript, description: DIST_FILES.sdkDescription };
export const CHUNK_NAMES = 'vigil-[name]-[hash]';
/** The chunks of the split ES module command line earlier versions wrote (dist/vigil.mjs beside them), and their ES module of the loader's start. */
const OLD_CLI_FILE = /^(vigil(-.+-[A-Z0-9]{8})?|loader-process)\.mjs(\.\d+\.tmp)?$/;
/** They go once this old: a command started from an old dist/vigil.mjs or bin/vigil.js may still be about to import one. */
const OLD_CLI_AGE_MS = 10 * 60_000;

/** The esbuild options of every bundle; scripts/coverage-bundle.mjs builds the command line with them too. */
export const ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'silent',
  // CommonJS pieces (the precompiled schema validators) require() their runtime helpers.
  banner: { js: "import { createRequire as __vigilCreateRequire } from 'node:module'; const require = __vigilCreateRequire(import.meta.url);" },
};

/**
 * dist/loader-process.cjs (src/load/loader-process.ts) as bin/vigil.js requires it; `import.meta.url` (where it looks
 * for esbuild and the SDK script's description) is its own file's URL, as in the ES module builds.
 */
const LOADER_PROCESS_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  logLevel: 'silent',
  define: { 'import.meta.url': '__vigilImportMetaUrl' },
  banner: { js: "'use strict';const __vigilImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
};

/**
 * The packages the command line's script carries, copied from node_modules with what they require: the pure
 * JavaScript that validate and build run (YAML, PromQL, message templates, the Grafana SDK's ≈ 240 modules, and of
 * ajv only the runtime helper the precompiled schema validators require, with fast-deep-equal: ≈ 1 ms of Node's
 * module resolution and compiles from source at every validate otherwise; ajv's compiler runs in scripts/ only). In
 * the script they are compiled from its code cache instead of file by file at every run. Their licences (MIT, ISC,
 * Apache-2.0, BSD-3-Clause) allow it with their notices, which dist/THIRD-PARTY-NOTICES.txt keeps.
 */
export const BUNDLED_PACKAGES = ['@grafana/grafana-foundation-sdk', '@lezer/common', '@lezer/lr', '@prometheus-io/lezer-promql', 'ajv', 'handlebars', 'js-yaml', 'yaml'];
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
/** Every other package stays a require() of node_modules: native ones, servers' clients, esbuild, tools. */
const EXTERNAL_PACKAGES = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })
  .filter((name) => !BUNDLED_PACKAGES.includes(name))
  .flatMap((name) => [name, `${name}/*`]);
export const NOTICES = 'THIRD-PARTY-NOTICES.txt';

/**
 * The Grafana SDK's builders for dashboards v2 (`VisualizationV2Builder`, `QueryV2Builder`) and v2beta1
 * (`VisualizationBuilder`, `QueryBuilder`), which every panel and query package's index requires and which pull in the
 * ≈ 130 modules of dashboardv2 and dashboardv2beta1 (≈ 16 ms of a cold `vigil validate` to evaluate): the command line
 * emits classic dashboards only (PanelBuilder, DataqueryBuilder…), so in its script those four files of a package's
 * index are empty modules. Users' TypeScript dashboards run the whole SDK (dist/grafana-sdk.cjs, another build).
 */
export const SDK_V2_BUILDERS = /^\.\/(visualizationV2Builder|visualizationBuilder|queryV2Builder|queryBuilder)\.gen$/;

/**
 * Handlebars' code generator requires `source-map` for its SourceNode, and has a small SourceNode of its own for when
 * it is absent (browsers): the command line's templates never ask for a source map, and with the package left out
 * of its script the compiled templates are the same text (≈ 14 M fewer instructions in a cold `vigil validate` of the
 * example, under callgrind; docs/benchmarks.md).
 */
export const HANDLEBARS_SOURCE_MAP = /^source-map$/;

/** Modules the command line's script holds as empty ones (`module.exports = {}`): each request, by who imports it. */
function emptyModules(requests) {
  return {
    name: 'vigil-empty-modules',
    setup(build) {
      for (const { filter, importer } of requests) build.onResolve({ filter }, (args) => (importer.test(args.importer) ? { path: args.path, namespace: 'vigil-empty' } : undefined));
      build.onLoad({ filter: /.*/, namespace: 'vigil-empty' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
    },
  };
}

/**
 * The command line as a script: every module of src/ it uses, lazily imported ones included (a dynamic import becomes
 * a call that evaluates the module's part of the script; V8 compiles a function only when it first runs), the
 * BUNDLED_PACKAGES (a package's modules run when first required), other packages and Node's modules through the
 * require() bin/vigil.js passes in. The whole file is one function expression, so that the script bin/vigil.js
 * compiles is the file itself, line for line.
 */
export const CLI_SCRIPT_OPTIONS = {
  plugins: [
    emptyModules([
      { filter: SDK_V2_BUILDERS, importer: /[\\/]@grafana[\\/]grafana-foundation-sdk[\\/]dist[\\/][^\\/]+[\\/]index\.js$/ },
      { filter: HANDLEBARS_SOURCE_MAP, importer: /[\\/]handlebars[\\/]dist[\\/]cjs[\\/]handlebars[\\/]compiler[\\/]code-gen\.js$/ },
    ]),
  ],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: EXTERNAL_PACKAGES,
  metafile: true,
  logLevel: 'silent',
  supported: { 'dynamic-import': false },
  // Only ASCII (other characters escaped), so that bin/vigil.js reads it as Latin-1: a one-byte string for V8, and
  // no UTF-8 decoding of 3 MB at every start.
  charset: 'ascii',
  define: { 'import.meta.url': '__vigilImportMetaUrl' },
  banner: { js: '(function (exports, require, module, __filename, __dirname, __vigilImportMetaUrl) {"use strict";' },
  footer: { js: '})' },
};

/**
 * Writes every bundle through a temporary file, so that a concurrent command never imports half of one: the command
 * line's chunks first (named by their content, so a chunk a running command imports never changes), its entry last.
 */
export async function writeBundles() {
  const { build } = await import('esbuild');
  mkdirSync(dist, { recursive: true });
  const [sdk, cli, loaderProcess, ...libraries] = await Promise.all([
    buildSdkScript(build),
    build({ ...CLI_SCRIPT_OPTIONS, entryPoints: [path.join(root, CLI.entry)], outfile: path.join(dist, CLI.out), write: false }),
    build({ ...LOADER_PROCESS_OPTIONS, entryPoints: [path.join(root, 'src/load/loader-process.ts')], outfile: path.join(dist, DIST_FILES.loaderProcess), write: false }),
    ...LIBRARIES.map(({ entry, out }) => build({ ...ESBUILD_OPTIONS, entryPoints: [path.join(root, entry)], outfile: path.join(dist, out), write: false })),
  ]);
  for (const file of [loaderProcess, ...libraries].map((result) => result.outputFiles[0])) writeAtomically(file.path, file.contents);
  writeAtomically(path.join(dist, NOTICES), thirdPartyNotices(cli.metafile));
  // The script before its description: a description names the sha256 of the script it describes.
  writeAtomically(path.join(dist, SDK_SCRIPT.out), sdk.script);
  writeAtomically(path.join(dist, SDK_SCRIPT.description), sdk.description);
  writeAtomically(path.join(dist, CLI.out), withDigestLine(asciiOnly(cli.outputFiles[0].text)));
  removeOldCommandLine();
  const child = path.join(dist, CHILD.out);
  copyFileSync(path.join(root, CHILD.source), `${child}.${process.pid}.tmp`);
  renameSync(`${child}.${process.pid}.tmp`, child);
}

/**
 * The Grafana Foundation SDK (every entry of its exports map, with tslib) as one script for the TypeScript loader
 * process: `(function (exports, require, module) { … })`, whose module.exports maps each entry ('dashboard') to a
 * function that evaluates it once and returns its exports. Importing the SDK's ≈ 600 CommonJS files from an ES
 * module took that process 110–140 ms (Node reads and lexes each for its export names); the script, compiled from a
 * V8 code cache, ≈ 20 ms. Its description lists each entry's export names (the names an ES module importing the
 * entry from node_modules gets), for the modules esbuild puts in the definitions' bundles in place of the imports.
 * The SDK's licence is in NOTICES already: the command line's script carries the same package.
 */
async function buildSdkScript(build) {
  const requireHere = createRequire(path.join(root, 'package.json'));
  const manifest = JSON.parse(readFileSync(path.join(root, 'node_modules', SDK_SCRIPT.package, 'package.json'), 'utf8'));
  const entries = Object.keys(manifest.exports).filter((key) => /^\.\/[a-z0-9]+$/.test(key)).map((key) => key.slice(2)).sort();
  const contents = `module.exports = {\n${entries.map((e) => `  ${JSON.stringify(e)}: () => require(${JSON.stringify(`${SDK_SCRIPT.package}/${e}`)}),`).join('\n')}\n};\n`;
  const result = await build({
    stdin: { contents, resolveDir: root, sourcefile: 'grafana-sdk-entries.cjs', loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    charset: 'ascii',
    banner: { js: '(function (exports, require, module) {"use strict";' },
    footer: { js: '})' },
  });
  const script = asciiOnly(result.outputFiles[0].text);
  const exportsOf = {};
  // Node's own names (cjs-module-lexer's, `__esModule` among them), from an import as a definition's would be.
  for (const e of entries) exportsOf[e] = Object.keys(await import(pathToFileURL(requireHere.resolve(`${SDK_SCRIPT.package}/${e}`)).href)).filter((name) => name !== 'default').sort();
  const sha256 = createHash('sha256').update(script).digest('hex');
  return { script, description: `${JSON.stringify({ package: SDK_SCRIPT.package, version: manifest.version, sha256, exports: exportsOf })}\n` };
}

/**
 * The name, version, licence and licence text of every package a bundle copied from node_modules (esbuild's metafile
 * lists the files it read), in name order.
 */
export function thirdPartyNotices(metafile) {
  const packages = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const at = input.lastIndexOf('node_modules/');
    if (at < 0) continue;
    const rest = input.slice(at + 'node_modules/'.length).split('/');
    const name = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    const dir = path.resolve(root, input.slice(0, at), 'node_modules', name);
    if (!packages.has(name)) packages.set(name, dir);
  }
  const sections = [...packages].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, dir]) => {
    const { version, license } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
    if (!file) throw new Error(`${name} has no licence file to copy into ${NOTICES}`);
    return `${name} ${version} (${license})\n\n${readFileSync(path.join(dir, file), 'utf8').trim()}\n`;
  });
  const rule = `\n${'-'.repeat(80)}\n\n`;
  return `dist/vigil.cjs, Vigil's command line, contains copies of these packages, under their licences:\n${rule}${sections.join(rule)}`;
}

/**
 * esbuild's ASCII charset escapes every string, regular expression and name, but keeps the comments it keeps as they
 * are; a \u escape in a comment is as good, and means the same anywhere else.
 */
export function asciiOnly(text) {
  return text.replace(/[^\0-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The command line's script with the sha256 of its text on a first line of its own, which bin/vigil.js reads instead
 * of hashing 3 MB at every start (the name of the script's code cache); the file is written whole, at once.
 */
export function withDigestLine(text) {
  return `// vigil bundle sha256 ${createHash('sha256').update(text).digest('hex')}\n${text}`;
}

function writeAtomically(target, contents) {
  const temp = `${target}.${process.pid}.tmp`;
  writeFileSync(temp, contents);
  renameSync(temp, target);
}

/** A checkout built by earlier versions: their entry, chunks and loader-start module are never run again. */
function removeOldCommandLine() {
  for (const name of readdirSync(dist)) {
    if (!OLD_CLI_FILE.test(name)) continue;
    const file = path.join(dist, name);
    try {
      if (Date.now() - statSync(file).mtimeMs > OLD_CLI_AGE_MS) unlinkSync(file);
    } catch {
      // removed by a concurrent build
    }
  }
}

/**
 * dist/types/**.d.ts for the public entries. The sources import each other with `.ts` extensions; in declarations
 * those become `.js`, which a user's TypeScript resolves to the `.d.ts` beside them under any module resolution.
 */
export async function writeDeclarations() {
  const out = path.join(dist, 'types');
  rmSync(out, { recursive: true, force: true });
  const { execFileSync } = await import('node:child_process');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const flags = ['--declaration', '--emitDeclarationOnly', '--outDir', out, '--rootDir', 'src', '--module', 'nodenext', '--moduleResolution', 'nodenext'];
  flags.push('--target', 'es2022', '--strict', '--skipLibCheck', '--resolveJsonModule', '--esModuleInterop', '--allowImportingTsExtensions', '--types', 'node');
  execFileSync(process.execPath, [tsc, 'src/index.ts', 'src/compiler.ts', ...flags], { cwd: root, stdio: 'inherit' });
  const rewrite = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) rewrite(full);
      else if (/\.d\.c?ts$/.test(entry.name)) writeFileSync(full, readFileSync(full, 'utf8').replace(/(['"]\.{1,2}\/[^'"]*?)\.(c?)ts(['"])/g, '$1.$2js$3'));
    }
  };
  rewrite(out);
}

/** The JSON Schemas of the definition kinds, for editors: node_modules/vigil/schemas/<kind>.schema.json. */
export function writeSchemas() {
  const from = path.join(root, 'src', 'spec', 'schemas');
  const to = path.join(root, 'schemas');
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to);
  for (const name of readdirSync(from)) if (name.endsWith('.schema.json')) copyFileSync(path.join(from, name), path.join(to, name));
}

export function removeSchemas() {
  rmSync(path.join(root, 'schemas'), { recursive: true, force: true });
}
