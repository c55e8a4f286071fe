import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckContext, Report } from '../checks/check.ts';
import { dashboardJsonCheck } from '../checks/dashboard-json.ts';
import { loadYamlSources } from '../load/index.ts';
import { buildModel } from '../model/build.ts';
import { spanOf } from '../model/types.ts';
import { validateDefinitions } from './validate.ts';
import { validateDashboardJson } from './dashboard-json.ts';

type Json = Record<string, any>;

/**
 * The golden dashboard of the emitter test: valid as it is. Its top-level panels: [0] Headline (stat), [1] row
 * "Every panel type", [2] GPU memory (timeseries, 2 targets, thresholds), [3] GPU utilisation (gauge), [4] Requests,
 * [5] Jobs, [6] Failures by reason, [7] collapsed row "Details" with 2 nested panels, [8] row "Sizes", [9..11].
 */
const GOLDEN = readFileSync(path.join(import.meta.dirname, '../../test/fixtures/grafana/expected/fixture-overview.json'), 'utf8');
const good = (): Json => JSON.parse(GOLDEN) as Json;

describe('validateDashboardJson', () => {
  it('accepts the emitted golden dashboard', () => {
    expect(validateDashboardJson(good())).toEqual([]);
  });

  // Each case breaks one thing; the validator must name that path (and may not stay silent).
  const cases: { name: string; mutate: (d: Json) => unknown; path: string; message: RegExp }[] = [
    { name: 'duplicate panel id', mutate: (d) => (d.panels[4].id = 3), path: 'panels[4].id', message: /duplicate panel id 3 \(also panels\[2\]\.id\)/ },
    { name: 'duplicate id of a nested panel', mutate: (d) => (d.panels[7].panels[1].id = 1), path: 'panels[7].panels[1].id', message: /duplicate panel id 1/ },
    { name: 'panel id missing', mutate: (d) => delete d.panels[0].id, path: 'panels[0].id', message: /is required/ },
    { name: 'panel id not an integer', mutate: (d) => (d.panels[0].id = 1.5), path: 'panels[0].id', message: /must be integer/ },
    { name: 'panel id zero', mutate: (d) => (d.panels[0].id = 0), path: 'panels[0].id', message: /must be >= 1/ },
    { name: 'bad uid characters', mutate: (d) => (d.uid = 'fixture overview!'), path: 'uid', message: /a-z, A-Z, 0-9, _ and -.*got "fixture overview!"/ },
    { name: 'uid longer than 40', mutate: (d) => (d.uid = 'x'.repeat(41)), path: 'uid', message: /1-40 characters/ },
    { name: 'uid missing', mutate: (d) => delete d.uid, path: 'uid', message: /is required/ },
    { name: 'blank title', mutate: (d) => (d.title = '  '), path: 'title', message: /non-blank/ },
    { name: 'x + w past the grid', mutate: (d) => (d.panels[3].gridPos.x = 20), path: 'panels[3].gridPos', message: /x \+ w = 20 \+ 6 = 26 runs past the 24-column grid/ },
    { name: 'width over 24', mutate: (d) => (d.panels[0].gridPos.w = 30), path: 'panels[0].gridPos.w', message: /must be <= 24/ },
    { name: 'zero width', mutate: (d) => (d.panels[0].gridPos.w = 0), path: 'panels[0].gridPos.w', message: /must be >= 1/ },
    { name: 'negative x', mutate: (d) => (d.panels[0].gridPos.x = -1), path: 'panels[0].gridPos.x', message: /must be >= 0/ },
    { name: 'gridPos missing h', mutate: (d) => delete d.panels[0].gridPos.h, path: 'panels[0].gridPos.h', message: /is required/ },
    { name: 'fractional y', mutate: (d) => (d.panels[0].gridPos.y = 0.5), path: 'panels[0].gridPos.y', message: /must be integer/ },
    { name: 'missing refId', mutate: (d) => delete d.panels[2].targets[1].refId, path: 'panels[2].targets[1].refId', message: /is required/ },
    { name: 'duplicate refId', mutate: (d) => (d.panels[2].targets[1].refId = 'A'), path: 'panels[2].targets[1].refId', message: /duplicate refId "A" in this panel/ },
    { name: 'empty Prometheus expr', mutate: (d) => (d.panels[2].targets[0].expr = '  '), path: 'panels[2].targets[0].expr', message: /non-empty expr/ },
    { name: 'Prometheus target without expr', mutate: (d) => delete d.panels[2].targets[0].expr, path: 'panels[2].targets[0].expr', message: /non-empty expr/ },
    { name: 'target without datasource', mutate: (d) => delete d.panels[2].targets[0].datasource, path: 'panels[2].targets[0].datasource', message: /is required/ },
    { name: 'datasource without uid', mutate: (d) => delete d.panels[2].datasource.uid, path: 'panels[2].datasource.uid', message: /is required/ },
    { name: 'datasource as a name', mutate: (d) => (d.panels[2].datasource = 'Prometheus'), path: 'panels[2].datasource', message: /datasource reference/ },
    { name: 'unknown panel type', mutate: (d) => (d.panels[2].type = 'timeserie'), path: 'panels[2].type', message: /unknown panel type "timeserie"/ },
    { name: 'AngularJS panel', mutate: (d) => (d.panels[2].type = 'graph'), path: 'panels[2].type', message: /AngularJS.*use "timeseries"/ },
    // A type Object.prototype has a property of is no AngularJS panel: it is unknown.
    { name: 'panel type constructor', mutate: (d) => (d.panels[2].type = 'constructor'), path: 'panels[2].type', message: /unknown panel type "constructor"/ },
    { name: 'panel type toString', mutate: (d) => (d.panels[2].type = 'toString'), path: 'panels[2].type', message: /unknown panel type "toString"/ },
    { name: 'panel without type', mutate: (d) => delete d.panels[2].type, path: 'panels[2].type', message: /is required/ },
    {
      name: 'thresholds not starting with null',
      mutate: (d) => (d.panels[2].fieldConfig.defaults.thresholds.steps[0].value = 0),
      path: 'panels[2].fieldConfig.defaults.thresholds.steps[0].value',
      message: /first step is the base colour and must have value null \(got 0\)/,
    },
    {
      name: 'thresholds out of order',
      mutate: (d) => (d.panels[2].fieldConfig.defaults.thresholds.steps[2].value = 60),
      path: 'panels[2].fieldConfig.defaults.thresholds.steps[2].value',
      message: /steps must ascend: 60 does not follow 70/,
    },
    {
      name: 'two threshold steps at one value',
      mutate: (d) => (d.panels[2].fieldConfig.defaults.thresholds.steps[2].value = 70),
      path: 'panels[2].fieldConfig.defaults.thresholds.steps[2].value',
      message: /steps must ascend: 70 does not follow 70/,
    },
    {
      name: 'a later threshold step null',
      mutate: (d) => (d.panels[2].fieldConfig.defaults.thresholds.steps[3].value = null),
      path: 'panels[2].fieldConfig.defaults.thresholds.steps[3].value',
      message: /only the first step may have value null/,
    },
    {
      name: 'threshold step without colour',
      mutate: (d) => delete d.panels[2].fieldConfig.defaults.thresholds.steps[1].color,
      path: 'panels[2].fieldConfig.defaults.thresholds.steps[1].color',
      message: /is required/,
    },
    {
      name: 'unknown thresholds mode',
      mutate: (d) => (d.panels[2].fieldConfig.defaults.thresholds.mode = 'relative'),
      path: 'panels[2].fieldConfig.defaults.thresholds.mode',
      message: /must be one of "absolute", "percentage" \(got "relative"\)/,
    },
    {
      name: 'override thresholds out of order',
      mutate: (d) =>
        d.panels[2].fieldConfig.overrides.push({
          matcher: { id: 'byName', options: 'mean' },
          properties: [{ id: 'thresholds', value: { mode: 'absolute', steps: [{ value: null, color: 'green' }, { value: 5, color: 'red' }, { value: 1, color: 'blue' }] } }],
        }),
      path: 'panels[2].fieldConfig.overrides[0].properties[0].value.steps[2].value',
      message: /must ascend/,
    },
    { name: 'expanded row nesting panels', mutate: (d) => (d.panels[1].panels = [d.panels[0]]), path: 'panels[1].panels', message: /expanded row must not nest panels/ },
    { name: 'rows in rows', mutate: (d) => d.panels[7].panels.push({ ...d.panels[8], id: 99 }), path: 'panels[7].panels[2].type', message: /rows cannot be nested/ },
    { name: 'row narrower than the grid', mutate: (d) => (d.panels[1].gridPos.w = 12), path: 'panels[1].gridPos', message: /a row spans the grid/ },
    { name: 'numeric dashboard id', mutate: (d) => (d.id = 7), path: 'id', message: /must be null.*404/ },
    { name: 'schemaVersion as a string', mutate: (d) => (d.schemaVersion = '39'), path: 'schemaVersion', message: /must be integer/ },
    { name: 'time missing', mutate: (d) => delete d.time, path: 'time', message: /is required/ },
    { name: 'time.to missing', mutate: (d) => delete d.time.to, path: 'time.to', message: /is required/ },
    { name: 'empty time.from', mutate: (d) => (d.time.from = ''), path: 'time.from', message: /must NOT have fewer than 1 characters/ },
    { name: 'panels not an array', mutate: (d) => (d.panels = {}), path: 'panels', message: /must be array/ },
    { name: 'tag not a string', mutate: (d) => (d.tags[0] = 3), path: 'tags[0]', message: /must be string/ },
    { name: 'duplicate tags', mutate: (d) => d.tags.push('gpu'), path: 'tags', message: /duplicate items/ },
    { name: 'bad refresh', mutate: (d) => (d.refresh = 'often'), path: 'refresh', message: /interval such as 30s/ },
    { name: 'graphTooltip out of range', mutate: (d) => (d.graphTooltip = 3), path: 'graphTooltip', message: /must be one of 0, 1, 2/ },
    { name: 'duplicate variable name', mutate: (d) => (d.templating.list[1].name = 'job'), path: 'templating.list[1].name', message: /duplicate variable name "job" \(also templating.list\[0\]\)/ },
    { name: 'variable name with a dash', mutate: (d) => (d.templating.list[0].name = 'job-id'), path: 'templating.list[0].name', message: /letters, digits and _/ },
    { name: 'variable name reserved by Grafana', mutate: (d) => (d.templating.list[0].name = '__interval'), path: 'templating.list[0].name', message: /__/ },
    { name: 'variable without type', mutate: (d) => delete d.templating.list[0].type, path: 'templating.list[0].type', message: /is required/ },
    { name: 'unknown variable type', mutate: (d) => (d.templating.list[0].type = 'list'), path: 'templating.list[0].type', message: /must be one of "query"/ },
    { name: 'query variable without a query', mutate: (d) => (d.templating.list[0].query = ''), path: 'templating.list[0].query', message: /query variable needs a non-empty query/ },
    { name: 'templating list not an array', mutate: (d) => (d.templating.list = 'job'), path: 'templating.list', message: /must be array/ },
  ];

  it.each(cases)('rejects: $name', ({ mutate, path: at, message }) => {
    const d = good();
    mutate(d);
    const problems = validateDashboardJson(d);
    expect(problems.length).toBeGreaterThan(0);
    const hit = problems.find((p) => p.path === at && message.test(p.message));
    expect(hit, `expected ${at}: ${message} in\n${problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`).toBeDefined();
  });

  it('rejects what is not a dashboard object at all', () => {
    for (const value of [undefined, null, [], 'dashboard', 42]) {
      expect(validateDashboardJson(value)).toEqual([{ path: '(dashboard)', message: expect.stringMatching(/^must be object/) }]);
    }
  });

  it('reports every problem, not only the first, in document order', () => {
    const d = good();
    d.uid = 'bad uid';
    d.panels[4].id = 3;
    d.panels[3].gridPos.x = 20;
    d.panels[2].targets[1].refId = 'A';
    const problems = validateDashboardJson(d);
    expect(problems.map((p) => p.path)).toEqual(['panels[2].targets[1].refId', 'panels[3].gridPos', 'panels[4].id', 'uid']);
  });

  it('accepts plugin panels and a collapsed row nesting panels', () => {
    const d = good();
    d.panels[0].type = 'grafana-clock-panel';
    expect(validateDashboardJson(d)).toEqual([]);
  });
});

