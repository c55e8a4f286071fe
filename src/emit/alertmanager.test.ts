import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { AlertModel, Model } from '../model/types.ts';
import { fixtureFiles, modelOf } from '../../test/fixtures/alertmanager/model.ts';
import { materialise } from '../deploy/secrets.ts';
import { emitAlertmanager, type AlertmanagerOptions } from './alertmanager.ts';
import { GENERATED_HEADER } from './artifact.ts';
import { project, receiver as receiverOn, receivers, route, routes, severities, severityLevel, yamlOf } from '../../test/factories/index.ts';

const identity: AlertmanagerOptions = { identityLabels: () => ['instance'] };

const PROJECT = yamlOf(
  project({
    name: 'p',
    evaluationInterval: undefined,
    scrapeInterval: undefined,
    grafana: undefined,
    policies: undefined,
    relay: { url: 'http://relay:9095/', sms: { provider: 'http', url: 'https://sms-gateway.example.com/send' } },
    smtp: { smarthost: 'smtp.example.com:587', from: 'vigil@example.com', authUsername: 'u', authPassword: { env: 'SMTP_PASSWORD' } },
  }),
);
const CRITICAL = severityLevel('critical', { groupWait: '10s', groupInterval: '1m', repeatInterval: '1h' });
const WARNING_AND_INFO = [severityLevel('warning', { groupWait: '30s', repeatInterval: '4h' }), severityLevel('info', { groupWait: '1m', groupInterval: '10m', repeatInterval: '24h' })];
const SEVERITIES = yamlOf(severities({ levels: [CRITICAL, ...WARNING_AND_INFO] }));
const RECEIVERS = yamlOf(
  receivers([
    receiverOn('mail', 'email', { to: ['a@example.com', 'b@example.com'] }),
    receiverOn('wecom', 'wecom', { toParty: '2', toUser: 'u1|u2', toTag: '3' }, { sendResolved: false }),
    receiverOn('wecom-file', 'wecom', { agentId: '1000003', apiSecret: { file: '/run/secrets/wecom' } }),
    receiverOn('ding', 'dingtalk', { webhook: { env: 'DING_HOOK' }, secret: { env: 'DING_SECRET' }, sendResolved: false }),
    receiverOn('sms', 'sms'),
    receiverOn('hook', 'webhook', { url: 'https://audit.example.com/alerts', bearerToken: { env: 'AUDIT_TOKEN' }, maxAlerts: 10 }),
    receiverOn('hook-file', 'webhook', { url: 'https://archive.example.com/in', bearerToken: { file: '/run/secrets/archive' } }),
    receiverOn('plain-hook', 'webhook', { url: 'https://plain.example.com/' }),
  ]),
);
const ROUTES = yamlOf(routes({ receiver: 'mail', groupBy: undefined, routes: [route({ receiver: undefined, receivers: ['sms', 'ding'] })] }));

type Parsed = {
  global: Record<string, unknown>;
  route: Record<string, unknown> & { routes?: Record<string, unknown>[] };
  inhibit_rules?: Record<string, unknown>[];
  receivers: (Record<string, unknown> & { name: string })[];
  templates: string[];
};

function emit(files: Record<string, string>, options: AlertmanagerOptions = identity) {
  const model = modelOf(files);
  const result = emitAlertmanager(model, options);
  const config = result.artifacts.find((a) => a.path === 'alertmanager/alertmanager.yml')!;
  return { model, result, config, parsed: parse(config.content, { version: '1.1' }) as Parsed };
}

function receiver(parsed: Parsed, name: string) {
  return parsed.receivers.find((r) => r.name === name);
}

