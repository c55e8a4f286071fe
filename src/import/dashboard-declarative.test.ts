import { describe, expect, it } from 'vitest';
import { dashboardJson } from '../emit/grafana-dashboards.ts';
import { emptyModel } from '../model/build.ts';
import type { DashboardModel, Model, Origin } from '../model/types.ts';
import type { DashboardSpec } from '../spec/types.gen.ts';
import precompiled from '../spec/validators.gen.cjs';
import { declarativeDashboard } from './dashboard-declarative.ts';

type Json = Record<string, unknown>;

/** A Grafana 10 dashboard as Grafana saves it: options and field config Vigil does not model, a text panel, rows. */
function grafanaDashboard(): Json {
  return {
    title: 'Service',
    schemaVersion: 39,
    tags: ['team-a'],
    refresh: '30s',
    time: { from: 'now-3h', to: 'now' },
    graphTooltip: 0,
    links: [{ title: 'Runbook', url: 'https://runbooks.example.com', type: 'link' }],
    annotations: { list: [{ builtIn: 1, name: 'Annotations & Alerts', type: 'dashboard', enable: true }] },
    templating: { list: [{ name: 'job', type: 'query', query: 'label_values(up, job)', datasource: { type: 'prometheus', uid: 'prometheus' } }] },
    panels: [
      { id: 1, type: 'text', title: 'About', gridPos: { x: 0, y: 0, w: 24, h: 3 }, options: { mode: 'markdown', content: '# Service' } },
      {
        id: 2,
        type: 'timeseries',
        title: 'Requests',
        gridPos: { x: 0, y: 3, w: 16, h: 8 },
        pluginVersion: '10.4.1',
        fieldConfig: { defaults: { unit: 'reqps', custom: { lineWidth: 2, fillOpacity: 10 }, thresholds: { mode: 'absolute', steps: [{ value: null, color: 'green' }, { value: 100, color: 'red' }] } }, overrides: [{ matcher: { id: 'byName', options: '5xx' }, properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: 'red' } }] }] },
        options: { legend: { showLegend: true, placement: 'right', calcs: ['mean'], displayMode: 'table' }, tooltip: { mode: 'multi', sort: 'desc' } },
        targets: [
          { refId: 'A', expr: 'sum by (code) (rate(http_requests_total{job="$job"}[5m]))', legendFormat: '{{code}}', editorMode: 'code', range: true },
          { refId: 'B', expr: 'sum(rate(http_requests_total{job="$job"}[5m]))', legendFormat: 'all', hide: true },
        ],
      },
      { id: 3, type: 'stat', title: 'Up', gridPos: { x: 16, y: 3, w: 8, h: 8 }, options: { colorMode: 'background', graphMode: 'none', reduceOptions: { calcs: ['lastNotNull'], values: false } }, targets: [{ refId: 'A', expr: 'sum(up{job="$job"})', instant: true }] },
      { id: 4, type: 'row', title: 'Details', collapsed: true, gridPos: { x: 0, y: 11, w: 24, h: 1 }, panels: [{ id: 5, type: 'gauge', title: 'Saturation', gridPos: { x: 0, y: 12, w: 12, h: 6 }, targets: [{ refId: 'A', expr: 'avg(saturation)' }] }] },
    ],
  };
}

/** The schema's errors for a Dashboard definition (empty when it is valid). */
function validateDefinition(_: 'Dashboard', spec: Json): unknown[] {
  const validate = (precompiled as Record<string, ((v: unknown) => boolean) & { errors?: unknown[] }>).Dashboard!;
  return validate(spec) ? [] : (validate.errors ?? []);
}

function build(spec: Json): Json {
  const model: Model = { ...emptyModel(), project: { name: 'x', evaluationInterval: '1m', scrapeInterval: '1m', externalLabels: {}, grafana: { datasourceUid: 'prometheus', tags: [] }, policies: { requiredAlertLabels: [], testCoverage: 0, checks: {} } } };
  const d: DashboardModel = { uid: String(spec.uid), title: String(spec.title), spec: spec as unknown as DashboardSpec, origin: {} as Origin };
  return JSON.parse(JSON.stringify(dashboardJson(model, d).json)) as Json;
}

