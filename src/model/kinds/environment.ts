import posixPath from 'node:path/posix';
import type { EnvironmentSpec } from '../../spec/types.gen.ts';
import type { EnvironmentModel, Origin } from '../types.ts';
import { at, type KindMapper } from './mapper.ts';

export const mapEnvironment: KindMapper = (def, { model }) => {
  model.environments.push(environmentModel(def.value as EnvironmentSpec, at(def)));
};

function environmentModel(e: EnvironmentSpec, origin: Origin): EnvironmentModel {
  return {
    name: e.name,
    prometheus: e.prometheus.map((p, i) => ({
      name: p.name ?? `prom-${i}`,
      url: trimSlash(p.url),
      rulesDir: p.rulesDir,
      serverRulesDir: p.serverRulesDir ?? p.rulesDir,
      configFile: p.configFile,
      reloadUrl: p.reloadUrl ?? `${trimSlash(p.url)}/-/reload`,
    })),
    alertmanager: alertmanagerPeers(e),
    alertmanagerServerSecretsDir: alertmanagerServerSecretsDir(e),
    grafana: e.grafana
      ? { url: trimSlash(e.grafana.url), token: e.grafana.token, folder: e.grafana.folder, datasourceUrl: trimSlash(e.grafana.datasourceUrl ?? e.prometheus[0]!.url) }
      : undefined,
    influxdb: e.influxdb ? { ...e.influxdb, url: trimSlash(e.influxdb.url) } : undefined,
    retention: e.retention,
    scrape: Object.entries(e.scrape ?? {}).map(([source, s]) => ({ source, ...s })),
    ...(e.pushgateway ? { pushgateway: { url: trimSlash(e.pushgateway.url), ...(e.pushgateway.interval ? { interval: e.pushgateway.interval } : {}), sources: e.pushgateway.sources ?? [] } } : {}),
    origin,
  };
}

function alertmanagerPeers(e: EnvironmentSpec): EnvironmentModel['alertmanager'] {
  if (!e.alertmanager) return [];
  return e.alertmanager.peers.map((peer) => {
    const p = typeof peer === 'string' ? { url: peer } : peer;
    const configFile = ('configFile' in p && p.configFile) || e.alertmanager!.configFile;
    const secretsDir = ('secretsDir' in p && p.secretsDir) || e.alertmanager!.secretsDir || (configFile ? posixPath.join(posixPath.dirname(configFile), 'secrets') : undefined);
    return { url: trimSlash(p.url), configFile, reloadUrl: ('reloadUrl' in p && p.reloadUrl) || `${trimSlash(p.url)}/-/reload`, secretsDir };
  });
}

/** One alertmanager.yml serves every peer, so it can name their secrets directory only when there is one. */
function alertmanagerServerSecretsDir(e: EnvironmentSpec): string | undefined {
  if (e.alertmanager?.serverSecretsDir) return e.alertmanager.serverSecretsDir;
  const dirs = new Set(alertmanagerPeers(e).map((p) => p.secretsDir));
  return dirs.size === 1 ? [...dirs][0] : undefined;
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');
