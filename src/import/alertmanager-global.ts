/**
 * `global:` and `templates:` of an imported alertmanager.yml: what the Project can hold (resolve_timeout, smtp_hello,
 * http_config, templates, the SMTP account), and the per-integration defaults it cannot, which are copied into every
 * config of their integration that does not set them, so each config still means what it meant.
 */
import { isObject, note, type ImportContext } from './alertmanager-context.ts';
import type { ConfigDefaults } from './alertmanager-receivers.ts';
import type { IntegrationList } from '../channels/alertmanager-integrations.ts';

/** Global key → the integration list and field it is the default of; secret fields become one shared reference. */
const INTEGRATION_DEFAULTS: Record<string, { list: IntegrationList; field: string; secret?: boolean; file?: boolean }> = {
  slack_api_url: { list: 'slack_configs', field: 'api_url', secret: true },
  slack_api_url_file: { list: 'slack_configs', field: 'api_url', file: true },
  pagerduty_url: { list: 'pagerduty_configs', field: 'url' },
  opsgenie_api_key: { list: 'opsgenie_configs', field: 'api_key', secret: true },
  opsgenie_api_key_file: { list: 'opsgenie_configs', field: 'api_key', file: true },
  opsgenie_api_url: { list: 'opsgenie_configs', field: 'api_url' },
  victorops_api_key: { list: 'victorops_configs', field: 'api_key', secret: true },
  victorops_api_key_file: { list: 'victorops_configs', field: 'api_key', file: true },
  victorops_api_url: { list: 'victorops_configs', field: 'api_url' },
  wechat_api_url: { list: 'wechat_configs', field: 'api_url' },
  wechat_api_secret: { list: 'wechat_configs', field: 'api_secret', secret: true },
  wechat_api_corp_id: { list: 'wechat_configs', field: 'corp_id' },
  telegram_api_url: { list: 'telegram_configs', field: 'api_url' },
  webex_api_url: { list: 'webex_configs', field: 'api_url' },
  smtp_auth_identity: { list: 'email_configs', field: 'auth_identity' },
  smtp_auth_secret: { list: 'email_configs', field: 'auth_secret', secret: true },
};

/** The SMTP account, when the Project's smtp cannot hold it: each email config gets it. */
const SMTP_DEFAULTS: Record<string, { field: string; secret?: boolean; file?: boolean }> = {
  smtp_smarthost: { field: 'smarthost' },
  smtp_from: { field: 'from' },
  smtp_auth_username: { field: 'auth_username' },
  smtp_auth_password: { field: 'auth_password', secret: true },
  smtp_auth_password_file: { field: 'auth_password', file: true },
  smtp_require_tls: { field: 'require_tls' },
};

