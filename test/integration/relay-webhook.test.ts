// The signed webhook end to end: a real Alertmanager (Debian's) runs the alertmanager.yml Vigil built for a receiver
// with a `signedWebhook` channel, posts to the relay, and the relay posts its own signed body to a sink that verifies
// the signature and the timestamp window as docs/en/relay.md tells receivers to (401 otherwise). Proves: delivery
// with links, the resolved notice, a retry after 5xx, and a 400 ending as a dead letter without a retry.
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../src/deploy/target.ts';
import { secretReader } from '../../src/relay/secrets.ts';
import { startRelay, type RunningRelay } from '../../src/relay/server.ts';
import { openSqliteStore } from '../../src/relay/store/sqlite.ts';
import type { RelayStore } from '../../src/relay/types.ts';
import { startWebhookSink, type WebhookSink } from '../doubles/webhook-sink.ts';
import { REPO, runVigilAsync } from '../helpers/cli.ts';
import { findAlertmanager, freePort, serviceScope, type RunningAlertmanager } from '../helpers/services.ts';

const BASE = path.join(REPO, 'test/fixtures/base');
const NOTIFY_TOKEN = 'notify-token-webhook';
const READ_TOKEN = 'read-token-webhook';
const HOOK_SECRET = 'whsec-integration';

interface Body {
  version: string;
  kind: string;
  receiver: string;
  alerts: { id: string; alertname: string; severity: string; status: string; labels: Record<string, string>; startsAt: string; endsAt: string | null; links?: { confirm: string; close: string } }[];
}

