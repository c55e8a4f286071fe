import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderSpecTypes } from './gen-types.ts';
import { renderValidators } from './gen-validators.ts';

export const TYPES_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'types.gen.ts');
export const VALIDATORS_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'validators.gen.cjs');

/** Everything derived from the JSON Schemas: TypeScript types and precompiled validators. */
export async function writeSpecTypes(): Promise<void> {
  await writeFile(TYPES_FILE, await renderSpecTypes());
  await writeFile(VALIDATORS_FILE, renderValidators());
}
