import { describe, expect, it } from 'vitest';
import { compileBase } from '../../test/helpers/model.ts';
import { lineColAt } from '../diagnostics.ts';

type Json = Record<string, any>;

/** The base project with its dashboard replaced by this YAML; the built dashboard, or the diagnostics. */
async function built(dashboard: string): Promise<{ json?: Json; problems: string[] }> {
  const result = await compileBase({ 'dashboard.yaml': dashboard });
  const problems = result.diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => {
      const at = d.span?.file === 'dashboard.yaml' ? lineColAt(dashboard, d.span.start) : undefined;
      return `${d.code} ${d.span?.file}:${at ? `${at.line}:${at.col}` : '?'} ${d.message}`;
    });
  const artifact = result.artifacts.find((a) => a.path === 'grafana/dashboards/app.json');
  return { json: artifact ? (JSON.parse(artifact.content) as Json) : undefined, problems };
}

const HEAD = 'apiVersion: vigil/v1\nkind: Dashboard\nuid: app\ntitle: App\n';

describe("a declarative dashboard's Grafana JSON (grafana: and json: panels)", () => {
  it('merges grafana: over the panel, the query, the row and the dashboard Vigil builds (null removes)', async () => {
    const { json, problems } = await built(`${HEAD}grafana:
  graphTooltip: 0
  links: [{ title: Runbook, url: "https://runbooks.example.com", type: link }]
rows:
  - title: Traffic
    grafana: { repeat: service }
    panels:
      - title: Requests
        type: timeseries
        unit: reqps
        queries:
          - expr: service:http_requests:rate5m
            grafana: { hide: true, range: null }
        grafana:
          pluginVersion: 10.4.1
          options: { tooltip: { mode: multi } }
          fieldConfig: { defaults: { custom: { lineWidth: 3 } } }
          transparent: null
          gridPos: { x: 4, y: 1, w: 12, h: 9 }
`);
    expect(problems).toEqual([]);
    const [row, panel] = json!.panels as Json[];
    expect(json!.graphTooltip).toBe(0);
    expect(json!.links).toEqual([{ title: 'Runbook', url: 'https://runbooks.example.com', type: 'link' }]);
    expect(row).toMatchObject({ type: 'row', title: 'Traffic', repeat: 'service' });
    expect(panel.pluginVersion).toBe('10.4.1');
    // Merged key by key: what Vigil builds beside the patched keys stays.
    expect(panel.options.tooltip).toEqual({ mode: 'multi', sort: 'none' });
    expect(panel.options.legend.showLegend).toBe(true);
    expect(panel.fieldConfig.defaults).toMatchObject({ unit: 'reqps', custom: { lineWidth: 3 } });
    expect('transparent' in panel).toBe(false);
    expect(panel.gridPos).toEqual({ x: 4, y: 1, w: 12, h: 9 });
    expect(panel.targets[0]).toMatchObject({ expr: 'service:http_requests:rate5m', hide: true, refId: 'A' });
    expect('range' in panel.targets[0]).toBe(false);
  });

  it("keeps what Vigil owns when grafana: is given: ids, tags, schemaVersion, datasources where none is named", async () => {
    const { json } = await built(`${HEAD}grafana: { editable: false }
panels:
  - title: Requests
    type: stat
    queries: [{ expr: service:http_requests:rate5m }]
    grafana: { datasource: null, options: { colorMode: background } }
`);
    expect(json!.schemaVersion).toBe(39);
    expect(json!.tags).toContain('vigil-managed');
    expect(json!.editable).toBe(false);
    const [panel] = json!.panels as Json[];
    expect(panel.id).toBe(1);
    expect(panel.datasource).toEqual({ type: 'prometheus', uid: 'prometheus' });
    expect(panel.options.colorMode).toBe('background');
  });

  it('builds a json: panel as given, numbered, with its gridPos, and checks its PromQL where it is written', async () => {
    const good = await built(`${HEAD}panels:
  - json:
      type: heatmap
      title: Latency
      gridPos: { x: 0, y: 0, w: 24, h: 10 }
      options: { calculate: false }
      targets: [{ refId: A, expr: 'sum by (le) (rate(request_duration_seconds_bucket[5m]))', format: heatmap }]
  - title: Requests
    type: stat
    queries: [{ expr: service:http_requests:rate5m }]
`);
    expect(good.problems).toEqual([]);
    const [heatmap, stat] = good.json!.panels as Json[];
    expect(heatmap).toMatchObject({ id: 1, type: 'heatmap', title: 'Latency', gridPos: { x: 0, y: 0, w: 24, h: 10 }, options: { calculate: false }, datasource: { type: 'prometheus', uid: 'prometheus' } });
    expect(heatmap.targets[0]).toMatchObject({ format: 'heatmap', refId: 'A' });
    expect(stat).toMatchObject({ id: 2, gridPos: { y: 10 } });

    const bad = await built(`${HEAD}panels:
  - json:
      type: heatmap
      title: Latency
      targets: [{ refId: A, expr: 'sum(rate(http_requests_total[5m])' }]
`);
    expect(bad.problems).toEqual([expect.stringMatching(/^promql\/syntax dashboard\.yaml:9:\d+ /)]);
  });

  // Fields the definition states itself (or Vigil owns) cannot be set through grafana:.
  const refused: [string, string][] = [
    ['a panel patch setting targets', `panels:\n  - title: A\n    type: stat\n    queries: [{ expr: up }]\n    grafana: { targets: [] }\n`],
    ['a panel patch setting type', `panels:\n  - title: A\n    type: stat\n    queries: [{ expr: up }]\n    grafana: { type: graph }\n`],
    ['a panel patch setting title', `panels:\n  - title: A\n    type: stat\n    queries: [{ expr: up }]\n    grafana: { title: B }\n`],
    ['a query patch setting expr', `panels:\n  - title: A\n    type: stat\n    queries: [{ expr: up, grafana: { expr: down } }]\n`],
    ['a query patch setting refId', `panels:\n  - title: A\n    type: stat\n    queries: [{ expr: up, grafana: { refId: Z } }]\n`],
    ['a row patch setting panels', `rows:\n  - title: R\n    grafana: { panels: [] }\n    panels: []\n`],
    ['a dashboard patch setting uid', `grafana: { uid: other }\n`],
    ['a dashboard patch setting panels', `grafana: { panels: [] }\n`],
    ['a dashboard patch setting schemaVersion', `grafana: { schemaVersion: 16 }\n`],
    ['a json: panel without a type', `panels:\n  - json: { title: A }\n`],
    ['a json: panel with declarative fields beside it', `panels:\n  - json: { type: text }\n    title: A\n`],
  ];
  it.each(refused)('refuses %s, located', async (_name, body) => {
    const { problems } = await built(`${HEAD}${body}`);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(/^schema dashboard\.yaml:\d+:\d+ /);
  });
});
