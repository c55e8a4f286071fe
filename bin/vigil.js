#!/usr/bin/env node
// Vigil's command line. TypeScript sources (Vigil's own and the user's *.ts definitions) load through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/run.ts');
