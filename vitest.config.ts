import { readFile } from 'node:fs/promises';
import { defineConfig, type Plugin } from 'vitest/config';

/**
 * Vite reads the source map of every dependency it loads itself (those in server.deps.inline) and warns, once per
 * file, when the map names TypeScript sources the package does not ship ("Sourcemap for … points to missing source
 * files"). A dependency's map is of no use here, so such files are loaded without their sourceMappingURL comment and
 * no map is read: stack traces inside them keep the lines of the shipped JavaScript.
 */
const dependenciesWithoutSourceMaps: Plugin = {
  name: 'dependencies-without-source-maps',
  enforce: 'pre',
  async load(id) {
    const file = id.split('?')[0]!;
    if (!file.includes('/node_modules/') || !/\.[cm]?js$/.test(file)) return null;
    const code = await readFile(file, 'utf8');
    return { code: code.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'), map: null };
  },
};

export default defineConfig({
  plugins: [dependenciesWithoutSourceMaps],
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'scripts/**/*.test.ts'],
    // test/example/ checks the repository's monitoring/ and generated/: run by `npm run example:check`.
    exclude: ['test/bench/**', 'test/example/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // GitHub's workflow parser imports its JSON schema without an import attribute, which Node refuses; let Vite load it.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
    // Used by `npm test` (scripts/test-suite.mjs passes --coverage); scripts/coverage-report.mjs adds the coverage of
    // the subprocesses, prints the figures per folder and applies the thresholds. Only generated code is left out.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.{ts,mjs}'],
      exclude: ['src/**/*.test.ts', 'src/spec/*.gen.*'],
      reporter: ['json'],
      // The figures of a run with a failed test are still worth seeing; the failed run fails `npm test` anyway.
      reportOnFailure: true,
    },
  },
});
