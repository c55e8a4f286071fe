// The setup the relay's integration tests share: a copy of a project (the base fixture unless `from` names another,
// e.g. the example in examples/ml-platform/) with a relay on a free local port (tokens as files, which Alertmanager and
// the relay both read), built with `vigil build`, a real Alertmanager running the alertmanager.yml Vigil built (or what
// `alertmanagerConfig` makes of it), and the relay serving that build from a SQLite store in the same temp dir.
//
//   const project = await startRelayProject(scope, {
//     relayFields: `sms: { provider: tencent, …, endpoint: "${sink.url}" }`,
//     edits: { 'severities.yaml': (t) => t.replace(…) },
//     secrets: { VIGIL_TEST_TC_ID: 'AKID…' },
//   });
//   await project.fire({ alertname: 'QueueDeep', severity: 'critical', … });   → posted to Alertmanager
//   await project.api('/api/v1/alerts?status=open')                            → the relay's API (operate token)
import { cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { secretReader } from '../../src/relay/secrets.ts';
import { startRelay, type RelayOptions, type RunningRelay } from '../../src/relay/server.ts';
import { openSqliteStore } from '../../src/relay/store/sqlite.ts';
import type { RelayStore } from '../../src/relay/types.ts';
import { REPO, runVigilAsync } from './cli.ts';
import { freePort, type RunningAlertmanager, type ServiceScope } from './services.ts';

const BASE = path.join(REPO, 'test/fixtures/base');

export const RELAY_TOKENS = { notify: 'notify-token-for-tests', read: 'read-token-for-tests', operate: 'operate-token-for-tests' };

/** The base project's critical severity, and the same with Alertmanager's waits cut to a second (tests wait less). */
export const BASE_CRITICAL = '{ name: critical, groupWait: 10s, groupInterval: 1m, repeatInterval: 1h }';
export const FAST_CRITICAL = '{ name: critical, groupWait: 1s, groupInterval: 1s, repeatInterval: 1h }';

export interface RelayProjectOptions {
  /** The project directory to copy. Default: the base fixture. */
  from?: string;
  /** More fields of the Project's `relay:` mapping, as YAML flow text (`sms: { provider: http, url: "…" }`). */
  relayFields?: string;
  /** Changes to the base project's files (name → change of its text), made after the relay is set. */
  edits?: Record<string, (text: string) => string>;
  /** The environment the relay reads its secret references from. */
  secrets?: Record<string, string>;
  /** Relay options beyond what the project decides (clock, retries, poll interval, …). */
  relay?: Partial<Omit<RelayOptions, 'store' | 'buildDir' | 'secrets'>>;
  /**
   * The alertmanager.yml Alertmanager runs, made from the one Vigil built (as deploy would: secret placeholders
   * filled, …). Default: the built file as it is.
   */
  alertmanagerConfig?: (built: string, build: { dir: string; generated: string }) => Promise<string>;
}

export interface RelayProject {
  dir: string;
  relay: RunningRelay;
  store: RelayStore;
  am: RunningAlertmanager;
  /** What the relay logged. */
  logs: string[];
  /** The relay's API with the operate token (or `token`; '' for none); JSON answers parsed. */
  api(pathname: string, init?: { method?: string; body?: unknown; token?: string }): Promise<{ status: number; body: any }>;
  /**
   * Posts one alert to Alertmanager, as Prometheus does: the same startsAt for every post of one firing, endsAt to
   * resolve it. Annotations: a summary naming the alert and service, unless given.
   */
  fire(labels: Record<string, string>, endsAt?: string, annotations?: Record<string, string>): Promise<void>;
  /** The relay's id of the alert with these labels once it has recorded it (waits for it). */
  alertId(match: (labels: Record<string, string>) => boolean, timeoutMs?: number): Promise<string>;
}

export async function startRelayProject(scope: ServiceScope, options: RelayProjectOptions = {}): Promise<RelayProject> {
  const dir = await scope.tempDir('vigil-relay-project-');
  const port = await freePort();
  const monitoring = path.join(dir, 'monitoring');
  await cp(options.from ?? BASE, monitoring, { recursive: true });
  await linkDefinitionPackages(dir);
  const tokenFile = async (name: string, value: string) => {
    const file = path.join(dir, name);
    await writeFile(file, `${value}\n`);
    return file;
  };
  const [notify, read, operate] = [await tokenFile('notify-token', RELAY_TOKENS.notify), await tokenFile('read-token', RELAY_TOKENS.read), await tokenFile('operate-token', RELAY_TOKENS.operate)];
  const url = `http://127.0.0.1:${port}`;
  const relayLine = `relay: { url: "${url}", publicUrl: "${url}", token: { file: "${notify}" }, apiTokens: { read: { file: "${read}" }, operate: { file: "${operate}" } }${options.relayFields ? `, ${options.relayFields}` : ''} }`;
  // The Project's `relay:` mapping, one line (flow) or a block of indented lines, becomes relayLine.
  const edits: Record<string, (text: string) => string> = { 'project.yaml': (t) => t.replace(/^relay:.*(?:\n[ \t]+.*)*/m, relayLine) };
  for (const [file, change] of Object.entries(options.edits ?? {})) {
    const before = edits[file];
    edits[file] = before ? (t) => change(before(t)) : change;
  }
  for (const [file, change] of Object.entries(edits)) {
    const full = path.join(monitoring, file);
    const text = await readFile(full, 'utf8');
    const changed = change(text);
    if (changed === text) throw new Error(`relay project: the edit of ${file} changed nothing (the base fixture moved?)`);
    await writeFile(full, changed);
  }
  const build = await runVigilAsync(['build', monitoring, '--out', path.join(dir, 'generated')], dir);
  expect(build.code, build.stderr).toBe(0);

  const am = await scope.startAlertmanager({ configFile: await alertmanagerConfigFile(dir, options.alertmanagerConfig) });
  const store = openSqliteStore(path.join(dir, 'relay.db'));
  await store.migrate();
  const logs: string[] = [];
  const relay = await startRelay(
    {
      requireNotifyToken: true,
      alertmanagers: [am.url],
      pollMs: 200,
      language: 'en',
      timeZone: 'UTC',
      log: (line) => void logs.push(line),
      ...options.relay,
      store,
      buildDir: path.join(dir, 'generated'),
      secrets: secretReader(options.secrets ?? {}),
    },
    { host: '127.0.0.1', port },
  );
  scope.onCleanup(async () => {
    await relay.stop();
    await store.close();
  });

  const api: RelayProject['api'] = async (pathname, init = {}) => {
    const token = init.token ?? RELAY_TOKENS.operate;
    const r = await fetch(`${relay.url}${pathname}`, {
      method: init.method ?? 'GET',
      headers: { ...(token === '' ? {} : { Authorization: `Bearer ${token}` }), 'Content-Type': 'application/json' },
      ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
    });
    const text = await r.text();
    return { status: r.status, body: text.startsWith('{') ? JSON.parse(text) : text };
  };
  const startedAt = new Map<string, string>();
  const fire: RelayProject['fire'] = async (labels, endsAt, annotations) => {
    const key = JSON.stringify(labels);
    if (!startedAt.has(key)) startedAt.set(key, new Date(Date.now() - 1000).toISOString());
    const r = await fetch(`${am.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify([{ labels, annotations: annotations ?? { summary: `${labels.alertname} on ${labels.service}` }, startsAt: startedAt.get(key), ...(endsAt ? { endsAt } : {}) }]),
    });
    expect(r.status, await r.text()).toBe(200);
  };
  const alertId: RelayProject['alertId'] = async (match, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const list = await api('/api/v1/alerts', { token: RELAY_TOKENS.read });
      const found = (list.body as { alerts?: { alert_id: string; labels: Record<string, string> }[] }).alerts?.find((a) => match(a.labels));
      if (found) return found.alert_id;
      if (Date.now() > deadline) throw new Error(`the relay recorded no such alert within ${timeoutMs} ms (answer ${list.status})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  return { dir, relay, store, am, logs, api, fire, alertId };
}

/**
 * Definitions in TypeScript import `vigil` and the Grafana SDK (the example's dashboards/inference.ts); outside the
 * repository nothing resolves them, so the copy gets a node_modules with just those, linked to the repository's.
 */
async function linkDefinitionPackages(dir: string): Promise<void> {
  const modules = path.join(dir, 'node_modules');
  await mkdir(modules, { recursive: true });
  await symlink(REPO, path.join(modules, 'vigil'), 'dir');
  await symlink(path.join(REPO, 'node_modules/@grafana'), path.join(modules, '@grafana'), 'dir');
}

/** The built alertmanager.yml, or what `make` makes of it next to a copy of its templates (paths in it are relative). */
async function alertmanagerConfigFile(dir: string, make: RelayProjectOptions['alertmanagerConfig']): Promise<string> {
  const generated = path.join(dir, 'generated');
  const built = path.join(generated, 'alertmanager/alertmanager.yml');
  if (!make) return built;
  const live = path.join(dir, 'alertmanager');
  await cp(path.join(generated, 'alertmanager/templates'), path.join(live, 'templates'), { recursive: true });
  const file = path.join(live, 'alertmanager.yml');
  await writeFile(file, await make(await readFile(built, 'utf8'), { dir, generated }), { mode: 0o600 });
  return file;
}
