// The relay end to end: a real Alertmanager (Debian's) runs the alertmanager.yml Vigil built, posts its webhooks to the
// relay, and the relay delivers to a DingTalk sink that checks what DingTalk checks (signature, timestamp window,
// errcodes, 20 messages a minute). Escalation, confirm and history are read back through the relay's API.
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../src/deploy/target.ts';
import { secretReader } from '../../src/relay/secrets.ts';
import { startRelay, type RunningRelay } from '../../src/relay/server.ts';
import { openSqliteStore } from '../../src/relay/store/sqlite.ts';
import type { RelayStore } from '../../src/relay/types.ts';
import { startAliyunSmsSink, type AliyunSmsSink } from '../doubles/aliyun-sms-sink.ts';
import { startDingtalkSink, type DingtalkSink } from '../doubles/dingtalk-sink.ts';
import { startSmtpSink, type SmtpSink } from '../doubles/smtp-sink.ts';
import { REPO, runVigilAsync } from '../helpers/cli.ts';
import { findAlertmanager, freePort, serviceScope, type RunningAlertmanager } from '../helpers/services.ts';
import { webhookAlert, webhookPayload } from '../factories/index.ts';

const BASE = path.join(REPO, 'test/fixtures/base');
const TOKENS = { notify: ['notify-token-for-tests'], read: ['read-token'], operate: ['operate-token'] };
const ONCALL = { token: 'oncall-robot', secret: 'SECd0c3a7e1b2f4' };
const LEAD = { token: 'lead-robot', secret: 'SEC9f8e7d6c5b4a' };
const ALIYUN = { accessKeyId: 'LTAI-test', accessKeySecret: 'aliyun-test-secret' };

