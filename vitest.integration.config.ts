import { defineConfig } from 'vitest/config';
import { testKinds } from './scripts/test-kinds.mjs';
import base from './vitest.config.ts';

/** `npm run test:integration`: the integration tests, by the rule in scripts/test-kinds.mjs (docs/en/testing.md). */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: testKinds().integration,
    setupFiles: ['scripts/subprocess-coverage.setup.mjs'],
    coverage: { ...base.test!.coverage, reportsDirectory: 'coverage/integration' },
  },
});
