// The WeCom group robot end to end: a real Alertmanager (Debian's) runs the alertmanager.yml Vigil built for a
// receiver with a `wecomRobot` channel, posts its webhook to the relay, and the relay delivers to a sink that checks
// what WeCom checks (key, msgtype, markdown.content ≤ 4,096 bytes, 20 messages a minute).
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../src/deploy/target.ts';
import { secretReader } from '../../src/relay/secrets.ts';
import { startRelay, type RunningRelay } from '../../src/relay/server.ts';
import { openSqliteStore } from '../../src/relay/store/sqlite.ts';
import type { RelayStore } from '../../src/relay/types.ts';
import { startWecomRobotSink, type WecomRobotSink } from '../doubles/wecom-robot-sink.ts';
import { REPO, runVigilAsync } from '../helpers/cli.ts';
import { findAlertmanager, freePort, serviceScope, type RunningAlertmanager } from '../helpers/services.ts';

const BASE = path.join(REPO, 'test/fixtures/base');
const NOTIFY_TOKEN = 'notify-token-for-tests';
const READ_TOKEN = 'read-token';
const ROBOT_KEY = '693a91f6-7f9c-4bc4-97a0-0ec2e1e7a5aa';

describe.skipIf(!findAlertmanager())('the relay between a real Alertmanager and a WeCom group robot', () => {
  const scope = serviceScope();
  let dir: string;
  let sink: WecomRobotSink;
  let relay: RunningRelay;
  let store: RelayStore;
  let am: RunningAlertmanager;
  const logs: string[] = [];

  const startsAt = new Date(Date.now() - 1000).toISOString();
  const labels = { alertname: 'QueueDeep', severity: 'critical', service: 'checkout', team: 'shop' };
  const fire = async (endsAt?: string) => {
    const r = await fetch(`${am.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify([{ labels, annotations: { summary: 'QueueDeep on checkout' }, startsAt, ...(endsAt ? { endsAt } : {}) }]),
    });
    expect(r.status, await r.text()).toBe(200);
  };
  const contents = () => sink.messages(ROBOT_KEY).map((m) => (m.body as { markdown: { content: string } }).markdown.content);

  beforeAll(async () => {
    dir = await scope.tempDir('vigil-relay-wecom-');
    const port = await freePort();
    sink = await startWecomRobotSink({ keys: [ROBOT_KEY] });
    scope.onCleanup(() => sink.close());
    const monitoring = path.join(dir, 'monitoring');
    await cp(BASE, monitoring, { recursive: true });
    const edit = async (file: string, change: (text: string) => string) => writeFile(path.join(monitoring, file), change(await readFile(path.join(monitoring, file), 'utf8')));
    const tokenFile = async (name: string, value: string) => {
      const file = path.join(dir, name);
      await writeFile(file, `${value}\n`);
      return file;
    };
    // Alertmanager reads its bearer token from the same file the relay does.
    const notifyToken = await tokenFile('notify-token', NOTIFY_TOKEN);
    const readToken = await tokenFile('read-token', READ_TOKEN);
    await edit('project.yaml', (t) =>
      t.replace(
        'relay: { url: http://relay:9095, token: { env: VIGIL_RELAY_TOKEN },',
        `relay: { url: "http://127.0.0.1:${port}", publicUrl: "http://127.0.0.1:${port}", token: { file: "${notifyToken}" }, apiTokens: { read: { file: "${readToken}" } },`,
      ),
    );
    // The oncall receiver's only channel becomes the robot (its SMS would go to a gateway this test has not).
    await edit('receivers.yaml', (t) => t.replace('    sms: { to: ["+8613800000000"] }', '    wecomRobot: { webhook: { env: VIGIL_TEST_WECOM_ROBOT }, mentions: [zhang.san] }'));
    await edit('severities.yaml', (t) => t.replace('{ name: critical, groupWait: 10s, groupInterval: 1m, repeatInterval: 1h }', '{ name: critical, groupWait: 1s, groupInterval: 1s, repeatInterval: 1h }'));
    const build = await runVigilAsync(['build', monitoring, '--out', path.join(dir, 'generated')], dir);
    expect(build.code, build.stderr).toBe(0);
    expect(await readFile(path.join(dir, 'generated/alertmanager/alertmanager.yml'), 'utf8')).toContain(`http://127.0.0.1:${port}/api/v1/notify/wecomRobot/oncall`);

    store = openSqliteStore(path.join(dir, 'relay.db'));
    await store.migrate();
    const secrets = secretReader({ VIGIL_TEST_WECOM_ROBOT: sink.url(ROBOT_KEY) });
    am = await scope.startAlertmanager({ configFile: path.join(dir, 'generated/alertmanager/alertmanager.yml') });
    relay = await startRelay({ store, buildDir: path.join(dir, 'generated'), requireNotifyToken: true, alertmanagers: [am.url], silenceCheckMs: 500, secrets, pollMs: 200, language: 'zh', timeZone: 'Asia/Shanghai', log: (line) => void logs.push(line) }, { host: '127.0.0.1', port });
    scope.onCleanup(async () => {
      await relay.stop();
      await store.close();
    });
  }, 120_000);

  it('delivers a critical alert to the robot as markdown, with the mention and the confirm and close links', async () => {
    await fire();
    const [content] = await eventually(async () => {
      const c = contents();
      if (!c.length) throw new Error(`no WeCom message yet (${sink.requests.length} requests)`);
      return c;
    }, 30_000);
    expect(content!.split('\n')[0]).toBe('### <font color="warning">【告警】critical：QueueDeep</font>');
    expect(content).toContain('> 摘要：QueueDeep on checkout');
    expect(content).toContain('service=checkout');
    expect(content!.split('\n').at(-1)).toBe('<@zhang.san>');
    expect(content).toMatch(new RegExp(`\\[确认\\]\\(http://127\\.0\\.0\\.1:\\d+/a/[^)]+\\) · \\[关闭\\]\\(http://127\\.0\\.0\\.1:\\d+/a/[^)]+\\)`));
    // Every request the sink saw was accepted (a wrong key, body or size is answered with a non-zero errcode).
    expect(sink.requests.map((r) => r.outcome)).toEqual(sink.requests.map(() => 0));
  }, 40_000);

  it('records the delivery in the alert’s history, on the wecomRobot channel', async () => {
    const list = await fetch(`${relay.url}/api/v1/alerts?status=open`, { headers: { Authorization: `Bearer ${READ_TOKEN}` } });
    const alerts = ((await list.json()) as { alerts: { alert_id: string; labels: Record<string, string> }[] }).alerts.filter((a) => a.labels.service === 'checkout');
    expect(alerts).toHaveLength(1);
    const detail = await fetch(`${relay.url}/api/v1/alerts/${alerts[0]!.alert_id}`, { headers: { Authorization: `Bearer ${READ_TOKEN}` } });
    const events = ((await detail.json()) as { events: { type: string; channel?: string }[] }).events;
    expect(events.filter((e) => e.type === 'notified').map((e) => e.channel)).toEqual(['wecomRobot']);
  });

  it('sends the resolved notice, green and without links', async () => {
    await fire(new Date(Date.now() - 500).toISOString());
    const resolved = await eventually(async () => {
      const c = contents().find((x) => x.includes('【恢复】'));
      if (!c) throw new Error('no resolved notice yet');
      return c;
    }, 30_000);
    expect(resolved.split('\n')[0]).toBe('### <font color="info">【恢复】critical：QueueDeep</font>');
    expect(resolved).toContain('> 结束时间：');
    expect(resolved).not.toContain('/a/');
  }, 40_000);

  it('logged no internal error and no failed worker round along the way', () => {
    expect(logs.filter((l) => /internal error|worker round failed|store error/.test(l))).toEqual([]);
  });
});
