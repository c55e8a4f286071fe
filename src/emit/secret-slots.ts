import type { DocumentPath, SecretUse } from '../build/secret-use.ts';
import type { SecretRef } from '../model/types.ts';
import { uniqueSorted, type Artifact } from './artifact.ts';
import { DoubleQuoted } from './yaml-writer.ts';
import { INTEGRATION_LISTS, INTEGRATION_SECRETS } from '../channels/alertmanager-integrations.ts';

/** The one list of every secret the generated files refer to (names, paths and positions; never values). */
import { SECRETS_PATH } from '../build/paths.ts';
export { SECRETS_PATH };

/**
 * Fields where a service (Prometheus, Alertmanager) keeps a value as a Go `Secret` and shows it as `<secret>`: the
 * only fields deploy ever fills with a secret, so a filled-in value can never be read back through a status page.
 * Keyed by the field's whole path in the document, list indices left out (`receivers.pushover_configs.token`): two
 * integrations may name a field alike (`token`, `api_key`, `http_config.basic_auth.password`) and only the one listed
 * here takes a placeholder.
 * `templated`: the service runs the value as a Go template before use (Alertmanager 0.25's WeChat `api_secret`,
 * Pushover's `user_key` and `token`), so the secret goes in as template text that renders as itself.
 */
const TEMPLATED_SECRETS = new Set(['wechat_configs.api_secret', 'pushover_configs.user_key', 'pushover_configs.token']);

export const SECRET_FIELDS: ReadonlyMap<string, { templated: boolean }> = new Map([
  // Prometheus: shown as <secret> by its config API.
  ['scrape_configs.authorization.credentials', { templated: false }],
  ['remote_write.basic_auth.password', { templated: false }],
  // Alertmanager 0.25: the secrets of a receiver's integrations that have no `*_file` variant.
  ...INTEGRATION_LISTS.flatMap((list) =>
    INTEGRATION_SECRETS[list]
      .filter((f) => f.file === undefined)
      .map((f): [string, { templated: boolean }] => [`receivers.${list}.${f.path.join('.')}`, { templated: TEMPLATED_SECRETS.has(`${list}.${f.path.join('.')}`) }]),
  ),
]);

/** The secret field at a place in a document, if deploy may fill it: looked up by the whole path, never its last key. */
export function secretFieldAt(at: DocumentPath): { templated: boolean } | undefined {
  return SECRET_FIELDS.get(at.filter((k) => typeof k === 'string').join('.'));
}

export type { DocumentPath, SecretUse } from '../build/secret-use.ts';

/** A place in a generated YAML document that deploy fills with a secret; it is written as a double-quoted placeholder. */
export class SecretPlaceholder extends DoubleQuoted {
  constructor(
    readonly ref: SecretRef,
    /** The service's name of the field, e.g. `wechat_configs.api_secret`. */
    readonly field: string,
    readonly receiver?: string,
  ) {
    super(placeholderText(ref));
  }
}

export const placeholderText = (ref: SecretRef) => (ref.env !== undefined ? `\${${ref.env}}` : `\${file:${ref.file}}`);


/** Every SecretPlaceholder in a document about to be written as `artifact`, with its path in the document. */
export function secretSlotsOf(artifact: string, document: unknown): SecretUse[] {
  const found: SecretUse[] = [];
  const walk = (value: unknown, at: DocumentPath) => {
    if (value instanceof SecretPlaceholder) {
      if (!secretFieldAt(at)) throw new Error(`secret placeholder at ${at.join('.')}: not a field the service masks`);
      found.push(clean({ artifact, at, env: value.ref.env, file: value.ref.file, receiver: value.receiver, field: value.field, as: 'placeholder' as const, placeholder: value.value }));
    } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...at, i]));
    else if (value !== null && typeof value === 'object' && !(value instanceof DoubleQuoted)) {
      for (const [k, v] of Object.entries(value)) walk(v, [...at, k]);
    }
  };
  walk(document, []);
  return found;
}

/** secrets.json: every secret use of every file, sorted so that it is the same on every run; none when nothing needs one. */
export function secretsList(artifacts: readonly Artifact[]): Artifact | undefined {
  const holders = artifacts.filter((a) => a.secrets?.length);
  if (holders.length === 0) return undefined;
  const uses = holders.flatMap((a) => a.secrets!).sort((a, b) => compare(sortKey(a), sortKey(b)));
  return { path: SECRETS_PATH, content: JSON.stringify({ secrets: uses }, null, 2) + '\n', sources: uniqueSorted(holders.flatMap((a) => a.sources)) };
}

const sortKey = (u: SecretUse) => [u.artifact ?? '', u.as, u.receiver ?? '', u.field, u.env ?? u.file ?? '', JSON.stringify(u.at ?? [])].join('\u0000');
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
