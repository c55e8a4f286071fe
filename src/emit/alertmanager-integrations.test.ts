// Issue #11 §1 (Alertmanager): receivers that discard, Alertmanager's own integrations as a passthrough, time intervals
// and global options — what alertmanager.yml holds for each, and that amtool (Alertmanager 0.25) loads it, with the
// placeholders as built and with secrets filled in by deploy.
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { modelOf } from '../../test/fixtures/alertmanager/model.ts';
import { materialise } from '../deploy/secrets.ts';
import { routeAlert } from '../routing/route.ts';
import type { Model } from '../model/types.ts';
import { emitAlertmanager } from './alertmanager.ts';
import { INTEGRATION_LISTS, INTEGRATION_SECRETS, type IntegrationList } from '../channels/alertmanager-integrations.ts';
import { fileSecretNames } from '../checks/alertmanager-file-secrets.ts';

const PROJECT = `
apiVersion: vigil/v1
kind: Project
name: p
smtp: { smarthost: "smtp.example.com:587", from: vigil@example.com }
alertmanager:
  resolveTimeout: 10m
  smtpHello: mail.example.com
  wechatApiUrl: "https://wecom-proxy.example.com/cgi-bin/"
  httpConfig:
    proxyUrl: "http://proxy.example.com:3128"
    basicAuth: { username: am, password: { env: PROXY_PASSWORD } }
    tlsConfig: { caFile: /etc/ssl/corp-ca.pem, serverName: proxy.example.com, insecureSkipVerify: false, minVersion: TLS12 }
  templates: [/etc/alertmanager/custom/*.tmpl]
`;
const RECEIVERS = `
apiVersion: vigil/v1
kind: Receivers
receivers:
  - name: "null"
    discard: true
  - name: team
    email: { to: [team@example.com] }
    alertmanager:
      email_configs: [{ to: boss@example.com, auth_username: u, auth_password: { env: MAIL_PASSWORD }, auth_secret: { env: MAIL_SECRET } }]
      slack_configs:
        - channel: "#alerts"
          api_url: { env: SLACK_URL }
          title: '{{ .CommonLabels.alertname }}'
          http_config: { authorization: { credentials: { file: /run/secrets/slack-proxy } } }
  - name: pager
    alertmanager:
      pagerduty_configs: [{ routing_key: { env: PD_ROUTING_KEY } }, { service_key: { file: /run/secrets/pd-service } }]
      opsgenie_configs: [{ api_key: { env: OPSGENIE_KEY }, priority: P1 }]
      victorops_configs: [{ api_key: { env: VICTOROPS_KEY }, routing_key: ops }]
      pushover_configs: [{ user_key: { env: PUSHOVER_USER }, token: { env: PUSHOVER_TOKEN } }]
      sns_configs: [{ topic_arn: "arn:aws:sns:us-east-1:123456789012:alerts", sigv4: { region: us-east-1, access_key: AKIAEXAMPLE, secret_key: { env: AWS_SECRET } } }]
      telegram_configs: [{ bot_token: { env: TELEGRAM_TOKEN }, chat_id: -1001234 }]
      webex_configs: [{ room_id: ops-room, http_config: { authorization: { credentials: { env: WEBEX_TOKEN } } } }]
      webhook_configs: [{ url: "https://hooks.example.com/in", max_alerts: 5 }]
      wechat_configs: [{ corp_id: ww1, agent_id: "1000002", api_secret: { env: WECHAT_SECRET } }]
`;
const ROUTES = `
apiVersion: vigil/v1
kind: Routes
receiver: team
timeIntervals:
  offhours:
    - times: [{ startTime: "18:00", endTime: "24:00" }]
      weekdays: ['monday:friday']
      location: Asia/Shanghai
    - weekdays: [saturday, sunday]
  freeze:
    - daysOfMonth: ['-3:-1']
      months: ['december']
      years: ['2026:2027']
routes:
  - matchers: ['alertname="Watchdog"']
    receiver: "null"
  - matchers: ['severity="critical"']
    receivers: [pager, team]
    muteTimeIntervals: [freeze]
    activeTimeIntervals: [offhours]
`;

const options = { identityLabels: () => ['instance'] };
const model = () => modelOf({ 'project.yaml': PROJECT, 'receivers.yaml': RECEIVERS, 'routes.yaml': ROUTES });
const emitted = (m: Model = model()) => emitAlertmanager(m, options);
const config = (m?: Model) => parse(emitted(m).artifacts[0]!.content) as Record<string, any>;
const receiver = (c: Record<string, any>, name: string) => (c.receivers as { name: string }[]).find((r) => r.name === name) as Record<string, any>;

describe('alertmanager.yml: receivers that discard', () => {
  it('writes a discarding receiver with its name alone', () => {
    expect(receiver(config(), 'null')).toEqual({ name: 'null' });
  });
});

