/**
 * Literal secrets of an imported alertmanager.yml become references `{ env: NAME }`. The NAME is derived from where
 * the secret was (integration, field, receiver), so the same input always gives the same names, and made unique.
 * Only names ever leave this module in messages: a value is read to move it out of the definitions, never shown.
 */
import { findUrlSecrets } from '../checks/secret-url.ts';
import { INTEGRATION_SECRETS, type IntegrationList } from '../channels/alertmanager-integrations.ts';

export interface ExtractedSecret {
  /** The environment variable to set. */
  env: string;
  /** Where the value was, in words: `receiver team-X-pager, pagerduty_configs[0].routing_key`. */
  where: string;
}

/** Upper case, anything but letters and digits as `_`: `team-X.pager` → `TEAM_X_PAGER`. */
export function envPart(text: string): string {
  return text
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

export class SecretNames {
  readonly extracted: ExtractedSecret[] = [];
  private readonly used = new Set<string>();

  /** A new variable named from `parts` (`SLACK_API_URL`, receiver), `_2`, `_3`… when the name is taken. */
  take(parts: readonly string[], where: string): { env: string } {
    let base = parts.map(envPart).filter(Boolean).join('_') || 'SECRET';
    if (/^[0-9]/.test(base)) base = `S_${base}`;
    base = base.slice(0, 120);
    let env = base;
    for (let n = 2; this.used.has(env); n++) env = `${base}_${n}`;
    this.used.add(env);
    this.extracted.push({ env, where });
    return { env };
  }
}

const LIST_PREFIX: Record<IntegrationList, string> = {
  email_configs: 'EMAIL',
  pagerduty_configs: 'PAGERDUTY',
  slack_configs: 'SLACK',
  webhook_configs: 'WEBHOOK',
  opsgenie_configs: 'OPSGENIE',
  wechat_configs: 'WECHAT',
  pushover_configs: 'PUSHOVER',
  victorops_configs: 'VICTOROPS',
  sns_configs: 'SNS',
  telegram_configs: 'TELEGRAM',
  webex_configs: 'WEBEX',
};

const isRef = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v) && ('env' in v || 'file' in v);

/** The value at a path of a config object. */
function get(config: Record<string, unknown>, path: readonly string[]): unknown {
  let at: unknown = config;
  for (const key of path) at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[key] : undefined;
  return at;
}

function set(config: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let at = config;
  for (const key of path.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
  at[path[path.length - 1]!] = value;
}

export interface ConfigSecrets {
  config: Record<string, unknown>;
  /** What could not be carried safely (never a value): the caller lists it as needing review. */
  review: string[];
}

/**
 * One integration config with its literal secrets as references: every secret field Alertmanager 0.25 has for the
 * list (`api_url` of Slack, `routing_key` of PagerDuty, `http_config.basic_auth.password`, …), and credentials in a
 * `url` (user:password@ moves to `http_config.basic_auth`). A URL that still carries a token cannot be referenced
 * (Alertmanager 0.25 has no url_file): it is replaced by a placeholder address and listed for review.
 */
export function extractConfigSecrets(list: IntegrationList, input: Record<string, unknown>, receiver: string, index: number, names: SecretNames): ConfigSecrets {
  const config = structuredClone(input);
  const review: string[] = [];
  const where = (field: string) => `receiver ${receiver}, ${list}[${index}].${field}`;
  const nameParts = (field: readonly string[]) => [LIST_PREFIX[list], ...field, receiver, ...(index > 0 ? [String(index + 1)] : [])];

  if (typeof config.url === 'string') {
    const moved = moveUrlCredentials(config.url);
    // A bare user name is how many services take a token: it stays in the URL and is caught below.
    if (moved?.password !== undefined) {
      const http = (config.http_config ??= {}) as Record<string, unknown>;
      if (http.basic_auth !== undefined || http.authorization !== undefined || http.bearer_token !== undefined || http.bearer_token_file !== undefined || http.oauth2 !== undefined) {
        review.push(`${where('url')}: user:password in the URL and an http_config authentication both; the URL's credentials were dropped (set them in http_config)`);
      } else {
        http.basic_auth = { username: moved.username, password: names.take(nameParts(['url', 'password']), where('url (password)')) };
      }
      config.url = moved.url;
    }
  }
  for (const field of INTEGRATION_SECRETS[list]) {
    const value = get(config, field.path);
    if (value === undefined || value === null || isRef(value)) continue;
    set(config, field.path, names.take(nameParts(field.path), where(field.path.join('.'))));
  }
  for (const path of stringPaths(config)) {
    const value = get(config, path) as string;
    if (findUrlSecrets(value).length === 0) continue;
    set(config, path, 'https://replace-me.invalid/');
    review.push(`${where(path.join('.'))}: the URL carries a token Alertmanager 0.25 cannot read from a file; written as https://replace-me.invalid/, put the real URL back by hand`);
  }
  return { config, review };
}

/** `https://user:pass@host/…` → the URL without user-info, and the user name and password. */
export function moveUrlCredentials(url: string): { url: string; username: string; password?: string } | undefined {
  const m = /^(https?:\/\/)([^/?#@]*)@(.*)$/s.exec(url);
  if (!m) return undefined;
  const [, scheme, userinfo, rest] = m as unknown as [string, string, string, string];
  const colon = userinfo.indexOf(':');
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  if (colon < 0) return { url: `${scheme}${rest}`, username: decode(userinfo) };
  return { url: `${scheme}${rest}`, username: decode(userinfo.slice(0, colon)), password: decode(userinfo.slice(colon + 1)) };
}

/** Paths of every string value in a config (its secret references are objects and are not visited as strings). */
function stringPaths(value: unknown, path: string[] = []): string[][] {
  if (typeof value === 'string') return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringPaths(v, [...path, String(i)]));
  if (typeof value === 'object' && value !== null && !isRef(value)) return Object.entries(value).flatMap(([k, v]) => stringPaths(v, [...path, k]));
  return [];
}
