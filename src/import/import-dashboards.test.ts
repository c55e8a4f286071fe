import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { lineColAt, type Diagnostic } from '../diagnostics.ts';
import { verifyDashboards } from './dashboard-verify.ts';
import { importDashboards } from './dashboards.ts';

type Json = Record<string, any>;

const dashboard = (extra: Json = {}): Json => ({
  uid: 'queue',
  title: 'Queue',
  schemaVersion: 39,
  time: { from: 'now-1h', to: 'now' },
  panels: [
    {
      id: 1,
      type: 'timeseries',
      title: 'Depth',
      gridPos: { x: 0, y: 0, w: 12, h: 8 },
      fieldConfig: { defaults: { unit: 'short', thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'red', value: 80 }] } }, overrides: [] },
      targets: [{ refId: 'A', expr: 'sum by (queue) (rate(queue_items_total{job="q"}[$__rate_interval]))', legendFormat: '{{queue}}' }],
    },
  ],
  ...extra,
});

const position = (d: Diagnostic, text: string) => `${d.span?.file}:${Object.values(lineColAt(text, d.span!.start)).join(':')}`;

describe('vigil import dashboards: the input forms', () => {
  it('writes a dashboard Vigil can build exactly as a declarative definition', () => {
    const result = importDashboards([{ file: 'queue.json', text: JSON.stringify(dashboard({ id: 42, version: 7 }), null, 2) }]);
    expect(result.diagnostics).toEqual([]);
    const files = new Map(result.files.map((f) => [f.path, f.content]));
    expect([...files.keys()].sort()).toEqual(['dashboards/queue.yaml', 'metrics/imported.yaml', 'project.yaml', 'receivers.yaml', 'routes.yaml', 'severities.yaml']);
    expect(parse(files.get('dashboards/queue.yaml')!)).toEqual({
      apiVersion: 'vigil/v1',
      kind: 'Dashboard',
      uid: 'queue',
      title: 'Queue',
      time: { from: 'now-1h', to: 'now' },
      panels: [
        {
          title: 'Depth',
          type: 'timeseries',
          unit: 'short',
          width: 12,
          height: 8,
          thresholds: [{ value: null, color: 'green' }, { value: 80, color: 'red' }],
          queries: [{ expr: 'sum by (queue) (rate(queue_items_total{job="q"}[$__rate_interval]))', legend: '{{queue}}' }],
          // Vigil draws a panel's thresholds (custom.thresholdsStyle); this one did not. Options Grafana assumes anyway
          // (the timeseries defaults) are not a difference.
          grafana: { fieldConfig: { defaults: { custom: null } } },
        },
      ],
      // Vigil's crosshair tooltip and its fiscal year default are not what this dashboard had.
      grafana: { graphTooltip: null },
    });
    expect(result.counts).toEqual({ dashboards: 1, panels: 1, queries: 1, declarative: 1, declarativePanels: 1 });
  });

  it('carries a dashboard older than Grafana 9 as JSON next to a definition naming it, and infers the catalogue', () => {
    const result = importDashboards([{ file: 'queue.json', text: JSON.stringify(dashboard({ id: 42, version: 7, schemaVersion: 27 }), null, 2) }]);
    expect(result.diagnostics).toEqual([]);
    const files = new Map(result.files.map((f) => [f.path, f.content]));
    expect([...files.keys()].sort()).toEqual(['dashboards/queue.json', 'dashboards/queue.yaml', 'metrics/imported.yaml', 'project.yaml', 'receivers.yaml', 'routes.yaml', 'severities.yaml']);
    expect(parse(files.get('dashboards/queue.yaml')!)).toEqual({ apiVersion: 'vigil/v1', kind: 'Dashboard', uid: 'queue', json: './queue.json' });
    const carried = JSON.parse(files.get('dashboards/queue.json')!);
    // Instance-local fields go (the uid is the definition's); everything else stays as it was.
    expect(carried).toEqual((({ uid, ...rest }) => rest)(dashboard({ schemaVersion: 27 })));
    expect(parse(files.get('metrics/imported.yaml')!).metrics).toEqual([{ name: 'queue_items_total', type: 'counter', help: 'Imported: a counter, read with rate(), irate() or increase().', labels: ['job', 'queue'] }]);
    expect(result.counts).toEqual({ dashboards: 1, panels: 1, queries: 1, declarative: 0, declarativePanels: 0 });
    expect(result.notes).toContainEqual({ kind: 'review', message: expect.stringMatching(/^queue\.json: carried as Grafana JSON \(queue\.json\): schemaVersion 27 is older/) });
  });

  it("resolves Grafana's export format: datasource inputs become the project's datasource", () => {
    const exported = dashboard({ __inputs: [{ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }], __requires: [{ type: 'panel', id: 'timeseries' }] });
    exported.panels[0].datasource = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };
    exported.panels[0].targets[0].datasource = '${DS_PROMETHEUS}';
    exported.templating = { list: [{ name: 'job', type: 'query', datasource: '${DS_PROMETHEUS}', query: 'label_values(up, job)' }] };
    const result = importDashboards([{ file: 'export.json', text: JSON.stringify(exported) }]);
    const json = result.dashboards[0]!.json;
    expect(JSON.stringify(json)).not.toMatch(/DS_PROMETHEUS|__inputs|__requires/);
    expect(json.panels).toMatchObject([{ type: 'timeseries', targets: [{ refId: 'A' }] }]);
    expect((json.panels as Json[])[0]!.datasource).toBeUndefined();
    expect(result.notes.map((n) => n.message)).toContain('export.json: datasource input ${DS_PROMETHEUS} became the project\'s datasource');
  });

  it('reads ConfigMaps, ConfigMapLists, Lists and several documents; every dashboard once, uids kept unique', () => {
    const cm = (name: string, d: Json) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { [`${name}.json`]: JSON.stringify(d, null, 2), 'README.md': 'not a dashboard' } });
    const list = { apiVersion: 'v1', kind: 'ConfigMapList', items: [cm('a', dashboard({ uid: 'a', title: 'A' })), cm('b', dashboard({ uid: 'b', title: 'B' }))] };
    const text = `${JSON.stringify(list)}\n---\n${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [cm('c', dashboard({ uid: 'a', title: 'C' }))] })}\n`;
    const result = importDashboards([{ file: 'manifests.yaml', text }]);
    expect(result.diagnostics).toEqual([]);
    expect(result.dashboards.map((d) => [d.uid, d.json.title, d.from.where])).toEqual([
      ['a', 'A', 'ConfigMap a data["a.json"]'],
      ['b', 'B', 'ConfigMap b data["b.json"]'],
      ['a-2', 'C', 'ConfigMap c data["c.json"]'],
    ]);
    expect(result.notes.find((n) => n.kind === 'review' && n.message.includes('a-2'))?.message).toMatch(/uid "a" is taken by another imported dashboard; imported as a-2/);
  });

  it('makes a uid from the title when the dashboard has none Grafana takes', () => {
    const result = importDashboards([{ file: 'x.json', text: JSON.stringify(dashboard({ uid: 'not a uid!', title: 'Node Exporter / Nodes' })) }]);
    expect(result.dashboards[0]!.uid).toBe('node-exporter-nodes');
  });
});

