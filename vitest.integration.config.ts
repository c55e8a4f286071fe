import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { slowestFirst, testKinds } from './scripts/test-kinds.mjs';
import base from './vitest.config.ts';

/** Vitest's order, but the files known to be slowest start first (scripts/test-kinds.mjs: SLOWEST_FIRST). */
class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    return slowestFirst(await super.sort(files), (f: TestSpecification) => path.relative(root, f.moduleId).split(path.sep).join('/'));
  }
}

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
    sequence: { sequencer: SlowestFirst },
    setupFiles: ['scripts/subprocess-coverage.setup.mjs'],
    coverage: { ...base.test!.coverage, reportsDirectory: 'coverage/integration' },
  },
});
