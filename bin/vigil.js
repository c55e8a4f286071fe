#!/usr/bin/env node
// Vigil's command line. The TypeScript sources run from a bundle that esbuild writes to dist/ (in ~50 ms) whenever a
// source file is newer than it, so a command starts in a fraction of the time of transpiling every module on the fly.
// If the bundle cannot be written (read-only checkout), the sources run through tsx directly. Users' *.ts definitions
// always load through tsx.
import { mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = path.join(root, 'dist', 'vigil.mjs');

function newestSource() {
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

function bundleIsFresh() {
  try {
    return statSync(bundle).mtimeMs >= newestSource();
  } catch {
    return false;
  }
}

async function writeBundle() {
  const { build } = await import('esbuild');
  const temp = `${bundle}.${process.pid}.tmp`;
  mkdirSync(path.dirname(bundle), { recursive: true });
  await build({
    entryPoints: [path.join(root, 'src/cli/run.ts')],
    outfile: temp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
    // CommonJS pieces (the precompiled schema validators) require() their runtime helpers.
    banner: { js: "import { createRequire as __vigilCreateRequire } from 'node:module'; const require = __vigilCreateRequire(import.meta.url);" },
  });
  renameSync(temp, bundle);
}

if (process.env.VIGIL_NO_BUNDLE !== '1') {
  try {
    if (!bundleIsFresh()) await writeBundle();
  } catch {
    // fall through to running the sources
  }
}
if (process.env.VIGIL_NO_BUNDLE !== '1' && bundleIsFresh()) {
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/run.ts');
}
