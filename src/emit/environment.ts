import { environmentJson } from '../build/environment.ts';
import { ENVIRONMENT_PATH } from '../build/paths.ts';
import type { Model } from '../model/types.ts';
import type { Artifact } from './artifact.ts';

/**
 * environment.json, in an environment's build only: the targets deploy and plan talk to, so they read the build and
 * never compile the definitions a second time. The Grafana folder is resolved here (the Environment's, else the
 * Project's), as deploy would otherwise need the Project too.
 */
export function emitEnvironment(model: Model): Artifact[] {
  const env = model.environment;
  if (!env) return [];
  const folder = env.grafana?.folder ?? model.project?.grafana.folder;
  const content = environmentJson({
    name: env.name,
    prometheus: env.prometheus,
    alertmanager: env.alertmanager,
    alertmanagerServerSecretsDir: env.alertmanagerServerSecretsDir,
    grafana: env.grafana && { url: env.grafana.url, token: env.grafana.token, folder },
    influxdb: env.influxdb,
    relay: model.project?.relay && {
      url: model.project.relay.url.replace(/\/+$/, ''),
      ...(model.project.relay.buildDir ? { buildDir: model.project.relay.buildDir } : {}),
      ...(model.project.relay.apiTokens?.read ? { readToken: model.project.relay.apiTokens.read } : {}),
      ...(model.project.relay.apiTokens?.operate ? { operateToken: model.project.relay.apiTokens.operate } : {}),
    },
  });
  const fromProject = (env.grafana && env.grafana.folder === undefined) || model.project?.relay;
  const sources = [env.origin.def.file, ...(fromProject && model.project?.origin ? [model.project.origin.def.file] : [])];
  return [{ path: ENVIRONMENT_PATH, content, sources }];
}