describe.skipIf(!findAlertmanager())('the relay between a real Alertmanager and a signed webhook', () => {
  const scope = serviceScope();
  let dir: string;
  let sink: WebhookSink;
  let relay: RunningRelay;
  let store: RelayStore;
  let am: RunningAlertmanager;
  const logs: string[] = [];

  const startsAt = new Date(Date.now() - 1000).toISOString();
  const fire = async (service: string, endsAt?: string) => {
    const labels = { alertname: 'QueueDeep', severity: 'critical', service, team: 'shop' };
    const r = await fetch(`${am.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify([{ labels, annotations: { summary: `QueueDeep on ${service}` }, startsAt, ...(endsAt ? { endsAt } : {}) }]),
    });
    expect(r.status, await r.text()).toBe(200);
  };
  const bodies = () => sink.messages('oncall').map((m) => m.body as unknown as Body);
  const bodyFor = (service: string, kind: string) => bodies().find((b) => b.kind === kind && b.alerts.some((a) => a.labels.service === service));
  const api = async <T>(route: string): Promise<T> => (await (await fetch(`${relay.url}${route}`, { headers: { Authorization: `Bearer ${READ_TOKEN}` } })).json()) as T;
  const eventsOf = async (service: string) => {
    const list = await api<{ alerts: { alert_id: string; labels: Record<string, string> }[] }>('/api/v1/alerts?limit=1000');
    const alert = list.alerts.find((a) => a.labels.service === service);
    if (!alert) throw new Error(`alert of ${service} not recorded yet`);
    return (await api<{ events: { type: string; channel?: string; status?: number }[] }>(`/api/v1/alerts/${alert.alert_id}`)).events;
  };

  beforeAll(async () => {
    dir = await scope.tempDir('vigil-relay-webhook-');
    const port = await freePort();
    sink = await startWebhookSink({ endpoints: [{ name: 'oncall', secret: HOOK_SECRET }] });
    scope.onCleanup(() => sink.close());
    const monitoring = path.join(dir, 'monitoring');
    await cp(BASE, monitoring, { recursive: true });
    const edit = async (file: string, change: (text: string) => string) => writeFile(path.join(monitoring, file), change(await readFile(path.join(monitoring, file), 'utf8')));
    await writeFile(path.join(dir, 'notify-token'), `${NOTIFY_TOKEN}\n`);
    await writeFile(path.join(dir, 'read-token'), `${READ_TOKEN}\n`);
    await edit('project.yaml', (t) =>
      t.replace(
        'relay: { url: http://relay:9095, token: { env: VIGIL_RELAY_TOKEN },',
        `relay: { url: "http://127.0.0.1:${port}", publicUrl: "http://127.0.0.1:${port}", token: { file: "${dir}/notify-token" }, apiTokens: { read: { file: "${dir}/read-token" } },`,
      ),
    );
    await edit('receivers.yaml', (t) => t.replace('    sms: { to: ["+8613800000000"] }', `    signedWebhook: { url: "${sink.url('oncall')}", secret: { env: VIGIL_TEST_HOOK_SECRET } }`));
    await edit('severities.yaml', (t) => t.replace('{ name: critical, groupWait: 10s, groupInterval: 1m, repeatInterval: 1h }', '{ name: critical, groupWait: 1s, groupInterval: 1s, repeatInterval: 1h }'));
    const build = await runVigilAsync(['build', monitoring, '--out', path.join(dir, 'generated')], dir);
    expect(build.code, build.stderr).toBe(0);
    expect(await readFile(path.join(dir, 'generated/alertmanager/alertmanager.yml'), 'utf8')).toContain(`http://127.0.0.1:${port}/api/v1/notify/signedWebhook/oncall`);

    store = openSqliteStore(path.join(dir, 'relay.db'));
    await store.migrate();
    am = await scope.startAlertmanager({ configFile: path.join(dir, 'generated/alertmanager/alertmanager.yml') });
    relay = await startRelay(
      { store, buildDir: path.join(dir, 'generated'), requireNotifyToken: true, secrets: secretReader({ VIGIL_TEST_HOOK_SECRET: HOOK_SECRET }), pollMs: 100, retryDelaysMs: [300, 300], language: 'en', timeZone: 'UTC', log: (line) => void logs.push(line) },
      { host: '127.0.0.1', port },
    );
    scope.onCleanup(async () => {
      await relay.stop();
      await store.close();
    });
  }, 120_000);

  it('delivers a verified body (version 1) with the alert and its confirm and close links', async () => {
    await fire('checkout');
    const body = await eventually(async () => bodyFor('checkout', 'firing') ?? Promise.reject(new Error(`nothing verified yet: ${JSON.stringify(sink.requests)}`)), 30_000);
    expect(body).toMatchObject({ version: '1', kind: 'firing', receiver: 'oncall' });
    expect(body.alerts).toHaveLength(1);
    const [alert] = body.alerts;
    expect(alert).toMatchObject({ alertname: 'QueueDeep', severity: 'critical', status: 'open', endsAt: null, startsAt });
    expect(alert!.links!.confirm).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/a\/.+/);
    expect(alert!.links!.close).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/a\/.+/);
    // Every request the sink saw passed its signature and timestamp check (a bad one is answered 401).
    expect(sink.requests.map((r) => r.outcome)).toEqual(sink.requests.map(() => 200));
    expect((await fetch(alert!.links!.confirm)).status).toBe(200);
  }, 40_000);

  it('records the delivery in the alert’s history, on the signedWebhook channel', async () => {
    const events = await eventsOf('checkout');
    expect(events.filter((e) => e.type === 'notified').map((e) => e.channel)).toEqual(['signedWebhook']);
  });

  it('sends the resolved notice with the end time and without links', async () => {
    await fire('checkout', new Date(Date.now() - 500).toISOString());
    const body = await eventually(async () => bodyFor('checkout', 'resolved') ?? Promise.reject(new Error('no resolved notice yet')), 30_000);
    expect(body.alerts[0]).toMatchObject({ status: 'resolved', endsAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(body.alerts[0]).not.toHaveProperty('links');
  }, 40_000);

  it('retries an endpoint answering 5xx, and the retry is delivered', async () => {
    sink.failNext(2, 500);
    await fire('payments');
    await eventually(async () => bodyFor('payments', 'firing') ?? Promise.reject(new Error('not delivered after the retries')), 30_000);
    const events = await eventsOf('payments');
    expect(events.filter((e) => e.type === 'notify_failed')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'notified')).toHaveLength(1);
  }, 40_000);

  it('keeps what the endpoint refuses with 400 as a dead letter at once, without retrying it', async () => {
    sink.answerAlways('oncall', 400);
    const before = sink.requests.length;
    await fire('search');
    const events = await eventually(async () => {
      const e = await eventsOf('search');
      if (!e.some((x) => x.type === 'dead_lettered')) throw new Error('not dead yet');
      return e;
    }, 30_000);
    sink.answerAlways('oncall', undefined);
    expect(events.filter((e) => e.type === 'notified')).toEqual([]);
    expect(sink.requests.slice(before).filter((r) => r.outcome === 400)).toHaveLength(1);
    const metrics = await (await fetch(`${relay.url}/metrics`, { headers: { Authorization: `Bearer ${READ_TOKEN}` } })).text();
    expect(metrics).toMatch(/vigil_relay_dead_letters_total\{channel="signedWebhook"\} 1/);
  }, 40_000);

  it('logged no internal error and no failed worker round along the way', () => {
    expect(logs.filter((l) => /internal error|worker round failed|store error/.test(l))).toEqual([]);
  });
});
