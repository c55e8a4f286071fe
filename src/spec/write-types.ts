import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderSpecTypes } from './gen-types.ts';

export const TYPES_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'types.gen.ts');

export async function writeSpecTypes(): Promise<void> {
  await writeFile(TYPES_FILE, await renderSpecTypes());
}
