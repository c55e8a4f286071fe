import type { Model } from '../model/types.ts';
import type { Artifact } from './artifact.ts';
import { emitDashboards, renderJson } from './grafana-dashboards.ts';

export const GRAFANA_EXPORT_DIR = 'grafana/export/';

/** The datasource input of an exported dashboard: Grafana asks which Prometheus to use when it is imported. */
export const DATASOURCE_INPUT = 'DS_PROMETHEUS';

/**
 * The dashboards in Grafana's export format ("Export for sharing externally"), for teams that import dashboards by
 * hand or publish them: the same JSON as grafana/dashboards/, with the project's datasource replaced by the
 * `${DS_PROMETHEUS}` input, `__inputs` and `__requires` said, and no `id`. Written when the Project has
 * `grafana.exportFormat: true`.
 */
export function emitGrafanaExports(model: Model): Artifact[] {
  if (model.project?.grafana.exportFormat !== true) return [];
  const uid = model.project.grafana.datasourceUid;
  return emitDashboards(model).map((a) => {
    const json = JSON.parse(a.content) as Record<string, unknown>;
    return { path: `${GRAFANA_EXPORT_DIR}${a.path.slice(a.path.lastIndexOf('/') + 1)}`, content: renderJson(exportFormat(json, uid)), sources: a.sources };
  });
}

/** The export of one dashboard's JSON whose Prometheus datasource has `datasourceUid`. */
export function exportFormat(dashboard: Record<string, unknown>, datasourceUid: string): Record<string, unknown> {
  const input = `\${${DATASOURCE_INPUT}}`;
  const panelTypes = new Set<string>();
  const visit = (node: unknown, key?: string): unknown => {
    if (Array.isArray(node)) return node.map((n) => visit(n));
    if (node === null || typeof node !== 'object') return node;
    const o = node as Record<string, unknown>;
    if (key === 'datasource' && o.uid === datasourceUid) return { ...o, uid: input };
    if (typeof o.type === 'string' && ('gridPos' in o || 'targets' in o)) panelTypes.add(o.type);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, visit(v, k)]));
  };
  const body = visit(dashboard) as Record<string, unknown>;
  return {
    __inputs: [{ name: DATASOURCE_INPUT, label: 'Prometheus', description: '', type: 'datasource', pluginId: 'prometheus', pluginName: 'Prometheus' }],
    __requires: [
      { type: 'datasource', id: 'prometheus', name: 'Prometheus', version: '1.0.0' },
      ...[...panelTypes].sort().map((t) => ({ type: 'panel', id: t, name: t, version: '' })),
    ],
    ...body,
    id: null,
  };
}
