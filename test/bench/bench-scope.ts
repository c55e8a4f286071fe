/**
 * test/helpers/services.ts's ServiceScope for a script run outside vitest (its serviceScope registers with vitest's
 * afterAll): temp dirs, services and cleanup hooks, undone by `cleanup()`, which the script calls at its end and on
 * SIGINT/SIGTERM.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startAlertmanager, startService, type RunningService } from '../../src/testing/alertmanager-process.ts';
import type { ServiceScope } from '../helpers/services.ts';

export function benchScope(): ServiceScope {
  const services: RunningService[] = [];
  const dirs: string[] = [];
  const hooks: (() => Promise<void>)[] = [];
  const tempDir = async (prefix = 'vigil-bench-') => {
    const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  const cleanup = async () => {
    await Promise.allSettled(hooks.splice(0).map((h) => h()));
    for (const s of services.splice(0).reverse()) await s.stop().catch(() => undefined);
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanup().finally(() => process.exit(130)));
  }
  return {
    tempDir,
    async start(spec) {
      const s = await startService(spec);
      services.push(s);
      return s;
    },
    async startAlertmanager(options) {
      const am = await startAlertmanager({ ...options, storageDir: options.storageDir ?? (await tempDir('vigil-am-data-')) });
      services.push(am);
      return am;
    },
    onCleanup(stop) {
      hooks.push(stop);
    },
    cleanup,
  };
}
