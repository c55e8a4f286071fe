#!/usr/bin/env node
// Vigil's command line. An installed package runs dist/vigil.mjs, built once when the package was packed; nothing is
// ever written into node_modules (it may be read-only). In a checkout of the repository the bundle is rebuilt by
// esbuild (in ~50 ms) whenever a source file is newer than it, so a command starts in a fraction of the time of
// transpiling every module on the fly; if it cannot be written (read-only checkout), the sources run through tsx.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = path.join(root, 'dist', 'vigil.mjs');
const checkout = existsSync(path.join(root, 'src')) && !root.split(path.sep).includes('node_modules');

if (!checkout) {
  if (!existsSync(bundle)) {
    process.stderr.write(`vigil: this installation has no ${path.relative(root, bundle)}; reinstall the package (npm install --save-dev vigil)\n`);
    process.exit(2);
  }
  await import(pathToFileURL(bundle).href);
} else if (process.env.NODE_V8_COVERAGE && process.env.VIGIL_COVERAGE_BUNDLE) {
  // `npm test` measures the coverage of the commands its tests run: this bundle of src/ carries its source map, so
  // scripts/coverage-report.mjs can map what ran back to src/*.ts (scripts/coverage-bundle.mjs builds it).
  await import(pathToFileURL(process.env.VIGIL_COVERAGE_BUNDLE).href);
} else {
  const { bundlesAreFresh, writeBundles } = await import('./dist.js');
  const useBundle = process.env.VIGIL_NO_BUNDLE !== '1';
  if (useBundle && !bundlesAreFresh()) {
    try {
      await writeBundles();
    } catch {
      // fall through to running the sources
    }
  }
  if (useBundle && bundlesAreFresh()) {
    await import(pathToFileURL(bundle).href);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import('../src/cli/run.ts');
  }
}
