import { keySpanOf } from '../model/types.ts';
import { fileSecretNames } from './alertmanager-file-secrets.ts';
import type { Check } from './check.ts';

/**
 * One alertmanager.yml serves every peer, so it can name one directory for the secret files the deploy writes. When
 * the peers' secretsDir differ (a mount per host, each beside its own configFile) and serverSecretsDir is not set, the
 * file would name a directory the deploy does not write: said here, at build time, instead of at deploy.
 */
export const envSecretsDirCheck: Check = {
  id: 'env/secrets-dir',
  description: 'An environment whose Alertmanager peers write secret files to different directories says where the servers read them (serverSecretsDir).',
  severity: 'error',
  run(ctx) {
    const names = fileSecretNames(ctx.model);
    if (names.length === 0) return;
    const env = ctx.model.environment ?? undefined;
    for (const e of env ? [env] : ctx.model.environments) {
      if (e.alertmanager.length === 0 || e.alertmanagerServerSecretsDir !== undefined) continue;
      const dirs = [...new Set(e.alertmanager.map((p) => p.secretsDir ?? '(none)'))];
      ctx.report({
        message: `environment ${e.name}: the Alertmanager peers keep secret files in different directories (${dirs.join(', ')}), so alertmanager.yml cannot name where ${names.map((n) => `$${n}`).join(', ')} ${names.length === 1 ? 'is' : 'are'} read`,
        span: keySpanOf(e.origin, 'alertmanager'),
        hint: 'set alertmanager.serverSecretsDir to the directory the servers read them from (e.g. /etc/alertmanager/secrets); the deploy still writes each peer\'s copy beside its configFile',
      });
    }
  },
};
