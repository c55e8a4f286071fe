import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { renderSpecTypes } from '../../src/spec/gen-types.ts';
import { renderValidators } from '../../src/spec/gen-validators.ts';
import { TYPES_FILE, VALIDATORS_FILE } from '../../src/spec/write-types.ts';

describe('spec types', () => {
  it('src/spec/types.gen.ts matches the JSON Schemas (run `npm run gen:types` after editing a schema)', async () => {
    const committed = await readFile(TYPES_FILE, 'utf8');
    expect(committed).toBe(await renderSpecTypes());
  });

  it('src/spec/validators.gen.cjs is compiled from the current JSON Schemas', async () => {
    expect(await readFile(VALIDATORS_FILE, 'utf8')).toBe(renderValidators());
  });
});
