import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TextPanelBuilder } from '@grafana/grafana-foundation-sdk/text';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { describe, expect, it } from 'vitest';
import type { Definition } from '../load/definition.ts';
import { loadYamlSources } from '../load/index.ts';
import { buildModel } from '../model/build.ts';
import type { Model } from '../model/types.ts';
import { defineDashboard } from '../spec/define.ts';
import { validateDefinitions, type TypedDefinition } from '../spec/validate.ts';
import { validateDashboardJson } from '../spec/dashboard-json.ts';
import { alertThresholdSteps, dashboardJson, defaultWidth, emitDashboards, grafanaUnit, refIdOf } from './grafana-dashboards.ts';

const FIXTURES = path.join(import.meta.dirname, '../../test/fixtures/grafana');
const FILES = ['project.yaml', 'alerts.yaml', 'dashboard.yaml'];
const GOLDEN = path.join(FIXTURES, 'expected/fixture-overview.json');

type Json = Record<string, any>;

function fixtureModel(extra: TypedDefinition[] = [], files = FILES): Model {
  const loaded = loadYamlSources(files.map((f) => ({ file: `monitoring/${f}`, text: readFileSync(path.join(FIXTURES, f), 'utf8') })));
  expect(loaded.diagnostics).toEqual([]);
  const validated = validateDefinitions(loaded.definitions);
  expect(validated.diagnostics).toEqual([]);
  const { model, diagnostics } = buildModel([...validated.valid, ...extra]);
  expect(diagnostics).toEqual([]);
  return model;
}

function emitted(model: Model, uid: string): { json: Json; content: string; sources: string[] } {
  const artifact = emitDashboards(model).find((a) => a.path === `grafana/dashboards/${uid}.json`);
  expect(artifact, `no artifact for ${uid}`).toBeDefined();
  return { json: JSON.parse(artifact!.content) as Json, content: artifact!.content, sources: artifact!.sources };
}

/** Every panel, rows and the panels nested in collapsed rows included, in layout order. */
function flat(panels: Json[]): Json[] {
  return panels.flatMap((p) => [p, ...flat(p.panels ?? [])]);
}

const byTitle = (json: Json, title: string): Json => {
  const found = flat(json.panels).find((p) => p.title === title);
  expect(found, `panel "${title}"`).toBeDefined();
  return found!;
};

/** A Definition as the TypeScript loader makes one, without a file on disk. */
function tsDefinition(file: string, value: unknown): Definition {
  const span = { file, start: 0, end: 1 };
  return { file, index: 0, origin: 'ts', value, locate: () => span, locateKey: () => span, locateInString: () => span };
}

