import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * Throwaway services for live tests (`vigil test --live`, test/integration): a real binary on 127.0.0.1 on a port
 * chosen free at run time, waited for on its readiness endpoint, and stopped by PID — SIGTERM, then SIGKILL after a
 * timeout — always, also when the caller fails (and, as a last resort, when this Node process exits).
 */

export interface ServiceSpec {
  /** For messages: `alertmanager`. */
  name: string;
  command: string;
  /** The arguments for a given port. */
  args(port: number): string[];
  /** Polled until it answers 200, e.g. `/-/ready`. */
  readyPath: string;
  /** Statuses that mean ready; default [200] (InfluxDB's /ping answers 204). */
  readyStatuses?: number[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Default 15 s. */
  readyTimeoutMs?: number;
  /** Default 5 s: how long SIGTERM may take before SIGKILL. */
  stopTimeoutMs?: number;
}

export interface RunningService {
  name: string;
  pid: number;
  port: number;
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  url: string;
  /** The service's stdout and stderr so far (the last 256 KiB). */
  log(): string;
  /** Idempotent; resolves once the process has exited. */
  stop(): Promise<void>;
}

/**
 * A port nobody listens on right now, on 127.0.0.1, for a service started a moment (or a build) later. Taken below the
 * kernel's ephemeral range where it leaves room: every `listen(0)` (a test double, a sink) and every outgoing
 * connection takes its port from that range, so a port the kernel picked and gave back could be handed to any of them
 * before the service binds it (a relay whose port is written into the build it runs found another server answering
 * 404 there). Elsewhere, the kernel's pick for port 0.
 */
export async function freePort(range = ephemeralPortRange()): Promise<number> {
  if (range && range[0] - BELOW_EPHEMERAL_FROM >= 1000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = BELOW_EPHEMERAL_FROM + Math.floor(Math.random() * (range[0] - BELOW_EPHEMERAL_FROM));
      if ((await listenOn(port)) === port) return port;
    }
  }
  const port = await listenOn(0);
  if (port === undefined) throw new Error('could not find a free port');
  return port;
}

/** Where freePort looks below the ephemeral range: above the ports services are configured with (9090, 9093…). */
const BELOW_EPHEMERAL_FROM = 20_000;

/** The kernel's range for ephemeral ports (Linux), or undefined where it cannot be read. */
export function ephemeralPortRange(file = '/proc/sys/net/ipv4/ip_local_port_range'): [number, number] | undefined {
  try {
    const [low, high] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    return Number.isInteger(low) && Number.isInteger(high) && low! > 0 && low! <= high! ? [low!, high!] : undefined;
  } catch {
    return undefined;
  }
}

/** Listens on `port` of 127.0.0.1 and closes again: the port it got, or undefined when it could not listen. */
function listenOn(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.on('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const got = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(got));
    });
  });
}

/** Children still running, killed with SIGKILL if this process exits without stopping them. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) {
      try {
        if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

const LOG_LIMIT = 256 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a service and waits until `readyPath` answers 200. The port is chosen free just before the start; if the
 * service loses the race for it (exits saying the address is in use) it is started again on another port, up to
 * three times. Rejects with the service's log when it exits or does not become ready in time (the process is
 * stopped first).
 */
export async function startService(spec: ServiceSpec): Promise<RunningService> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await startOnce(spec, port);
    } catch (e) {
      lastError = e as Error;
      if (!/address already in use/i.test(lastError.message)) throw lastError;
    }
  }
  throw lastError!;
}

async function startOnce(spec: ServiceSpec, port: number): Promise<RunningService> {
  installExitHook();
  let log = '';
  const append = (chunk: Buffer) => {
    log += chunk.toString('utf8');
    if (log.length > LOG_LIMIT) log = log.slice(-LOG_LIMIT);
  };
  const child = spawn(spec.command, spec.args(port), { cwd: spec.cwd, env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      running.delete(child);
      resolve();
    });
    child.once('error', (e) => {
      spawnError = e;
      running.delete(child);
      resolve();
    });
  });
  running.add(child);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (exited || spawnError || child.pid === undefined) return;
      signal(child.pid, 'SIGTERM');
      const timeout = spec.stopTimeoutMs ?? 5_000;
      if (await Promise.race([exit.then(() => true), sleep(timeout).then(() => false)])) return;
      signal(child.pid, 'SIGKILL');
      await Promise.race([exit, sleep(5_000)]);
    })());

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (spec.readyTimeoutMs ?? 15_000);
  for (;;) {
    if (spawnError) {
      const why = (spawnError as NodeJS.ErrnoException).code === 'ENOENT' ? `${spec.command} not found on PATH` : spawnError.message;
      throw new Error(`${spec.name} could not be started: ${why}`);
    }
    if (exited) {
      throw new Error(`${spec.name} exited before it was ready (code ${exited.code ?? exited.signal}):\n${tail(log)}`);
    }
    if (await answers(`${url}${spec.readyPath}`, spec.readyStatuses ?? [200])) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${spec.name} was not ready on ${url}${spec.readyPath} after ${spec.readyTimeoutMs ?? 15_000} ms:\n${tail(log)}`);
    }
    await sleep(50);
  }
  return { name: spec.name, pid: child.pid!, port, url, log: () => log, stop };
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // exited in the meantime
  }
}

async function answers(url: string, statuses: number[]): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return statuses.includes(res.status);
  } catch {
    return false;
  }
}

function tail(log: string, lines = 30): string {
  return log.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The Debian/Ubuntu package names the daemon `prometheus-alertmanager`; upstream tarballs call it `alertmanager`. */
export const ALERTMANAGER_BINARIES = ['prometheus-alertmanager', 'alertmanager'] as const;

/** The first Alertmanager daemon found on PATH, with its version; undefined when none is installed. */
export function findAlertmanager(): { binary: string; version?: string } | undefined {
  for (const binary of ALERTMANAGER_BINARIES) {
    const r = spawnSync(binary, ['--version'], { encoding: 'utf8' });
    if (r.error || r.status !== 0) continue;
    const version = /version (\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1];
    return version ? { binary, version } : { binary };
  }
  return undefined;
}

export interface AlertmanagerStartOptions {
  /** An alertmanager.yml whose `*_file` secrets exist (see prepareLiveConfig in inhibition-live.ts). */
  configFile: string;
  /** An empty directory for silences and the notification log. */
  storageDir: string;
  /** Default: findAlertmanager(). */
  binary?: string;
  readyTimeoutMs?: number;
}

export interface RunningAlertmanager extends RunningService {
  binary: string;
}

/**
 * A single, non-clustered Alertmanager on 127.0.0.1:<free port>: `--cluster.listen-address=` (empty) disables
 * gossip (no second port, no peer wait), `--web.external-url` is set so no host name leaks into links. Ready when
 * `/-/ready` answers 200 (the configuration is loaded by then). Stop it with `stop()` in a `finally`.
 */
export async function startAlertmanager(options: AlertmanagerStartOptions): Promise<RunningAlertmanager> {
  const binary = options.binary ?? findAlertmanager()?.binary;
  if (!binary) throw new Error(`no Alertmanager on PATH (looked for ${ALERTMANAGER_BINARIES.join(', ')}); install prometheus-alertmanager`);
  const service = await startService({
    name: 'alertmanager',
    command: binary,
    args: (port) => [
      `--config.file=${options.configFile}`,
      `--storage.path=${options.storageDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      `--web.external-url=http://127.0.0.1:${port}/`,
    ],
    readyPath: '/-/ready',
    ...(options.readyTimeoutMs !== undefined ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
  });
  return { ...service, binary };
}
