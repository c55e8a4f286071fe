import type { ReceiverIntegrations, SecretRef } from '../model/types.ts';
import type { AlertmanagerWriter } from './channel.ts';

/**
 * Alertmanager 0.25's own integrations, written by a receiver's `alertmanager:` block in Alertmanager's words and
 * emitted as they are, after the first-class channels' configs of the same list. Only their secrets are Vigil's
 * business: each is a reference, written as the field's `*_file` variant where 0.25 has one, else as a placeholder
 * deploy fills. 0.25's discord_configs is not offered: its webhook_url (the credential) has no `_file` variant and
 * does not load as a placeholder, so it could only be written literally.
 */
export type IntegrationList = keyof ReceiverIntegrations;

/** A secret field of one config: where it is, and the `*_file` field 0.25 reads it from instead (none: placeholder). */
export interface IntegrationSecretField {
  path: readonly string[];
  file?: string;
}

/** The HTTP client's secrets, in every integration that has an http_config. */
const HTTP_SECRETS: readonly IntegrationSecretField[] = [
  { path: ['http_config', 'basic_auth', 'password'], file: 'password_file' },
  { path: ['http_config', 'authorization', 'credentials'], file: 'credentials_file' },
  { path: ['http_config', 'oauth2', 'client_secret'], file: 'client_secret_file' },
  { path: ['http_config', 'bearer_token'], file: 'bearer_token_file' },
];

/** Every list 0.25 accepts, in the order alertmanager.yml writes them, with the secrets of one config. */
export const INTEGRATION_SECRETS: Readonly<Record<IntegrationList, readonly IntegrationSecretField[]>> = {
  email_configs: [{ path: ['auth_password'], file: 'auth_password_file' }, { path: ['auth_secret'] }],
  pagerduty_configs: [{ path: ['routing_key'], file: 'routing_key_file' }, { path: ['service_key'], file: 'service_key_file' }, ...HTTP_SECRETS],
  slack_configs: [{ path: ['api_url'], file: 'api_url_file' }, ...HTTP_SECRETS],
  webhook_configs: HTTP_SECRETS,
  opsgenie_configs: [{ path: ['api_key'], file: 'api_key_file' }, ...HTTP_SECRETS],
  wechat_configs: [{ path: ['api_secret'] }, ...HTTP_SECRETS],
  pushover_configs: [{ path: ['user_key'] }, { path: ['token'] }, ...HTTP_SECRETS],
  victorops_configs: [{ path: ['api_key'], file: 'api_key_file' }, ...HTTP_SECRETS],
  sns_configs: [{ path: ['sigv4', 'secret_key'] }, ...HTTP_SECRETS],
  telegram_configs: [{ path: ['bot_token'] }, ...HTTP_SECRETS],
  webex_configs: HTTP_SECRETS,
};

export const INTEGRATION_LISTS = Object.keys(INTEGRATION_SECRETS) as IntegrationList[];

/** The integrations' configs, list by list, in INTEGRATION_LISTS order. */
export function integrationConfigs(integrations: ReceiverIntegrations | undefined): { list: IntegrationList; configs: Record<string, unknown>[] }[] {
  return INTEGRATION_LISTS.flatMap((list) => {
    const configs = integrations?.[list] as Record<string, unknown>[] | undefined;
    return configs?.length ? [{ list, configs }] : [];
  });
}

/** A secret field of a config that holds something other than a reference: a literal (secret/literal reports it). */
export function literalIntegrationSecrets(integrations: ReceiverIntegrations | undefined): { path: (string | number)[]; field: string }[] {
  const found: { path: (string | number)[]; field: string }[] = [];
  for (const { list, configs } of integrationConfigs(integrations)) {
    configs.forEach((config, i) => {
      for (const field of INTEGRATION_SECRETS[list]) {
        const value = valueAt(config, field.path);
        if (value !== undefined && !isSecretRef(value)) found.push({ path: [list, i, ...field.path], field: `${list}.${field.path.join('.')}` });
      }
    });
  }
  return found;
}

/** Whether a path in a Receivers definition (…, alertmanager, <list>, i, …field) is a secret field of an integration. */
export function isIntegrationSecretPath(path: readonly (string | number)[]): boolean {
  const at = path.indexOf('alertmanager');
  const list = path[at + 1] as IntegrationList;
  if (at < 0 || !Object.hasOwn(INTEGRATION_SECRETS, list) || typeof path[at + 2] !== 'number') return false;
  const rest = path.slice(at + 3).join('.');
  return INTEGRATION_SECRETS[list].some((f) => f.path.join('.') === rest);
}

/**
 * One config as alertmanager.yml holds it: a copy with every secret reference written by `write` (the `*_file` field in
 * the place of the secret's, or a placeholder), and any secret that is not a reference left out.
 */
export function writeIntegrationConfig(list: IntegrationList, config: Record<string, unknown>, write: AlertmanagerWriter): Record<string, unknown> {
  const out = structuredClone(config);
  for (const field of INTEGRATION_SECRETS[list]) {
    const parent = valueAt(out, field.path.slice(0, -1)) as Record<string, unknown> | undefined;
    const key = field.path[field.path.length - 1]!;
    if (!parent || typeof parent !== 'object' || parent[key] === undefined) continue;
    const value = parent[key];
    const name = `${list}.${field.path.join('.')}`;
    if (!isSecretRef(value)) delete parent[key];
    else if (field.file) renameKey(parent, key, field.file, write.file(value, `${list}.${[...field.path.slice(0, -1), field.file].join('.')}`));
    else parent[key] = write.placeholder(value, name);
  }
  return out;
}

function isSecretRef(value: unknown): value is SecretRef {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && ((keys[0] === 'env' || keys[0] === 'file') && typeof (value as Record<string, unknown>)[keys[0]] === 'string');
}

/** The value at a path of object keys, or undefined where the path leaves the objects. */
export function valueAt(root: unknown, path: readonly string[]): unknown {
  let at = root;
  for (const key of path) {
    if (at === null || typeof at !== 'object' || Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** Replaces `from` by `to` in the same position, so the emitted config reads in the order it was written. */
function renameKey(object: Record<string, unknown>, from: string, to: string, value: unknown): void {
  const entries = Object.entries(object).map(([k, v]): [string, unknown] => (k === from ? [to, value] : [k, v]));
  for (const k of Object.keys(object)) delete object[k];
  Object.assign(object, Object.fromEntries(entries));
}