describe('vigil import dashboards: bad input is located and nothing is imported', () => {
  const broken = (file: string, text: string) => {
    const result = importDashboards([{ file, text }]);
    expect(result.files).toEqual([]);
    return result.diagnostics.map((d) => [d.code, position(d, text), d.message]);
  };

  it('invalid JSON, at the character', () => {
    expect(broken('bad.json', '{\n  "title": "x",\n  "panels": [}\n')).toEqual([['import/json', 'bad.json:3:14', "invalid JSON: Unexpected token '}'"]]);
  });

  it('JSON that is not a dashboard', () => {
    expect(broken('list.json', '[1, 2]')).toEqual([['import/input', 'list.json:1:1', 'not a Grafana dashboard: a dashboard is a JSON object with panels (or legacy rows)']]);
  });

  it('invalid JSON inside a ConfigMap, at its place in the YAML string', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: q }\ndata:\n  q.json: |\n    {\n      "title": "Q",\n      "panels": [,]\n    }\n';
    expect(broken('cm.yaml', text)).toEqual([['import/input', 'cm.yaml:8:18', 'ConfigMap q data["q.json"]: invalid JSON: Unexpected token \',\'']]);
  });

  it('a manifest of another kind, a ConfigMap without dashboards, a dashboard key that holds no dashboard', () => {
    expect(broken('secret.yaml', 'apiVersion: v1\nkind: Secret\n')).toEqual([['import/input', 'secret.yaml:2:7', 'not a Grafana dashboard, ConfigMap or ConfigMapList (kind Secret)']]);
    expect(broken('empty.yaml', 'kind: ConfigMap\ndata: { a.txt: x }\n')).toEqual([['import/input', 'empty.yaml:1:7', 'this ConfigMap holds no dashboard (no data key ending in .json)']]);
    expect(broken('other.yaml', 'kind: ConfigMap\ndata:\n  a.json: \'{"title": "no panels"}\'\n')).toEqual([['import/input', 'other.yaml:3:11', 'data["a.json"]: not a Grafana dashboard (a JSON object with panels, or legacy rows)']]);
  });

  it('invalid YAML', () => {
    const [first] = broken('bad.yaml', 'kind: ConfigMap\ndata: [\n');
    expect(first![0]).toBe('import/yaml');
  });
});

