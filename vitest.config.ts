import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // GitHub's workflow parser imports its JSON schema without an import attribute, which Node refuses; let Vite load it.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
});
