// The bundle of the command line that the tests' `vigil` subprocesses run while `npm test` measures coverage: the
// same as dist/vigil.mjs (bin/dist.js), with a source map (vigil.mjs.map) so that coverage maps back to src/*.ts. It sits
// two folders below the repository, as dist/vigil.mjs does, so that the paths src/ resolves from its own module
// (templates/, the TypeScript child process) resolve the same way.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const COVERAGE_BUNDLE_DIR = path.join(ROOT, 'coverage', 'bundle');
export const COVERAGE_BUNDLE = path.join(COVERAGE_BUNDLE_DIR, 'vigil.mjs');
/** The process that runs users' TypeScript definitions, found beside the bundle as dist/typescript-child.mjs is. */
export const COVERAGE_CHILD = path.join(COVERAGE_BUNDLE_DIR, 'typescript-child.mjs');
export const CHILD_SOURCE = path.join(ROOT, 'src', 'load', 'typescript-child.mjs');

export async function buildCoverageBundle() {
  mkdirSync(COVERAGE_BUNDLE_DIR, { recursive: true });
  await build({
    entryPoints: [path.join(ROOT, 'src', 'cli', 'run.ts')],
    outfile: COVERAGE_BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
    // A separate map, not named in the bundle: Node, when NODE_V8_COVERAGE is set, would otherwise parse the whole map
    // in every process and copy it into every coverage file it writes.
    sourcemap: 'external',
    banner: { js: "import { createRequire as __vigilCreateRequire } from 'node:module'; const require = __vigilCreateRequire(import.meta.url);" },
  });
  copyFileSync(CHILD_SOURCE, COVERAGE_CHILD);
  return COVERAGE_BUNDLE;
}
