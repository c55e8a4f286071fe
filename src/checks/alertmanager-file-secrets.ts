import { INTEGRATION_SECRETS, integrationConfigs, valueAt } from '../channels/alertmanager-integrations.ts';
import type { Model, SecretRef } from '../model/types.ts';

/**
 * The `{ env: NAME }` secrets alertmanager.yml reads from a file the deploy writes: every field with a `*_file`
 * variant in Alertmanager 0.25 — the SMTP password, the global http_config's, a webhook channel's bearer token, and
 * those of the receivers' own integrations (`alertmanager:` blocks: slack api_url, pagerduty routing_key, their
 * http_config, …). Sorted, each name once.
 */
export function fileSecretNames(model: Model): string[] {
  const names = new Set<string>();
  const add = (value: unknown) => {
    const env = envOf(value);
    if (env !== undefined) names.add(env);
  };
  add(model.project?.smtp?.authPassword);
  const http = model.project?.alertmanager?.httpConfig;
  add(http?.basicAuth?.password);
  add(http?.authorization?.credentials);
  for (const r of model.receivers) {
    add(r.channels.webhook?.bearerToken);
    for (const { list, configs } of integrationConfigs(r.integrations)) {
      for (const config of configs) for (const field of INTEGRATION_SECRETS[list]) if (field.file) add(valueAt(config, field.path));
    }
  }
  return [...names].sort();
}

function envOf(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const env = (value as SecretRef).env;
  return typeof env === 'string' && env !== '' ? env : undefined;
}