describe('declarative dashboards', () => {
  const model = fixtureModel();
  const { json, content, sources } = emitted(model, 'fixture-overview');

  it('matches the golden file (VIGIL_UPDATE_GOLDEN=1 rewrites it)', () => {
    if (process.env.VIGIL_UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, content);
    expect(content).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('passes the strict validator', () => {
    expect(validateDashboardJson(json)).toEqual([]);
  });

  it('sets the dashboard fields Vigil owns', () => {
    expect(json).toMatchObject({
      uid: 'fixture-overview',
      title: 'Fixture overview',
      description: 'Every panel type, rows open and collapsed, variables, thresholds and units.',
      refresh: '1m',
      time: { from: 'now-12h', to: 'now' },
      timezone: 'browser',
      schemaVersion: 39,
      editable: true,
      graphTooltip: 1,
      id: null,
    });
    expect('version' in json).toBe(false);
    // Project tags + the dashboard's (platform given by both) + the ownership tag, sorted and unique.
    expect(json.tags).toEqual(['gpu', 'platform', 'team-ml', 'training', 'vigil-managed']);
  });

  it('numbers every panel 1..n in layout order, rows and nested panels included', () => {
    const all = flat(json.panels);
    expect(all.map((p) => p.id)).toEqual(all.map((_, i) => i + 1));
    expect(all.map((p) => p.title)).toEqual([
      'Headline',
      'Every panel type',
      'GPU memory',
      'GPU utilisation',
      'Requests',
      'Jobs',
      'Failures by reason',
      'Details',
      'Loss',
      'Stalled for',
      'Sizes',
      'Left',
      'Right, taller',
      'Full width',
    ]);
  });

  it('lays panels out in 24 columns: default widths, wrapping, rows, collapsed rows', () => {
    const pos = (title: string) => byTitle(json, title).gridPos;
    // A panel alone above the rows takes the full width; default height 8.
    expect(pos('Headline')).toEqual({ x: 0, y: 0, w: 24, h: 8 });
    expect(pos('Every panel type')).toEqual({ x: 0, y: 8, w: 24, h: 1 });
    // Five panels: 24/5 rounds below the minimum width 6, so four fit on a line and the fifth wraps.
    expect(['GPU memory', 'GPU utilisation', 'Requests', 'Jobs', 'Failures by reason'].map(pos)).toEqual([
      { x: 0, y: 9, w: 6, h: 8 },
      { x: 6, y: 9, w: 6, h: 8 },
      { x: 12, y: 9, w: 6, h: 8 },
      { x: 18, y: 9, w: 6, h: 8 },
      { x: 0, y: 17, w: 6, h: 8 },
    ]);
    // A collapsed row nests its panels, laid out below it as if open; the next row follows right under it.
    const details = byTitle(json, 'Details');
    expect(details).toMatchObject({ type: 'row', collapsed: true, gridPos: { x: 0, y: 25, w: 24, h: 1 } });
    expect(details.panels.map((p: Json) => p.title)).toEqual(['Loss', 'Stalled for']);
    expect(details.panels.map((p: Json) => p.gridPos)).toEqual([
      { x: 0, y: 26, w: 12, h: 8 },
      { x: 12, y: 26, w: 12, h: 8 },
    ]);
    // An open row is a header: its panels follow it at the top level, and it nests none.
    const sizes = byTitle(json, 'Sizes');
    expect(sizes).toMatchObject({ type: 'row', collapsed: false, panels: [], gridPos: { x: 0, y: 26, w: 24, h: 1 } });
    expect(json.panels.map((p: Json) => p.title)).toContain('Left');
    // Explicit sizes; a line is as tall as its tallest panel.
    expect(['Left', 'Right, taller', 'Full width'].map(pos)).toEqual([
      { x: 0, y: 27, w: 12, h: 8 },
      { x: 12, y: 27, w: 12, h: 10 },
      { x: 0, y: 37, w: 24, h: 5 },
    ]);
  });

  it('puts the project datasource on every panel, target and query variable', () => {
    const ds = { type: 'prometheus', uid: 'prom-main' };
    const panels = flat(json.panels).filter((p) => p.type !== 'row');
    expect(panels).toHaveLength(11);
    for (const p of panels) {
      expect(p.datasource, p.title).toEqual(ds);
      for (const t of p.targets) expect(t.datasource, p.title).toEqual(ds);
    }
    const vars = json.templating.list as Json[];
    expect(vars.find((v) => v.name === 'job')).toMatchObject({ type: 'query', datasource: ds, query: 'label_values(training_loss, job_id)', multi: true, includeAll: true, label: 'Job' });
  });

  it('emits every variable kind', () => {
    const vars = json.templating.list as Json[];
    expect(vars.map((v) => [v.name, v.type])).toEqual([
      ['job', 'query'],
      ['quantile', 'custom'],
      ['step', 'interval'],
      ['cluster', 'constant'],
    ]);
    expect(vars[1]!.query).toBe('0.5,0.9,0.99');
    expect(vars[2]!.query).toBe('1m,5m,1h');
    expect(vars[3]).toMatchObject({ query: 'main', hide: 2 });
    // Options of a query variable follow the time range, or label_values would never see new jobs.
    expect(vars[0]!.refresh).toBe(2);
  });

  it('gives targets refIds A, B, … with legend, interval and instant/range', () => {
    const memory = byTitle(json, 'GPU memory');
    expect(memory.targets).toEqual([
      { refId: 'A', expr: 'gpu_memory_used_ratio{job_id=~"$job"} * 100', legendFormat: '{{instance}}/{{gpu}}', range: true, instant: false, datasource: expect.any(Object) },
      { refId: 'B', expr: 'avg(gpu_memory_used_ratio) * 100', legendFormat: 'mean', interval: '1m', range: true, instant: false, datasource: expect.any(Object) },
    ]);
    expect(byTitle(json, 'Requests').targets[0]).toMatchObject({ refId: 'A', instant: true, range: false });
    // A table shows one row per series with the labels as columns.
    expect(byTitle(json, 'Jobs').targets[0]).toMatchObject({ format: 'table', instant: true });
  });

  it('draws alert levels as thresholds coloured by severity (">": rising to red)', () => {
    const memory = byTitle(json, 'GPU memory');
    expect(memory.fieldConfig.defaults.thresholds).toEqual({
      mode: 'absolute',
      steps: [
        { value: null, color: 'green' },
        { value: 70, color: 'yellow' },
        { value: 85, color: 'orange' },
        { value: 95, color: 'red' },
      ],
    });
    expect(memory.fieldConfig.defaults.custom.thresholdsStyle).toEqual({ mode: 'line+area' });
  });

  it('colours the bad region of a "<" alert: the base is the most severe colour, green above the last level', () => {
    const util = byTitle(json, 'GPU utilisation');
    expect(util.fieldConfig.defaults.thresholds.steps).toEqual([
      { value: null, color: 'orange' }, // below 10 warning fires (and info)
      { value: 10, color: 'yellow' }, // 10..30 only info
      { value: 30, color: 'green' },
    ]);
    expect(util.fieldConfig.defaults).toMatchObject({ unit: 'percent', min: 0, max: 100, decimals: 1 });
  });

  it('lets explicit thresholds win over thresholdsFrom, and draws no thresholds for an alert without levels', () => {
    expect(byTitle(json, 'Requests').fieldConfig.defaults.thresholds.steps).toEqual([
      { value: null, color: 'blue' },
      { value: 100, color: 'purple' },
    ]);
    const stalled = byTitle(json, 'Stalled for');
    expect(stalled.fieldConfig.defaults.thresholds).toBeUndefined();
    expect(stalled.fieldConfig.defaults.custom.thresholdsStyle).toBeUndefined();
  });

  it('passes Grafana unit ids through and turns free text into a custom suffix', () => {
    expect(byTitle(json, 'Requests').fieldConfig.defaults.unit).toBe('reqps');
    expect(byTitle(json, 'Headline').fieldConfig.defaults.unit).toBe('suffix:samples/s');
    expect(byTitle(json, 'Failures by reason').fieldConfig.defaults.unit).toBe('suffix:jobs');
    expect(byTitle(json, 'Jobs').fieldConfig.defaults.unit).toBeUndefined();
  });

  it('shows timeseries legends unless hidden, with placement and calcs', () => {
    expect(byTitle(json, 'GPU memory').options.legend).toEqual({ showLegend: true, displayMode: 'list', placement: 'bottom', calcs: [] });
    expect(byTitle(json, 'Loss').options.legend).toMatchObject({ showLegend: false });
    expect(byTitle(json, 'Stalled for').options.legend).toEqual({ showLegend: true, displayMode: 'list', placement: 'right', calcs: ['mean', 'max'] });
    expect(byTitle(json, 'Loss').fieldConfig.defaults.custom.stacking).toEqual({ mode: 'normal', group: 'A' });
  });

  it('names the definition and the alert files it read as sources', () => {
    expect(sources).toEqual(['monitoring/alerts.yaml', 'monitoring/dashboard.yaml']);
    // Without thresholdsFrom the alert file is not a source.
    const text = readFileSync(path.join(FIXTURES, 'dashboard.yaml'), 'utf8').replace(/^\s*thresholdsFrom: .*$/gm, '');
    const loaded = loadYamlSources([
      { file: 'monitoring/project.yaml', text: readFileSync(path.join(FIXTURES, 'project.yaml'), 'utf8') },
      { file: 'monitoring/alerts.yaml', text: readFileSync(path.join(FIXTURES, 'alerts.yaml'), 'utf8') },
      { file: 'monitoring/dashboard.yaml', text },
    ]);
    const { model: plain } = buildModel(validateDefinitions(loaded.definitions).valid);
    expect(emitDashboards(plain)[0]!.sources).toEqual(['monitoring/dashboard.yaml']);
  });

  it('is deterministic: two emits, and definitions in another order, give the same bytes', () => {
    expect(emitDashboards(model)).toEqual(emitDashboards(model));
    const reversed = fixtureModel([], [...FILES].reverse());
    expect(emitDashboards(reversed).map((a) => a.content)).toEqual(emitDashboards(model).map((a) => a.content));
    // Keys sorted at every level, 2-space indent, trailing newline.
    expect(content.endsWith('}\n')).toBe(true);
    expect(content.startsWith('{\n  "annotations": {')).toBe(true);
    const keysSorted = (v: unknown): boolean =>
      Array.isArray(v) ? v.every(keysSorted) : v !== null && typeof v === 'object' ? Object.keys(v).join() === Object.keys(v).sort().join() && Object.values(v).every(keysSorted) : true;
    expect(keysSorted(json)).toBe(true);
  });

  it('uses the default datasource uid without a project', () => {
    const noProject = fixtureModel([], ['alerts.yaml', 'dashboard.yaml']);
    const { json: j } = emitted(noProject, 'fixture-overview');
    expect(byTitle(j, 'GPU memory').datasource).toEqual({ type: 'prometheus', uid: 'prometheus' });
    expect(j.tags).toEqual(['gpu', 'platform', 'training', 'vigil-managed']);
    // Without a Severities ladder the levels rank among themselves: the most extreme value is the most severe.
    expect(byTitle(j, 'GPU memory').fieldConfig.defaults.thresholds.steps).toEqual([
      { value: null, color: 'green' },
      { value: 70, color: 'yellow' },
      { value: 85, color: 'orange' },
      { value: 95, color: 'red' },
    ]);
    expect(byTitle(j, 'GPU utilisation').fieldConfig.defaults.thresholds.steps).toEqual([
      { value: null, color: 'red' },
      { value: 10, color: 'orange' },
      { value: 30, color: 'green' },
    ]);
    expect(validateDashboardJson(j)).toEqual([]);
  });
});

describe('a grafana patch with keys Object.prototype also has', () => {
  // The patch is a pull request's: `__proto__` or `constructor` is a key of the panel's JSON as it is written (JSON
  // Merge Patch has no other reading), never the object's prototype — the panel would have inherited its fields.
  it('writes them as keys of the panel; the panel inherits nothing', () => {
    const text = readFileSync(path.join(FIXTURES, 'dashboard.yaml'), 'utf8').replace(
      '      - title: GPU memory\n        type: timeseries\n',
      '      - title: GPU memory\n        type: timeseries\n        grafana: { __proto__: { transparent: true, description: inherited }, constructor: { x: 1 } }\n',
    );
    const files = FILES.map((f) => ({ file: `monitoring/${f}`, text: f === 'dashboard.yaml' ? text : readFileSync(path.join(FIXTURES, f), 'utf8') }));
    const validated = validateDefinitions(loadYamlSources(files).definitions);
    expect(validated.diagnostics).toEqual([]);
    const { model } = buildModel(validated.valid);
    const panel = byTitle(emitted(model, 'fixture-overview').json, 'GPU memory');
    expect(panel.__proto__ === Object.prototype).toBe(false);
    expect(Object.getOwnPropertyDescriptor(panel, '__proto__')?.value).toEqual({ description: 'inherited', transparent: true });
    expect(Object.getOwnPropertyDescriptor(panel, 'constructor')?.value).toEqual({ x: 1 });
    expect(panel.transparent).not.toBe(true);
    expect(panel.description).not.toBe('inherited');
  });
});

describe('dashboards built with the Foundation SDK', () => {
  const builder = new DashboardBuilder('SDK built')
    .uid('sdk-built')
    .tags(['sdk', 'vigil-managed'])
    .withRow(new RowBuilder('Top'))
    // Spans 6 + 12 + 12: the SDK puts the third panel at x 18, past the grid; Vigil lays the dashboard out again.
    .withPanel(new StatPanelBuilder().title('A').span(6).withTarget(new DataqueryBuilder().expr('up')))
    .withPanel(
      new TimeseriesPanelBuilder()
        .title('B')
        .span(12)
        .withTarget(new DataqueryBuilder().expr('rate(x_total[5m])'))
        .withTarget(new DataqueryBuilder().refId('A').expr('rate(y_total[5m])')),
    )
    .withPanel(
      new TimeseriesPanelBuilder()
        .title('C')
        .span(12)
        .datasource({ type: 'prometheus', uid: 'other' })
        .withTarget(new DataqueryBuilder().expr('z')),
    )
    .withPanel(new TextPanelBuilder().title('Notes').span(24).height(3).content('Read me'))
    .withRow(new RowBuilder('Hidden').withPanel(new StatPanelBuilder().title('D').withTarget(new DataqueryBuilder().expr('up'))));

  const sdkDef = tsDefinition('monitoring/sdk.ts', defineDashboard(builder));
  const model = fixtureModel([{ kind: 'Dashboard', def: sdkDef }]);
  const { json, sources } = emitted(model, 'sdk-built');

  it('passes the strict validator after finishing', () => {
    expect(validateDashboardJson(json)).toEqual([]);
    // Unfinished, the SDK's own JSON would not: no ids, no refIds, and a panel past the grid.
    const raw = validateDashboardJson(model.dashboards.find((d) => d.uid === 'sdk-built')!.built);
    expect(raw.map((p) => p.path)).toEqual(expect.arrayContaining(['panels[1].id', 'panels[3].gridPos', 'panels[1].targets[0].refId']));
  });

  it('gets ids 1..n in layout order, the rows and the nested panel included', () => {
    const all = flat(json.panels);
    expect(all.map((p) => [p.id, p.title])).toEqual([
      [1, 'Top'],
      [2, 'A'],
      [3, 'B'],
      [4, 'C'],
      [5, 'Notes'],
      [6, 'Hidden'],
      [7, 'D'],
    ]);
  });

  it('is laid out again when the SDK layout overflows the grid, keeping widths and heights', () => {
    const pos = (t: string) => byTitle(json, t).gridPos;
    expect(pos('A')).toEqual({ x: 0, y: 1, w: 6, h: 9 });
    expect(pos('B')).toEqual({ x: 6, y: 1, w: 12, h: 9 });
    expect(pos('C')).toEqual({ x: 0, y: 10, w: 12, h: 9 });
    expect(pos('Notes')).toEqual({ x: 0, y: 19, w: 24, h: 3 });
    expect(pos('Hidden')).toEqual({ x: 0, y: 22, w: 24, h: 1 });
    expect(pos('D')).toEqual({ x: 0, y: 23, w: 12, h: 9 });
  });

  it('fills in missing datasources and refIds, keeping the ones the author set', () => {
    const ds = { type: 'prometheus', uid: 'prom-main' };
    expect(byTitle(json, 'A').datasource).toEqual(ds);
    expect(byTitle(json, 'A').targets[0]).toMatchObject({ refId: 'A', datasource: ds });
    // B: the author named the second target A, so the first gets the next free letter.
    expect(byTitle(json, 'B').targets.map((t: Json) => t.refId)).toEqual(['B', 'A']);
    // C: the panel's own datasource is kept and inherited by its target.
    expect(byTitle(json, 'C').datasource).toEqual({ type: 'prometheus', uid: 'other' });
    expect(byTitle(json, 'C').targets[0].datasource).toEqual({ type: 'prometheus', uid: 'other' });
    expect(byTitle(json, 'Notes').datasource).toBeUndefined();
    expect(byTitle(json, 'D').targets[0]).toMatchObject({ refId: 'A', datasource: ds });
  });

  it('gets the dashboard fields Vigil owns, and leaves the model untouched', () => {
    expect(json).toMatchObject({ id: null, schemaVersion: 39, time: { from: 'now-6h', to: 'now' }, templating: { list: [] }, annotations: { list: [] } });
    expect(json.tags).toEqual(['platform', 'sdk', 'team-ml', 'vigil-managed']);
    expect(sources).toEqual(['monitoring/sdk.ts']);
    const built = model.dashboards.find((d) => d.uid === 'sdk-built')!.built as Json;
    expect(built.panels[1].id).toBeUndefined();
    expect(built.schemaVersion).toBe(42);
  });

  it('never writes a dashboard whose uid is not a safe file name; the validator names the uid', () => {
    const escape = tsDefinition('monitoring/escape.ts', defineDashboard(new DashboardBuilder('Escape').uid('../../etc/escape')));
    const none = tsDefinition('monitoring/none.ts', defineDashboard(new DashboardBuilder('No uid')));
    const m = fixtureModel([
      { kind: 'Dashboard', def: escape },
      { kind: 'Dashboard', def: none },
    ]);
    expect(emitDashboards(m).map((a) => a.path)).toEqual(['grafana/dashboards/fixture-overview.json']);
    for (const d of m.dashboards.filter((x) => x.built)) {
      expect(validateDashboardJson(dashboardJson(m, d).json).map((p) => p.path)).toEqual(['uid']);
    }
  });

  it('keeps an SDK layout that fits the grid', () => {
    const fitting = new DashboardBuilder('Fits')
      .uid('fits')
      .withPanel(new StatPanelBuilder().title('Tall').span(12).height(16).gridPos({ x: 0, y: 0, w: 12, h: 16 }))
      .withPanel(new StatPanelBuilder().title('Right top').gridPos({ x: 12, y: 0, w: 12, h: 8 }))
      .withPanel(new StatPanelBuilder().title('Right bottom').gridPos({ x: 12, y: 8, w: 12, h: 8 }));
    const m = fixtureModel([{ kind: 'Dashboard', def: tsDefinition('monitoring/fits.ts', defineDashboard(fitting)) }]);
    const { json: j } = emitted(m, 'fits');
    expect(j.panels.map((p: Json) => p.gridPos)).toEqual([
      { x: 0, y: 0, w: 12, h: 16 },
      { x: 12, y: 0, w: 12, h: 8 },
      { x: 12, y: 8, w: 12, h: 8 },
    ]);
    expect(validateDashboardJson(j)).toEqual([]);
  });
});

describe('helpers', () => {
  it('default widths share 24 columns, at least 6', () => {
    expect([1, 2, 3, 4, 5, 7].map(defaultWidth)).toEqual([24, 12, 8, 6, 6, 6]);
  });

  it('refIds run A..Z then AA', () => {
    expect([0, 1, 25, 26, 27, 701, 702].map(refIdOf)).toEqual(['A', 'B', 'Z', 'AA', 'AB', 'ZZ', 'AAA']);
  });

  it('units', () => {
    expect(['percent', 'percentunit', 'bytes', 's', 'reqps', 'Bps', 'short', 'none', 'µs', 'suffix:req', 'si:B'].map(grafanaUnit)).toEqual([
      'percent',
      'percentunit',
      'bytes',
      's',
      'reqps',
      'Bps',
      'short',
      'none',
      'µs',
      'suffix:req',
      'si:B',
    ]);
    expect(['samples/s', 'errors/s', 'jobs', 'steps per second'].map(grafanaUnit)).toEqual(['suffix:samples/s', 'suffix:errors/s', 'suffix:jobs', 'suffix:steps per second']);
  });

  it('an alert with mixed or equality comparisons draws no thresholds', () => {
    const model = fixtureModel();
    const alert = model.groups[0]!.alerts[0]!;
    const origin = alert.levels[0]!.origin;
    expect(alertThresholdSteps(model, { ...alert, levels: [{ severity: 'warning', op: '>', value: 1, origin }, { severity: 'critical', op: '<', value: 0, origin }] })).toBeUndefined();
    expect(alertThresholdSteps(model, { ...alert, levels: [{ severity: 'warning', op: '==', value: 1, origin }] })).toBeUndefined();
    // Two levels at one value: the more severe colour wins, and the steps stay strictly ascending.
    expect(alertThresholdSteps(model, { ...alert, levels: [{ severity: 'warning', op: '>', value: 5, origin }, { severity: 'critical', op: '>', value: 5, origin }] })).toEqual([
      { value: null, color: 'green' },
      { value: 5, color: 'red' },
    ]);
  });
});
