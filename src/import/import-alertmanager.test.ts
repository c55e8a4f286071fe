import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { importAlertmanager } from './import-alertmanager.ts';

const CONFIG = `global:
  resolve_timeout: 2m
  smtp_smarthost: mail.example.com:587
  smtp_from: alerts@example.com
  smtp_hello: mx.example.com
  http_config:
    proxy_url: http://proxy:3128
templates: [/etc/alertmanager/templates/*.tmpl]
route:
  receiver: ops/default
  group_by: [alertname]
  routes:
    - match: { team: db }
      match_re: { env: prod|stage }
      receiver: db
      continue: true
      group_wait: 10s
      mute_time_intervals: [night/time]
    - matchers: ['severity="critical"']
      receiver: "null"
inhibit_rules:
  - source_match: { severity: critical }
    target_match_re: { severity: warning|info }
    equal: [alertname]
time_intervals:
  - name: night/time
    time_intervals:
      - times: [{ start_time: "22:00", end_time: "24:00" }]
        weekdays: [Monday, 'Saturday:Sunday']
        months: [January, '3']
        days_of_month: [1, '-1']
receivers:
  - name: ops/default
    email_configs:
      - to: a@example.com, b@example.com
        send_resolved: true
  - name: db
    email_configs:
      - to: db@example.com
        html: '{{ template "x" . }}'
    webhook_configs:
      - url: https://hook.example.com/db
        max_alerts: 5
        http_config: { authorization: { credentials_file: /etc/am/token } }
  - name: "null"
`;

const files = (text: string) => {
  const result = importAlertmanager('alertmanager.yml', text);
  expect(result.diagnostics).toEqual([]);
  return { result, ...Object.fromEntries(result.files.map((f) => [f.path.replace('.yaml', ''), parse(f.content)])) } as Record<string, any>;
};

