import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { BuildError } from '../build/read.ts';
import { RelayConfigError, type SecretRef } from '../relay/config.ts';
import { secretReader, MissingSecret, type SecretReader } from '../relay/secrets.ts';
import type { RelayStore } from '../relay/types.ts';
import { styleFor, UsageError, type CliIO } from './io.ts';
import { EXIT } from './exit.ts';

export interface RelayCommandOptions {
  env?: string;
  build?: string;
  /** Each: the flag, else the build's relay settings, else the default. */
  listen?: string;
  store?: string;
  language?: string;
  timeZone?: string;
  /** Start without a notify token (anyone who reaches the port can post alerts): for a laptop, never for production. */
  insecureOpenNotify: boolean;
}

/** host:port, [v6]:port or :port (all interfaces is never the default: 127.0.0.1 unless said). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--listen "${text}": expected HOST:PORT, e.g. 127.0.0.1:9095`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/** The store the relay keeps everything in: a SQLite file, or PostgreSQL shared by several relays. */
async function openStore(url: string, postgres: boolean, password: SecretRef | undefined, secrets: SecretReader): Promise<RelayStore> {
  if (postgres) {
    const withPassword = new URL(url);
    if (password) withPassword.password = encodeURIComponent(await secrets.read(password, 'relay.storePassword'));
    const { openPostgresStore } = await import('../relay/store/postgres.ts');
    return openPostgresStore(withPassword.toString());
  }
  const file = url.slice('sqlite:'.length);
  if (file !== ':memory:') await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  // Loaded here: the native SQLite module is the relay's alone.
  const { openSqliteStore } = await import('../relay/store/sqlite.ts');
  return openSqliteStore(file);
}

/** The port of the relay's url (where Alertmanager posts), which the relay listens on unless told otherwise. */
function portOf(url: string | undefined): number {
  if (!url) return 9095;
  const u = new URL(url);
  return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
}

export async function runRelay(io: CliIO, _dir: string, options: RelayCommandOptions): Promise<number> {
  const style = styleFor(io);
  const buildDir = options.build ?? 'generated';
  const secrets = secretReader();
  const fail = (code: string, message: string, hint: string) => {
    io.err(`${style.red('relay failed')} [${code}]: ${message}\n  hint: ${hint}\n`);
    return EXIT.problems;
  };
  /** Start-up problems the operator can fix, each with its id and what to do; anything else is a bug. */
  const startProblem = (e: unknown): number | undefined => {
    if (e instanceof BuildError) return fail(e.code, e.message, e.hint);
    if (e instanceof RelayConfigError) return fail('relay/config', e.message, e.hint);
    if (e instanceof MissingSecret) return fail('relay/secret', e.message, 'set the environment variable or create the file the build references, where the relay runs');
    return undefined;
  };
  const { loadRelayState, startRelay } = await import('../relay/server.ts');
  let settings;
  try {
    settings = (await loadRelayState(buildDir, options.env, secrets)).config.settings;
  } catch (e) {
    const problem = startProblem(e);
    if (problem !== undefined) return problem;
    throw e;
  }
  const listen = parseListen(options.listen ?? settings.listen ?? `127.0.0.1:${portOf(settings.url)}`);
  const storeUrl = options.store ?? settings.store ?? 'sqlite:vigil-relay.db';
  const postgres = /^postgres(ql)?:\/\//.test(storeUrl);
  if (!storeUrl.startsWith('sqlite:') && !postgres) throw new UsageError(`store "${storeUrl}": expected sqlite:PATH or postgres://user@host:5432/database`);
  if (postgres && /^postgres(ql)?:\/\/[^/@]*:[^/@]*@/.test(storeUrl)) throw new UsageError('the store URL holds a password: put it in relay.storePassword (a secret reference) instead');
  const language = options.language ?? settings.language ?? 'zh';
  if (language !== 'zh' && language !== 'en') throw new UsageError(`--language "${language}": zh or en`);
  const timeZone = options.timeZone ?? settings.timeZone ?? 'Asia/Shanghai';
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw new UsageError(`time zone "${timeZone}" is not an IANA time zone (e.g. Asia/Shanghai, UTC)`);
  }
  let store: RelayStore;
  try {
    store = await openStore(storeUrl, postgres, settings.storePassword, secrets);
  } catch (e) {
    if (e instanceof MissingSecret) return fail('relay/secret', e.message, 'set relay.storePassword’s variable or file where the relay runs');
    return fail('relay/store', `cannot open the store ${storeUrl}: ${(e as Error).message}`, 'check the path is writable (sqlite:) or that the database answers and the user may connect (postgres://)');
  }
  try {
    await store.migrate();
    const relay = await startRelay(
      {
        store,
        buildDir,
        ...(options.env === undefined ? {} : { environment: options.env }),
        secrets,
        requireNotifyToken: !options.insecureOpenNotify,
        language,
        timeZone,
        log: (line) => io.err(`${new Date().toISOString()} ${line}\n`),
      },
      listen,
    );
    io.err(`vigil relay: serving ${buildDir}/${options.env === undefined ? '' : `${options.env}/`} on ${relay.url} (store ${storeUrl})\n`);
    if (options.insecureOpenNotify) io.err(`  ${style.yellow('warning')}: --insecure-open-notify: the notify endpoint takes posts from anyone who reaches it\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    io.err('vigil relay: stopping (work in flight finishes; what is not done stays in the store)\n');
    await relay.stop();
    return EXIT.ok;
  } catch (e) {
    const problem = startProblem(e);
    if (problem !== undefined) return problem;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') return fail('relay/listen', `cannot listen on ${listen.host}:${listen.port} (${code})`, 'choose a free port and an address of this machine with --listen or relay.listen');
    throw e;
  } finally {
    await store.close();
  }
}
