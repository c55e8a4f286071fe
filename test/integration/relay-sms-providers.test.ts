// SMS through the whole relay path for the providers relay.test.ts does not cover (it sends through Aliyun): a real
// Alertmanager (Debian's) runs the alertmanager.yml Vigil built, posts the `oncall` receiver's webhook to the relay,
// and the relay sends the text through Tencent Cloud SMS (to a sink that verifies TC3-HMAC-SHA256 as Tencent does)
// or through a generic HTTP gateway (bearer token, JSON body).
import { describe, expect, it } from 'vitest';
import { eventually } from '../../src/deploy/target.ts';
import { startHttpSmsSink, type HttpSmsSink } from '../doubles/http-sms-sink.ts';
import { startTencentSmsSink, type TencentSmsSink } from '../doubles/tencent-sms-sink.ts';
import { BASE_CRITICAL, FAST_CRITICAL, startRelayProject, type RelayProject } from '../helpers/relay-project.ts';
import { findAlertmanager, serviceScope } from '../helpers/services.ts';

const TENCENT = { secretId: 'AKIDtest0123456789', secretKey: 'tencent-test-secret-key' };
const SDK_APP_ID = '1400000001';
const GATEWAY_TOKEN = 'gateway-token-for-tests';
const ONCALL_NUMBER = '+8613800000000';
/** A critical alert routes to `oncall`, whose only channel is `sms: { to: ["+8613800000000"] }` in the base project. */
const critical = (service: string) => ({ alertname: 'QueueDeep', severity: 'critical', service, team: 'shop' });
const fastCritical = { 'severities.yaml': (t: string) => t.replace(BASE_CRITICAL, FAST_CRITICAL) };
const noInternalErrors = (project: RelayProject) => expect(project.logs.filter((l) => /internal error|worker round failed|store error/.test(l))).toEqual([]);

describe.skipIf(!findAlertmanager())('SMS through Tencent Cloud: Alertmanager → relay → Tencent SMS sink', () => {
  const scope = serviceScope();
  let sink: TencentSmsSink;
  let project: RelayProject;

  it('sends the firing alert, signed, with the alert in the template variables, then the resolved one', async () => {
    sink = await startTencentSmsSink({ accounts: [TENCENT], sdkAppIds: [SDK_APP_ID] });
    scope.onCleanup(() => sink.close());
    project = await startRelayProject(scope, {
      relayFields: `sms: { provider: tencent, secretId: { env: VIGIL_TEST_TC_ID }, secretKey: { env: VIGIL_TEST_TC_KEY }, sdkAppId: "${SDK_APP_ID}", signName: Vigil, templateId: "2000001", endpoint: "${sink.url}" }`,
      edits: fastCritical,
      secrets: { VIGIL_TEST_TC_ID: TENCENT.secretId, VIGIL_TEST_TC_KEY: TENCENT.secretKey },
    });
    await project.fire(critical('tencent'));
    const firing = await eventually(async () => {
      const m = sink.messages.find((x) => x.templateParams.includes('QueueDeep'));
      if (!m) throw new Error(`no SMS yet (${sink.requests.length} requests)`);
      return m;
    }, 30_000);
    expect(firing).toMatchObject({ phoneNumber: ONCALL_NUMBER, sdkAppId: SDK_APP_ID, signName: 'Vigil', templateId: '2000001' });
    // The variables in Tencent's order (status, severity, alertname, summary, count), each within its 12 characters.
    expect(firing.templateParams.slice(1, 3)).toEqual(['critical', 'QueueDeep']);
    expect(firing.templateParams.every((p) => [...p].length <= 12)).toBe(true);

    await project.fire(critical('tencent'), new Date(Date.now() - 500).toISOString());
    await eventually(async () => {
      if (sink.messages.filter((x) => x.templateParams.includes('QueueDeep')).length < 2) throw new Error('no resolved SMS yet');
    }, 30_000);
    const id = await project.alertId((labels) => labels.service === 'tencent');
    expect((await project.api(`/api/v1/alerts/${id}`)).body).toMatchObject({ status: 'resolved' });
    // Every request carried a valid signature: the sink answers anything else with an Error code, recorded here.
    expect(sink.requests.map((r) => r.outcome)).toEqual(sink.requests.map(() => 'Ok'));
    noInternalErrors(project);
  }, 90_000);
});

describe.skipIf(!findAlertmanager())('SMS through an HTTP gateway: Alertmanager → relay → gateway sink', () => {
  const scope = serviceScope();
  let gateway: HttpSmsSink;
  let project: RelayProject;

  it('posts the text and the variables with the gateway’s bearer token', async () => {
    gateway = await startHttpSmsSink({ token: GATEWAY_TOKEN });
    scope.onCleanup(() => gateway.close());
    project = await startRelayProject(scope, {
      relayFields: `sms: { provider: http, url: "${gateway.url}", token: { env: VIGIL_TEST_GATEWAY_TOKEN } }`,
      edits: fastCritical,
      secrets: { VIGIL_TEST_GATEWAY_TOKEN: GATEWAY_TOKEN },
    });
    await project.fire(critical('gateway'));
    const message = await eventually(async () => {
      const m = gateway.messages.find((x) => x.params.alertname === 'QueueDeep');
      if (!m) throw new Error(`no SMS yet (${gateway.requests.length} requests)`);
      return m;
    }, 30_000);
    expect(message.to).toEqual([ONCALL_NUMBER]);
    expect(message.params).toMatchObject({ severity: 'critical', alertname: 'QueueDeep', summary: 'QueueDeep on gateway', count: '1' });
    expect(message.text).toContain('QueueDeep');
    expect([...message.text].length).toBeLessThanOrEqual(70);
    expect(gateway.requests.map((r) => r.status)).toEqual(gateway.requests.map(() => 200));
    const id = await project.alertId((labels) => labels.service === 'gateway');
    // Recorded once the gateway has answered, so a moment after the sink saw the message.
    const notified = await eventually(async () => {
      const events = ((await project.api(`/api/v1/alerts/${id}`)).body as { events: Record<string, unknown>[] }).events;
      const e = events.find((x) => x.type === 'notified');
      if (!e) throw new Error(`not recorded as notified yet: ${events.map((x) => x.type).join(', ')}`);
      return e;
    }, 10_000);
    expect(notified).toMatchObject({ channel: 'sms', receiver: 'oncall', status: 200 });
    noInternalErrors(project);
  }, 90_000);
});
