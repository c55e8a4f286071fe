// A receiver's fallback, end to end: a DingTalk robot that keeps refusing (the sink answers errcode 310000, a wrong
// signature) makes the notice a dead letter, and the relay hands the same alert to the fallback receiver's SMS,
// through the HTTP gateway sink; the history and /metrics say so.
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../src/deploy/target.ts';
import { secretReader } from '../../src/relay/secrets.ts';
import { startRelay, type RunningRelay } from '../../src/relay/server.ts';
import { openSqliteStore } from '../../src/relay/store/sqlite.ts';
import type { RelayStore } from '../../src/relay/types.ts';
import { startDingtalkSink, type DingtalkSink } from '../doubles/dingtalk-sink.ts';
import { startHttpSmsSink, type HttpSmsSink } from '../doubles/http-sms-sink.ts';
import { REPO, runVigilAsync } from '../helpers/cli.ts';
import { freePort, serviceScope } from '../helpers/services.ts';
import { webhookAlert, webhookPayload } from '../factories/index.ts';

const BASE = path.join(REPO, 'test/fixtures/base');
const NOTIFY = 'notify-token-fallback';
const READ = 'read-token-fallback';
const GATEWAY_TOKEN = 'gateway-token-fallback';
const ROBOT = { token: 'refusing-robot', secret: 'SECright' };

describe('relay fallback receiver', () => {
  const scope = serviceScope();
  let sink: DingtalkSink;
  let gateway: HttpSmsSink;
  let relay: RunningRelay;
  let store: RelayStore;

  beforeAll(async () => {
    const dir = await scope.tempDir('vigil-relay-fallback-');
    const port = await freePort();
    sink = await startDingtalkSink({ robots: [ROBOT] });
    scope.onCleanup(() => sink.close());
    gateway = await startHttpSmsSink({ token: GATEWAY_TOKEN });
    scope.onCleanup(() => gateway.close());
    const monitoring = path.join(dir, 'monitoring');
    await cp(BASE, monitoring, { recursive: true });
    await writeFile(path.join(dir, 'notify-token'), `${NOTIFY}\n`);
    await writeFile(path.join(dir, 'read-token'), `${READ}\n`);
    const edit = async (file: string, change: (text: string) => string) => writeFile(path.join(monitoring, file), change(await readFile(path.join(monitoring, file), 'utf8')));
    await edit('project.yaml', (t) =>
      t.replace(/^relay: .*$/m, `relay: { url: "http://127.0.0.1:${port}", token: { file: "${dir}/notify-token" }, apiTokens: { read: { file: "${dir}/read-token" } }, sms: { provider: http, url: "${gateway.url}", token: { env: VIGIL_TEST_GATEWAY_TOKEN } } }`),
    );
    await edit('receivers.yaml', (t) => t.replace('    sms: { to: ["+8613800000000"] }', '    dingtalk: { webhook: { env: VIGIL_TEST_DT }, secret: { env: VIGIL_TEST_DT_SECRET } }') + '    fallback: pager\n  - name: pager\n    sms: { to: ["+8613900000000"] }\n');
    const generated = path.join(dir, 'generated');
    const build = await runVigilAsync(['build', monitoring, '--out', generated], dir);
    expect(build.code, build.stderr).toBe(0);
    store = openSqliteStore(path.join(dir, 'relay.db'));
    relay = await startRelay(
      {
        store,
        buildDir: generated,
        // A signing secret the robot does not know: every message is refused with errcode 310000.
        secrets: secretReader({ VIGIL_TEST_DT: sink.url(ROBOT.token), VIGIL_TEST_DT_SECRET: 'SECwrong', VIGIL_TEST_GATEWAY_TOKEN: GATEWAY_TOKEN }),
        pollMs: 100,
        retryDelaysMs: [100, 100],
        language: 'en',
        timeZone: 'UTC',
        log: () => undefined,
      },
      { host: '127.0.0.1', port },
    );
    scope.onCleanup(async () => {
      await relay.stop();
      await store.close();
    });
  }, 60_000);

  it('hands a dead letter to the fallback’s SMS: delivered, in the history, counted', async () => {
    const body = webhookPayload({
      externalURL: 'http://alertmanager.example.com',
      alerts: [webhookAlert({ labels: { alertname: 'DiskFull', severity: 'critical', service: 'db', team: 'shop' }, annotations: { summary: 'Disk of db is full' }, startsAt: new Date().toISOString() })],
    });
    const answer = await fetch(`${relay.url}/api/v1/notify/dingtalk/oncall`, { method: 'POST', headers: { Authorization: `Bearer ${NOTIFY}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect(answer.status).toBe(200);

    const sms = await eventually(async () => {
      const m = gateway.messages.find((x) => x.text.includes('DiskFull'));
      if (!m) throw new Error(`no SMS yet; DingTalk answered ${JSON.stringify(sink.requests.map((r) => r.outcome))}`);
      return m;
    }, 15_000);
    expect(sms.to).toEqual(['+8613900000000']);
    // DingTalk refused every try (the first and both retries) and accepted nothing.
    expect(sink.messages(ROBOT.token)).toEqual([]);
    expect(sink.requests.length).toBeGreaterThanOrEqual(1);

    const read = { headers: { Authorization: `Bearer ${READ}` } };
    const list = (await (await fetch(`${relay.url}/api/v1/alerts?limit=10`, read)).json()) as { alerts: { alert_id: string; rule_id: string }[] };
    const id = list.alerts.find((a) => a.rule_id === 'DiskFull')!.alert_id;
    const detail = await eventually(async () => {
      const d = (await (await fetch(`${relay.url}/api/v1/alerts/${id}`, read)).json()) as { events: ({ type: string } & Record<string, unknown>)[] };
      if (!d.events.some((e) => e.type === 'notified')) throw new Error('the SMS is not recorded yet');
      return d;
    }, 5_000);
    const types = detail.events.map((e) => e.type);
    expect(types.indexOf('dead_lettered')).toBeGreaterThan(-1);
    expect(types.indexOf('fallback')).toBe(types.indexOf('dead_lettered') + 1);
    expect(detail.events.find((e) => e.type === 'fallback')).toMatchObject({ from: 'oncall', fromChannel: 'dingtalk', receiver: 'pager', channel: 'sms' });
    expect(detail.events.find((e) => e.type === 'notified')).toMatchObject({ receiver: 'pager', channel: 'sms' });

    const metrics = await (await fetch(`${relay.url}/metrics`, read)).text();
    expect(metrics).toMatch(/^vigil_relay_fallbacks_total\{channel="dingtalk"\} 1$/m);
    expect(metrics).toMatch(/^vigil_relay_dead_letters_total\{channel="dingtalk"\} 1$/m);
    expect(metrics).toMatch(/^vigil_relay_fallbacks_total\{channel="sms"\} 0$/m);
  }, 30_000);
});
