import { describe, expect, it } from 'vitest';
import { BUILD_FILE } from '../build/paths.ts';
import { resolveExportInputs } from '../spec/dashboard-json.ts';
import { baseFile, compileBase } from '../../test/helpers/model.ts';
import { DATASOURCE_INPUT, exportFormat, GRAFANA_EXPORT_DIR } from './grafana-export.ts';

async function build(exportFormatSetting: boolean) {
  const project = (await baseFile('project.yaml')).replace('grafana: { url: "https://grafana.example.com", datasourceUid: prometheus }', `grafana: { url: "https://grafana.example.com", datasourceUid: prometheus${exportFormatSetting ? ', exportFormat: true' : ''} }`);
  const result = await compileBase({ 'project.yaml': project });
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return result;
}

describe("dashboards in Grafana's export format", () => {
  it('are written only when the Project asks for them', async () => {
    expect((await build(false)).artifacts.some((a) => a.path.startsWith(GRAFANA_EXPORT_DIR))).toBe(false);
  });

  it('are the built dashboards with the datasource as an input, and Grafana-importing them gives the built dashboards back', async () => {
    const result = await build(true);
    const dashboards = result.artifacts.filter((a) => a.path.startsWith('grafana/dashboards/'));
    const exports = result.artifacts.filter((a) => a.path.startsWith(GRAFANA_EXPORT_DIR));
    expect(exports.map((a) => a.path.replace(GRAFANA_EXPORT_DIR, ''))).toEqual(dashboards.map((a) => a.path.replace('grafana/dashboards/', '')));
    expect(exports.every((a) => BUILD_FILE.test(a.path))).toBe(true);
    for (const [i, a] of exports.entries()) {
      const exported = JSON.parse(a.content) as Record<string, unknown>;
      expect(exported.__inputs).toEqual([expect.objectContaining({ name: DATASOURCE_INPUT, type: 'datasource', pluginId: 'prometheus' })]);
      expect(exported.id).toBeNull();
      expect(a.content).not.toContain('"uid": "prometheus"');
      expect(a.content).toContain(`"uid": "\${${DATASOURCE_INPUT}}"`);
      expect((exported.__requires as { id: string }[]).map((r) => r.id)).toContain('prometheus');
      // What Grafana's import does (and vigil import dashboards): the input resolved, the datasource the default.
      const original = JSON.parse(dashboards[i]!.content) as Record<string, unknown>;
      const back = structuredClone(exported);
      expect(resolveExportInputs(back)).toEqual([DATASOURCE_INPUT]);
      const withoutDatasources = (j: unknown): unknown => JSON.parse(JSON.stringify(j, (k, v) => (k === 'datasource' || k === 'id' ? undefined : v)));
      expect(withoutDatasources(back)).toEqual(withoutDatasources(original));
    }
  });

  it('replaces only the project datasource, not others a panel names', () => {
    const out = exportFormat({ panels: [{ type: 'timeseries', gridPos: {}, datasource: { type: 'prometheus', uid: 'prometheus' } }, { type: 'logs', gridPos: {}, datasource: { type: 'loki', uid: 'loki' } }] }, 'prometheus');
    expect((out.panels as { datasource: unknown }[]).map((p) => p.datasource)).toEqual([{ type: 'prometheus', uid: `\${${DATASOURCE_INPUT}}` }, { type: 'loki', uid: 'loki' }]);
    expect((out.__requires as { id: string }[]).map((r) => r.id)).toEqual(['prometheus', 'logs', 'timeseries']);
  });
});