describe('importAlertmanager', () => {
  it('writes the routing tree with matchers, timing, continue and renamed references', () => {
    const { routes } = files(CONFIG);
    expect(routes).toMatchObject({ kind: 'Routes', receiver: 'ops-default', groupBy: ['alertname'] });
    expect(routes.routes).toEqual([
      { matchers: ['env=~"prod|stage"', 'team="db"'], receiver: 'db', continue: true, groupWait: '10s', muteTimeIntervals: ['night-time'] },
      { matchers: ['severity="critical"'], receiver: 'null' },
    ]);
    expect(routes.inhibit).toEqual([{ sourceMatchers: ['severity="critical"'], targetMatchers: ['severity=~"warning|info"'], equal: ['alertname'] }]);
  });

  it("writes time intervals in the schema's spelling: lower-case names, numbers as text", () => {
    const { routes } = files(CONFIG);
    expect(routes.timeIntervals).toEqual({
      'night-time': [{ times: [{ startTime: '22:00', endTime: '24:00' }], weekdays: ['monday', 'saturday:sunday'], months: ['january', '3'], daysOfMonth: ['1', '-1'] }],
    });
  });

  it('maps integrations that fit a channel exactly, and carries the rest', () => {
    const { receivers, result } = files(CONFIG);
    expect(receivers.receivers).toEqual([
      { name: 'ops-default', email: { to: ['a@example.com', 'b@example.com'], sendResolved: true } },
      {
        name: 'db',
        webhook: { url: 'https://hook.example.com/db', maxAlerts: 5, bearerToken: { file: '/etc/am/token' } },
        alertmanager: { email_configs: [{ to: 'db@example.com', html: '{{ template "x" . }}' }] },
      },
      { name: 'null', discard: true },
    ]);
    expect(result.counts).toMatchObject({ receivers: 3, mapped: 2, passthrough: 1, routes: 2, inhibitRules: 1, timeIntervals: 1 });
  });

  it('an email config without send_resolved keeps Alertmanager’s default (false)', () => {
    const { receivers } = files(CONFIG.replace('        send_resolved: true\n', ''));
    expect(receivers.receivers[0].email.sendResolved).toBe(false);
  });

  it('email stays passthrough when the Project cannot hold the SMTP account (no smtp_from)', () => {
    const { receivers, project } = files(CONFIG.replace('  smtp_from: alerts@example.com\n', ''));
    expect(project.smtp).toBeUndefined();
    expect(receivers.receivers[0].alertmanager.email_configs[0]).toEqual({ smarthost: 'mail.example.com:587', to: 'a@example.com, b@example.com', send_resolved: true });
  });

  it('puts global settings and templates in the Project', () => {
    const { project } = files(CONFIG);
    expect(project.alertmanager).toEqual({ resolveTimeout: '2m', smtpHello: 'mx.example.com', httpConfig: { proxyUrl: 'http://proxy:3128' }, templates: ['/etc/alertmanager/templates/*.tmpl'] });
    expect(project.smtp).toEqual({ smarthost: 'mail.example.com:587', from: 'alerts@example.com' });
  });

  it('reports renames, and lists what it cannot carry as needing review (in the report and the file)', () => {
    const { result } = files(CONFIG.replace('route:\n', 'tracing: { endpoint: x }\nroute:\n').replace('  receiver: ops/default\n', '  receiver: ops/default\n  unknown_option: 1\n') + '  - name: empty\n');
    const kinds = (kind: string) => result.notes.filter((n: { kind: string; message: string }) => n.kind === kind).map((n: { kind: string; message: string }) => n.message);
    expect(kinds('renamed')).toEqual(['receiver "ops/default" → ops-default (Vigil names are letters, digits, _ . -)', 'time interval "night/time" → night-time']);
    expect(kinds('review')).toEqual(
      expect.arrayContaining([expect.stringMatching(/^route: `unknown_option` is not carried/), expect.stringMatching(/^`tracing` is not carried/), expect.stringMatching(/without any integration.*: empty$/)]),
    );
    expect(result.files.find((f: { path: string }) => f.path === 'routes.yaml')!.content).toMatch(/^# NEEDS REVIEW: route: `unknown_option`/m);
  });

  // Global keys named like Object.prototype's properties are unknown keys, not SMTP settings: without the SMTP
  // account they are "not carried", and say nothing about it (the check once asked `key in SMTP_DEFAULTS`).
  it.each(['constructor', 'toString', 'hasOwnProperty', '__proto__'])('global key %s: not carried, and no note about global SMTP settings', (key) => {
    const { result } = files(CONFIG.replace('  smtp_smarthost: mail.example.com:587\n  smtp_from: alerts@example.com\n', `  ${JSON.stringify(key)}: x\n`));
    const messages = result.notes.map((n: { message: string }) => n.message);
    expect(messages).toContain(`global.${key} is not carried (no Project field for it)`);
    expect(messages.filter((m: string) => m.includes('global SMTP settings'))).toEqual([]);
  });

  it('the note about global SMTP settings is made when one is there (the case above, with a real one)', () => {
    const { result } = files(CONFIG.replace('  smtp_from: alerts@example.com\n', ''));
    expect(result.notes.map((n: { message: string }) => n.message)).toContainEqual(expect.stringContaining('the global SMTP settings do not fit Project smtp'));
  });

  it('a renamed name never takes a name the input already uses', () => {
    const { receivers } = files('route: { receiver: a/b }\nreceivers:\n  - name: a/b\n  - name: a-b\n');
    expect(receivers.receivers.map((r: { name: string }) => r.name)).toEqual(['a-b-2', 'a-b']);
  });
});

describe('reading the input', () => {
  it('reads a Secret with base64 data', () => {
    const inner = Buffer.from('route: { receiver: a }\nreceivers: [{ name: a }]\n').toString('base64');
    const result = importAlertmanager('s.yaml', `apiVersion: v1\nkind: Secret\nmetadata: { name: am, namespace: mon }\ndata:\n  alertmanager.yaml: ${inner}\n`);
    expect(result.diagnostics).toEqual([]);
    expect(result.files[0]!.content).toContain('Imported from s.yaml (Secret mon/am data.alertmanager.yaml)');
  });

  const at = (text: string, offset: number) => {
    const before = text.slice(0, offset).split('\n');
    return `${before.length}:${before[before.length - 1]!.length + 1}`;
  };

  it.each([
    ['a problem inside stringData, at its place in the file', 'kind: Secret\nstringData:\n  alertmanager.yml: |\n    route:\n      receiver: a\n      routes:\n        - match_re: { a: "(x" }\n    receivers: [{ name: a }]\n', '7:26', /invalid regular expression/],
    ['base64 that is not, at the value', 'kind: Secret\ndata:\n  alertmanager.yaml: "%%%"\n', '3:22', /not base64/],
    ['a problem inside base64 data, at the value', `kind: Secret\ndata:\n  alertmanager.yaml: ${Buffer.from('route: [').toString('base64')}\n`, '3:22', /./],
    ['a Secret without the configuration', 'kind: Secret\ndata:\n  other: eA==\n', '1:7', /holds no alertmanager.yaml/],
    ['another kind', 'kind: ConfigMap\ndata: {}\n', '1:7', /a ConfigMap holds no Alertmanager configuration/],
    ['invalid YAML', 'route:\n  receiver: a\n receivers: x\n', '3:1', /./],
    ['no route', 'receivers: [{ name: a }]\n', '1:1', /expected `route:`/],
    ['a route without receiver', 'route: { group_by: [a] }\nreceivers: [{ name: a }]\n', '1:8', /needs a `receiver:`/],
    ['a bad duration', 'route:\n  receiver: a\n  group_wait: 1.5m\nreceivers: [{ name: a }]\n', '3:15', /not a duration/],
  ])('%s', (_name, text, where, message) => {
    const result = importAlertmanager('f.yaml', text);
    expect(result.files).toEqual([]);
    expect(result.diagnostics.length).toBeGreaterThan(0);
    const d = result.diagnostics[0]!;
    expect(d.code).toBe('import/alertmanager');
    expect(d.message).toMatch(message);
    expect(at(text, d.span!.start)).toBe(where);
  });
});
