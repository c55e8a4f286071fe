// A throwaway PostgreSQL for the relay store's tests: Debian's server binaries, a fresh cluster in a temp dir, run as
// the `postgres` user (never root) on 127.0.0.1 and a free port, with password authentication on TCP so the URL
// carries a password as in production; stopped by PID and removed in afterAll.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { freePort, type ServiceScope } from './services.ts';

const SERVER_USER = 'postgres';
const READY_TIMEOUT_MS = 30_000;
const SMART_SHUTDOWN_MS = 500;
const STOP_TIMEOUT_MS = 5_000;
const LOG_LIMIT = 64 * 1024;

/** Server PIDs still running, killed if this process exits without stopping them (afterAll never ran). */
const runningPids = new Set<number>();
let exitHookInstalled = false;

function killOnExit(pid: number): void {
  runningPids.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const p of runningPids) signal(p, 'SIGKILL');
  });
}

/** The newest Debian PostgreSQL server installed (`/usr/lib/postgresql/<major>/bin`), or why there is none. */
export function findPostgres(): { binDir: string } | { missing: string } {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((d) => /^\d+$/.test(d) && existsSync(path.join(root, d, 'bin', 'postgres'))) : [];
  if (majors.length === 0) return { missing: `no PostgreSQL server in ${root}/*/bin (apt-get install -y postgresql)` };
  if (spawnSync('id', ['-u', SERVER_USER]).status !== 0) return { missing: `no "${SERVER_USER}" user to run the server as` };
  if (process.getuid?.() !== 0) return { missing: 'starting a server as the postgres user needs root (runuser)' };
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0]!;
  return { binDir: path.join(root, newest, 'bin') };
}

export interface RunningPostgres {
  /** postgres://postgres:PASSWORD@127.0.0.1:PORT/vigil — a database of its own. */
  url: string;
  port: number;
  /** Stops the server (SIGTERM, then SIGINT, SIGKILL after timeouts); idempotent. The cluster stays for start(). */
  stop(): Promise<void>;
  /** Starts the stopped server again on the same cluster and port. */
  start(): Promise<void>;
}

/** A new cluster, started and waited for; stopped and removed when the scope cleans up. */
export async function startPostgres(scope: ServiceScope): Promise<RunningPostgres> {
  const found = findPostgres();
  if ('missing' in found) throw new Error(`PostgreSQL cannot be started: ${found.missing}`);
  const { uid, gid } = serverUser();
  const dir = await scope.tempDir('vigil-postgres-');
  const dataDir = path.join(dir, 'data');
  const socketDir = path.join(dir, 'socket');
  const passwordFile = path.join(dir, 'password');
  const password = randomBytes(12).toString('hex');
  await mkdir(socketDir);
  await writeFile(passwordFile, password, { mode: 0o600 });
  for (const p of [dir, socketDir, passwordFile]) await chown(p, uid, gid);

  const initdb = spawnSync(
    'runuser',
    ['-u', SERVER_USER, '--', path.join(found.binDir, 'initdb'), '-D', dataDir, '-U', 'postgres', `--pwfile=${passwordFile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync'],
    { encoding: 'utf8' },
  );
  if (initdb.status !== 0) throw new Error(`initdb failed (${initdb.status ?? initdb.signal}):\n${initdb.stdout}${initdb.stderr}`);

  let server: Server | undefined;
  let port = 0;
  const start = async () => {
    for (let attempt = 0; ; attempt++) {
      port ||= await freePort();
      try {
        server = await startServer(found.binDir, dataDir, socketDir, port, password);
        return;
      } catch (e) {
        // Lost the race for the port: another one, as startService does (only before the URL was handed out).
        if (attempt >= 2 || url || !/already in use/i.test((e as Error).message)) throw e;
        port = 0;
      }
    }
  };
  let url = '';
  await start();
  url = `postgres://postgres:${password}@127.0.0.1:${port}/vigil`;
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await admin.connect();
  await admin.query('CREATE DATABASE vigil');
  await admin.end();

  const stop = async () => {
    await server?.stop();
    server = undefined;
  };
  scope.onCleanup(stop);
  return { url, port, stop, start };
}

interface Server {
  stop(): Promise<void>;
}

async function startServer(binDir: string, dataDir: string, socketDir: string, port: number, password: string): Promise<Server> {
  let log = '';
  const child = spawn('runuser', ['-u', SERVER_USER, '--', path.join(binDir, 'postgres'), '-D', dataDir, '-k', socketDir, '-c', 'listen_addresses=127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-LOG_LIMIT);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;

  // runuser forks: the server's own PID is the first line of postmaster.pid, and SIGKILL must reach it, not runuser.
  const serverPid = () => {
    try {
      return Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined;
    } catch {
      return undefined;
    }
  };
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const pid = serverPid();
      // SIGTERM is PostgreSQL's smart shutdown, which waits for every client (an idle pool never leaves); SIGINT,
      // its fast shutdown, disconnects them. SIGKILL last: it would leave backends holding the cluster's memory.
      signal(pid ?? child.pid, 'SIGTERM');
      if (!(await within(exited, SMART_SHUTDOWN_MS))) {
        signal(pid, 'SIGINT');
        if (!(await within(exited, STOP_TIMEOUT_MS))) {
          signal(pid, 'SIGKILL');
          signal(child.pid, 'SIGKILL');
          await within(exited, STOP_TIMEOUT_MS);
        }
      }
      if (pid !== undefined) runningPids.delete(pid);
    })());

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (hasExited()) throw new Error(`postgres exited before it was ready (code ${child.exitCode ?? child.signalCode}):\n${tail(log)}`);
    if (await accepts(port, password)) {
      const pid = serverPid();
      if (pid !== undefined) killOnExit(pid);
      return { stop };
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`postgres was not ready on 127.0.0.1:${port} after ${READY_TIMEOUT_MS} ms:\n${tail(log)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function accepts(port: number, password: string): Promise<boolean> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres', connectionTimeoutMillis: 1_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function serverUser(): { uid: number; gid: number } {
  const uid = Number(spawnSync('id', ['-u', SERVER_USER], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', SERVER_USER], { encoding: 'utf8' }).stdout.trim());
  return { uid, gid };
}

function signal(pid: number | undefined, name: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function tail(log: string, lines = 30): string {
  return log.trimEnd().split('\n').slice(-lines).join('\n');
}
