/**
 * The receivers of an imported alertmanager.yml. An integration that maps exactly onto one of Vigil's channels
 * becomes that channel (email with only `to`, a webhook with url, max_alerts and a bearer token); every other one is
 * carried in the receiver's `alertmanager:` block as Alertmanager spells it, its literal secrets as references.
 */
import { findUrlSecrets } from '../checks/secret-url.ts';
import { INTEGRATION_LISTS, type IntegrationList } from '../channels/alertmanager-integrations.ts';
import { error, isObject, note, type ImportContext } from './alertmanager-context.ts';
import { extractConfigSecrets } from './alertmanager-secrets.ts';

/** Defaults a config takes from `global:` when it does not set the field itself (copied in, since Vigil has no place for them). */
export type ConfigDefaults = Partial<Record<IntegrationList, Record<string, unknown>>>;

const EMAIL = /^[^@\s]+@[^@\s]+$/;

export function importReceivers(ctx: ImportContext, defaults: ConfigDefaults, projectHasSmtp: boolean): { receivers: Record<string, unknown>[]; counts: { receivers: number; mapped: number; passthrough: number } } {
  const list = ctx.source.config.receivers;
  const counts = { receivers: 0, mapped: 0, passthrough: 0 };
  if (!Array.isArray(list) || list.length === 0) {
    error(ctx, 'expected `receivers:` (a list of receivers)', list === undefined ? [] : ['receivers']);
    return { receivers: [], counts };
  }
  ctx.receivers.declare(list.flatMap((r) => (isObject(r) && typeof r.name === 'string' ? [r.name] : [])));
  const discarded: string[] = [];
  const receivers = list.flatMap((raw, i) => {
    const path = ['receivers', i];
    if (!isObject(raw) || typeof raw.name !== 'string' || raw.name === '') {
      error(ctx, 'a receiver is a mapping with a `name`', path);
      return [];
    }
    counts.receivers++;
    const name = ctx.receivers.of(raw.name);
    const out: Record<string, unknown> = { name };
    const passthrough: Record<string, unknown[]> = {};
    for (const [key, value] of Object.entries(raw)) {
      if (key === 'name') continue;
      if (!INTEGRATION_LISTS.includes(key as IntegrationList)) {
        note(ctx, 'review', `receiver ${name}: \`${key}\` is not carried (Vigil carries Alertmanager 0.25's ${INTEGRATION_LISTS.join(', ')}); add the delivery by hand`, [...path, key]);
        continue;
      }
      const listName = key as IntegrationList;
      if (!Array.isArray(value)) {
        error(ctx, `receiver ${raw.name}: \`${key}\` must be a list`, [...path, key]);
        continue;
      }
      value.forEach((config, j) => {
        if (!isObject(config)) return error(ctx, `receiver ${raw.name}: ${key}[${j}] must be a mapping`, [...path, key, j]);
        const withDefaults = { ...structuredClone(defaults[listName] ?? {}), ...config };
        for (const field of Object.keys(defaults[listName] ?? {})) if (config[`${field}_file`] !== undefined) delete withDefaults[field];
        if (listName === 'email_configs' && projectHasSmtp && out.email === undefined) {
          const email = firstClassEmail(withDefaults);
          if (email) {
            out.email = email;
            counts.mapped++;
            return note(ctx, 'mapped', `receiver ${name}: email_configs[${j}] → email (the message now uses Vigil's template)`, [...path, key, j]);
          }
        }
        if (listName === 'webhook_configs' && out.webhook === undefined) {
          const webhook = firstClassWebhook(ctx, withDefaults, name);
          if (webhook) {
            out.webhook = webhook;
            counts.mapped++;
            return note(ctx, 'mapped', `receiver ${name}: webhook_configs[${j}] → webhook`, [...path, key, j]);
          }
        }
        const extracted = extractConfigSecrets(listName, withDefaults, name, (passthrough[listName] ?? []).length, ctx.secrets);
        for (const r of extracted.review) note(ctx, 'review', r, [...path, key, j]);
        (passthrough[listName] ??= []).push(extracted.config);
        counts.passthrough++;
        note(ctx, 'passthrough', `receiver ${name}: ${key}[${j}] carried in alertmanager:`, [...path, key, j]);
      });
    }
    if (Object.keys(passthrough).length) out.alertmanager = passthrough;
    if (Object.keys(out).length === 1) {
      out.discard = true;
      discarded.push(name);
    }
    return [out];
  });
  // `null` is the usual receiver that swallows Watchdog on purpose; any other empty receiver may be a forgotten channel.
  const swallowing = discarded.filter((n) => n === 'null');
  const others = discarded.filter((n) => n !== 'null');
  if (swallowing.length) note(ctx, 'by design', 'receiver null has no integration: written as discard: true');
  if (others.length) note(ctx, 'review', `receivers without any integration, written as discard: true (they deliver nothing, as in the input): ${others.join(', ')}`);
  return { receivers, counts };
}

