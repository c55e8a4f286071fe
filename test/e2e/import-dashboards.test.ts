// `vigil import dashboards` as a user runs it: dashboard JSON and ConfigMaps in, Dashboard definitions out (or nothing,
// with located errors), the round trip proved with --verify, and the written project building on its own.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runVigilAsync } from '../helpers/cli.ts';

const temps: string[] = [];
afterAll(async () => Promise.all(temps.map((t) => rm(t, { recursive: true, force: true }))));
async function temp(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-import-dashboards-cli-'));
  temps.push(dir);
  return dir;
}

const panel = (title: string, expr: string, x: number) => ({
  type: 'timeseries',
  title,
  gridPos: { x, y: 0, w: 12, h: 8 },
  datasource: { type: 'prometheus', uid: '${DS_PROMETHEUS}' },
  fieldConfig: { defaults: { unit: 'reqps' }, overrides: [] },
  targets: [{ refId: 'A', expr, legendFormat: '{{code}}' }],
});

const EXPORTED = {
  __inputs: [{ name: 'DS_PROMETHEUS', label: 'Prometheus', type: 'datasource', pluginId: 'prometheus' }],
  __requires: [{ type: 'panel', id: 'timeseries', name: 'Time series' }],
  uid: 'http',
  title: 'HTTP',
  schemaVersion: 39,
  time: { from: 'now-6h', to: 'now' },
  panels: [panel('Requests', 'sum by (code) (rate(http_requests_total[$__rate_interval]))', 0), panel('Errors', 'sum by (code) (rate(http_requests_total{code=~"5.."}[5m]))', 12)],
};

const CONFIGMAP = `apiVersion: v1
kind: ConfigMap
metadata: { name: grafana-dashboard-up }
data:
  up.json: |
    { "uid": "up", "title": "Up", "schemaVersion": 14, "rows": [ { "title": "Targets", "panels": [
      { "id": 1, "type": "graph", "title": "Up", "span": 12, "datasource": "$datasource", "targets": [ { "expr": "up", "legendFormat": "{{job}}" } ] }
    ] } ] }
`;

describe('vigil import dashboards', () => {
  it('writes a project that builds, and --verify proves the round trip', async () => {
    const dir = await temp();
    await writeFile(path.join(dir, 'http.json'), JSON.stringify(EXPORTED, null, 2));
    await writeFile(path.join(dir, 'up.yaml'), CONFIGMAP);
    const run = await runVigilAsync(['import', 'dashboards', 'http.json', 'up.yaml', '--out', 'imported', '--verify'], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('imported 2 dashboards (3 panels, 3 queries): 1 declarative (2 of their panels declarative), 1 carried as Grafana JSON; 8 files written to imported/');
    expect(run.stdout).toMatch(/up\.yaml ConfigMap grafana-dashboard-up data\["up\.json"\]: carried as Grafana JSON \(up\.json\): schemaVersion 14 is older/);
    expect(run.stdout).toContain("http.json: datasource input ${DS_PROMETHEUS} became the project's datasource");
    expect(run.stdout).toContain('verified: the build has the same 3 panels (type, title, layout, unit, thresholds) and 3 queries in 2 dashboards as the input');
    expect((await readdir(path.join(dir, 'imported', 'dashboards'))).sort()).toEqual(['http.yaml', 'up.json', 'up.yaml']);
    // The export's panels are declarative: their queries are YAML a reviewer reads, checked where they are written.
    expect(await readFile(path.join(dir, 'imported', 'dashboards', 'http.yaml'), 'utf8')).toContain('- expr: sum by (code) (rate(http_requests_total[$__rate_interval]))');
    const build = await runVigilAsync(['build', 'imported', '--out', 'generated'], dir);
    expect(build.code, build.stderr).toBe(0);
    const built = JSON.parse(await readFile(path.join(dir, 'generated', 'grafana', 'dashboards', 'http.json'), 'utf8'));
    expect(built.panels[0].datasource).toEqual({ type: 'prometheus', uid: 'prometheus' });
    expect(JSON.stringify(built)).not.toContain('DS_PROMETHEUS');
    // The legacy dashboard is carried as it was: Grafana lays its rows out when it loads it.
    const legacy = JSON.parse(await readFile(path.join(dir, 'generated', 'grafana', 'dashboards', 'up.json'), 'utf8'));
    expect(legacy).toMatchObject({ schemaVersion: 14, rows: [{ panels: [{ type: 'graph', span: 12, datasource: '$datasource' }] }] });
  }, 60_000);

  it('reports bad input with file:line:col and writes nothing', async () => {
    const dir = await temp();
    await writeFile(path.join(dir, 'good.json'), JSON.stringify(EXPORTED));
    await writeFile(path.join(dir, 'bad.yaml'), CONFIGMAP.replace('"title": "Up", "schemaVersion"', '"title": "Up" "schemaVersion"'));
    const run = await runVigilAsync(['import', 'dashboards', 'good.json', 'bad.yaml', '--out', 'imported'], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/bad\.yaml:6:34: error\[import\/input\]: ConfigMap grafana-dashboard-up data\["up\.json"\]: invalid JSON/);
    expect(run.stderr).toContain('nothing was written');
    expect(existsSync(path.join(dir, 'imported'))).toBe(false);
  }, 60_000);

  it('reports in JSON with --format json', async () => {
    const dir = await temp();
    await writeFile(path.join(dir, 'http.json'), JSON.stringify(EXPORTED));
    const run = await runVigilAsync(['import', 'dashboards', 'http.json', '--out', 'imported', '--verify', '--format', 'json'], dir);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ ok: true, counts: { dashboards: 1, panels: 2, queries: 2 }, verify: { differences: [], compared: { dashboards: 1, panels: 2, queries: 2 } } });
  }, 60_000);
});