describe('emitAlertmanager: files', () => {
  it('writes alertmanager.yml and the template, with the header and the definition files used', () => {
    const { result, config } = emit({ 'project.yaml': PROJECT, 'receivers.yaml': RECEIVERS, 'routes.yaml': ROUTES, 'severities.yaml': SEVERITIES });
    expect(result.artifacts.map((a) => a.path)).toEqual(['alertmanager/alertmanager.yml', 'alertmanager/templates/vigil.tmpl']);
    expect(config.content.startsWith(`# ${GENERATED_HEADER}\n`)).toBe(true);
    expect(config.sources).toEqual(['project.yaml', 'receivers.yaml', 'routes.yaml', 'severities.yaml']);
    const tmpl = result.artifacts[1]!.content;
    for (const name of ['vigil.email.subject', 'vigil.email.html', 'vigil.wecom.message']) expect(tmpl).toContain(`{{ define "${name}" -}}`);
    expect(tmpl).toContain(GENERATED_HEADER);
  });

  it('sets the global section from project.smtp, the password as a file', () => {
    const { parsed } = emit({ 'project.yaml': PROJECT, 'receivers.yaml': RECEIVERS });
    expect(parsed.global).toEqual({
      resolve_timeout: '5m',
      smtp_smarthost: 'smtp.example.com:587',
      smtp_from: 'vigil@example.com',
      smtp_auth_username: 'u',
      smtp_auth_password_file: '/etc/alertmanager/secrets/SMTP_PASSWORD',
      smtp_require_tls: true,
    });
    expect(parsed.templates).toEqual(['templates/*.tmpl']);
  });
});

