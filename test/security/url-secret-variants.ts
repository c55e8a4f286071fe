/**
 * Generated tables of URLs for secret/literal: every way a credential can hide in a URL that we know of, and ordinary
 * URLs that must stay silent. Shared by the detector's unit test and the planted-secret suite.
 *
 * Tokens come from a seeded generator, so every run tests the same strings and a failure can be reproduced.
 */

import { seededRandom as prng } from '../helpers/seeded-random.ts';

const rand = prng(0x5ec12e7);
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const token = (length: number, alphabet = BASE62) => Array.from({ length }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
const hex = (length: number) => token(length, '0123456789abcdef');
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;

export interface SecretUrl {
  /** What the variant exercises. */
  name: string;
  url: string;
  /** The secret itself: no message may contain it. */
  secret: string;
  /** URL fields' schemas accept only lower-case `http(s)://`: such a variant can be planted in free text only. */
  textOnly?: boolean;
}

/** Webhook-style URLs with a secret in the query, fragment, path parameters or path: one per known shape. */
export function webhookVariants(): SecretUrl[] {
  const v: SecretUrl[] = [];
  const add = (name: string, make: (t: string) => string, t = token(28)) => v.push({ name, url: make(t), secret: t });
  const hook = 'https://hooks.example.com/alerts';
  // Secret-named query parameters, names as written by real services and as disguised by encoding.
  for (const name of [
    'token', 'access_token', 'Access-Token', 'ACCESS_TOKEN', 'accessToken', 'api-key', 'apikey', 'api_key', 'apiKey', 'key', 'secret',
    'client_secret', 'sig', 'signature', 'sign', 'X-Goog-Signature', 'private_token', 'auth', 'auth_token', 'password', 'passwd', 'pwd',
    'credential', 'credentials', 'session', 'routing_key',
  ]) add(`query ${name}=`, (t) => `${hook}?${name}=${t}`);
  add('second query parameter', (t) => `${hook}?channel=ops&token=${t}`);
  add('percent-encoded underscore access%5Ftoken', (t) => `${hook}?access%5Ftoken=${t}`);
  add('percent-encoded letter %74oken', (t) => `${hook}?%74oken=${t}`);
  add('double percent-encoded %2574oken', (t) => `${hook}?%2574oken=${t}`);
  add('array parameter token[]=', (t) => `${hook}?token[]=${t}`);
  add('encoded array parameter token%5B%5D=', (t) => `${hook}?token%5B%5D=${t}`);
  add('plus as space access+token=', (t) => `${hook}?access+token=${t}`);
  add('encoded space access%20token=', (t) => `${hook}?access%20token=${t}`);
  add('padded name %20token%20=', (t) => `${hook}?%20token%20=${t}`);
  add('HTML-escaped separator &amp;token=', (t) => `${hook}?a=1&amp;token=${t}`);
  add('semicolon separator ;token=', (t) => `${hook}?a=1;token=${t}`);
  add('fragment #access_token=', (t) => `${hook}#access_token=${t}`);
  add('fragment route #/x?token=', (t) => `${hook}#/alerts?token=${t}`);
  add('matrix parameter ;token=', (t) => `https://hooks.example.com/alerts;token=${t}/send`);
  add('AWS presigned URL', (t) => `https://bucket.s3.amazonaws.com/runbook.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=${t}`, hex(64));
  add('Azure SAS sig=', (t) => `https://acct.blob.core.windows.net/c/b?sv=2022-11-02&se=2026-01-01&sp=r&sig=${t}`);
  add('nested URL in a parameter', (t) => `https://redirect.example.com/go?to=${encodeURIComponent(`https://hooks.example.com/a?token=${t}`)}`);
  // Providers whose token is part of the path (or whose query key is the whole credential).
  add('Slack incoming webhook', (t) => `https://hooks.slack.com/services/T0ABCDEFG/B0ABCDEFG/${t}`, token(24));
  add('Slack with port and upper-case host', (t) => `https://HOOKS.SLACK.COM:443/services/T0ABCDEFG/B0ABCDEFG/${t}`, token(24));
  add('Slack with an encoded path', (t) => `https://hooks.slack.com/%73ervices/T0ABCDEFG/B0ABCDEFG/${t}`, token(24));
  add('Slack with an encoded host', (t) => `https://hooks%2Eslack.com/services/T0ABCDEFG/B0ABCDEFG/${t}`, token(24));
  add('Slack with backslashes', (t) => `https://hooks.slack.com\\services\\T0ABCDEFG\\B0ABCDEFG\\${t}`, token(24));
  add('Slack workflow trigger', (t) => `https://hooks.slack.com/triggers/T0ABCDEFG/1234567890/${t}`, hex(32));
  add('Telegram bot', (t) => `https://api.telegram.org/bot123456789:${t}/sendMessage?chat_id=-100123`, `AA${token(33)}`);
  add('Feishu hook', (t) => `https://open.feishu.cn/open-apis/bot/v2/hook/${t}`, uuid());
  add('Lark hook', (t) => `https://open.larksuite.com/open-apis/bot/v2/hook/${t}`, uuid());
  add('DingTalk robot', (t) => `https://oapi.dingtalk.com/robot/send?access_token=${t}`, hex(64));
  add('WeCom robot', (t) => `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${t}`, uuid());
  add('Discord webhook', (t) => `https://discord.com/api/webhooks/112233445566778899/${t}`, token(68));
  add('Discord (discordapp.com) webhook', (t) => `https://discordapp.com/api/webhooks/112233445566778899/${t}`, token(68));
  add('Microsoft Teams webhook', (t) => `https://contoso.webhook.office.com/webhookb2/${uuid()}@${uuid()}/IncomingWebhook/${t}/${uuid()}`, hex(32));
  add('Office 365 connector', (t) => `https://outlook.office.com/webhook/${uuid()}@${uuid()}/IncomingWebhook/${t}/${uuid()}`, hex(32));
  add('Power Automate workflow', (t) => `https://prod-12.westeurope.logic.azure.com:443/workflows/${hex(32)}/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${t}`, token(43));
  add('PagerDuty integration key in the path', (t) => `https://events.pagerduty.com/integration/${t}/enqueue`, hex(32));
  add('OpsGenie apiKey', (t) => `https://api.opsgenie.com/v1/json/prometheus?apiKey=${t}`, uuid());
  add('GitHub token in the path', (t) => `https://hooks.example.com/gh/${t}/events`, `ghp_${token(36)}`);
  add('GitLab token as a parameter value', (t) => `https://gitlab.example.com/api/v4/projects/1?private_token=${t}`, `glpat-${token(20)}`);
  add('JWT in the path', (t) => `https://hooks.example.com/jwt/${t}`, `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ2aWdpbCJ9.${token(43)}`);
  add('opaque token in the path (entropy)', (t) => `https://hooks.example.com/hooks/${t}`, token(32));
  add('opaque lower-case token in the path (entropy)', (t) => `https://chat.example.com/hooks/${t}`, token(26, 'abcdefghijklmnopqrstuvwxyz0123456789'));
  add('opaque token as a short-named parameter (entropy)', (t) => `https://hooks.example.com/a?t=${t}`, token(40));
  return v;
}

/** Credentials written as URL user-info. */
export function credentialVariants(): SecretUrl[] {
  const v: SecretUrl[] = [];
  const add = (name: string, make: (t: string) => string, t = token(20)) => v.push({ name, url: make(t), secret: t });
  add('user:password', (t) => `https://admin:${t}@service.example.com:9090`);
  add('token as user name', (t) => `https://${t}@service.example.com`);
  add('empty user, password', (t) => `https://:${t}@service.example.com`);
  add('encoded @ in the password', (t) => `https://ops%40corp:${t}%40x@service.example.com`);
  add('short plain user name and password', () => 'http://admin:admin@127.0.0.1:9090', 'admin:admin');
  add('GitHub token as user', (t) => `https://${t}@github.com/org/runbooks`, `ghp_${token(36)}`);
  add('oauth2:token', (t) => `https://oauth2:${t}@gitlab.example.com/ops`, `glpat-${token(20)}`);
  add('upper-case scheme', (t) => `HTTPS://user:${t}@service.example.com`);
  v[v.length - 1]!.textOnly = true;
  return v;
}

/** Scrape targets are host:port; credentials there are user-info without a scheme. */
export function targetVariants(): SecretUrl[] {
  const t1 = token(20);
  const t2 = token(20);
  const t3 = token(20);
  return [
    { name: 'target user:password', url: `scraper:${t1}@node-1:9100`, secret: t1 },
    { name: 'target token as user', url: `${t2}@node-1:9100`, secret: t2 },
    { name: 'target encoded user:password', url: `scraper%3A${t3}@node-1:9100`, secret: t3 },
  ];
}

/** Ordinary URLs that must never be reported: the cost of a false positive is a team switching the check off. */
export const ORDINARY_URLS: readonly string[] = [
  'http://prometheus:9090',
  'http://127.0.0.1:9093',
  'http://[::1]:9090',
  'https://prometheus.prod.example.com',
  'http://prometheus.dev:9090/-/reload',
  'https://grafana.example.com',
  'https://grafana.example.com/d/app/app-overview?orgId=1&var-x=y',
  'https://grafana.example.com/d/f47ac10b-58cc-4372-a567-0e02b2c3d479/node-exporter-full?orgId=1&refresh=30s&from=now-6h&to=now',
  'https://grafana.example.com/d/rYdddlPWk/node-exporter-full?var-datasource=P1809F7CD0C75ACF3&var-instance=node-1:9100',
  'https://grafana.example.com/d/de5gh2xk3l8u8c/kubernetes-compute-resources-namespace-pods?viewPanel=panel-3',
  'https://runbooks.example.com/queue-deep',
  'https://runbooks.example.com/ml-platform/InferenceLatencyHigh#mitigation',
  'https://github.com/example/runbooks/blob/3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39/gpu/memory.md',
  'https://github.com/example/runbooks/tree/main/node_exporter/NodeFilesystemAlmostFull',
  'https://wiki.example.com/wiki/spaces/OPS/pages/123456789/Queue+Deep',
  'https://docs.google.com/document/d/1aBcD3fGhIjKlMnOpQrStUvWxYz0123456789AbCdEf/edit#heading=h.2et92p0',
  'https://drive.google.com/drive/folders/1AbCdEfGhIjKlMnOpQrStUvWxYz012345',
  'https://www.notion.so/Runbook-GPU-Memory-1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d',
  'https://www.notion.so/example/7f3e9a0b1c2d4e5f8a9b0c1d2e3f4a5b?v=0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d&pvs=4',
  'https://hooks.example.com/alerts',
  'https://hooks.example.com/alerts?channel=ops&format=json',
  'https://hooks.example.com/v1/alerts?source=vigil&keyboard=us&monkey=1',
  'https://relay.example.com/api/v1/dingtalk/ops-channel',
  'http://vigil-relay.dev:9095',
  'https://influxdb.example.com:8086',
  'http://influxdb:8086/api/v1/prom/write?db=vigil&rp=autogen',
  'https://status.example.com/incidents?from=1700000000000&to=1700003600000',
  'https://kibana.example.com/app/discover#/?_g=(filters:!(),time:(from:now-1h,to:now))',
  'https://sentry.example.com/organizations/example/issues/?project=42&query=is%3Aunresolved',
  'http://{{ $labels.service }}/metrics',
  'https://grafana.example.com/d/app?var-service={{ $labels.service }}&from={{ $value }}',
  'https://example.com/path/with-a-long-but-ordinary-slug-about-queue-depth-alerts',
  'https://example.com/releases/v2.42.0/prometheus-2.42.0.linux-amd64.tar.gz',
  'https://example.com/runbooks/KubernetesPodCrashLooping2024Edition',
  'https://user-guide.example.com/en/latest/alerting/InferenceErrorBudgetBurn',
];

export const ORDINARY_TARGETS: readonly string[] = ['node-1:9100', 'localhost:9090', '10.0.0.12:9100', 'platform-api.dev:8080'];
