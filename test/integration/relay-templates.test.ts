// Message templates through the whole path: a real Alertmanager (Debian's) runs the alertmanager.yml Vigil built from a
// project with a `kind: Templates` definition, and the relay sends the `oncall` receiver's DingTalk message and SMS
// (an HTTP gateway) as the templates write them — values escaped for each channel, mentions added by the relay, and
// the template named in the history.
import { describe, expect, it } from 'vitest';
import { eventually } from '../../src/deploy/target.ts';
import { startDingtalkSink, type DingtalkSink } from '../doubles/dingtalk-sink.ts';
import { startHttpSmsSink, type HttpSmsSink } from '../doubles/http-sms-sink.ts';
import { BASE_CRITICAL, FAST_CRITICAL, startRelayProject } from '../helpers/relay-project.ts';
import { findAlertmanager, serviceScope } from '../helpers/services.ts';

const ROBOT = { token: 'template-robot', secret: 'SECtemplate' };
const GATEWAY_TOKEN = 'gateway-token-templates';

// Another document in receivers.yaml: a file may hold several.
const TEMPLATES = `
---
apiVersion: vigil/v1
kind: Templates
templates:
  - name: oncall-dingtalk
    channel: dingtalk
    receivers: [oncall]
    title: "{{#each alerts}}{{alertname}}{{/each}} needs you"
    body: |
      ## {{title}}
      {{#each alerts}}
      - service: {{labels.service}}, team: {{labels.team}}
      {{#if confirmUrl}}- [Confirm]({{confirmUrl}}) · [Close]({{closeUrl}}){{/if}}
      {{/each}}
  - name: oncall-sms
    channel: sms
    body: "{{#each alerts}}{{#if ../firing}}PAGE{{else}}OK{{/if}} {{alertname}} svc={{labels.service}}{{/each}}"
`;

describe.skipIf(!findAlertmanager())('templates: Alertmanager → relay → DingTalk and SMS sinks', () => {
  const scope = serviceScope();
  let dingtalk: DingtalkSink;
  let gateway: HttpSmsSink;

  it('sends each channel the team’s message, escaped, with the relay’s mentions, and records the template', async () => {
    dingtalk = await startDingtalkSink({ robots: [ROBOT] });
    gateway = await startHttpSmsSink({ token: GATEWAY_TOKEN });
    scope.onCleanup(() => dingtalk.close());
    scope.onCleanup(() => gateway.close());
    const project = await startRelayProject(scope, {
      relayFields: `sms: { provider: http, url: "${gateway.url}", token: { env: VIGIL_TEST_GATEWAY_TOKEN } }`,
      edits: {
        'severities.yaml': (t) => t.replace(BASE_CRITICAL, FAST_CRITICAL),
        'receivers.yaml': (t) => `${t.replace('    sms: { to: ["+8613800000000"] }\n', '    sms: { to: ["+8613800000000"] }\n    dingtalk: { webhook: { env: VIGIL_TEST_DT }, secret: { env: VIGIL_TEST_DT_SECRET }, atMobiles: ["13800000000"] }\n')}${TEMPLATES}`,
      },
      secrets: { VIGIL_TEST_GATEWAY_TOKEN: GATEWAY_TOKEN, VIGIL_TEST_DT: dingtalk.url(ROBOT.token), VIGIL_TEST_DT_SECRET: ROBOT.secret },
    });
    // A service name that would be a link and a mention if it were not escaped.
    const labels = { alertname: 'QueueDeep', severity: 'critical', service: '[pay](https://evil.example) @13900000000', team: 'shop' };
    await project.fire(labels);

    const sms = await eventually(async () => {
      const m = gateway.messages.find((x) => x.text.includes('QueueDeep'));
      if (!m) throw new Error(`no SMS yet (${gateway.requests.length} requests)`);
      return m;
    }, 30_000);
    // Plain text for SMS: the value as it is, the @ made harmless (a full-width ＠ mentions nobody anywhere).
    expect(sms.text).toBe('PAGE QueueDeep svc=[pay](https://evil.example) ＠13900000000');

    const message = await eventually(async () => {
      const m = dingtalk.messages(ROBOT.token)[0];
      if (!m) throw new Error(`no DingTalk message yet (${dingtalk.requests.length} requests)`);
      return m.body as { msgtype: string; markdown: { title: string; text: string }; at: { atMobiles: string[] } };
    }, 30_000);
    expect(message.msgtype).toBe('markdown');
    expect(message.markdown.title).toBe('QueueDeep needs you');
    const text = message.markdown.text;
    expect(text).toContain('## \\[FIRING\\] critical: QueueDeep');
    expect(text).toContain('- service: \\[pay\\]\\(https\\://evil.example\\) ＠13900000000, team: shop');
    expect(text).toMatch(new RegExp(`- \\[Confirm\\]\\(${project.relay.url.replace(/[.]/g, '\\.')}/a/[^)]+\\) · \\[Close\\]\\(${project.relay.url.replace(/[.]/g, '\\.')}/a/[^)]+\\)`));
    // The receiver's mention, written by the relay after the template's text, and in `at`.
    expect(text.endsWith('\n\n@13800000000')).toBe(true);
    expect(message.at.atMobiles).toEqual(['13800000000']);

    const id = await project.alertId((l) => l.alertname === 'QueueDeep');
    const notified = await eventually(async () => {
      const events = ((await project.api(`/api/v1/alerts/${id}`)).body as { events: Record<string, unknown>[] }).events.filter((e) => e.type === 'notified');
      if (events.length < 2) throw new Error(`notified on ${events.length} channels yet`);
      return events;
    }, 10_000);
    expect(Object.fromEntries(notified.map((e) => [e.channel, e.template]))).toEqual({ dingtalk: 'oncall-dingtalk', sms: 'oncall-sms' });

    // Resolved: the same templates, `firing` false.
    await project.fire(labels, new Date(Date.now() - 500).toISOString());
    const resolved = await eventually(async () => {
      const m = gateway.messages.find((x) => x.text.startsWith('OK '));
      if (!m) throw new Error('no resolved SMS yet');
      return m;
    }, 30_000);
    expect(resolved.text).toBe('OK QueueDeep svc=[pay](https://evil.example) ＠13900000000');
  }, 90_000);
});
