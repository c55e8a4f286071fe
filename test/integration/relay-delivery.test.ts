// What the relays people run today get wrong, each proven against the DingTalk sink (which answers as DingTalk does):
// a group too big for one message, more alerts than a robot takes in a minute, a robot that keeps failing, and a
// store that cannot be written while a real Alertmanager keeps retrying.
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../src/deploy/target.ts';
import { secretReader } from '../../src/relay/secrets.ts';
import { startRelay, type RunningRelay } from '../../src/relay/server.ts';
import { openSqliteStore } from '../../src/relay/store/sqlite.ts';
import type { RelayStore } from '../../src/relay/types.ts';
import { startDingtalkSink, type DingtalkSink } from '../doubles/dingtalk-sink.ts';
import { REPO, runVigilAsync } from '../helpers/cli.ts';
import { findAlertmanager, freePort, serviceScope, type RunningAlertmanager } from '../helpers/services.ts';
import { webhookAlert, webhookPayload } from '../factories/index.ts';

const BASE = path.join(REPO, 'test/fixtures/base');
const NOTIFY = 'notify-token-delivery';
const READ = 'read-token-delivery';
const ROBOT = { token: 'busy-robot', secret: 'SECbusy' };
const MAX_BODY = 20_000;

/** A store whose writes fail while `broken` is set: the disk-full or lost-database case, at the store's edge. */
function breakable(store: RelayStore): RelayStore & { broken: boolean } {
  const wrapped = Object.create(store) as RelayStore & { broken: boolean };
  wrapped.broken = false;
  wrapped.ingest = (input) => (wrapped.broken ? Promise.reject(new Error('SQLITE_FULL: database or disk is full')) : store.ingest(input));
  return wrapped;
}

