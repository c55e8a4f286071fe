import { spanOf } from '../model/types.ts';
import type { Check } from './check.ts';

/**
 * The replicas of an HA pair get different prometheus.yml files (their `replica` label differs), so they cannot be
 * written to one path: from one deploy, the second would overwrite the first. Each replica's configFile is the path
 * where the deploying machine reaches that server's file (a mount per host).
 */
export const envPathsCheck: Check = {
  id: 'env/paths',
  description: "The Prometheus replicas of an environment write their prometheus.yml to different paths.",
  severity: 'error',
  run(ctx) {
    const env = ctx.model.environment ?? undefined;
    for (const e of env ? [env] : ctx.model.environments) {
      const seen = new Map<string, number>();
      e.prometheus.forEach((replica, i) => {
        if (!replica.configFile) return;
        const first = seen.get(replica.configFile);
        if (first === undefined) {
          seen.set(replica.configFile, i);
          return;
        }
        ctx.report({
          message: `environment ${e.name}: replicas ${e.prometheus[first]!.name} and ${replica.name} both write ${replica.configFile}, but their prometheus.yml differ (replica label)`,
          span: spanOf(e.origin, 'prometheus', i, 'configFile'),
          hint: 'give each replica the path where the deploy reaches its own file (e.g. a mount per host: /mnt/prom-a/prometheus.yml), and serverRulesDir for where the server reads the rules',
          related: [{ span: spanOf(e.origin, 'prometheus', first, 'configFile'), message: `${e.prometheus[first]!.name} writes it here` }],
        });
      });
    }
  },
};
