#!/usr/bin/env node
// Regenerates src/spec/types.gen.ts from the JSON Schemas.
import { register } from 'tsx/esm/api';
register();
const { writeSpecTypes } = await import('../src/spec/write-types.ts');
await writeSpecTypes();
