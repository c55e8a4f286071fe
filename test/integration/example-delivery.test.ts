// The example project (examples/ml-platform/) delivers end to end (issue #10): its shared tree built with `vigil build`, a real
// Alertmanager (Debian's 0.25) running that alertmanager.yml with its WeCom secrets filled as `vigil deploy` fills
// them, and the relay serving the build. Example alerts, labelled as the example's rules label them, reach each channel's
// sink, which checks what the real endpoint checks: DingTalk (signature), Aliyun SMS (RPC signature), the WeCom
// application API (token, agent, recipients), and an SMTP server (AUTH) for mail from Alertmanager and from the relay's
// escalation. Only what points at a real service changes: endpoints, secrets and waits.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually } from '../../src/deploy/target.ts';
import { materialise, type SecretSource } from '../../src/deploy/secrets.ts';
import type { SecretUse } from '../../src/emit/secret-slots.ts';
import { startAliyunSmsSink } from '../doubles/aliyun-sms-sink.ts';
import { startDingtalkSink } from '../doubles/dingtalk-sink.ts';
import { startSmtpSink } from '../doubles/smtp-sink.ts';
import { startWecomAppSink } from '../doubles/wecom-app-sink.ts';
import { EXAMPLE } from '../helpers/example.ts';
import { startRelayProject } from '../helpers/relay-project.ts';
import { findAlertmanager, serviceScope } from '../helpers/services.ts';

const ROBOTS = { ml: { token: 'ml-team-robot', secret: 'SECml0123' }, oncall: { token: 'oncall-robot', secret: 'SEConcall0123' }, inference: { token: 'inference-robot', secret: 'SECinf0123' } };
const ALIYUN = { accessKeyId: 'LTAI-example-test', accessKeySecret: 'aliyun-example-secret' };
// One WeCom application (agent 1000002) has one secret: the example reads it from a file for infra-team and from
// $WECOM_API_SECRET for business-team and ops-wecom.
const WECOM = { corpId: 'ww0123456789', agentId: '1000002', secret: 'wecom-app-secret-for-tests' };
const WECOM_INFRA_SECRET_FILE = '/etc/alertmanager/secrets/wecom-infra-secret';
const SMTP_USER = { username: 'vigil', password: 'smtp-password-for-tests' };

// What the example's rules write on these alerts (prometheus/rules/*.yml), and what Prometheus would add.
const TRAINING_STALLED = { alertname: 'TrainingStalled', severity: 'critical', team: 'ml-platform', service: 'training', job_id: 'job-4711', model: 'llama-7b', instance: 'gpu-node-3', cluster: 'main' };
const TRAINING_STALLED_NOTES = {
  summary: 'Job job-4711 (llama-7b) has made no step for 35m',
  threshold: '> 1800',
  runbook_url: 'https://runbooks.example.com/training-stalled',
  dashboard_url: 'https://grafana.example.com/d/training-overview',
};
const DISK_LOW = { alertname: 'NodeDiskSpaceLow', severity: 'warning', team: 'infra', service: 'nodes', instance: 'gpu-node-7', mountpoint: '/data', device: '/dev/nvme0n1', cluster: 'main' };
const DISK_LOW_NOTES = { summary: '/data on gpu-node-7 has 12% space left', threshold: '< 15', runbook_url: 'https://runbooks.example.com/node-disk-space-low' };

/** The example's severities with Alertmanager's waits and the escalation delays cut to seconds. */
const fastSeverities = (t: string) =>
  t
    .replace(/groupWait: (?:10s|30s)\n    groupInterval: (?:1m|5m)/g, 'groupWait: 1s\n    groupInterval: 1s')
    .replace('{ after: 15m, receivers: [ml-lead] }', '{ after: 3s, receivers: [ml-lead] }')
    .replace('{ after: 45m, receivers: [ml-managers] }', '{ after: 6s, receivers: [ml-managers] }');