describe('emitAlertmanager: receivers', () => {
  const { parsed, result, config } = emit({ 'project.yaml': PROJECT, 'receivers.yaml': RECEIVERS, 'routes.yaml': ROUTES });

  it('emits every receiver, sorted by name', () => {
    expect(parsed.receivers.map((r) => r.name)).toEqual(['ding', 'hook', 'hook-file', 'mail', 'plain-hook', 'sms', 'wecom', 'wecom-file']);
  });

  it('email → email_configs with the Vigil templates', () => {
    expect(receiver(parsed, 'mail')).toEqual({
      name: 'mail',
      email_configs: [
        {
          to: 'a@example.com, b@example.com',
          send_resolved: true,
          html: '{{ template "vigil.email.html" . }}',
          headers: { Subject: '{{ template "vigil.email.subject" . }}' },
        },
      ],
    });
  });

  it('wecom → wechat_configs with the api secret as a placeholder (0.25 has no api_secret_file)', () => {
    expect(receiver(parsed, 'wecom')).toEqual({
      name: 'wecom',
      wechat_configs: [
        {
          send_resolved: false,
          corp_id: 'ww1',
          agent_id: '1000002',
          to_party: '2',
          to_user: 'u1|u2',
          to_tag: '3',
          api_secret: '${WECOM_SECRET}',
          message: '{{ template "vigil.wecom.message" . }}',
        },
      ],
    });
    expect(config.content).toContain('api_secret: "${WECOM_SECRET}"\n');
    expect(receiver(parsed, 'wecom-file')!.wechat_configs).toMatchObject([{ api_secret: '${file:/run/secrets/wecom}', to_user: '@all' }]);
  });

  it('dingtalk and sms → webhooks to the relay, with no trace of their secrets', () => {
    expect(receiver(parsed, 'ding')).toEqual({ name: 'ding', webhook_configs: [{ send_resolved: false, url: 'http://relay:9095/api/v1/notify/dingtalk/ding' }] });
    expect(receiver(parsed, 'sms')).toEqual({ name: 'sms', webhook_configs: [{ send_resolved: true, url: 'http://relay:9095/api/v1/notify/sms/sms' }] });
    expect(config.content).not.toMatch(/DING_HOOK|DING_SECRET/);
  });

  it('webhook → webhook_configs with max_alerts and a bearer credentials file', () => {
    expect(receiver(parsed, 'hook')).toEqual({
      name: 'hook',
      webhook_configs: [
        {
          send_resolved: true,
          url: 'https://audit.example.com/alerts',
          max_alerts: 10,
          http_config: { authorization: { type: 'Bearer', credentials_file: '/etc/alertmanager/secrets/AUDIT_TOKEN' } },
        },
      ],
    });
    expect(receiver(parsed, 'hook-file')!.webhook_configs).toEqual([
      { send_resolved: true, url: 'https://archive.example.com/in', http_config: { authorization: { type: 'Bearer', credentials_file: '/run/secrets/archive' } } },
    ]);
    expect(receiver(parsed, 'plain-hook')!.webhook_configs).toEqual([{ send_resolved: true, url: 'https://plain.example.com/' }]);
  });

  it('lists every secret use, placeholders with their path in the document, so deploy knows what to fill where', () => {
    const slot = (name: string) => ['receivers', parsed.receivers.findIndex((r) => r.name === name), 'wechat_configs', 0, 'api_secret'];
    expect(result.secrets).toEqual([
      { artifact: 'alertmanager/alertmanager.yml', env: 'SMTP_PASSWORD', field: 'global.smtp_auth_password_file', as: 'file', path: '/etc/alertmanager/secrets/SMTP_PASSWORD' },
      { artifact: 'alertmanager/alertmanager.yml', env: 'AUDIT_TOKEN', receiver: 'hook', field: 'webhook_configs.http_config.authorization.credentials_file', as: 'file', path: '/etc/alertmanager/secrets/AUDIT_TOKEN' },
      { artifact: 'alertmanager/alertmanager.yml', file: '/run/secrets/archive', receiver: 'hook-file', field: 'webhook_configs.http_config.authorization.credentials_file', as: 'file', path: '/run/secrets/archive' },
      { artifact: 'alertmanager/alertmanager.yml', at: slot('wecom'), env: 'WECOM_SECRET', receiver: 'wecom', field: 'wechat_configs.api_secret', as: 'placeholder', placeholder: '${WECOM_SECRET}' },
      { artifact: 'alertmanager/alertmanager.yml', at: slot('wecom-file'), file: '/run/secrets/wecom', receiver: 'wecom-file', field: 'wechat_configs.api_secret', as: 'placeholder', placeholder: '${file:/run/secrets/wecom}' },
    ]);
  });

  it('leaves out channels the project cannot serve: dingtalk/sms without relay, email without smtp', () => {
    const bare = emit({ 'project.yaml': 'apiVersion: vigil/v1\nkind: Project\nname: p\n', 'receivers.yaml': RECEIVERS, 'routes.yaml': ROUTES });
    expect(receiver(bare.parsed, 'ding')).toEqual({ name: 'ding' });
    expect(receiver(bare.parsed, 'sms')).toEqual({ name: 'sms' });
    expect(receiver(bare.parsed, 'mail')).toEqual({ name: 'mail' });
    expect(bare.parsed.global).toEqual({ resolve_timeout: '5m' });
    expect(bare.result.secrets.map((s) => s.field)).not.toContain('global.smtp_auth_password_file');
  });

  it('keeps the first of two receivers with the same name (the duplicate is reported by a check)', () => {
    const { parsed: p } = emit({
      'a.yaml': 'apiVersion: vigil/v1\nkind: Receivers\nreceivers:\n  - { name: x, webhook: { url: "http://first/" } }\n',
      'b.yaml': 'apiVersion: vigil/v1\nkind: Receivers\nreceivers:\n  - { name: x, webhook: { url: "http://second/" } }\n',
    });
    expect(p.receivers).toEqual([{ name: 'x', webhook_configs: [{ send_resolved: true, url: 'http://first/' }] }]);
  });

  it('one receiver with dingtalk and sms posts to both relay endpoints', () => {
    const { parsed: p } = emit({
      'project.yaml': PROJECT,
      'receivers.yaml': 'apiVersion: vigil/v1\nkind: Receivers\nreceivers:\n  - { name: oncall, sms: { to: ["+8613800000000"] }, dingtalk: { webhook: { env: W } } }\n',
    });
    expect(receiver(p, 'oncall')!.webhook_configs).toEqual([
      { send_resolved: true, url: 'http://relay:9095/api/v1/notify/dingtalk/oncall' },
      { send_resolved: true, url: 'http://relay:9095/api/v1/notify/sms/oncall' },
    ]);
  });
});

