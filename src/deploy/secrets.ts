import { readFile } from 'node:fs/promises';
import { secretPlaceholdersIn, substituteSecretPlaceholders } from '../emit/alertmanager.ts';
import type { SecretRef } from '../model/types.ts';
import { DeployError } from './errors.ts';

/**
 * Neither Prometheus nor Alertmanager expands environment variables in its configuration. generated/ holds only
 * references: `*_file` paths, or a `"${NAME}"` / `"${file:/path}"` placeholder where the service has no file variant.
 * Deploy resolves them here and writes the values only into the copy on the target (mode 0600).
 */
export interface SecretSource {
  env: NodeJS.ProcessEnv;
  readFile(path: string): Promise<string>;
}

export const processSecrets: SecretSource = { env: process.env, readFile: (p) => readFile(p, 'utf8') };

interface Materialised {
  content: string;
  /** Whether any secret value went in: then the file must be written with mode 0600. */
  holdsSecrets: boolean;
}

/** Fills every placeholder of a config; fails naming every missing secret, so nothing half-filled is written. */
export async function materialise(file: string, content: string, source: SecretSource = processSecrets): Promise<Materialised> {
  const placeholders = secretPlaceholdersIn(content);
  if (placeholders.length === 0) return { content, holdsSecrets: false };
  const values = new Map<string, string>();
  const missing: string[] = [];
  for (const placeholder of placeholders) {
    const key = placeholder.slice(2, -1);
    const value = await resolve(key, source);
    if (value === undefined) missing.push(key.startsWith('file:') ? `file ${key.slice(5)}` : `$${key}`);
    else values.set(placeholder, value);
  }
  if (missing.length) {
    throw new DeployError(
      `${file} needs secrets that are not available here: ${missing.join(', ')}`,
      'set the environment variables (in CI: repository or environment secrets) or create the files, then deploy again',
      'deploy/secret',
    );
  }
  return { content: substituteSecretPlaceholders(content, values), holdsSecrets: true };
}

async function resolve(key: string, source: SecretSource): Promise<string | undefined> {
  if (key.startsWith('file:')) {
    try {
      return (await source.readFile(key.slice(5))).replace(/\r?\n$/, '');
    } catch {
      return undefined;
    }
  }
  const v = source.env[key];
  return v === undefined || v === '' ? undefined : v;
}

/** A secret the deploy itself uses (Grafana token, InfluxDB password). */
export async function secretValue(ref: SecretRef, what: string, source: SecretSource = processSecrets): Promise<string> {
  const value = await resolve(ref.env ?? `file:${ref.file}`, source);
  if (value === undefined) {
    throw new DeployError(
      `${what} is not available: ${ref.env ? `environment variable $${ref.env} is not set` : `cannot read ${ref.file}`}`,
      'set it (in CI: a repository or environment secret) and deploy again',
      'deploy/secret',
    );
  }
  return value;
}

/**
 * For `vigil plan` where deploy secrets are not available (a pull request): a missing secret that only goes into a
 * config file reads as a marker and is listed in `missing`; Alertmanager shows secrets as <secret> anyway.
 */
/** What a lenient plan puts where a secret is missing; a file holding it cannot be compared with the target's copy. */
const UNAVAILABLE_SECRET = '<not available to the plan>';

/** Whether a materialised config holds a secret a lenient plan could not resolve. */
export const lacksSecrets = (content: string) => content.includes(JSON.stringify(UNAVAILABLE_SECRET));

export function tolerantSecrets(source: SecretSource, missing: string[]): SecretSource {
  return {
    env: new Proxy(source.env, {
      get(target, key) {
        const v = target[key as string];
        if ((v === undefined || v === '') && typeof key === 'string') {
          if (!missing.includes(`$${key}`)) missing.push(`$${key}`);
          return UNAVAILABLE_SECRET;
        }
        return v;
      },
    }),
    async readFile(file) {
      try {
        return await source.readFile(file);
      } catch {
        if (!missing.includes(file)) missing.push(file);
        return UNAVAILABLE_SECRET;
      }
    },
  };
}
