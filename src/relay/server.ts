import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBuild } from '../build/read.ts';
import type { Fetch } from './channels/types.ts';
import { parseRelayConfig, RelayConfigError, type RelayConfig, type SecretRef } from './config.ts';
import type { DeliveryContext } from './delivery.ts';
import { HttpError, sendError } from './http.ts';
import { linkKey, signLink } from './links.ts';
import { relayMetrics, zeroSeries, type RelayMetrics } from './metrics.ts';
import * as alerts from './routes/alerts.ts';
import * as health from './routes/health.ts';
import { chatLink } from './routes/chat-link.ts';
import { notify } from './routes/notify.ts';
import { secretReader, type SecretReader } from './secrets.ts';
import { alertmanagerSilencer, expireSilencesOfResolved, type Silencer } from './silences.ts';
import type { RelayStore } from './types.ts';
import { DEFAULT_RETRY_DELAYS_MS, Worker } from './worker.ts';

/** What the relay serves from a build: its relay.yml, the tokens it names, and which build that was. */
export interface RelayState {
  config: RelayConfig;
  tokens: RelayTokens;
  /** The Environment's Alertmanager peers (environment.json): where a close creates its silence. */
  alertmanagers: string[];
  build: { directory: string; environment: string | null; relayConfigSha256: string };
}

export interface RelayTokens {
  /** Alertmanager's token for the notify endpoint; none: the endpoint is open (the CLI refuses that unless told). */
  notify: string[];
  /** Read the alerts API, status and metrics. */
  read: string[];
  /** Confirm, close, reload (and read). */
  operate: string[];
}

export interface RelayOptions {
  store: RelayStore;
  buildDir: string;
  /** The environment whose build (buildDir/<env>/) is served; none: the shared tree at buildDir (a project without environments). */
  environment?: string;
  /** Instead of the tokens relay.yml references (tests; a token that is not in any file). */
  tokens?: RelayTokens;
  /** Refuse to serve (start or reload) a build whose relay has no token: anyone could post alerts. */
  requireNotifyToken?: boolean;
  /** Instead of the Environment's Alertmanager peers (a build without an Environment; tests). */
  alertmanagers?: string[];
  /** How long the silence of a closed alert lasts at most (it is expired earlier when the alert resolves). */
  maxSilenceMs?: number;
  /** How often closed alerts are checked for having resolved (their silences then expired). */
  silenceCheckMs?: number;
  /** How long a confirm or close link in a chat message stays valid. */
  linkTtlMs?: number;
  fetch?: Fetch;
  secrets?: SecretReader;
  /** A notice sent for the same alert, receiver, channel and status within this window is not sent again. */
  dedupeWindowMs?: number;
  /** How often the worker looks for due work (it is also woken by every stored notification). */
  pollMs?: number;
  leaseMs?: number;
  retryDelaysMs?: readonly number[];
  language?: 'en' | 'zh';
  timeZone?: string;
  now?: () => number;
  log?: (line: string) => void;
}

/** What every route handler gets. */
export interface RelayContext {
  store: RelayStore;
  tokens: RelayTokens;
  metrics: RelayMetrics;
  dedupeWindowMs: number;
  maxSilenceMs: number;
  startedAt: number;
  /** Silences in the Alertmanager peers of the build being served. */
  silencer(): Silencer;
  now(): number;
  state(): RelayState;
  reload(): Promise<void>;
  /** Wakes the worker: a notification was stored. */
  kick(): void;
  log(line: string): void;
}

/**
 * Reads `buildDir/<environment>/` (or buildDir itself), checked against its manifest, its relay.yml, and the tokens
 * relay.yml references (read now, so a missing one fails the start or the reload, not a request).
 */
export async function loadRelayState(buildDir: string, environment: string | undefined, secrets: SecretReader, tokens?: RelayTokens, alertmanagers?: string[]): Promise<RelayState> {
  const view = await readBuild(buildDir, environment);
  if (!view.relayConfig) throw new Error(`${environment === undefined ? buildDir : `${buildDir}/${environment}`}/ has no relay/relay.yml`);
  const entry = view.manifest.find((f) => f.path === view.relayConfig!.path);
  const config = parseRelayConfig(view.relayConfig.content);
  const { token, apiTokens } = config.settings;
  const read = async (ref: SecretRef | undefined, what: string) => (ref ? [await secrets.read(ref, what)] : []);
  return {
    config,
    tokens: tokens ?? { notify: await read(token, 'relay.token'), read: await read(apiTokens.read, 'relay.apiTokens.read'), operate: await read(apiTokens.operate, 'relay.apiTokens.operate') },
    alertmanagers: alertmanagers ?? view.environment?.alertmanager.map((p) => p.url) ?? [],
    build: { directory: buildDir, environment: environment ?? null, relayConfigSha256: entry?.sha256 ?? '' },
  };
}