describe('emitAlertmanager: route tree', () => {
  it('expands receivers sugar into siblings joined by continue; children refine the last sibling', () => {
    const { parsed } = emit({
      'receivers.yaml': RECEIVERS,
      'routes.yaml': `
apiVersion: vigil/v1
kind: Routes
receiver: mail
groupBy: [service, alertname]
routes:
  - matchers: ['team="ml"', 'service!~"test|dev"']
    receivers: [sms, ding, hook]
    continue: true
    groupBy: [instance]
    routes:
      - matchers: ['env=prod']
        receivers: [wecom]
  - matchers: ['team="infra"']
    routes:
      - matchers: ['severity="warning"']
        receiver: plain-hook
`,
    });
    // Emitted in the order Alertmanager sorts them into (label name first), not the order written.
    const m = ['service!~"test|dev"', 'team="ml"'];
    expect(parsed.route).toEqual({
      receiver: 'mail',
      group_by: ['alertname', 'service'],
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '4h',
      routes: [
        { receiver: 'sms', matchers: m, continue: true, group_by: ['instance'] },
        { receiver: 'ding', matchers: m, continue: true, group_by: ['instance'] },
        { receiver: 'hook', matchers: m, continue: true, group_by: ['instance'], routes: [{ receiver: 'wecom', matchers: ['env="prod"'] }] },
        { matchers: ['team="infra"'], routes: [{ receiver: 'plain-hook', matchers: ['severity="warning"'] }] },
      ],
    });
  });

  it('takes timing from the severity a route pins, explicit values winning field by field', () => {
    const { parsed } = emit({
      'receivers.yaml': RECEIVERS,
      'severities.yaml': SEVERITIES,
      'routes.yaml': `
apiVersion: vigil/v1
kind: Routes
receiver: mail
groupWait: 15s
routes:
  - { matchers: ['severity="critical"'], receiver: sms }
  - { matchers: ['severity="critical"'], receiver: sms, groupWait: 5s }
  - { matchers: ['severity="warning"', 'team="x"'], receiver: hook }
  - { matchers: ['severity=~"critical|warning"'], receiver: hook }
  - { matchers: ['severity!="info"'], receiver: hook }
  - { matchers: ['severity="unknown"'], receiver: hook }
  - { matchers: ['severity="critical"', 'severity="info"'], receiver: hook }
  - matchers: ['team="y"']
    receiver: hook
    routes:
      - { matchers: ['severity="info"'], repeatInterval: 48h }
`,
    });
    const timing = (r: Record<string, unknown>) => [r.group_wait, r.group_interval, r.repeat_interval];
    expect(timing(parsed.route)).toEqual(['15s', '5m', '4h']);
    expect(parsed.route.routes!.map(timing)).toEqual([
      ['10s', '1m', '1h'],
      ['5s', '1m', '1h'],
      ['30s', undefined, '4h'],
      [undefined, undefined, undefined],
      [undefined, undefined, undefined],
      [undefined, undefined, undefined],
      [undefined, undefined, undefined],
      [undefined, undefined, undefined],
    ]);
    expect(timing((parsed.route.routes![7]!.routes as Record<string, unknown>[])[0]!)).toEqual(['1m', '10m', '48h']);
  });
});