describe('vigil import dashboards --verify', () => {
  const imported = () => importDashboards([{ file: 'queue.json', text: JSON.stringify(dashboard()) }]).dashboards;
  /** A "build" of the imported dashboard with Vigil's additions, then one change. */
  const built = (change: (d: Json) => void = () => {}) => {
    const d = { ...structuredClone(imported()[0]!.json), uid: 'queue', id: null, tags: ['vigil-managed'] } as Json;
    d.panels[0].datasource = { type: 'prometheus', uid: 'prometheus' };
    change(d);
    return new Map([['grafana/dashboards/queue.json', JSON.stringify(d)]]);
  };

  it("finds no difference in Vigil's additions, or in an expression's whitespace and parentheses", () => {
    const trip = verifyDashboards(imported(), built((d) => (d.panels[0].targets[0].expr = 'sum by(queue)(\n  rate(queue_items_total{job="q"}[$__rate_interval])\n)')));
    expect(trip).toEqual({ differences: [], compared: { dashboards: 1, panels: 1, queries: 1 } });
  });

  it.each([
    ['type', (d: Json) => (d.panels[0].type = 'stat'), 'panel 1 "Depth" type: input "timeseries", built "stat"'],
    ['title', (d: Json) => (d.panels[0].title = 'Length'), 'panel 1 "Depth" title: input "Depth", built "Length"'],
    ['layout', (d: Json) => (d.panels[0].gridPos.w = 24), 'panel 1 "Depth" layout: input {"x":0,"y":0,"w":12,"h":8}, built {"x":0,"y":0,"w":24,"h":8}'],
    ['unit', (d: Json) => (d.panels[0].fieldConfig.defaults.unit = 'bytes'), 'panel 1 "Depth" unit: input "short", built "bytes"'],
    ['thresholds', (d: Json) => (d.panels[0].fieldConfig.defaults.thresholds.steps[1].value = 90), 'panel 1 "Depth" thresholds: input {"mode":"absolute","steps":[[null,"green"],[80,"red"]]}, built {"mode":"absolute","steps":[[null,"green"],[90,"red"]]}'],
    ['expr', (d: Json) => (d.panels[0].targets[0].expr = 'sum(rate(queue_items_total[5m]))'), 'panel 1 "Depth" query 1 expr: input "sum by (queue) (rate(queue_items_total{job=\\"q\\"}[$__rate_interval]))", built "sum(rate(queue_items_total[5m]))"'],
    ['legendFormat', (d: Json) => delete d.panels[0].targets[0].legendFormat, 'panel 1 "Depth" query 1 legendFormat: input "{{queue}}", built nothing'],
    ['queries', (d: Json) => d.panels[0].targets.push({ refId: 'B', expr: 'up' }), 'panel 1 "Depth" number of queries: input 1, built 2'],
    ['panels', (d: Json) => d.panels.push({ type: 'text', title: 'Notes', gridPos: { x: 0, y: 8, w: 24, h: 2 } }), 'number of panels: input 1, built 2'],
    ['dashboard title', (d: Json) => (d.title = 'Other'), 'title: input "Queue", built "Other"'],
  ])('lists a difference in %s', (_what, change, difference) => {
    expect(verifyDashboards(imported(), built(change)).differences).toEqual([`dashboard queue: ${difference}`]);
  });

  it('lists a dashboard the build does not have', () => {
    expect(verifyDashboards(imported(), new Map()).differences).toEqual(['dashboard queue: not built']);
  });
});
