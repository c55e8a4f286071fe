// Real services for integration tests (GUIDE §3): 127.0.0.1, ports chosen free at run time, temp dirs, waited for on
// their readiness endpoint, and stopped by PID in afterAll even when a test fails.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import {
  findAlertmanager,
  freePort,
  startAlertmanager,
  startService,
  type AlertmanagerStartOptions,
  type RunningAlertmanager,
  type RunningService,
  type ServiceSpec,
} from '../../src/testing/alertmanager-process.ts';

export { findAlertmanager, freePort, type RunningAlertmanager, type RunningService, type ServiceSpec };

export interface ServiceScope {
  /** A new empty directory, removed in afterAll. */
  tempDir(prefix?: string): Promise<string>;
  /** Starts a service (stopped by PID in afterAll). */
  start(spec: ServiceSpec): Promise<RunningService>;
  /** Starts a throwaway Alertmanager (stopped by PID in afterAll); storage goes to a temp dir unless given. */
  startAlertmanager(options: Omit<AlertmanagerStartOptions, 'storageDir'> & { storageDir?: string }): Promise<RunningAlertmanager>;
  /** Runs `stop` during cleanup, before the services are stopped (servers of the test's own, like a test double). */
  onCleanup(stop: () => Promise<void>): void;
  /** Stops everything now (afterAll does it anyway). */
  cleanup(): Promise<void>;
}

/**
 * Call once at the top of a test file (or describe block): everything started or created through the scope is
 * stopped — SIGTERM, SIGKILL after a timeout — and removed in afterAll, whatever the tests did. Should the test process
 * die first, alertmanager-process.ts kills the children on exit.
 */
export function serviceScope(): ServiceScope {
  const services: RunningService[] = [];
  const dirs: string[] = [];
  const hooks: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    await Promise.allSettled(hooks.splice(0).map((h) => h()));
    // Newest first: Prometheus goes before the InfluxDB it writes to, peers before what they depend on.
    for (const s of services.splice(0).reverse()) await s.stop().catch(() => undefined);
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  };
  afterAll(cleanup);
  const tempDir = async (prefix = 'vigil-test-') => {
    const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  return {
    tempDir,
    async start(spec) {
      const s = await startService(spec);
      services.push(s);
      return s;
    },
    async startAlertmanager(options) {
      const storageDir = options.storageDir ?? (await tempDir('vigil-am-data-'));
      const am = await startAlertmanager({ ...options, storageDir });
      services.push(am);
      return am;
    },
    onCleanup(stop) {
      hooks.push(stop);
    },
    cleanup,
  };
}

/** Debian's prometheus-pushgateway, in memory, started through the scope (stopped by PID in afterAll). */
export function startPushgateway(scope: ServiceScope): Promise<RunningService> {
  return scope.start({
    name: 'pushgateway',
    command: 'prometheus-pushgateway',
    // Debian's default persistence file is shared by every gateway on the machine: pushes would leak between runs.
    args: (port) => [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file='],
    readyPath: '/-/ready',
  });
}