/**
 * Confirm and close links for messages, when the relay has a public URL and a notify token to derive its link key
 * from; otherwise messages carry none.
 */
function chatLinks(state: RelayState, now: () => number, ttlMs: number): DeliveryContext['links'] {
  const base = state.config.settings.publicUrl?.replace(/\/+$/, '');
  const secret = state.tokens.notify[0];
  if (!base || !secret) return undefined;
  const key = linkKey(secret);
  return (alert) => {
    const expiresAt = now() + ttlMs;
    return {
      confirm: `${base}/a/${signLink(key, { alertId: alert.id, action: 'confirm', expiresAt })}`,
      close: `${base}/a/${signLink(key, { alertId: alert.id, action: 'close', expiresAt })}`,
    };
  };
}

export interface RunningRelay {
  url: string;
  server: Server;
  worker: Worker;
  /** Runs one round of the worker now (tests; the loop runs it on its own). */
  round(): Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * Starts the relay: HTTP on `listen` and the worker loop. Fails (before listening) when the build cannot be read,
 * so a relay never serves without knowing its receivers.
 */
export async function startRelay(options: RelayOptions, listen: { host: string; port: number }): Promise<RunningRelay> {
  const now = options.now ?? Date.now;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const secrets = options.secrets ?? secretReader();
  const load = async () => {
    const next = await loadRelayState(options.buildDir, options.environment, secrets, options.tokens, options.alertmanagers);
    if (options.requireNotifyToken && next.tokens.notify.length === 0) throw new RelayConfigError('the build’s relay has no token (relay.token): anyone who reaches the relay could post alerts', 'add `token: { env: VIGIL_RELAY_TOKEN }` to relay and build again, or start with --insecure-open-notify on a machine nobody else reaches');
    return next;
  };
  let state = await load();
  const fetchImpl: Fetch = options.fetch ?? ((url, init) => fetch(url, init));
  const metrics = relayMetrics(() => options.store);
  const zero = (config: RelayConfig) => zeroSeries(metrics, [...new Set([...config.receivers.values()].flatMap((r) => Object.keys(r)))].sort(), [...config.escalation.keys()].sort());
  zero(state.config);
  const owner = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const worker = new Worker(options.store, () => ({ config: state.config, secrets, fetch: fetchImpl, links: chatLinks(state, now, options.linkTtlMs ?? 24 * 3_600_000) }), {
    owner,
    leaseMs: options.leaseMs ?? 60_000,
    retryDelaysMs: options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
    language: options.language ?? 'zh',
    timeZone: options.timeZone ?? 'Asia/Shanghai',
    batch: 100,
    now,
    wake: () => void pump(false),
  }, metrics);

  // One claim at a time (a kick during one asks for another right after it); the sends a claim starts go on without
  // holding up the next, so a notification stored while others are being sent is claimed at once.
  let running: Promise<unknown> | undefined;
  let again = false;
  /** Sends started by earlier claims and not yet recorded: a stop waits for them (the store closes after it). */
  const inFlight = new Set<Promise<unknown>>();
  const sendFailed = (e: unknown) => {
    metrics.storeErrors.inc({ operation: 'worker' });
    log(`worker send failed: ${(e as Error).message}`);
  };
  let stopped = false;
  let againTimers = false;
  /** One claim now, or right after the one running; `timers` also fires due escalation steps (the poll does). */
  const pump = (timers = true): Promise<{ sends: Promise<unknown> } | undefined> => {
    if (stopped) return Promise.resolve(undefined);
    if (running) {
      again = true;
      againTimers ||= timers;
      return running.then(() => undefined);
    }
    const claim = worker.pump({ timers }).then(
      (result) => {
        const sends = result.sends.catch(sendFailed).finally(() => inFlight.delete(sends));
        inFlight.add(sends);
        return result;
      },
      (e) => {
        metrics.storeErrors.inc({ operation: 'worker' });
        log(`worker round failed: ${(e as Error).message}`);
        return undefined;
      },
    );
    running = claim.finally(() => {
      running = undefined;
      if (again) {
        const withTimers = againTimers;
        again = againTimers = false;
        void pump(withTimers);
      }
    });
    return claim;
  };
  // Notifications stored in one turn of the event loop (a burst, several peers) share one claim.
  let kicked = false;
  const kick = () => {
    if (kicked) return;
    kicked = true;
    setImmediate(() => {
      kicked = false;
      void pump(false);
    });
  };

  /** A whole round: claimed, and its sends ended (tests; the loop does not wait for sends). */
  const round = async (): Promise<unknown> => {
    while (running) await running;
    const result = await pump();
    return result?.sends.catch(() => undefined);
  };

  const ctx: RelayContext = {
    store: options.store,
    get tokens() {
      return state.tokens;
    },
    metrics,
    dedupeWindowMs: options.dedupeWindowMs ?? 5 * 60_000,
    maxSilenceMs: options.maxSilenceMs ?? 7 * 24 * 3_600_000,
    silencer: () => alertmanagerSilencer(state.alertmanagers),
    startedAt: now(),
    now,
    state: () => state,
    async reload() {
      state = await load();
      zero(state.config);
      log(`reloaded ${options.buildDir}${options.environment === undefined ? '' : `/${options.environment}`}/ (relay.yml ${state.build.relayConfigSha256.slice(0, 12)})`);
    },
    kick,
    log,
  };

  const server = createServer((req, res) => {
    handle(ctx, req, res).catch((e) => {
      if (e instanceof HttpError) return sendError(res, e);
      log(`internal error on ${req.method} ${req.url}: ${(e as Error).stack ?? e}`);
      if (!res.headersSent) sendError(res, new HttpError(500, 'internal', 'internal error; see the relay log'));
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const timer = setInterval(() => void pump(), options.pollMs ?? 1_000);
  timer.unref();
  let checking = false;
  const silenceTimer = setInterval(() => {
    if (checking || state.alertmanagers.length === 0) return;
    checking = true;
    options.store
      .listAlerts({ status: 'closed' }, 1000, 0)
      .then(({ alerts }) => expireSilencesOfResolved(ctx.silencer(), alerts, (a) => options.store.setSilence(a.id, '')))
      .then((n) => n && log(`expired the silences of ${n} closed alert${n === 1 ? '' : 's'} that resolved`))
      .catch((e) => log(`checking the silences of closed alerts: ${(e as Error).message}`))
      .finally(() => (checking = false));
  }, options.silenceCheckMs ?? 60_000);
  silenceTimer.unref();
  void pump();
  return {
    url: `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`,
    server,
    worker,
    round,
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearInterval(silenceTimer);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await running;
      await Promise.all(inFlight);
    },
  };
}

const NOTIFY = /^\/api\/v1\/notify\/([A-Za-z]+)\/([^/]+)$/;
const CHAT_LINK = /^\/a\/([A-Za-z0-9_.-]{1,600})$/;
const ALERT = /^\/api\/v1\/alerts\/([A-Za-z0-9_-]{1,128})$/;
const ACTION = /^\/api\/v1\/alerts\/([A-Za-z0-9_-]{1,128})\/(confirm|close)$/;

async function handle(ctx: RelayContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://relay');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  const route = (allowed: string, run: () => unknown) => {
    if (method !== allowed) throw new HttpError(405, 'method_not_allowed', `${path} takes ${allowed}`);
    return run();
  };
  let m: RegExpExecArray | null;
  if (path === '/-/healthy') return void (await route('GET', () => health.healthy(ctx, req, res)));
  if (path === '/-/ready') return void (await route('GET', () => health.ready(ctx, req, res)));
  if (path === '/-/reload') return void (await route('POST', () => health.reload(ctx, req, res)));
  if (path === '/metrics') return void (await route('GET', () => health.metrics(ctx, req, res)));
  if (path === '/api/v1/status') return void (await route('GET', () => health.status(ctx, req, res)));
  if ((m = NOTIFY.exec(path))) {
    let receiver: string;
    try {
      receiver = decodeURIComponent(m[2]!);
    } catch {
      throw new HttpError(400, 'bad_path', 'the receiver name in the path is not valid percent-encoding');
    }
    return void (await route('POST', () => notify(ctx, req, res, { channel: m![1]!, receiver })));
  }
  if ((m = CHAT_LINK.exec(path))) {
    if (method !== 'GET' && method !== 'POST') throw new HttpError(405, 'method_not_allowed', `${path} takes GET or POST`);
    return void (await chatLink(ctx, req, res, m[1]!));
  }
  if (path === '/api/v1/alerts') return void (await route('GET', () => alerts.listAlerts(ctx, req, res, url)));
  if (path === '/api/v1/alerts/statistics') return void (await route('GET', () => alerts.statistics(ctx, req, res, url)));
  if ((m = ACTION.exec(path))) {
    const [, id, action] = m;
    return void (await route('POST', () => (action === 'confirm' ? alerts.confirm(ctx, req, res, id!) : alerts.close(ctx, req, res, id!))));
  }
  if ((m = ALERT.exec(path))) return void (await route('GET', () => alerts.getAlert(ctx, req, res, m![1]!)));
  throw new HttpError(404, 'not_found', `no such endpoint: ${method} ${path}`);
}
