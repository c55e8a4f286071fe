import { defineConfig } from 'vitest/config';

/** `npm run example:check` (test/example/): monitoring/ is the example, generated/ its current build. */
export default defineConfig({
  test: {
    include: ['test/example/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