describe.skipIf(!findAlertmanager())('relay delivery under pressure', () => {
  const scope = serviceScope();
  let dir: string;
  let sink: DingtalkSink;
  let relay: RunningRelay;
  let store: RelayStore & { broken: boolean };
  let am: RunningAlertmanager;
  let port: number;
  let sequence = 0;

  const post = async (alerts: { name: string; description?: string }[]) => {
    const group = `group-${sequence++}`;
    const body = webhookPayload({
      groupKey: `{}:{g="${group}"}`,
      groupLabels: { g: group },
      externalURL: 'http://alertmanager.example.com',
      alerts: alerts.map((a, i) =>
        webhookAlert({
          labels: { alertname: a.name, severity: 'warning', service: 'svc', team: 'shop' },
          annotations: { summary: `${a.name} fired`, ...(a.description ? { description: a.description } : {}) },
          startsAt: new Date().toISOString(),
          fingerprint: `${group}-${i}`,
        }),
      ),
    });
    return fetch(`${relay.url}/api/v1/notify/dingtalk/oncall`, { method: 'POST', headers: { Authorization: `Bearer ${NOTIFY}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  };
  const received = () => sink.messages(ROBOT.token).map((m) => JSON.stringify(m.body));

  beforeAll(async () => {
    dir = await scope.tempDir('vigil-relay-delivery-');
    port = await freePort();
    const monitoring = path.join(dir, 'monitoring');
    await cp(BASE, monitoring, { recursive: true });
    await writeFile(path.join(dir, 'notify-token'), `${NOTIFY}\n`);
    await writeFile(path.join(dir, 'read-token'), `${READ}\n`);
    const edit = async (file: string, change: (text: string) => string) => writeFile(path.join(monitoring, file), change(await readFile(path.join(monitoring, file), 'utf8')));
    await edit('project.yaml', (t) => t.replace(/^relay: .*$/m, `relay: { url: "http://127.0.0.1:${port}", token: { file: "${dir}/notify-token" }, apiTokens: { read: { file: "${dir}/read-token" } } }`));
    await edit('receivers.yaml', (t) => t.replace('    sms: { to: ["+8613800000000"] }', '    dingtalk: { webhook: { env: VIGIL_TEST_DT }, secret: { env: VIGIL_TEST_DT_SECRET } }'));
    await edit('severities.yaml', (t) => t.replace('{ name: critical, groupWait: 10s, groupInterval: 1m, repeatInterval: 1h }', '{ name: critical, groupWait: 1s, groupInterval: 1s, repeatInterval: 1h }'));
    const build = await runVigilAsync(['build', monitoring, '--out', path.join(dir, 'generated')], dir);
    expect(build.code, build.stderr).toBe(0);
    sink = await startDingtalkSink({ robots: [ROBOT] });
    scope.onCleanup(() => sink.close());
    store = breakable(openSqliteStore(path.join(dir, 'relay.db')));
    await store.migrate();
    relay = await startRelay(
      { store, buildDir: path.join(dir, 'generated'), secrets: secretReader({ VIGIL_TEST_DT: sink.url(ROBOT.token), VIGIL_TEST_DT_SECRET: ROBOT.secret }), pollMs: 100, retryDelaysMs: [200, 200], language: 'en', timeZone: 'UTC', log: () => undefined },
      { host: '127.0.0.1', port },
    );
    scope.onCleanup(async () => {
      await relay.stop();
      await store.close();
    });
  }, 60_000);


  it('cuts a 30,000-byte group to fit the robot, says how many were left out, and DingTalk accepts it', async () => {
    const description = '磁盘延迟升高，'.repeat(60); // ~1.3 kB of UTF-8 each
    const alerts = Array.from({ length: 24 }, (_, i) => ({ name: `BigGroup${i}`, description }));
    expect(Buffer.byteLength(JSON.stringify(alerts))).toBeGreaterThan(30_000);
    expect((await post(alerts)).status).toBe(200);
    const message = await eventually(async () => {
      const m = sink.messages(ROBOT.token).find((x) => JSON.stringify(x.body).includes('BigGroup'));
      if (!m) throw new Error(`not delivered: ${JSON.stringify(sink.requests)}`);
      return m;
    }, 10_000);
    expect(Buffer.byteLength(JSON.stringify(message.body))).toBeLessThanOrEqual(MAX_BODY);
    expect(JSON.stringify(message.body)).toMatch(/and \d+ more/);
    expect(sink.requests.filter((r) => r.outcome !== 0)).toEqual([]);
  }, 20_000);

  it('takes 50 alerts in a minute for one robot: none lost, the robot never throttled, the rest as digests', async () => {
    const before = sink.messages(ROBOT.token).length;
    for (let i = 0; i < 50; i++) expect((await post([{ name: `Burst${String(i).padStart(2, '0')}` }])).status).toBe(200);
    await eventually(async () => {
      const all = received().join('\n');
      const missing = Array.from({ length: 50 }, (_, i) => `Burst${String(i).padStart(2, '0')}`).filter((n) => !all.includes(n));
      if (missing.length) throw new Error(`not delivered yet: ${missing.length}`);
    }, 30_000);
    // One rolling minute of this robot, counting the first test's message too: within DingTalk's 20.
    expect(sink.messages(ROBOT.token).length - before).toBeLessThanOrEqual(19);
    expect(sink.requests.filter((r) => r.outcome === 130101)).toEqual([]);
    expect(sink.isThrottled(ROBOT.token)).toBe(false);
  }, 40_000);

  it('retries a failing robot, then keeps the notice as a dead letter, in the history and in the metrics', async () => {
    // The bucket is spent by the burst: wait for one token, so what is tested is the retry, not the rate limit.
    await new Promise((r) => setTimeout(r, 3_500));
    sink.failNext(3, 'http500'); // the first try and both retries: nothing left over for the next test
    expect((await post([{ name: 'NeverArrives' }])).status).toBe(200);
    const alert = await eventually(async () => {
      const list = (await (await fetch(`${relay.url}/api/v1/alerts?limit=1000`, { headers: { Authorization: `Bearer ${READ}` } })).json()) as { alerts: { alert_id: string; rule_id: string }[] };
      const a = list.alerts.find((x) => x.rule_id === 'NeverArrives');
      if (!a) throw new Error('not recorded');
      const detail = (await (await fetch(`${relay.url}/api/v1/alerts/${a.alert_id}`, { headers: { Authorization: `Bearer ${READ}` } })).json()) as { events: { type: string }[] };
      if (!detail.events.some((e) => e.type === 'dead_lettered')) throw new Error('not dead yet');
      return detail;
    }, 30_000);
    expect(alert.events.filter((e) => e.type === 'notify_failed').length).toBe(2);
    expect(alert.events.filter((e) => e.type === 'notified')).toEqual([]);
    const metrics = await (await fetch(`${relay.url}/metrics`, { headers: { Authorization: `Bearer ${READ}` } })).text();
    expect(metrics).toMatch(/vigil_relay_dead_letters_total\{channel="dingtalk"\} 1/);
    expect(metrics).toMatch(/vigil_relay_dead_letters 1/);
  }, 40_000);

  it('answers 503 while the store cannot be written, and Alertmanager’s retry delivers once it can', async () => {
    am = await scope.startAlertmanager({ configFile: path.join(dir, 'generated/alertmanager/alertmanager.yml') });
    await new Promise((r) => setTimeout(r, 3_500));
    store.broken = true;
    const fired = await fetch(`${am.url}/api/v2/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify([{ labels: { alertname: 'StoreWasDown', severity: 'critical', service: 'svc', team: 'shop' }, annotations: { summary: 'x' } }]) });
    expect(fired.status).toBe(200);
    await eventually(async () => {
      const metrics = await (await fetch(`${relay.url}/metrics`, { headers: { Authorization: `Bearer ${READ}` } })).text();
      if (!/vigil_relay_notifications_received_total\{channel="dingtalk",result="store_error"\} [1-9]/.test(metrics)) throw new Error('Alertmanager has not posted yet');
    }, 20_000);
    expect(received().some((t) => t.includes('StoreWasDown'))).toBe(false);
    store.broken = false;
    await eventually(async () => {
      if (!received().some((t) => t.includes('StoreWasDown'))) throw new Error('not delivered after the store came back');
    }, 30_000);
  }, 60_000);
});
