import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../build/manifest.ts';
import { lineColAt, type Span } from '../diagnostics.ts';
import { dashboardJson } from '../emit/grafana-dashboards.ts';
import { buildModel } from '../model/build.ts';
import { validateDashboardJson } from '../spec/dashboard-json.ts';
import { validateDefinitions } from '../spec/validate.ts';
import { definitionInputs, loadDirectory, loadYamlSourcesWithJson, type SourceFile } from './index.ts';

const definition = (json: string, extra = '') => `apiVersion: vigil/v1\nkind: Dashboard\nuid: queue\n${extra}json: ${json}\n`;

const DASHBOARD = `{
  "title": "Queue",
  "schemaVersion": 39,
  "time": { "from": "now-1h", "to": "now" },
  "panels": [
    { "id": 7, "type": "stat", "title": "Depth", "gridPos": { "x": 0, "y": 0, "w": 6, "h": 4 },
      "targets": [{ "expr": "max(queue_depth)" }] }
  ]
}
`;

async function load(sources: SourceFile[]) {
  const loaded = await loadYamlSourcesWithJson(sources);
  const texts = new Map(loaded.sources.map((s) => [s.file, s.text]));
  const where = (span: Span | undefined) => (span ? `${span.file}:${Object.values(lineColAt(texts.get(span.file) ?? '', span.start)).join(':')}` : '');
  return { loaded, where };
}

describe('dashboard JSON files named by a definition', () => {
  it('reads the file relative to the definition and locates paths under json in it', async () => {
    const { loaded, where } = await load([
      { file: 'monitoring/dashboards/queue.yaml', text: definition('./queue.json') },
      { file: 'monitoring/dashboards/queue.json', text: DASHBOARD },
    ]);
    expect(loaded.diagnostics).toEqual([]);
    const def = loaded.definitions[0]!;
    expect((def.value as { json: { title: string } }).json.title).toBe('Queue');
    expect(def.fileAt?.(['json', 'panels', 0, 'title'])).toBe('monitoring/dashboards/queue.json');
    expect(where(def.locate(['json', 'panels', 0, 'title']))).toBe('monitoring/dashboards/queue.json:6:41');
    expect(where(def.locateInString(['json', 'panels', 0, 'targets', 0, 'expr'], 4, 15))).toBe('monitoring/dashboards/queue.json:7:34');
    // The key itself stays in the definition.
    expect(where(def.locate(['json']))).toBe('monitoring/dashboards/queue.yaml:4:7');
  });

  it('reports invalid JSON at its place in the JSON file and drops the definition', async () => {
    const { loaded, where } = await load([
      { file: 'monitoring/queue.yaml', text: definition('./queue.json') },
      { file: 'monitoring/queue.json', text: '{\n  "title": "Queue",\n  "panels": [,]\n}\n' },
    ]);
    expect(loaded.definitions).toEqual([]);
    expect(loaded.diagnostics.map((d) => [d.code, where(d.span)])).toEqual([['load/json', 'monitoring/queue.json:3:14']]);
    expect(loaded.diagnostics[0]!.message).toMatch(/^invalid JSON: /);
  });

  it.each([
    ['a file outside the definitions directory', '../../etc/dash.json', 'load/json', /outside the definitions directory/],
    ['a missing file', './missing.json', 'load/read', /"\.\/missing\.json" cannot be read \(ENOENT\)/],
    ['a file that is not one dashboard', './list.json', 'load/json', /holds a list, not a dashboard/],
  ])('reports %s at the definition', async (_name, reference, code, message) => {
    const { loaded } = await load([
      { file: 'monitoring/queue.yaml', text: definition(reference) },
      { file: 'monitoring/list.json', text: '[]' },
    ]);
    expect(loaded.definitions).toEqual([]);
    expect(loaded.diagnostics).toHaveLength(1);
    expect(loaded.diagnostics[0]).toMatchObject({ code, severity: 'error' });
    expect(loaded.diagnostics[0]!.message).toMatch(message);
    expect(loaded.diagnostics[0]!.hint).toBeTruthy();
  });
});

