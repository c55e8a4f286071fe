import os from 'node:os';
import { defineConfig } from 'vitest/config';
import { testKinds } from './scripts/test-kinds.mjs';
import base from './vitest.config.ts';

/** `npm run test:integration`: the integration tests, by the rule in scripts/test-kinds.mjs (docs/en/testing.md). */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: testKinds().integration,
    // Integration tests spend much of their time waiting on the services and tools they start (a Prometheus scrape,
    // an evaluation, a notification's group wait): one file a core, and never fewer than two, keep the cores busy.
    // Vitest's default (cores − 1) ran them one at a time on the project's 2-core machine.
    maxWorkers: Math.max(2, os.availableParallelism()),
    setupFiles: ['scripts/subprocess-coverage.setup.mjs'],
    coverage: { ...base.test!.coverage, reportsDirectory: 'coverage/integration' },
  },
});
