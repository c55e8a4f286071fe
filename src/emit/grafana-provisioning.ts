import type { Model } from '../model/types.ts';
import { GENERATED_HEADER, goYaml, type Artifact } from './artifact.ts';

export const GRAFANA_DATASOURCE_PATH = 'grafana/provisioning/datasources/vigil.yml';

/**
 * The Prometheus data source every deployed dashboard queries (by the project's `grafana.datasourceUid`), as a
 * Grafana provisioning file for the environment: without it the dashboards load but show "data source not found".
 */
export function emitGrafanaProvisioning(model: Model): Artifact[] {
  const env = model.environment;
  if (!env?.grafana) return [];
  const datasource = {
    name: `Prometheus (${env.name})`,
    type: 'prometheus',
    uid: model.project?.grafana.datasourceUid ?? 'prometheus',
    access: 'proxy',
    url: env.grafana.datasourceUrl,
    isDefault: true,
    editable: false,
    jsonData: { httpMethod: 'POST', timeInterval: model.project?.scrapeInterval ?? '1m' },
  };
  return [
    {
      path: GRAFANA_DATASOURCE_PATH,
      content: goYaml({ apiVersion: 1, datasources: [datasource] }, [GENERATED_HEADER, `Copy to Grafana's provisioning/datasources/ directory of environment ${env.name}.`]),
      sources: [env.origin.def.file],
    },
  ];
}
