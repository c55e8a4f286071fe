// A confirmation that expires, end to end over HTTP: a real Alertmanager (Debian's) posts a critical alert to the
// relay, which tells the oncall DingTalk robot (a sink that checks what DingTalk checks); someone confirms it through
// the API; when `confirmExpiry` (3 s here) has passed without the alert resolving, the relay opens it again and tells
// the robot again — Alertmanager, which repeats only every hour, has no part in the second message.
import { describe, expect, it } from 'vitest';
import { eventually } from '../../src/deploy/target.ts';
import { startDingtalkSink, type DingtalkSink } from '../doubles/dingtalk-sink.ts';
import { BASE_CRITICAL, FAST_CRITICAL, RELAY_TOKENS, startRelayProject, type RelayProject } from '../helpers/relay-project.ts';
import { findAlertmanager, serviceScope } from '../helpers/services.ts';

const ROBOT = { token: 'expiry-robot', secret: 'SECexpiry0123' };
const EXPIRY_MS = 3_000;

describe.skipIf(!findAlertmanager())('confirmExpiry end to end: confirm over HTTP, the confirmation expires, the alert is open and notified again', () => {
  const scope = serviceScope();
  let sink: DingtalkSink;
  let project: RelayProject;
  const labels = { alertname: 'QueueDeep', severity: 'critical', service: 'expiry', team: 'shop' };
  const messages = () => sink.messages(ROBOT.token).filter((m) => JSON.stringify(m.body).includes('expiry'));

  it('reopens the confirmed alert after confirmExpiry and notifies its receiver again', async () => {
    sink = await startDingtalkSink({ robots: [ROBOT] });
    scope.onCleanup(() => sink.close());
    project = await startRelayProject(scope, {
      edits: {
        'receivers.yaml': (t) => t.replace('    sms: { to: ["+8613800000000"] }', '    dingtalk: { webhook: { env: VIGIL_TEST_DT }, secret: { env: VIGIL_TEST_DT_SECRET } }'),
        'severities.yaml': (t) => t.replace(BASE_CRITICAL, FAST_CRITICAL.replace(' }', `, confirmExpiry: ${EXPIRY_MS / 1000}s }`)),
      },
      secrets: { VIGIL_TEST_DT: sink.url(ROBOT.token), VIGIL_TEST_DT_SECRET: ROBOT.secret },
    });
    await project.fire(labels);
    await eventually(async () => {
      if (messages().length === 0) throw new Error('no first DingTalk message yet');
    }, 30_000);
    const id = await project.alertId((l) => l.service === 'expiry');

    const confirmed = await project.api(`/api/v1/alerts/${id}/confirm`, { method: 'POST', body: { user_id: 'li.wei', comment: 'looking' } });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ alert_id: id, status: 'confirmed', confirmed_by: 'li.wei' });
    const confirmedAt = Date.parse((confirmed.body as { confirmed_at: string }).confirmed_at);
    const before = messages().length;

    const reopened = await eventually(async () => {
      const m = messages().slice(before);
      if (m.length === 0) throw new Error('not notified again yet');
      return m[0]!;
    }, 20_000);
    // Not before the confirmation expired: the second message is the relay's, at the expiry.
    expect(reopened.at).toBeGreaterThanOrEqual(confirmedAt + EXPIRY_MS);
    expect(JSON.stringify(reopened.body)).toContain('QueueDeep');

    const detail = await project.api(`/api/v1/alerts/${id}`, { token: RELAY_TOKENS.read });
    expect(detail.body).toMatchObject({ alert_id: id, status: 'open' });
    expect(detail.body).not.toHaveProperty('confirmed_by', 'li.wei');
    const events = (detail.body as { events: { type: string; at: string; reason?: string }[] }).events;
    const types = events.map((e) => e.type);
    expect(types.indexOf('confirmed')).toBeGreaterThan(-1);
    expect(types.indexOf('reopened')).toBeGreaterThan(types.indexOf('confirmed'));
    expect(events.find((e) => e.type === 'reopened')).toMatchObject({ reason: 'confirmation expired' });
    expect(Date.parse(events.find((e) => e.type === 'reopened')!.at)).toBeGreaterThanOrEqual(confirmedAt + EXPIRY_MS);

    // Open again, so it can be confirmed again.
    expect((await project.api(`/api/v1/alerts/${id}/confirm`, { method: 'POST', body: { user_id: 'wang.fang' } })).body).toMatchObject({ status: 'confirmed', confirmed_by: 'wang.fang' });
    expect(sink.requests.filter((r) => r.outcome !== 0)).toEqual([]);
    expect(project.logs.filter((l) => /internal error|worker round failed|store error/.test(l))).toEqual([]);
  }, 90_000);
});