function converted(json: Json): Json {
  const result = declarativeDashboard(json, 'service', 'prometheus');
  if (!('spec' in result)) throw new Error(result.reason);
  return result.spec;
}

describe('an imported dashboard as a declarative definition', () => {
  it('writes the panels Vigil models declaratively, the rest of their JSON as grafana:, other panels as json:', () => {
    const result = declarativeDashboard(grafanaDashboard(), 'service', 'prometheus');
    expect('spec' in result && result.panels).toEqual({ declarative: 3, json: 1 });
    const spec = converted(grafanaDashboard());
    expect(spec).toMatchObject({ uid: 'service', title: 'Service', tags: ['team-a'], refresh: '30s', time: { from: 'now-3h', to: 'now' } });
    const [about, requests, up] = spec.panels as Json[];
    expect(about).toEqual({ json: expect.objectContaining({ type: 'text', title: 'About', gridPos: { x: 0, y: 0, w: 24, h: 3 } }) });
    expect((about!.json as Json).id).toBeUndefined();
    expect(requests).toMatchObject({ title: 'Requests', type: 'timeseries', unit: 'reqps', width: 16, height: 8, legend: { show: true, placement: 'right', calcs: ['mean'] }, thresholds: [{ value: null, color: 'green' }, { value: 100, color: 'red' }] });
    expect((requests!.queries as Json[]).map((q) => [q.expr, q.legend])).toEqual([
      ['sum by (code) (rate(http_requests_total{job="$job"}[5m]))', '{{code}}'],
      ['sum(rate(http_requests_total{job="$job"}[5m]))', 'all'],
    ]);
    // What Vigil does not model rides along, and only that.
    expect(requests!.grafana).toMatchObject({ pluginVersion: '10.4.1', fieldConfig: { defaults: { custom: { lineWidth: 2, fillOpacity: 10 } } }, options: { legend: { displayMode: 'table' }, tooltip: { mode: 'multi', sort: 'desc' } } });
    // range: true is Grafana's default for a query that says nothing: not a difference.
    expect((requests!.queries as Json[])[1]!.grafana).toEqual({ hide: true });
    expect(up).toMatchObject({ type: 'stat', queries: [{ expr: 'sum(up{job="$job"})', instant: true }] });
    expect(spec.rows).toEqual([expect.objectContaining({ title: 'Details', collapsed: true, panels: [expect.objectContaining({ title: 'Saturation', type: 'gauge', width: 12, height: 6 })] })]);
    expect(spec.grafana).toMatchObject({ graphTooltip: 0, links: grafanaDashboard().links, annotations: grafanaDashboard().annotations, templating: grafanaDashboard().templating });
  });

  it('is a valid definition, and its build gives back the dashboard up to ids, tags and datasources Vigil adds', () => {
    const spec = converted(grafanaDashboard());
    expect(validateDefinition('Dashboard', spec)).toEqual([]);
    const built = build(spec);
    const input = grafanaDashboard();
    const panels = built.panels as Json[];
    expect(panels.map((p) => [p.type, p.title, p.gridPos])).toEqual((input.panels as Json[]).map((p) => [p.type, p.title, p.gridPos]));
    expect(panels[1]!.options).toEqual((input.panels as Json[])[1]!.options);
    expect(panels[1]!.fieldConfig).toEqual((input.panels as Json[])[1]!.fieldConfig);
    expect(panels[1]!.targets).toMatchObject((input.panels as Json[])[1]!.targets as Json[]);
    expect(((panels[3]!.panels as Json[])[0]!.gridPos)).toEqual({ x: 0, y: 12, w: 12, h: 6 });
    for (const key of ['links', 'annotations', 'templating', 'graphTooltip', 'refresh', 'time']) expect(built[key], key).toEqual(input[key]);
    expect(built.tags).toEqual(['team-a', 'vigil-managed']);
  });

  it('keeps a layout Vigil would not make itself (gaps, another order) through grafana: gridPos', () => {
    const input = grafanaDashboard();
    (input.panels as Json[])[2]!.gridPos = { x: 18, y: 3, w: 6, h: 8 };
    const built = build(converted(input));
    expect((built.panels as Json[])[2]!.gridPos).toEqual({ x: 18, y: 3, w: 6, h: 8 });
  });

  // Each variant keeps the dashboard whole as JSON, or one panel as json:, with the reason.
  const fallbacks: [string, (d: Json) => void, RegExp | { declarative: number; json: number }][] = [
    ['a schemaVersion before Grafana 9', (d) => (d.schemaVersion = 27), /schemaVersion 27 is older/],
    ['no schemaVersion', (d) => delete d.schemaVersion, /schemaVersion null/],
    ['legacy rows', (d) => (d.rows = []), /legacy rows/],
    ['no title', (d) => (d.title = ''), /no title/],
    ['a panel after a collapsed row, outside it', (d) => (d.panels as Json[]).push({ type: 'stat', title: 'Loose', targets: [{ expr: 'up' }] }), /follows a collapsed row/],
    ['a row without a title', (d) => ((d.panels as Json[])[3]!.title = ''), /row has no title/],
    ['a dashboard-level null', (d) => (d.weekStart = null), /cannot state/],
    ['a panel whose query names another refId', (d) => (((d.panels as Json[])[2]!.targets as Json[])[0]!.refId = 'Q'), { declarative: 2, json: 2 }],
    ['a panel with a null a merge patch cannot write (and Grafana would not take)', (d) => ((d.panels as Json[])[2]!.timeFrom = null), /would not be valid: panels\[2\]\.timeFrom/],
    ['a panel with a null a merge patch cannot write (which Grafana takes)', (d) => ((d.panels as Json[])[2]!.fieldConfig = { defaults: { decimals: null }, overrides: [] }), { declarative: 2, json: 2 }],
    ['a panel type Vigil does not model', (d) => ((d.panels as Json[])[2]!.type = 'piechart'), { declarative: 2, json: 2 }],
    ['a panel without queries', (d) => ((d.panels as Json[])[2]!.targets = []), { declarative: 2, json: 2 }],
    ['a panel with a query in another language', (d) => Object.assign((d.panels as Json[])[2]!, { datasource: { type: 'loki', uid: 'logs' }, targets: [{ refId: 'A', expr: 'sum(rate({app="x"}[5m]))' }] }), { declarative: 2, json: 2 }],
    ['a panel whose query reads a Loki datasource variable', (d) => {
      (d.templating as { list: Json[] }).list.push({ name: 'logs', type: 'datasource', query: 'loki' });
      (d.panels as Json[])[2]!.datasource = { uid: '$logs' };
    }, { declarative: 2, json: 2 }],
    ['a panel without a title', (d) => delete (d.panels as Json[])[2]!.title, { declarative: 2, json: 2 }],
  ];
  it.each(fallbacks)('%s', (_name, change, expected) => {
    const input = grafanaDashboard();
    change(input);
    const result = declarativeDashboard(input, 'service', 'prometheus');
    if (expected instanceof RegExp) return expect('reason' in result && result.reason).toMatch(expected);
    expect('spec' in result && result.panels).toEqual(expected);
    const spec = (result as { spec: Json }).spec;
    expect(validateDefinition('Dashboard', spec)).toEqual([]);
    // The panel carried whole comes back exactly.
    const built = build(spec);
    const { id: _id, ...carried } = (input.panels as Json[])[2]!;
    expect((built.panels as Json[])[2]).toMatchObject(carried);
  });

  it('does not change the dashboard it reads', () => {
    const input = grafanaDashboard();
    const copy = structuredClone(input);
    declarativeDashboard(input, 'service', 'prometheus');
    expect(input).toEqual(copy);
  });
});