describe('emitAlertmanager: inhibition', () => {
  const ALERTS = `
apiVersion: vigil/v1
kind: AlertRules
group: g
labels: { team: t, service: s }
alerts:
  - name: ThreeLevels
    expr: x
    thresholds:
      info: { op: ">", value: 1 }
      critical: { op: ">", value: 3 }
      warning: { op: ">", value: 2 }
    summary: s
  - name: TwoLevels
    expr: y
    thresholds:
      warning: { op: ">", value: 1 }
      critical: { op: ">", value: 2 }
    summary: s
  - { name: OneLevel, expr: z > 1, severity: critical, summary: s }
  - name: Off
    expr: w
    enabled: false
    thresholds:
      warning: { op: ">", value: 1 }
      critical: { op: ">", value: 2 }
    summary: s
`;
  const ROUTES_INHIBIT = `
apiVersion: vigil/v1
kind: Routes
receiver: mail
inhibit:
  - sourceMatchers: ['alertname="NodeDown"']
    targetMatchers: ['alertname!="NodeDown"', 'service=~".+"']
    equal: [instance, cluster]
  - sourceMatchers: ['a="b"']
    targetMatchers: ['c="d"']
`;

  it('adds the automatic level inhibition first, then the declared rules', () => {
    const seen: string[] = [];
    const { parsed, config } = emit(
      { 'alerts.yaml': ALERTS, 'receivers.yaml': RECEIVERS, 'routes.yaml': ROUTES_INHIBIT, 'severities.yaml': SEVERITIES },
      {
        identityLabels: (a: AlertModel) => {
          seen.push(a.name);
          return a.name === 'ThreeLevels' ? ['instance', 'alertname', 'gpu', 'severity', 'gpu'] : [];
        },
      },
    );
    expect(seen).toEqual(['ThreeLevels', 'TwoLevels']);
    expect(parsed.inhibit_rules).toEqual([
      {
        source_matchers: ['alertname="ThreeLevels"', 'severity="critical"'],
        target_matchers: ['alertname="ThreeLevels"', 'severity=~"warning|info"'],
        equal: ['gpu', 'instance'],
      },
      {
        source_matchers: ['alertname="ThreeLevels"', 'severity="warning"'],
        target_matchers: ['alertname="ThreeLevels"', 'severity="info"'],
        equal: ['gpu', 'instance'],
      },
      { source_matchers: ['alertname="TwoLevels"', 'severity="critical"'], target_matchers: ['alertname="TwoLevels"', 'severity="warning"'] },
      { source_matchers: ['alertname="NodeDown"'], target_matchers: ['alertname!="NodeDown"', 'service=~".+"'], equal: ['cluster', 'instance'] },
      { source_matchers: ['a="b"'], target_matchers: ['c="d"'] },
    ]);
    expect(config.sources).toContain('alerts.yaml');
  });

  it('leaves levels whose severity says label: false out of the automatic inhibition: no matcher tells them apart', () => {
    const withNone = yamlOf(severities({ levels: [CRITICAL, severityLevel('none', { label: false }), ...WARNING_AND_INFO] }));
    const alerts = `
apiVersion: vigil/v1
kind: AlertRules
group: g
alerts:
  - name: Mixed
    expr: x
    thresholds:
      critical: { op: ">", value: 3 }
      none: { op: ">", value: 2 }
      warning: { op: ">", value: 1 }
    summary: s
  - name: OnlyOneLabelled
    expr: y
    thresholds:
      critical: { op: ">", value: 2 }
      none: { op: ">", value: 1 }
    summary: s
`;
    const { parsed } = emit({ 'alerts.yaml': alerts, 'receivers.yaml': RECEIVERS, 'routes.yaml': ROUTES, 'severities.yaml': withNone });
    expect(parsed.inhibit_rules).toEqual([{ source_matchers: ['alertname="Mixed"', 'severity="critical"'], target_matchers: ['alertname="Mixed"', 'severity="warning"'], equal: ['instance'] }]);
  });

  it('has no inhibit_rules without multi-level alerts or declared rules', () => {
    const { parsed } = emit({ 'receivers.yaml': RECEIVERS, 'routes.yaml': ROUTES, 'severities.yaml': SEVERITIES });
    expect(parsed.inhibit_rules).toBeUndefined();
  });
});