describe("alertmanager.yml: Alertmanager's own integrations", () => {
  it('appends them after the first-class channels of the same list, as written', () => {
    const team = receiver(config(), 'team');
    expect(team.email_configs).toHaveLength(2);
    expect(team.email_configs[0].to).toBe('team@example.com');
    expect(team.email_configs[1]).toEqual({ to: 'boss@example.com', auth_username: 'u', auth_password_file: '/etc/alertmanager/secrets/MAIL_PASSWORD', auth_secret: '${MAIL_SECRET}' });
    // Alertmanager's template text is Alertmanager's: not escaped.
    expect(team.slack_configs[0].title).toBe('{{ .CommonLabels.alertname }}');
  });

  it('writes a secret with a *_file variant as that field, in its place', () => {
    const c = config();
    const slack = receiver(c, 'team').slack_configs[0];
    expect(Object.keys(slack)).toEqual(['channel', 'api_url_file', 'title', 'http_config']);
    expect(slack.api_url_file).toBe('/etc/alertmanager/secrets/SLACK_URL');
    expect(slack.http_config).toEqual({ authorization: { credentials_file: '/run/secrets/slack-proxy' } });
    const pager = receiver(c, 'pager');
    expect(pager.pagerduty_configs).toEqual([{ routing_key_file: '/etc/alertmanager/secrets/PD_ROUTING_KEY' }, { service_key_file: '/run/secrets/pd-service' }]);
    expect(pager.opsgenie_configs[0].api_key_file).toBe('/etc/alertmanager/secrets/OPSGENIE_KEY');
    expect(pager.victorops_configs[0].api_key_file).toBe('/etc/alertmanager/secrets/VICTOROPS_KEY');
    expect(pager.webex_configs[0].http_config.authorization).toEqual({ credentials_file: '/etc/alertmanager/secrets/WEBEX_TOKEN' });
  });

  it('writes a secret without one as a placeholder that secrets.json lists by its path', () => {
    const { artifacts, secrets } = emitted();
    const c = parse(artifacts[0]!.content) as Record<string, any>;
    const pager = receiver(c, 'pager');
    expect(pager.pushover_configs[0]).toEqual({ user_key: '${PUSHOVER_USER}', token: '${PUSHOVER_TOKEN}' });
    expect(pager.sns_configs[0].sigv4.secret_key).toBe('${AWS_SECRET}');
    expect(pager.telegram_configs[0].bot_token).toBe('${TELEGRAM_TOKEN}');
    const index = (c.receivers as { name: string }[]).findIndex((r) => r.name === 'pager');
    const placeholders = secrets.filter((s) => s.as === 'placeholder').map((s) => [s.env, s.field, s.at]);
    expect(placeholders).toContainEqual(['AWS_SECRET', 'sns_configs.sigv4.secret_key', ['receivers', index, 'sns_configs', 0, 'sigv4', 'secret_key']]);
    expect(placeholders).toContainEqual(['PUSHOVER_TOKEN', 'pushover_configs.token', ['receivers', index, 'pushover_configs', 0, 'token']]);
    expect(secrets.filter((s) => s.as === 'file').map((s) => s.field)).toContain('slack_configs.api_url_file');
  });

  it('never writes a secret that is not a reference (secret/literal refuses the definition)', () => {
    const m = model();
    const pager = m.receivers.find((r) => r.name === 'pager')!;
    pager.integrations = { telegram_configs: [{ bot_token: '123456:literal', chat_id: 1 } as never], slack_configs: [{ api_url: 'https://hooks.slack.com/services/T/B/x' }] };
    const { artifacts } = emitted(m);
    expect(artifacts[0]!.content).not.toContain('literal');
    expect(artifacts[0]!.content).not.toContain('hooks.slack.com');
  });

  it('deploy fills the placeholders; pushover runs its token as a template, so it goes in as text that renders as itself', async () => {
    const { artifacts, secrets } = emitted();
    const source = { env: { PUSHOVER_TOKEN: 'a{{b', PUSHOVER_USER: 'u', AWS_SECRET: 's"x', TELEGRAM_TOKEN: 't', MAIL_SECRET: 'm', WECHAT_SECRET: 'w' }, readFile: async () => '' };
    const filled = await materialise(artifacts[0]!.path, artifacts[0]!.content, secrets, source);
    const pager = receiver(parse(filled.content) as Record<string, any>, 'pager');
    expect(pager.pushover_configs[0].token).toBe('a{{ "{{" }}b');
    expect(pager.sns_configs[0].sigv4.secret_key).toBe('s"x');
  });
});