describe('a JSON dashboard in the model and the build', () => {
  const model = async (sources: SourceFile[]) => {
    const { loaded, where } = await load(sources);
    const { valid, diagnostics } = validateDefinitions(loaded.definitions);
    const built = buildModel(valid);
    return { ...built, problems: [...loaded.diagnostics, ...diagnostics, ...built.diagnostics], where };
  };

  it('is carried through with only Vigil\'s additions: uid, tags, datasource, refIds', async () => {
    const { model: m, problems } = await model([
      { file: 'monitoring/q.yaml', text: definition('./q.json', 'tags: [team-a]\n') },
      { file: 'monitoring/q.json', text: DASHBOARD.replace('"title": "Queue",', '"title": "Queue", "uid": "old", "version": 12, "tags": ["kept"],') },
    ]);
    expect(problems).toEqual([]);
    const d = m.dashboards[0]!;
    expect(m.expressions.map((e) => e.text)).toEqual(['max(queue_depth)']);
    const { json } = dashboardJson(m, d);
    expect(json).toMatchObject({ uid: 'queue', title: 'Queue', schemaVersion: 39, id: null, tags: ['kept', 'vigil-managed'] });
    expect(json.version).toBeUndefined();
    const panel = (json.panels as Record<string, unknown>[])[0]!;
    expect(panel).toMatchObject({ id: 7, gridPos: { x: 0, y: 0, w: 6, h: 4 }, datasource: { type: 'prometheus', uid: 'prometheus' }, targets: [{ refId: 'A', expr: 'max(queue_depth)' }] });
    expect(validateDashboardJson(json, { carried: true })).toEqual([]);
  });

  it('embeds the JSON too, and resolves an export\'s datasource input', async () => {
    const exported = { __inputs: [{ name: 'DS_PROM', type: 'datasource', pluginId: 'prometheus' }], __requires: [], title: 'E', schemaVersion: 39, time: { from: 'now-1h', to: 'now' }, panels: [{ id: 1, type: 'stat', title: 'S', gridPos: { x: 0, y: 0, w: 6, h: 4 }, datasource: { type: 'prometheus', uid: '${DS_PROM}' }, targets: [{ refId: 'A', expr: 'up', datasource: '${DS_PROM}' }] }] };
    const { model: m, problems } = await model([{ file: 'monitoring/e.yaml', text: `apiVersion: vigil/v1\nkind: Dashboard\nuid: e\ntitle: Renamed\njson: ${JSON.stringify(exported)}\n` }]);
    expect(problems).toEqual([]);
    const { json } = dashboardJson(m, m.dashboards[0]!);
    expect(json.__inputs).toBeUndefined();
    expect(json.title).toBe('Renamed');
    expect(JSON.stringify(json)).not.toContain('DS_PROM');
    expect((json.panels as Record<string, unknown>[])[0]!.datasource).toEqual({ type: 'prometheus', uid: 'prometheus' });
  });

  it('rejects declarative fields next to json, and a JSON dashboard without a title', async () => {
    const { problems, where } = await model([
      { file: 'monitoring/a.yaml', text: definition('{ title: A, panels: [] }', 'panels: []\n') },
      { file: 'monitoring/c.yaml', text: 'apiVersion: vigil/v1\nkind: Dashboard\nuid: c\n' },
    ]);
    expect(problems.map((p) => [p.code, where(p.span), p.message])).toEqual([
      ['schema', 'monitoring/a.yaml:4:1', '"panels" and "json" cannot be used together: a JSON dashboard has its panels in its JSON'],
      ['schema', 'monitoring/c.yaml:2:7', 'missing required field "title"'],
    ]);
  });
});

describe('a dashboard JSON file on disk', () => {
  it('is a source of the load and an input a deploy compares, named like the definitions', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'vigil-dashboard-json-'));
    try {
      const dir = path.join(root, 'monitoring');
      await mkdir(path.join(dir, 'dashboards'), { recursive: true });
      await writeFile(path.join(dir, 'dashboards', 'queue.yaml'), definition('./queue.json'));
      await writeFile(path.join(dir, 'dashboards', 'queue.json'), DASHBOARD);
      const loaded = await loadDirectory(dir);
      expect(loaded.diagnostics).toEqual([]);
      expect(loaded.sources.map((s) => s.file)).toEqual(['monitoring/dashboards/queue.yaml', 'monitoring/dashboards/queue.json']);
      expect(await definitionInputs(dir)).toEqual([
        { path: 'monitoring/dashboards/queue.yaml', sha256: sha256(definition('./queue.json')) },
        { path: 'monitoring/dashboards/queue.json', sha256: sha256(DASHBOARD) },
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