describe('dashboard/json check', () => {
  const run = (dashboard: string) => {
    const loaded = loadYamlSources([{ file: 'monitoring/d.yaml', text: dashboard }]);
    const { valid, diagnostics } = validateDefinitions(loaded.definitions);
    expect(diagnostics).toEqual([]);
    const { model } = buildModel(valid);
    const reports: Report[] = [];
    // The check runs per definition file (compile-scopes.ts): here the one file of this dashboard.
    const ctx = { model, report: (r: Report) => reports.push(r) } as unknown as CheckContext;
    dashboardJsonCheck.run(ctx);
    dashboardJsonCheck.perFile!(ctx, { file: 'monitoring/d.yaml', documents: [], groups: [], dashboards: model.dashboards, expressions: [] });
    return { reports, model };
  };

  it('is quiet for a good dashboard', () => {
    const { reports } = run(`
apiVersion: vigil/v1
kind: Dashboard
uid: good
title: Good
panels: [{ title: Up, type: stat, queries: [{ expr: up }] }]
`);
    expect(reports).toEqual([]);
  });

  it('reports what the schema lets through but Grafana cannot use, at the panel, the top-level field or else the dashboard', () => {
    const { reports, model } = run(`
apiVersion: vigil/v1
kind: Dashboard
uid: broken
title: " "
variables: [{ name: job }]
panels:
  - title: Up
    type: stat
    queries: [{ expr: up }]
    thresholds: [{ value: 10, color: red }, { value: 5, color: green }]
`);
    expect(dashboardJsonCheck).toMatchObject({ id: 'dashboard/json', severity: 'error' });
    const span = spanOf(model.dashboards[0]!.origin);
    expect(reports.map((r) => r.message)).toEqual([
      'dashboard broken: panels[0].fieldConfig.defaults.thresholds.steps[0].value: the first step is the base colour and must have value null (got 10)',
      'dashboard broken: panels[0].fieldConfig.defaults.thresholds.steps[1].value: steps must ascend: 5 does not follow 10',
      'dashboard broken: templating.list[0].query: a query variable needs a non-empty query',
      'dashboard broken: title: must be a non-blank string (Grafana rejects an empty title) (got " ")',
    ]);
    const panelTitle = spanOf(model.dashboards[0]!.origin, 'panels', 0, 'title');
    expect(reports.map((r) => r.span)).toEqual([panelTitle, panelTitle, span, spanOf(model.dashboards[0]!.origin, 'title')]);
    for (const r of reports) expect(r.hint).toMatch(/fix the dashboard definition/);
    expect(reports[0]!.hint).toMatch(/^in panel "Up" \(id 1\); /);
  });
});

