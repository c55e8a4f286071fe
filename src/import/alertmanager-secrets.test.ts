import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { moveUrlCredentials } from './alertmanager-secrets.ts';
import { importAlertmanager } from './import-alertmanager.ts';

const SECRET = 'S3cr3t-Value-9f2c';

/** One receiver with one integration config, the rest of a valid alertmanager.yml around it. */
const withReceiver = (integration: string) => `global:
  smtp_smarthost: mail.example.com:587
  smtp_from: alerts@example.com
route:
  receiver: r
receivers:
  - name: team.pager
${integration}
`;

function imported(text: string) {
  const result = importAlertmanager('alertmanager.yml', text);
  expect(result.diagnostics).toEqual([]);
  const file = (name: string) => parse(result.files.find((f) => f.path === name)!.content);
  return { result, receivers: file('receivers.yaml').receivers, project: file('project.yaml') };
}

describe('literal secrets become { env } references with derived names', () => {
  it.each([
    ['slack api_url', '    slack_configs:\n      - api_url: https://hooks.slack.com/services/T0/B0/' + SECRET, ['slack_configs', 0, 'api_url'], 'SLACK_API_URL_TEAM_PAGER'],
    ['pagerduty routing_key', `    pagerduty_configs:\n      - routing_key: ${SECRET}`, ['pagerduty_configs', 0, 'routing_key'], 'PAGERDUTY_ROUTING_KEY_TEAM_PAGER'],
    ['pagerduty service_key', `    pagerduty_configs:\n      - service_key: ${SECRET}`, ['pagerduty_configs', 0, 'service_key'], 'PAGERDUTY_SERVICE_KEY_TEAM_PAGER'],
    ['opsgenie api_key', `    opsgenie_configs:\n      - api_key: ${SECRET}`, ['opsgenie_configs', 0, 'api_key'], 'OPSGENIE_API_KEY_TEAM_PAGER'],
    [
      'an http_config basic_auth password',
      `    webhook_configs:\n      - url: https://hook.example.com/\n        http_config:\n          basic_auth: { username: bot, password: ${SECRET} }`,
      ['webhook_configs', 0, 'http_config', 'basic_auth', 'password'],
      'WEBHOOK_HTTP_CONFIG_BASIC_AUTH_PASSWORD_TEAM_PAGER',
    ],
    ['a webhook url with user:password', `    webhook_configs:\n      - url: https://bot:${SECRET}@hook.example.com/in`, ['webhook_configs', 0, 'http_config', 'basic_auth', 'password'], 'WEBHOOK_URL_PASSWORD_TEAM_PAGER'],
  ])('%s', (_name, integration, path, env) => {
    const { result, receivers } = imported(withReceiver(integration));
    let at = receivers[0].alertmanager;
    for (const key of path) at = at[key];
    expect(at).toEqual({ env });
    expect(result.secrets.map((s) => s.env)).toEqual([env]);
    expect(JSON.stringify({ files: result.files, notes: result.notes, secrets: result.secrets })).not.toContain(SECRET);
  });

  it('moves a URL password to basic_auth and keeps the rest of the URL', () => {
    const { receivers } = imported(withReceiver(`    webhook_configs:\n      - url: https://bot:${SECRET}@hook.example.com/in?x=1`));
    const config = receivers[0].alertmanager.webhook_configs[0];
    expect(config.url).toBe('https://hook.example.com/in?x=1');
    expect(config.http_config.basic_auth.username).toBe('bot');
  });

  it('global smtp_auth_password becomes the Project smtp authPassword', () => {
    const { result, project } = imported(withReceiver('    email_configs:\n      - to: a@example.com').replace('  smtp_from: alerts@example.com', `  smtp_from: alerts@example.com\n  smtp_auth_username: u\n  smtp_auth_password: ${SECRET}`));
    expect(project.smtp).toEqual({ smarthost: 'mail.example.com:587', from: 'alerts@example.com', authUsername: 'u', authPassword: { env: 'SMTP_AUTH_PASSWORD' } });
    expect(JSON.stringify(result.files)).not.toContain(SECRET);
  });

  it('a global http_config basic_auth password becomes a reference in the Project', () => {
    const { project, result } = imported(withReceiver('    email_configs:\n      - to: a@example.com').replace('global:\n', `global:\n  http_config:\n    basic_auth: { username: u, password: ${SECRET} }\n`));
    expect(project.alertmanager.httpConfig).toEqual({ basicAuth: { username: 'u', password: { env: 'ALERTMANAGER_HTTP_PASSWORD' } } });
    expect(JSON.stringify(result.files)).not.toContain(SECRET);
  });

  it('a global default secret (slack_api_url) is one variable, copied into each Slack config that has no api_url', () => {
    const text = `global:\n  slack_api_url: https://hooks.slack.com/services/T/B/${SECRET}\nroute: { receiver: a }\nreceivers:\n  - name: a\n    slack_configs: [{ channel: "#a" }]\n  - name: b\n    slack_configs: [{ channel: "#b" }, { channel: "#c", api_url_file: /etc/slack }]\n`;
    const { receivers, result } = imported(text);
    expect(receivers[0].alertmanager.slack_configs[0].api_url).toEqual({ env: 'SLACK_API_URL' });
    expect(receivers[1].alertmanager.slack_configs[0].api_url).toEqual({ env: 'SLACK_API_URL' });
    expect(receivers[1].alertmanager.slack_configs[1]).toEqual({ channel: '#c', api_url_file: '/etc/slack' });
    expect(result.secrets.map((s) => s.env)).toEqual(['SLACK_API_URL']);
  });

  it('names stay unique and stable: two configs of one receiver, and the same input twice', () => {
    const text = withReceiver(`    pagerduty_configs:\n      - routing_key: one\n      - routing_key: two`);
    const first = importAlertmanager('a.yml', text).secrets.map((s) => s.env);
    expect(first).toEqual(['PAGERDUTY_ROUTING_KEY_TEAM_PAGER', 'PAGERDUTY_ROUTING_KEY_TEAM_PAGER_2']);
    expect(importAlertmanager('a.yml', text).secrets.map((s) => s.env)).toEqual(first);
  });

  it('a URL whose token cannot be referenced is replaced by a placeholder and listed for review', () => {
    const { receivers, result } = imported(withReceiver(`    webhook_configs:\n      - url: https://hook.example.com/in?token=${SECRET}\n        max_alerts: 3\n        send_resolved: false`));
    expect(receivers[0].alertmanager.webhook_configs[0].url).toBe('https://replace-me.invalid/');
    expect(result.notes.some((n) => n.kind === 'review' && /cannot read from a file/.test(n.message))).toBe(true);
    expect(JSON.stringify({ files: result.files, notes: result.notes, secrets: result.secrets })).not.toContain(SECRET);
  });
});

describe('moveUrlCredentials', () => {
  it.each([
    ['https://u:p@h/x', { url: 'https://h/x', username: 'u', password: 'p' }],
    ['http://u%40x:p%2F@h', { url: 'http://h', username: 'u@x', password: 'p/' }],
    ['https://token@h/x', { url: 'https://h/x', username: 'token' }],
    ['https://h/x?a=b@c', undefined],
  ])('%s', (url, expected) => {
    expect(moveUrlCredentials(url)).toEqual(expected);
  });
});