/** Every secret of every integration that has a `*_file` variant in 0.25, and the global http_config's. */
const FILE_SECRET_ROWS = INTEGRATION_LISTS.flatMap((list) =>
  INTEGRATION_SECRETS[list].filter((f) => f.file !== undefined).map((f) => ({ list, path: f.path, file: f.file! })),
);

describe('alertmanager.yml: every secret with a *_file variant lands as a file the deploy writes', () => {
  const withSecrets = (list: IntegrationList, secretPath: readonly string[], ref: { env: string } | { file: string }) => {
    const m = model();
    m.environment = { ...(m.environment as object), alertmanagerServerSecretsDir: '/srv/secrets' } as Model['environment'];
    const config: Record<string, unknown> = {};
    let at = config;
    for (const key of secretPath.slice(0, -1)) at = (at[key] = {}) as Record<string, unknown>;
    at[secretPath[secretPath.length - 1]!] = ref;
    m.receivers.find((r) => r.name === 'pager')!.integrations = { [list]: [config] };
    return m;
  };

  it('has the rows of the secrets teams use most', () => {
    const names = FILE_SECRET_ROWS.map((r) => `${r.list}.${r.path.join('.')}`);
    expect(names).toEqual(expect.arrayContaining(['email_configs.auth_password', 'slack_configs.api_url', 'pagerduty_configs.routing_key', 'pagerduty_configs.service_key', 'opsgenie_configs.api_key', 'victorops_configs.api_key', 'webhook_configs.http_config.authorization.credentials', 'webex_configs.http_config.authorization.credentials', 'telegram_configs.http_config.basic_auth.password']));
  });

  it.each(FILE_SECRET_ROWS.map((r) => [`${r.list}.${r.path.join('.')}`, r] as const))('%s', (_name, row) => {
    const m = withSecrets(row.list, row.path, { env: 'ROW_SECRET' });
    const { artifacts, secrets } = emitted(m);
    const pager = receiver(parse(artifacts[0]!.content) as Record<string, any>, 'pager');
    let written = pager[row.list][0];
    for (const key of row.path.slice(0, -1)) written = written[key];
    expect(written).toEqual({ [row.file]: '/srv/secrets/ROW_SECRET' });
    expect(secrets).toContainEqual(expect.objectContaining({ env: 'ROW_SECRET', receiver: 'pager', as: 'file', path: '/srv/secrets/ROW_SECRET' }));
    // env/secrets-dir knows every variable the deploy writes as a file, so it can say when the peers disagree on where.
    const asFiles = [...new Set(secrets.filter((u) => u.as === 'file' && u.env !== undefined).map((u) => u.env!))].sort();
    expect(fileSecretNames(m)).toEqual(asFiles);
    expect(asFiles).toContain('ROW_SECRET');
    // A { file } reference is named where it is, and the deploy writes nothing for it.
    const fromFile = emitted(withSecrets(row.list, row.path, { file: '/run/secrets/row' })).secrets;
    expect(fromFile).toContainEqual(expect.objectContaining({ file: '/run/secrets/row', as: 'file', path: '/run/secrets/row' }));
  });

  it('the global http_config: both secrets land as files env/secrets-dir knows', () => {
    const m = model();
    m.project!.alertmanager!.httpConfig = { authorization: { credentials: { env: 'GLOBAL_TOKEN' } }, basicAuth: { username: 'u', password: { env: 'PROXY_PASSWORD' } } } as never;
    const { artifacts, secrets } = emitted(m);
    const global = (parse(artifacts[0]!.content) as Record<string, any>).global;
    expect(global.http_config.authorization.credentials_file).toBe('/etc/alertmanager/secrets/GLOBAL_TOKEN');
    expect(global.http_config.basic_auth.password_file).toBe('/etc/alertmanager/secrets/PROXY_PASSWORD');
    const asFiles = [...new Set(secrets.filter((u) => u.as === 'file' && u.env !== undefined).map((u) => u.env!))].sort();
    expect(fileSecretNames(m)).toEqual(asFiles);
    expect(asFiles).toEqual(expect.arrayContaining(['GLOBAL_TOKEN', 'PROXY_PASSWORD']));
  });
});

