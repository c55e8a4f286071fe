#!/usr/bin/env node
// The package's lifecycle steps (package.json scripts):
//   prepare (npm ci, npm install, npm pack): the bundles and type declarations in dist/
//   prepack / postpack: schemas/ (the JSON Schemas for editors) exists only while the package is packed
import { removeSchemas, writeBundles, writeDeclarations, writeSchemas } from './dist.mjs';

const step = process.argv[2];
if (step === 'dist') {
  await writeBundles();
  await writeDeclarations();
} else if (step === 'schemas') {
  writeSchemas();
} else if (step === 'remove-schemas') {
  removeSchemas();
} else {
  process.stderr.write(`usage: package-build.mjs dist|schemas|remove-schemas (got ${step ?? 'nothing'})\n`);
  process.exit(2);
}
