import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { BuildError } from '../build/read.ts';
import { RelayConfigError } from '../relay/config.ts';
import { secretReader, MissingSecret } from '../relay/secrets.ts';
import type { RelayTokens } from '../relay/server.ts';
import { styleFor, UsageError, type CliIO } from './io.ts';
import { EXIT } from './exit.ts';

export interface RelayCommandOptions {
  env?: string;
  build?: string;
  listen: string;
  store: string;
  /** Start without a notify token (anyone who reaches the port can post alerts): for a laptop, never for production. */
  insecureOpenNotify: boolean;
  language: string;
  timeZone: string;
}

/** host:port, [v6]:port or :port (all interfaces is never the default: 127.0.0.1 unless said). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--listen "${text}": expected HOST:PORT, e.g. 127.0.0.1:9095`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/** Tokens from the environment: Alertmanager's (notify), readers', operators'. Each may list several, comma-separated, for rotation. */
function tokensFrom(env: NodeJS.ProcessEnv): RelayTokens {
  const list = (name: string) => (env[name] ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  return { notify: list('VIGIL_RELAY_NOTIFY_TOKEN'), read: list('VIGIL_RELAY_READ_TOKEN'), operate: list('VIGIL_RELAY_OPERATE_TOKEN') };
}

export async function runRelay(io: CliIO, _dir: string, options: RelayCommandOptions): Promise<number> {
  const listen = parseListen(options.listen);
  if (!options.store.startsWith('sqlite:')) throw new UsageError(`--store "${options.store}": only sqlite:PATH is available in this version`);
  if (options.language !== 'zh' && options.language !== 'en') throw new UsageError(`--language "${options.language}": zh or en`);
  try {
    new Intl.DateTimeFormat('en', { timeZone: options.timeZone });
  } catch {
    throw new UsageError(`--time-zone "${options.timeZone}" is not an IANA time zone (e.g. Asia/Shanghai, UTC)`);
  }
  const tokens = tokensFrom(process.env);
  if (!tokens.notify.length && !options.insecureOpenNotify) {
    throw new UsageError('set VIGIL_RELAY_NOTIFY_TOKEN (the token Alertmanager sends), or pass --insecure-open-notify to let anyone who reaches the port post alerts');
  }
  const style = styleFor(io);
  const file = options.store.slice('sqlite:'.length);
  if (file !== ':memory:') await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  // Loaded here: the native SQLite module is the relay's alone.
  const { openSqliteStore } = await import('../relay/store/sqlite.ts');
  const { startRelay } = await import('../relay/server.ts');
  const store = openSqliteStore(file);
  try {
    await store.migrate();
    const relay = await startRelay(
      {
        store,
        buildDir: options.build ?? 'generated',
        environment: options.env,
        tokens,
        secrets: secretReader(),
        language: options.language as 'zh' | 'en',
        timeZone: options.timeZone,
        log: (line) => io.err(`${new Date().toISOString()} ${line}\n`),
      },
      listen,
    );
    io.err(`vigil relay: serving ${options.build ?? 'generated'}/${options.env === undefined ? '' : `${options.env}/`} on ${relay.url} (store ${options.store})\n`);
    if (!tokens.notify.length) io.err(`  ${style.yellow('warning')}: the notify endpoint takes posts from anyone (--insecure-open-notify)\n`);
    if (!tokens.read.length && !tokens.operate.length) io.err(`  note: no VIGIL_RELAY_READ_TOKEN or VIGIL_RELAY_OPERATE_TOKEN: the alerts API answers 401 to everyone\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    io.err('vigil relay: stopping (work in flight finishes; what is not done stays in the store)\n');
    await relay.stop();
    return EXIT.ok;
  } catch (e) {
    if (e instanceof BuildError || e instanceof RelayConfigError || e instanceof MissingSecret) {
      io.err(`${style.red('relay failed')}: ${e.message}${e instanceof BuildError ? `\n  hint: ${e.hint}` : ''}\n`);
      return EXIT.problems;
    }
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE' || (e as NodeJS.ErrnoException).code === 'EACCES') {
      io.err(`${style.red('relay failed')}: cannot listen on ${options.listen} (${(e as NodeJS.ErrnoException).code})\n`);
      return EXIT.problems;
    }
    throw e;
  } finally {
    await store.close();
  }
}