describe.skipIf(!findAlertmanager())('the relay between a real Alertmanager and DingTalk', () => {
  const scope = serviceScope();
  let dir: string;
  let sink: DingtalkSink;
  let sms: AliyunSmsSink;
  let smtp: SmtpSink;
  let relay: RunningRelay;
  let store: RelayStore;
  let am: RunningAlertmanager;
  const logs: string[] = [];

  const api = async (pathname: string, init: { method?: string; body?: unknown; token?: string } = {}) => {
    const r = await fetch(`${relay.url}${pathname}`, {
      method: init.method ?? 'GET',
      headers: { ...(init.token === '' ? {} : { Authorization: `Bearer ${init.token ?? TOKENS.operate[0]}` }), 'Content-Type': 'application/json' },
      ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
    });
    const text = await r.text();
    return { status: r.status, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, any>) : text };
  };
  // As Prometheus does: the same startsAt for every post of one firing, endsAt to resolve it.
  const startedAt = new Map<string, string>();
  const fire = async (labels: Record<string, string>, endsAt?: string) => {
    const key = JSON.stringify(labels);
    if (!startedAt.has(key)) startedAt.set(key, new Date(Date.now() - 1000).toISOString());
    const r = await fetch(`${am.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify([{ labels, annotations: { summary: `${labels.alertname} on ${labels.service}` }, startsAt: startedAt.get(key), ...(endsAt ? { endsAt } : {}) }]),
    });
    expect(r.status, await r.text()).toBe(200);
  };
  const texts = (token: string) => sink.messages(token).map((m) => JSON.stringify(m.body));

  beforeAll(async () => {
    dir = await scope.tempDir('vigil-relay-');
    const port = await freePort();
    sink = await startDingtalkSink({ robots: [ONCALL, LEAD] });
    scope.onCleanup(() => sink.close());
    sms = await startAliyunSmsSink({ accounts: [ALIYUN], signNames: ['Vigil'], templateCodes: ['SMS_0001'] });
    scope.onCleanup(() => sms.close());
    smtp = await startSmtpSink();
    scope.onCleanup(() => smtp.close());
    const monitoring = path.join(dir, 'monitoring');
    await cp(BASE, monitoring, { recursive: true });
    const edit = async (file: string, change: (text: string) => string) => writeFile(path.join(monitoring, file), change(await readFile(path.join(monitoring, file), 'utf8')));
    // Tokens as files: Alertmanager reads its bearer token from the same file the relay does.
    const tokenFile = async (name: string, value: string) => {
      const file = path.join(dir, name);
      await writeFile(file, `${value}\n`);
      return file;
    };
    const notifyToken = await tokenFile('notify-token', TOKENS.notify[0]!);
    const readToken = await tokenFile('read-token', TOKENS.read[0]!);
    const operateToken = await tokenFile('operate-token', TOKENS.operate[0]!);
    await edit('project.yaml', (t) =>
      t.replace(
        'relay: { url: http://relay:9095, token: { env: VIGIL_RELAY_TOKEN }, sms: { provider: http, url: "https://sms-gateway.example.com/send" } }',
        `relay: { url: "http://127.0.0.1:${port}", publicUrl: "http://127.0.0.1:${port}", token: { file: "${notifyToken}" }, apiTokens: { read: { file: "${readToken}" }, operate: { file: "${operateToken}" } }, sms: { provider: aliyun, accessKeyId: { env: VIGIL_TEST_ALIYUN_ID }, accessKeySecret: { env: VIGIL_TEST_ALIYUN_SECRET }, signName: Vigil, templateCode: SMS_0001, endpoint: "${sms.url}" } }`,
      ).replace('smtp: { smarthost: "smtp.example.com:587", from: alerts@example.com }', `smtp: { smarthost: "${smtp.host}:${smtp.port}", from: alerts@example.com, requireTls: false }`),
    );
    await edit('receivers.yaml', (t) =>
      t.replace('    sms: { to: ["+8613800000000"] }', '    sms: { to: ["+8613800000000"] }\n    dingtalk: { webhook: { env: VIGIL_TEST_DT_ONCALL }, secret: { env: VIGIL_TEST_DT_ONCALL_SECRET }, atMobiles: ["13800000000"] }') +
      '  - name: lead\n    dingtalk: { webhook: { env: VIGIL_TEST_DT_LEAD }, secret: { env: VIGIL_TEST_DT_LEAD_SECRET } }\n    email: { to: [lead@example.com] }\n',
    );
    await edit('severities.yaml', (t) => t.replace('{ name: critical, groupWait: 10s, groupInterval: 1m, repeatInterval: 1h }', '{ name: critical, groupWait: 1s, groupInterval: 1s, repeatInterval: 1h, escalation: [{ after: 4s, receivers: [lead] }] }'));
    const build = await runVigilAsync(['build', monitoring, '--out', path.join(dir, 'generated')], dir);
    expect(build.code, build.stderr).toBe(0);

    store = openSqliteStore(path.join(dir, 'relay.db'));
    await store.migrate();
    const secrets = secretReader({ VIGIL_TEST_DT_ONCALL: sink.url(ONCALL.token), VIGIL_TEST_DT_ONCALL_SECRET: ONCALL.secret, VIGIL_TEST_DT_LEAD: sink.url(LEAD.token), VIGIL_TEST_DT_LEAD_SECRET: LEAD.secret, VIGIL_TEST_ALIYUN_ID: ALIYUN.accessKeyId, VIGIL_TEST_ALIYUN_SECRET: ALIYUN.accessKeySecret });
    am = await scope.startAlertmanager({ configFile: path.join(dir, 'generated/alertmanager/alertmanager.yml') });
    relay = await startRelay({ store, buildDir: path.join(dir, 'generated'), requireNotifyToken: true, alertmanagers: [am.url], silenceCheckMs: 500, secrets, pollMs: 200, language: 'en', timeZone: 'UTC', log: (line) => void logs.push(line) }, { host: '127.0.0.1', port });
    scope.onCleanup(async () => {
      await relay.stop();
      await store.close();
    });
  }, 120_000);

  it('delivers a critical alert to the oncall robot, signed, with the mention in the text', async () => {
    await fire({ alertname: 'QueueDeep', severity: 'critical', service: 'checkout', team: 'shop' });
    const [message] = await eventually(async () => {
      const m = sink.messages(ONCALL.token);
      if (!m.length) throw new Error('no DingTalk message yet');
      return m;
    }, 30_000);
    const text = JSON.stringify(message!.body);
    expect(text).toContain('QueueDeep');
    expect(text).toContain('checkout');
    expect(text).toContain('@13800000000');
    expect((message!.body as { at?: { atMobiles?: string[] } }).at?.atMobiles).toEqual(['13800000000']);
    // Every request the sink saw carried a valid signature (else it answers 310000 and records it).
    expect(sink.requests.filter((r) => r.outcome !== 0)).toEqual([]);
  }, 40_000);

  it('sends the oncall SMS through Aliyun, signed, with the alert in the template variables', async () => {
    const message = await eventually(async () => {
      const m = sms.messages.find((x) => x.templateParam.alertname === 'QueueDeep');
      if (!m) throw new Error(`no SMS yet (${sms.requests.length} requests)`);
      return m;
    }, 20_000);
    expect(message.phoneNumbers).toEqual(['+8613800000000']);
    expect(message.signName).toBe('Vigil');
    expect(message.templateParam.severity).toBe('critical');
    // Every request carried a valid signature: the sink refuses others and records what it answered.
    expect(sms.requests.map((r) => r.code)).toEqual(sms.requests.map(() => 'OK'));
  }, 30_000);

  it('records the alert once, open, with its history, and escalates it to the lead after 4 s', async () => {
    const list = await api('/api/v1/alerts?status=open&severity=critical', { token: TOKENS.read[0] });
    expect(list.status).toBe(200);
    const alerts = (list.body as { total: number; alerts: { alert_id: string; rule_id: string; labels: Record<string, string> }[] }).alerts.filter((a) => a.rule_id === 'QueueDeep');
    expect(alerts).toHaveLength(1);
    const escalation = await eventually(async () => {
      const m = texts(LEAD.token).find((t) => t.includes('QueueDeep'));
      if (!m) throw new Error('not escalated yet');
      return m;
    }, 20_000);
    expect(escalation).toMatch(/ESCALATED/);
    // The lead's email tier too: mailed by the relay itself (Alertmanager mails only what routes send it).
    const mail = await eventually(async () => {
      const m = smtp.mails.find((x) => x.envelope.to.includes('lead@example.com'));
      if (!m) throw new Error('no escalation mail yet');
      return m;
    }, 20_000);
    expect(mail.parsed.subject).toMatch(/ESCALATED.*QueueDeep/);
    const detail = await api(`/api/v1/alerts/${alerts[0]!.alert_id}`, { token: TOKENS.read[0] });
    const types = (detail.body as { events: { type: string }[] }).events.map((e) => e.type);
    expect(types).toContain('received');
    expect(types).toContain('notified');
    expect(types).toContain('escalated');
  }, 40_000);

  it('does not escalate an alert confirmed in time, and answers confirm in the seed’s shape', async () => {
    await fire({ alertname: 'QueueDeep', severity: 'critical', service: 'billing', team: 'shop' });
    const id = await eventually(async () => {
      const list = await api('/api/v1/alerts?status=open', { token: TOKENS.read[0] });
      const a = (list.body as { alerts: { alert_id: string; labels: Record<string, string> }[] }).alerts.find((x) => x.labels.service === 'billing');
      if (!a) throw new Error('not recorded yet');
      return a.alert_id;
    }, 20_000);
    const confirmed = await api(`/api/v1/alerts/${id}/confirm`, { method: 'POST', body: { user_id: 'li.wei', comment: 'looking' } });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ alert_id: id, status: 'confirmed', confirmed_by: 'li.wei' });
    expect(Date.parse((confirmed.body as { confirmed_at: string }).confirmed_at)).toBeGreaterThan(0);
    const again = await api(`/api/v1/alerts/${id}/confirm`, { method: 'POST', body: { user_id: 'li.wei' } });
    expect(again.status).toBe(409);
    await new Promise((r) => setTimeout(r, 6_000));
    expect(texts(LEAD.token).some((t) => t.includes('billing'))).toBe(false);
    // Confirming stops escalation, not the first notice: oncall was told.
    expect(texts(ONCALL.token).some((t) => t.includes('billing'))).toBe(true);
  }, 40_000);

  it('sends the resolved notice and records the alert as resolved', async () => {
    await fire({ alertname: 'QueueDeep', severity: 'critical', service: 'checkout', team: 'shop' }, new Date(Date.now() - 500).toISOString());
    await eventually(async () => {
      if (!texts(ONCALL.token).some((t) => /RESOLVED/.test(t) && t.includes('checkout'))) throw new Error('no resolved notice yet');
    }, 30_000);
    const resolved = await api('/api/v1/alerts?status=resolved', { token: TOKENS.read[0] });
    expect((resolved.body as { alerts: { labels: Record<string, string> }[] }).alerts.some((a) => a.labels.service === 'checkout')).toBe(true);
    const stats = await api('/api/v1/alerts/statistics?group_by=severity', { token: TOKENS.read[0] });
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({ total: 2, by_severity: { critical: 2 }, by_status: { confirmed: 1, resolved: 1 } });
  }, 40_000);

  it('delivers one message when two Alertmanager peers post the same group', async () => {
    const before = sink.messages(ONCALL.token).length;
    const payload = webhookPayload({ externalURL: am.url, alerts: [webhookAlert({ labels: { alertname: 'Dup', severity: 'warning', service: 'x' }, annotations: { summary: 'dup' }, startsAt: new Date().toISOString() })] });
    for (let i = 0; i < 2; i++) expect((await api('/api/v1/notify/dingtalk/oncall', { method: 'POST', body: payload, token: TOKENS.notify[0] })).status).toBe(200);
    await relay.round();
    await eventually(async () => {
      if (sink.messages(ONCALL.token).length <= before) throw new Error('not delivered yet');
    }, 10_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(texts(ONCALL.token).filter((t) => t.includes('Dup'))).toHaveLength(1);
  }, 30_000);

  it('answers what it cannot take with the status that makes Alertmanager do the right thing', async () => {
    // Without Alertmanager's token, or with another role's: 401, whatever the body.
    for (const token of ['', 'wrong', TOKENS.read[0]!, TOKENS.operate[0]!]) expect((await api('/api/v1/notify/dingtalk/oncall', { method: 'POST', body: '{}', token })).status).toBe(401);
    const bad = await api('/api/v1/notify/dingtalk/oncall', { method: 'POST', body: '{"version":"3"}', token: TOKENS.notify[0] });
    expect(bad.status).toBe(400);
    expect((bad.body as { error: { message: string } }).error.message).toContain('version: expected "4"');
    const unknown = await api('/api/v1/notify/dingtalk/nobody', { method: 'POST', body: '{}', token: TOKENS.notify[0] });
    expect(unknown.status).toBe(503);
    expect((await api('/api/v1/alerts', { token: '' })).status).toBe(401);
    expect((await api('/api/v1/alerts', { token: 'wrong' })).status).toBe(401);
    expect((await api('/api/v1/alerts/x/close', { method: 'POST', body: { user_id: 'a', reason: 'b' }, token: TOKENS.read[0] })).status).toBe(401);
    expect((await api('/api/v1/alerts?limit=lots', { token: TOKENS.read[0] })).status).toBe(400);
    expect((await api('/api/v1/alerts?start_time=yesterday', { token: TOKENS.read[0] })).body).toMatchObject({ error: { code: 'bad_parameter' } });
  });

  it('closes an alert: the seed’s shape, a silence of exactly its labels in Alertmanager, expired once it resolves', async () => {
    const labels = { alertname: 'QueueDeep', severity: 'critical', service: 'closeme', team: 'shop' };
    await fire(labels);
    const id = await eventually(async () => {
      const list = await api('/api/v1/alerts?status=open', { token: TOKENS.read[0] });
      const a = (list.body as { alerts: { alert_id: string; labels: Record<string, string> }[] }).alerts.find((x) => x.labels.service === 'closeme');
      if (!a) throw new Error('not recorded yet');
      return a.alert_id;
    }, 20_000);
    const closed = await api(`/api/v1/alerts/${id}/close`, { method: 'POST', body: { user_id: 'wang.fang', reason: 'known issue, fix deploying' } });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ alert_id: id, status: 'closed', closed_by: 'wang.fang' });
    const silenceId = (closed.body as { silence_id: string }).silence_id;
    const silence = async () => (await (await fetch(`${am.url}/api/v2/silence/${silenceId}`)).json()) as { status: { state: string }; createdBy: string; matchers: { name: string; value: string; isRegex: boolean; isEqual: boolean }[] };
    const live = await silence();
    expect(live.status.state).toBe('active');
    expect(live.createdBy).toBe('wang.fang');
    expect(Object.fromEntries(live.matchers.map((m) => [m.name, m.value]))).toEqual(labels);
    expect(live.matchers.every((m) => !m.isRegex && m.isEqual)).toBe(true);
    expect((await api(`/api/v1/alerts/${id}/close`, { method: 'POST', body: { user_id: 'wang.fang', reason: 'again' } })).status).toBe(409);
    // Silenced, so Alertmanager sends no resolved notice: the relay sees it gone from Alertmanager and expires the silence.
    await fire(labels, new Date(Date.now() - 500).toISOString());
    await eventually(async () => {
      if ((await silence()).status.state !== 'expired') throw new Error('silence still active');
    }, 20_000);
  }, 40_000);

  it('confirms from the link in the chat message: the page, the form, and nothing for a link altered or expired', async () => {
    await fire({ alertname: 'QueueDeep', severity: 'critical', service: 'chat', team: 'shop' });
    const text = await eventually(async () => {
      const t = texts(ONCALL.token).find((x) => x.includes('chat'));
      if (!t) throw new Error('no message yet');
      return t;
    }, 20_000);
    const links = [...text.matchAll(/\((http:\/\/127\.0\.0\.1:\d+\/a\/[A-Za-z0-9_.-]+)\)/g)].map((m) => m[1]!);
    expect(links, text).toHaveLength(2);
    const [confirmLink, closeLink] = links as [string, string];
    const page = await fetch(confirmLink);
    expect(page.status).toBe(200);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain('<form method="post">');
    // Altered: another character in the signature, or the token of another action spliced in.
    const altered = confirmLink.slice(0, -2) + (confirmLink.endsWith('AA') ? 'BB' : 'AA');
    expect((await fetch(altered)).status).toBe(403);
    expect((await fetch(confirmLink.slice(0, confirmLink.lastIndexOf('.')) + closeLink.slice(closeLink.lastIndexOf('.')))).status).toBe(403);
    const done = await fetch(confirmLink, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'user=Zhang%20San&note=on%20it' });
    expect(done.status).toBe(200);
    const list = await api('/api/v1/alerts?status=confirmed', { token: TOKENS.read[0] });
    const confirmed = (list.body as { alerts: { labels: Record<string, string>; confirmed_by: string }[] }).alerts.find((a) => a.labels.service === 'chat');
    expect(confirmed?.confirmed_by).toBe('Zhang San (chat link)');
    // The same link again: nothing to do, said so.
    expect((await fetch(confirmLink, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'user=Li' })).status).toBe(409);
    // Expired: a token the relay signed, for a time already past.
    const { linkKey, signLink } = await import('../../src/relay/links.ts');
    const id = new URL(confirmLink).pathname.split('/')[2]!.split('.')[0]!;
    const alertId = (JSON.parse(Buffer.from(id, 'base64url').toString()) as { a: string }).a;
    const expired = signLink(linkKey(TOKENS.notify[0]!), { alertId, action: 'close', expiresAt: Date.now() - 1_000 });
    expect((await fetch(`${relay.url}/a/${expired}`)).status).toBe(410);
  }, 40_000);

  it('logged no internal error and no failed worker round along the way', () => {
    expect(logs.filter((l) => /internal error|worker round failed|store error/.test(l))).toEqual([]);
  });
});