export function importGlobal(ctx: ImportContext): { alertmanager: Record<string, unknown>; smtp?: Record<string, unknown>; defaults: ConfigDefaults } {
  const config = ctx.source.config;
  const global = isObject(config.global) ? config.global : {};
  const alertmanager: Record<string, unknown> = {};
  const defaults: ConfigDefaults = {};
  const addDefault = (list: IntegrationList, field: string, value: unknown) => ((defaults[list] ??= {})[field] = value);
  if (global.resolve_timeout !== undefined) alertmanager.resolveTimeout = String(global.resolve_timeout);
  if (global.smtp_hello !== undefined) alertmanager.smtpHello = String(global.smtp_hello);
  if (global.http_config !== undefined) {
    const http = httpConfig(ctx, global.http_config);
    if (http) alertmanager.httpConfig = http;
  }
  const templates = Array.isArray(config.templates) ? config.templates.map(String) : [];
  const absolute = templates.filter((t) => t.startsWith('/'));
  if (absolute.length) alertmanager.templates = [...new Set(absolute)];
  for (const t of templates.filter((t) => !t.startsWith('/'))) note(ctx, 'review', `template file ${JSON.stringify(t)} is relative to alertmanager.yml's directory: write its absolute path in Project alertmanager.templates`, ['templates']);

  let smtp: Record<string, unknown> | undefined;
  const smarthost = global.smtp_smarthost;
  const from = global.smtp_from;
  if (typeof smarthost === 'string' && /^[^:\s]+:[0-9]+$/.test(smarthost) && typeof from === 'string' && from.length >= 3 && !from.includes('{{')) {
    smtp = { smarthost, from };
    if (global.smtp_auth_username !== undefined) smtp.authUsername = String(global.smtp_auth_username);
    if (global.smtp_auth_password !== undefined) smtp.authPassword = ctx.secrets.take(['SMTP_AUTH_PASSWORD'], 'global.smtp_auth_password');
    else if (typeof global.smtp_auth_password_file === 'string') smtp.authPassword = { file: global.smtp_auth_password_file };
    if (typeof global.smtp_require_tls === 'boolean') smtp.requireTls = global.smtp_require_tls;
  } else {
    for (const [key, d] of Object.entries(SMTP_DEFAULTS)) {
      if (global[key] === undefined) continue;
      addDefault('email_configs', d.field, d.secret ? ctx.secrets.take(['SMTP_AUTH_PASSWORD'], `global.${key}`) : d.file ? { file: String(global[key]) } : global[key]);
    }
    if (Object.keys(global).some((k) => Object.hasOwn(SMTP_DEFAULTS, k))) note(ctx, 'by design', 'the global SMTP settings do not fit Project smtp (it needs smtp_smarthost host:port and smtp_from): each email config carries them');
  }
  for (const [key, d] of Object.entries(INTEGRATION_DEFAULTS)) {
    if (global[key] === undefined) continue;
    addDefault(d.list, d.field, d.secret ? ctx.secrets.take([key], `global.${key}`) : d.file ? { file: String(global[key]) } : global[key]);
  }
  const known = new Set(['resolve_timeout', 'smtp_hello', 'http_config', ...Object.keys(INTEGRATION_DEFAULTS), ...Object.keys(SMTP_DEFAULTS)]);
  for (const key of Object.keys(global)) if (!known.has(key)) note(ctx, 'review', `global.${key} is not carried (no Project field for it)`, ['global', key]);
  for (const key of Object.keys(config)) {
    if (!['global', 'route', 'receivers', 'inhibit_rules', 'time_intervals', 'mute_time_intervals', 'templates'].includes(key)) note(ctx, 'review', `\`${key}\` is not carried (Vigil has no place for it)`, [key]);
  }
  return { alertmanager, ...(smtp ? { smtp } : {}), defaults };
}

/** global.http_config in the Project's camelCase; its secrets as references; what it cannot hold listed for review. */
function httpConfig(ctx: ImportContext, raw: unknown): Record<string, unknown> | undefined {
  if (!isObject(raw)) return undefined;
  const out: Record<string, unknown> = {};
  const skip = (key: string) => note(ctx, 'review', `global.http_config.${key} is not carried (Project alertmanager.httpConfig has proxyUrl, followRedirects, enableHttp2, basicAuth, authorization, tlsConfig)`, ['global', 'http_config', key]);
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'proxy_url') out.proxyUrl = value;
    else if (key === 'follow_redirects') out.followRedirects = value;
    else if (key === 'enable_http2') out.enableHttp2 = value;
    else if (key === 'basic_auth' && isObject(value)) {
      const password = value.password !== undefined ? ctx.secrets.take(['ALERTMANAGER_HTTP_PASSWORD'], 'global.http_config.basic_auth.password') : typeof value.password_file === 'string' ? { file: value.password_file } : undefined;
      if (password) out.basicAuth = { username: String(value.username ?? ''), password };
      else skip(key);
    } else if (key === 'authorization' && isObject(value)) {
      const credentials = value.credentials !== undefined ? ctx.secrets.take(['ALERTMANAGER_HTTP_CREDENTIALS'], 'global.http_config.authorization.credentials') : typeof value.credentials_file === 'string' ? { file: value.credentials_file } : undefined;
      if (credentials) out.authorization = { ...(value.type !== undefined ? { type: String(value.type) } : {}), credentials };
      else skip(key);
    } else if (key === 'tls_config' && isObject(value)) {
      const names: Record<string, string> = { ca_file: 'caFile', cert_file: 'certFile', key_file: 'keyFile', server_name: 'serverName', insecure_skip_verify: 'insecureSkipVerify', min_version: 'minVersion' };
      const tls: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        if (names[k]) tls[names[k]] = v;
        else skip(`tls_config.${k}`);
      }
      out.tlsConfig = tls;
    } else skip(key);
  }
  return out;
}
