// The bundle of the command line that the tests' `vigil` subprocesses run while `npm test` measures coverage: the
// same sources as dist/vigil.cjs, as ES modules split into chunks that each command imports when it runs
// (bin/dist.mjs's options for the libraries; V8's coverage of an ES module maps to its file without a code cache in the
// way), with a source map beside every file (<file>.map) so that coverage maps back to src/*.ts. It sits two
// folders below the repository, as dist/ does, so that the paths src/ resolves from its own module (templates/, the
// TypeScript child process beside it) resolve the same way.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CHUNK_NAMES, CLI, ESBUILD_OPTIONS } from '../bin/dist.mjs';

const ENTRY = 'vigil.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CHILD_SOURCE = path.join(ROOT, 'src', 'load', 'typescript-child.mjs');
const CHILD_NAME = path.basename(CHILD_SOURCE);

/**
 * Where a part of the suite (unit, integration) keeps its bundle: one each, so that the coverage of each part is read
 * against the very files its processes ran, even when src/ changed between the parts.
 */
export function coverageBundleDir(part) {
  return path.join(ROOT, 'coverage', `${part}-bundle`);
}

const inABundleDir = (file) => path.dirname(path.dirname(file)) === path.join(ROOT, 'coverage') && /bundle$/.test(path.basename(path.dirname(file)));

/** A module of a bundle (the entry or one of its chunks), as opposed to the child process copied beside them. */
export function isBundleModule(file) {
  return inABundleDir(file) && file.endsWith('.mjs') && path.basename(file) !== CHILD_NAME;
}

/** The TypeScript definitions' child process: the copy beside a bundle, or the source itself. */
export function isTypeScriptChild(file) {
  return file === CHILD_SOURCE || (inABundleDir(file) && path.basename(file) === CHILD_NAME);
}

/** Builds the bundle into `dir` (emptied first); returns the path of its entry, for VIGIL_COVERAGE_BUNDLE. */
export async function buildCoverageBundle(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await build({
    ...ESBUILD_OPTIONS,
    entryPoints: { [path.basename(ENTRY, '.mjs')]: path.join(ROOT, CLI.entry) },
    outdir: dir,
    splitting: true,
    chunkNames: CHUNK_NAMES,
    outExtension: { '.js': '.mjs' },
    // Maps not named in the files: Node, when NODE_V8_COVERAGE is set, would otherwise parse every map in every
    // process and copy it into every coverage file it writes.
    sourcemap: 'external',
  });
  copyFileSync(CHILD_SOURCE, path.join(dir, CHILD_NAME));
  return path.join(dir, ENTRY);
}