/** The example's SMTP settings, pointed at the sink (which offers no STARTTLS) with the password in a temp file. */
const localSmtp = (host: string, port: number, passwordFile: string) => (t: string) =>
  t.replace(/^smtp:\n(?:[ \t]+.*\n)+/m, `smtp:\n  smarthost: "${host}:${port}"\n  from: "vigil@example.com"\n  authUsername: ${SMTP_USER.username}\n  authPassword: { file: "${passwordFile}" }\n  requireTls: false\n`);

/**
 * The alertmanager.yml `vigil deploy` would install: the secret placeholders secrets.json lists filled (deploy's own
 * materialise, fed this test's values). The WeCom API URL is the sink's, through the Project's
 * `alertmanager.wechatApiUrl`.
 */
function deployedAlertmanagerConfig() {
  return async (built: string, build: { generated: string }) => {
    const uses = (JSON.parse(await readFile(path.join(build.generated, 'secrets.json'), 'utf8')) as { secrets: SecretUse[] }).secrets;
    const source: SecretSource = {
      env: { WECOM_API_SECRET: WECOM.secret },
      readFile: async (file) => {
        if (file === WECOM_INFRA_SECRET_FILE) return `${WECOM.secret}\n`;
        throw new Error(`no such secret file in this test: ${file}`);
      },
    };
    const { content } = await materialise('alertmanager/alertmanager.yml', built, uses, source);
    expect(content).not.toContain('${');
    return content;
  };
}

type Events = { type: string; channel?: string; receiver?: string; template?: string; receivers?: string[] }[];