describe('validateDashboardJson of a carried dashboard (as Grafana loads it)', () => {
  /** A dashboard of schemaVersion 14: legacy rows, datasource names, AngularJS panels, nulls Grafana reads as unset. */
  const legacy = (): Json => ({
    uid: 'legacy',
    title: 'Legacy',
    schemaVersion: 14,
    time: { from: 'now-1h', to: 'now' },
    rows: [
      { title: 'A', height: '250px', panels: [{ id: 1, type: 'graph', title: 'G', span: 6, datasource: '$datasource', timeFrom: null, targets: [{ refId: 'A', expr: 'up' }] }, { id: 2, type: 'singlestat', title: 'S', span: 6, datasource: '$datasource', targets: [{ refId: 'A', expr: 'up' }] }] },
      { title: 'B', collapse: true, panels: [{ id: 3, type: 'table-old', title: 'T', datasource: null, targets: [{ refId: 'A', expr: 'up' }] }] },
    ],
  });

  it('accepts what Grafana accepts, and Vigil does not accept in a dashboard it builds', () => {
    expect(validateDashboardJson(legacy(), { carried: true })).toEqual([]);
    expect(validateDashboardJson(legacy()).map((p) => p.path)).toContain('panels');
    const thresholds = good();
    thresholds.panels[2].fieldConfig.defaults.thresholds.steps[0].value = 0;
    delete thresholds.panels[2].fieldConfig.overrides;
    expect(validateDashboardJson(thresholds, { carried: true })).toEqual([]);
    expect(validateDashboardJson(thresholds).map((p) => p.path)).toEqual(['panels[2].fieldConfig.defaults.thresholds.steps[0].value']);
  });

  it('reports a problem in a legacy row at the panel as written', () => {
    const d = legacy();
    d.rows[0].panels[1].span = 16; // 6 + 16 spans: the second panel wraps, but 32 columns do not fit
    d.rows[1].panels[0].targets.push({ refId: 'A', expr: 'up' });
    expect(validateDashboardJson(d, { carried: true })).toEqual([
      { path: 'rows[0].panels[1].gridPos', message: 'x + w = 0 + 32 = 32 runs past the 24-column grid' },
      { path: 'rows[0].panels[1].gridPos.w', message: 'must be <= 24 (got 32)' },
      { path: 'rows[1].panels[0].targets[1].refId', message: 'duplicate refId "A" in this panel (also targets[0])' },
    ]);
  });

  it('reports legacy rows Grafana would drop', () => {
    expect(validateDashboardJson({ ...legacy(), schemaVersion: 16, panels: [] }, { carried: true })).toEqual([
      { path: 'rows', message: 'Grafana ignores legacy rows from schemaVersion 16 on (this dashboard has 16): move their panels into panels, or set the schemaVersion the rows were written for' },
    ]);
  });
});
