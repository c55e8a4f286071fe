// What the published package runs and imports, built from src/ by esbuild (and tsc for the type declarations):
//   dist/vigil.mjs               the command line (src/cli/run.ts), split: each command's modules are in
//   dist/vigil-<name>-<hash>.mjs chunks named by their content, evaluated only when that command runs (beside
//                                the entry, so that every module's import.meta.url still points into dist/)
//   dist/index.js                the define helpers definitions import (`from 'vigil'`), dist/types/index.d.ts
//   dist/compiler.js             the compiler as a library (`from 'vigil/compiler'`), dist/types/compiler.d.ts
//   dist/typescript-child.mjs    the process that runs users' TypeScript definitions
// bin/vigil.js rebuilds the bundles in a checkout when a source is newer; `npm run prepare` (also run by npm ci and
// npm pack) builds everything, declarations included.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

export const CLI = { entry: 'src/cli/run.ts', out: 'vigil.mjs' };
const LIBRARIES = [
  { entry: 'src/index.ts', out: 'index.js' },
  { entry: 'src/compiler.ts', out: 'compiler.js' },
];
const BUNDLES = [CLI, ...LIBRARIES];
const CHILD = 'src/load/typescript-child.mjs';
export const CHUNK_NAMES = 'vigil-[name]-[hash]';
const CHUNK_FILE = /^vigil-.+-[A-Z0-9]{8}\.mjs$/;
/**
 * A chunk no current bundle imports is removed only once it is this old: a command started from the previous
 * dist/vigil.mjs may still be about to import one of its chunks.
 */
const STALE_CHUNK_AGE_MS = 10 * 60_000;

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

/** The newest modification time of package.json and every non-test source file. */
export function newestSource() {
  let newest = statSync(path.join(root, 'package.json')).mtimeMs;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (!entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
    }
  };
  walk(path.join(root, 'src'));
  return newest;
}

/** Every bundle exists and is at least as new as the sources. */
export function bundlesAreFresh() {
  try {
    const newest = newestSource();
    return [...BUNDLES.map((b) => b.out), path.basename(CHILD)].every((out) => statSync(path.join(dist, out)).mtimeMs >= newest);
  } catch {
    return false;
  }
}

/**
 * Writes every bundle through a temporary file, so that a concurrent command never imports half of one: the command
 * line's chunks first (named by their content, so a chunk a running command imports never changes), its entry last.
 */
export async function writeBundles() {
  const { build } = await import('esbuild');
  mkdirSync(dist, { recursive: true });
  const cliOptions = {
    entryPoints: { [path.basename(CLI.out, '.mjs')]: path.join(root, CLI.entry) },
    outdir: dist,
    splitting: true,
    chunkNames: CHUNK_NAMES,
    outExtension: { '.js': '.mjs' },
  };
  const [cli, ...libraries] = await Promise.all([
    build({ ...ESBUILD_OPTIONS, ...cliOptions, write: false }),
    ...LIBRARIES.map(({ entry, out }) => build({ ...ESBUILD_OPTIONS, entryPoints: [path.join(root, entry)], outfile: path.join(dist, out), write: false })),
  ]);
  const entry = path.join(dist, CLI.out);
  const chunks = cli.outputFiles.filter((file) => file.path !== entry);
  for (const file of [...chunks, ...libraries.map((library) => library.outputFiles[0]), cli.outputFiles.find((file) => file.path === entry)]) {
    writeAtomically(file.path, file.contents);
  }
  removeStaleChunks(new Set(chunks.map((file) => path.basename(file.path))));
  const child = path.join(dist, path.basename(CHILD));
  copyFileSync(path.join(root, CHILD), `${child}.${process.pid}.tmp`);
  renameSync(`${child}.${process.pid}.tmp`, child);
}

function writeAtomically(target, contents) {
  const temp = `${target}.${process.pid}.tmp`;
  writeFileSync(temp, contents);
  renameSync(temp, target);
}

function removeStaleChunks(current) {
  for (const name of readdirSync(dist)) {
    if (current.has(name) || !CHUNK_FILE.test(name.replace(/\.\d+\.tmp$/, ''))) continue;
    const file = path.join(dist, name);
    try {
      if (Date.now() - statSync(file).mtimeMs > STALE_CHUNK_AGE_MS) unlinkSync(file);
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