/** `email_configs` with only `to` (and `send_resolved`): Vigil's email channel. Alertmanager's email default is not to send resolved. */
function firstClassEmail(config: Record<string, unknown>): Record<string, unknown> | undefined {
  if (!Object.keys(config).every((k) => k === 'to' || k === 'send_resolved')) return undefined;
  if (typeof config.to !== 'string' || config.to.includes('{{')) return undefined;
  const to = config.to.split(',').map((t) => t.trim());
  if (to.length === 0 || !to.every((t) => EMAIL.test(t) && t.length <= 1024)) return undefined;
  if (config.send_resolved !== undefined && typeof config.send_resolved !== 'boolean') return undefined;
  return { to, sendResolved: config.send_resolved ?? false };
}

/** `webhook_configs` with url, max_alerts, send_resolved and at most a bearer credential: Vigil's webhook channel. */
function firstClassWebhook(ctx: ImportContext, config: Record<string, unknown>, receiver: string): Record<string, unknown> | undefined {
  if (!Object.keys(config).every((k) => ['url', 'send_resolved', 'max_alerts', 'http_config'].includes(k))) return undefined;
  const url = config.url;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url) || url.length > 2048 || url.includes('{{') || findUrlSecrets(url).length > 0) return undefined;
  if (config.max_alerts !== undefined && !(Number.isInteger(config.max_alerts) && (config.max_alerts as number) >= 0)) return undefined;
  if (config.send_resolved !== undefined && typeof config.send_resolved !== 'boolean') return undefined;
  let bearer: { file: string } | 'literal' | undefined;
  if (config.http_config !== undefined) {
    const http = config.http_config;
    if (!isObject(http) || Object.keys(http).join() !== 'authorization' || !isObject(http.authorization)) return undefined;
    const auth = http.authorization;
    if (!Object.keys(auth).every((k) => ['type', 'credentials', 'credentials_file'].includes(k))) return undefined;
    if (auth.type !== undefined && auth.type !== 'Bearer') return undefined;
    if (typeof auth.credentials_file === 'string' && auth.credentials === undefined && auth.credentials_file.startsWith('/')) bearer = { file: auth.credentials_file };
    else if (typeof auth.credentials === 'string' && auth.credentials_file === undefined) bearer = 'literal';
    else return undefined;
  }
  const out: Record<string, unknown> = { url };
  if (config.max_alerts !== undefined) out.maxAlerts = config.max_alerts;
  if (bearer === 'literal') out.bearerToken = ctx.secrets.take(['WEBHOOK_BEARER_TOKEN', receiver], `receiver ${receiver}, webhook_configs http_config.authorization.credentials`);
  else if (bearer) out.bearerToken = bearer;
  if (config.send_resolved !== undefined) out.sendResolved = config.send_resolved;
  return out;
}