describe('alertmanager.yml: time intervals', () => {
  it('writes time_intervals sorted by name in Alertmanager field names', () => {
    expect(config().time_intervals).toEqual([
      { name: 'freeze', time_intervals: [{ days_of_month: ['-3:-1'], months: ['december'], years: ['2026:2027'] }] },
      {
        name: 'offhours',
        time_intervals: [{ times: [{ start_time: '18:00', end_time: '24:00' }], weekdays: ['monday:friday'], location: 'Asia/Shanghai' }, { weekdays: ['saturday', 'sunday'] }],
      },
    ]);
  });

  it('gives every sibling of a receivers: route its mute and active intervals', () => {
    const siblings = (config().route.routes as Record<string, unknown>[]).filter((r) => (r.matchers as string[])[0] === 'severity="critical"');
    expect(siblings.map((r) => [r.receiver, r.mute_time_intervals, r.active_time_intervals])).toEqual([
      ['pager', ['freeze'], ['offhours']],
      ['team', ['freeze'], ['offhours']],
    ]);
  });

  it('writes none without timeIntervals', () => {
    const c = config(modelOf({ 'receivers.yaml': RECEIVERS, 'routes.yaml': 'apiVersion: vigil/v1\nkind: Routes\nreceiver: team\n' }));
    expect(c).not.toHaveProperty('time_intervals');
  });

  it('does not change where the routing simulation sends an alert (intervals mute delivery, not routing)', () => {
    const labels = { alertname: 'X', severity: 'critical' };
    const withIntervals = routeAlert(model().routes!, labels).deliveries.map((d) => d.receiver);
    const without = modelOf({ 'receivers.yaml': RECEIVERS, 'routes.yaml': ROUTES.replace(/^ {4}(mute|active)TimeIntervals:.*$/gm, '') });
    expect(without.routes!.root.routes[1]!.muteTimeIntervals).toEqual([]);
    expect(withIntervals).toEqual(['pager', 'team']);
    expect(routeAlert(without.routes!, labels).deliveries.map((d) => d.receiver)).toEqual(withIntervals);
  });
});

describe('alertmanager.yml: global options', () => {
  it('writes resolve_timeout, smtp_hello and http_config, the proxy password as a file', () => {
    const { artifacts, secrets } = emitted();
    const global = (parse(artifacts[0]!.content) as Record<string, any>).global;
    expect(global.resolve_timeout).toBe('10m');
    expect(global.smtp_hello).toBe('mail.example.com');
    expect(global.wechat_api_url).toBe('https://wecom-proxy.example.com/cgi-bin/');
    expect(global.http_config).toEqual({
      proxy_url: 'http://proxy.example.com:3128',
      basic_auth: { username: 'am', password_file: '/etc/alertmanager/secrets/PROXY_PASSWORD' },
      tls_config: { ca_file: '/etc/ssl/corp-ca.pem', server_name: 'proxy.example.com', insecure_skip_verify: false, min_version: 'TLS12' },
    });
    expect(secrets.find((s) => s.env === 'PROXY_PASSWORD')).toMatchObject({ as: 'file', field: 'global.http_config.basic_auth.password_file' });
  });

  it("appends the project's template files after Vigil's own", () => {
    expect(config().templates).toEqual(['templates/*.tmpl', '/etc/alertmanager/custom/*.tmpl']);
  });

  it("keeps Alertmanager's 5m resolve_timeout and Vigil's templates alone without settings", () => {
    const c = config(modelOf({ 'receivers.yaml': RECEIVERS, 'routes.yaml': ROUTES }));
    expect(c.global).toEqual({ resolve_timeout: '5m' });
    expect(c.templates).toEqual(['templates/*.tmpl']);
  });
});

const amtoolFound = spawnSync('amtool', ['--version'], { encoding: 'utf8' }).status === 0;
const run = promisify(execFile);
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function checkConfig(content: string, template: string): Promise<{ code: number; output: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-amtool-integrations-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, 'templates'));
  writeFileSync(path.join(dir, 'templates', 'vigil.tmpl'), template);
  writeFileSync(path.join(dir, 'alertmanager.yml'), content);
  try {
    const { stdout, stderr } = await run('amtool', ['check-config', path.join(dir, 'alertmanager.yml')], { encoding: 'utf8' });
    return { code: 0, output: stdout + stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, output: (err.stdout ?? '') + (err.stderr ?? '') };
  }
}

describe.skipIf(!amtoolFound)('amtool check-config (Alertmanager 0.25)', () => {
  it('accepts a configuration using every new feature, as built', async () => {
    const { artifacts } = emitted();
    const r = await checkConfig(artifacts[0]!.content, artifacts[1]!.content);
    expect(r.output).toMatch(/3 receivers/);
    expect(r.code, r.output).toBe(0);
  });

  it('accepts it with hostile secret values filled in', async () => {
    const { artifacts, secrets } = emitted();
    const hostile = 'se"cr\\et: #x\n{{ y }}';
    const filled = await materialise(artifacts[0]!.path, artifacts[0]!.content, secrets, { env: new Proxy({}, { get: () => hostile }), readFile: async () => hostile });
    const r = await checkConfig(filled.content, artifacts[1]!.content);
    expect(r.code, r.output).toBe(0);
  });

  it('rejects a route muting an interval that is not defined, so the acceptance above means something', async () => {
    const { artifacts } = emitted();
    const r = await checkConfig(artifacts[0]!.content.replace('- freeze', '- nosuchinterval'), artifacts[1]!.content);
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('nosuchinterval');
  });
});