describe.skipIf(!findAlertmanager())('the example project delivers through a real Alertmanager and the relay', () => {
  const scope = serviceScope();

  it('pages on-call and the team, mails and messages WeCom as routed, and escalates unconfirmed alerts by mail', async () => {
    const dingtalk = await startDingtalkSink({ robots: Object.values(ROBOTS) });
    const sms = await startAliyunSmsSink({ accounts: [ALIYUN], signNames: ['ML平台'], templateCodes: ['SMS_246810'] });
    const smtp = await startSmtpSink({ users: [SMTP_USER] });
    const wecom = await startWecomAppSink({ apps: [{ ...WECOM, parties: ['2', '3', '4'] }] });
    for (const sink of [dingtalk, sms, smtp, wecom]) scope.onCleanup(() => sink.close());
    const secretsDir = await scope.tempDir('vigil-example-secrets-');
    const smtpPasswordFile = path.join(secretsDir, 'smtp-password');
    // No final newline: Alertmanager 0.25 sends a password file's bytes as they are (the relay drops one newline).
    await writeFile(smtpPasswordFile, SMTP_USER.password);

    const project = await startRelayProject(scope, {
      from: EXAMPLE,
      relayFields: `sms: { provider: aliyun, accessKeyId: { env: ALIYUN_SMS_ACCESS_KEY_ID }, accessKeySecret: { env: ALIYUN_SMS_ACCESS_KEY_SECRET }, signName: ML平台, templateCode: SMS_246810, endpoint: "${sms.url}" }`,
      edits: { 'severities.yaml': fastSeverities, 'project.yaml': (t) => `${localSmtp(smtp.host, smtp.port, smtpPasswordFile)(t)}alertmanager: { wechatApiUrl: "${wecom.apiUrl}" }\n` },
      secrets: {
        DINGTALK_ML_WEBHOOK: dingtalk.url(ROBOTS.ml.token),
        DINGTALK_ML_SECRET: ROBOTS.ml.secret,
        DINGTALK_ONCALL_WEBHOOK: dingtalk.url(ROBOTS.oncall.token),
        DINGTALK_ONCALL_SECRET: ROBOTS.oncall.secret,
        DINGTALK_INFERENCE_WEBHOOK: dingtalk.url(ROBOTS.inference.token),
        DINGTALK_INFERENCE_SECRET: ROBOTS.inference.secret,
        ALIYUN_SMS_ACCESS_KEY_ID: ALIYUN.accessKeyId,
        ALIYUN_SMS_ACCESS_KEY_SECRET: ALIYUN.accessKeySecret,
      },
      // The example's DingTalk template is for a relay running in Chinese, the relay's default.
      relay: { language: 'zh', timeZone: 'Asia/Shanghai' },
      alertmanagerConfig: deployedAlertmanagerConfig(),
    });

    await project.fire(TRAINING_STALLED, undefined, TRAINING_STALLED_NOTES);
    await project.fire(DISK_LOW, undefined, DISK_LOW_NOTES);

    // team="ml-platform", critical → oncall (DingTalk, SMS) and ml-team (DingTalk, mail), both in the zh template.
    const robotText = (robot: { token: string }) =>
      eventually(async () => {
        const m = dingtalk.messages(robot.token).find((x) => JSON.stringify(x.body).includes('TrainingStalled'));
        if (!m) throw new Error(`no DingTalk message for ${robot.token} yet (${dingtalk.requests.length} requests)`);
        return m.body as { msgtype: string; markdown: { title: string; text: string }; at?: { atMobiles?: string[] } };
      }, 20_000);
    const [oncallMessage, teamMessage] = await Promise.all([robotText(ROBOTS.oncall), robotText(ROBOTS.ml)]);
    for (const message of [oncallMessage, teamMessage]) {
      expect(message.msgtype).toBe('markdown');
      // Lines only critical-dingtalk-zh writes: the service and team with the threshold, the runbook and dashboard links.
      expect(message.markdown.text).toContain('\n- 服务：training，团队：ml-platform，阈值：\\> 1800\n');
      expect(message.markdown.text).toContain('\n- [处理手册](https://runbooks.example.com/training-stalled) · [仪表盘](https://grafana.example.com/d/training-overview)\n');
      expect(message.markdown.text).toMatch(/- \[确认\]\(http:\/\/127\.0\.0\.1:\d+\/a\/[^)]+\) · \[关闭\]/);
    }
    expect(teamMessage.at?.atMobiles).toEqual(['13800000000']);
    expect(oncallMessage.at?.atMobiles ?? []).toEqual([]);
    expect(dingtalk.requests.filter((r) => r.outcome !== 0)).toEqual([]);

    const page = await eventually(async () => {
      const m = sms.messages.find((x) => x.templateParam.alertname === 'TrainingStalled' && x.phoneNumbers.includes('+8613800000000'));
      if (!m) throw new Error(`no on-call SMS yet (${sms.requests.length} requests)`);
      return m;
    }, 20_000);
    expect(page).toMatchObject({ phoneNumbers: ['+8613800000000', '+8613900000000'], signName: 'ML平台', templateCode: 'SMS_246810' });
    expect(page.templateParam.severity).toBe('critical');

    const mailsSoFar = () => smtp.mails.map((x) => `${x.envelope.to.join(',')}: ${x.parsed.subject}`).join('; ');
    const alertmanagerComplaints = () => project.am.log().split('\n').filter((l) => /level=(?:warn|error)/.test(l)).slice(-5).join('\n');
    const mailTo = (address: string, about: string) =>
      eventually(async () => {
        const m = smtp.mails.find((x) => x.envelope.to.includes(address) && (x.parsed.subject ?? '').includes(about));
        if (!m) throw new Error(`no mail to ${address} about ${about} yet; mails: ${mailsSoFar()}\n${alertmanagerComplaints()}`);
        return m;
      }, 20_000);
    // Mailed by Alertmanager (the receiver's email_configs), authenticated with the example's SMTP user.
    const teamMail = await mailTo('ml-team@example.com', 'TrainingStalled');
    expect(teamMail.user).toBe(SMTP_USER.username);
    expect(teamMail.parsed.subject).toBe('[FIRING:1] critical TrainingStalled cluster=main service=training');
    expect(teamMail.parsed.html).toContain('Job job-4711 (llama-7b) has made no step for 35m');

    // team="infra", a NodeDisk warning → infra-team (mail, WeCom party 3) and ops-wecom (WeCom party 2), each
    // WeCom config with its own placeholder filled: a file for infra-team, $WECOM_API_SECRET for ops-wecom.
    const infraMail = await mailTo('infra@example.com', 'NodeDiskSpaceLow');
    expect(infraMail.parsed.subject).toBe('[FIRING:1] warning NodeDiskSpaceLow cluster=main service=nodes');
    const wecomMessages = await eventually(async () => {
      const found = wecom.messages.filter((m) => m.content.includes('NodeDiskSpaceLow'));
      if (found.length < 2) throw new Error(`${found.length} WeCom messages yet (${wecom.requests.map((r) => `${r.endpoint} ${r.errcode}`).join(', ')})`);
      return found;
    }, 20_000);
    expect(wecomMessages.map((m) => m.toParty).sort()).toEqual([['2'], ['3']]);
    for (const m of wecomMessages) {
      expect(m).toMatchObject({ corpId: WECOM.corpId, agentId: WECOM.agentId, msgtype: 'text' });
      expect(m.content).toContain('【告警 FIRING】NodeDiskSpaceLow');
      expect(m.content).toContain('摘要 summary: /data on gpu-node-7 has 12% space left');
    }
    expect(wecom.requests.filter((r) => r.errcode !== 0)).toEqual([]);

    // Nobody confirmed TrainingStalled: after 3 s ml-lead (SMS and mail), after 6 s ml-managers (mail), both mails
    // sent by the relay in the escalation-email template.
    const [leadMail, managersMail] = await Promise.all([mailTo('ml-lead@example.com', 'TrainingStalled'), mailTo('ml-managers@example.com', 'TrainingStalled')]);
    for (const mail of [leadMail, managersMail]) {
      expect(mail.parsed.subject).toBe('[ESCALATED] TrainingStalled (critical) unconfirmed');
      expect(mail.parsed.html).toContain('<p>Nobody confirmed these alerts in time, so they reached you.</p>');
      expect(mail.parsed.html).toContain('<tr><th align="left">Service</th><td>training (team ml-platform)</td></tr>');
      expect(mail.user).toBe(SMTP_USER.username);
    }
    await eventually(async () => {
      if (!sms.messages.some((x) => x.templateParam.alertname === 'TrainingStalled' && x.phoneNumbers.includes('+8613600000000'))) throw new Error('no SMS to ml-lead yet');
    }, 10_000);
    expect(sms.requests.map((r) => r.code)).toEqual(sms.requests.map(() => 'OK'));

    // The relay's history of TrainingStalled: every delivery it made, and both escalation steps.
    const id = await project.alertId((labels) => labels.alertname === 'TrainingStalled');
    const events = await eventually(async () => {
      const all = ((await project.api(`/api/v1/alerts/${id}`)).body as { events: Events }).events;
      if (all.filter((e) => e.type === 'notified').length < 6) throw new Error(`recorded so far: ${all.map((e) => `${e.type} ${e.receiver ?? ''} ${e.channel ?? ''}`).join(', ')}`);
      return all;
    }, 10_000);
    const notified = events.filter((e) => e.type === 'notified').map((e) => `${e.receiver} ${e.channel} ${e.template ?? '-'}`);
    expect(notified.sort()).toEqual([
      'ml-lead email escalation-email',
      'ml-lead sms -',
      'ml-managers email escalation-email',
      'ml-team dingtalk critical-dingtalk-zh',
      'oncall dingtalk critical-dingtalk-zh',
      'oncall sms -',
    ]);
    expect(events.filter((e) => e.type === 'escalated').map((e) => e.receivers)).toEqual([['ml-lead'], ['ml-managers']]);
  }, 60_000);
});