describe('emitAlertmanager: determinism and quoting', () => {
  it('gives the same bytes for the same model, and for receivers declared in another order', () => {
    const files = { 'project.yaml': PROJECT, 'receivers.yaml': RECEIVERS, 'routes.yaml': ROUTES, 'severities.yaml': SEVERITIES };
    const a = emit(files);
    const b = emit(files);
    expect(b.result).toEqual(a.result);
    const model: Model = modelOf(files);
    const reversed = { ...model, receivers: [...model.receivers].reverse() };
    expect(emitAlertmanager(reversed, identity)).toEqual(emitAlertmanager(model, identity));
    expect(a.config.content).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
  });

  it('keeps YAML 1.1 booleans quoted: label names, receiver names and matcher values stay strings for Go', () => {
    const { config, parsed } = emit({
      'receivers.yaml': 'apiVersion: vigil/v1\nkind: Receivers\nreceivers:\n  - { name: "yes", webhook: { url: "http://x/" } }\n  - { name: "on", webhook: { url: "http://y/" } }\n',
      'routes.yaml': `
apiVersion: vigil/v1
kind: Routes
receiver: "yes"
groupBy: ["on", "off"]
routes:
  - { matchers: ['enabled="on"', 'flag=yes'], receiver: "on" }
inhibit:
  - { sourceMatchers: ['a="no"'], targetMatchers: ['b="y"'], equal: ["y", "n"] }
`,
    });
    expect(config.content).toContain("receiver: 'yes'");
    expect(config.content).toContain("- 'on'\n");
    expect(config.content).toContain("- 'off'\n");
    expect(config.content).toContain(`- enabled="on"`);
    expect(config.content).toContain(`- flag="yes"`);
    expect(config.content).toMatch(/- 'y'\n/);
    expect(parsed.route.receiver).toBe('yes');
    expect(parsed.route.group_by).toEqual(['off', 'on']);
    expect(parsed.route.routes).toEqual([{ receiver: 'on', matchers: ['enabled="on"', 'flag="yes"'] }]);
    expect(parsed.inhibit_rules![0]!.equal).toEqual(['n', 'y']);
  });
});

describe('secret slots', () => {
  it('are filled by deploy with safely escaped secrets at their paths, and nothing else is', async () => {
    const { config, result } = emit({
      'receivers.yaml': RECEIVERS,
      'routes.yaml': `
apiVersion: vigil/v1
kind: Routes
receiver: wecom
routes:
  - { matchers: ['x="\${WECOM_SECRET}"'], receiver: wecom-file }
`,
    });
    const secret = 'p@ss: "quoted" \\ back\nslash # not a comment';
    const slots = result.secrets.filter((s) => s.as === 'placeholder');
    expect(slots.map((s) => s.at)).toEqual(slots.map((s) => ['receivers', expect.any(Number), 'wechat_configs', 0, 'api_secret']));
    const source = { env: { WECOM_SECRET: secret }, readFile: async () => 'from-file' };
    const filled = (await materialise(config.path, config.content, result.secrets, source)).content;
    const parsed = parse(filled, { version: '1.1' }) as Parsed;
    expect(receiver(parsed, 'wecom')!.wechat_configs).toMatchObject([{ api_secret: secret }]);
    expect(receiver(parsed, 'wecom-file')!.wechat_configs).toMatchObject([{ api_secret: 'from-file' }]);
    expect(parsed.route.routes).toEqual([{ receiver: 'wecom-file', matchers: ['x="${WECOM_SECRET}"'] }]);
  });
});

describe('emitAlertmanager: golden', () => {
  it('matches the expected output of the fixture project', async () => {
    const model = modelOf(fixtureFiles('project'));
    const { artifacts, secrets } = emitAlertmanager(model, { identityLabels: () => ['gpu', 'instance'] });
    await expect(artifacts[0]!.content).toMatchFileSnapshot('../../test/fixtures/alertmanager/project.expected/alertmanager.yml');
    await expect(artifacts[1]!.content).toMatchFileSnapshot('../../test/fixtures/alertmanager/project.expected/templates/vigil.tmpl');
    await expect(`${JSON.stringify(secrets, null, 2)}\n`).toMatchFileSnapshot('../../test/fixtures/alertmanager/project.expected/secrets.json');
  });
});
