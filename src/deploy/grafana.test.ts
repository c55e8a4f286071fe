import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGrafanaDouble, type GrafanaDouble } from '../../test/doubles/grafana.ts';
import { DeployError } from './errors.ts';
import { dashboardDifference, GrafanaAdapter, OWNERSHIP_TAG, withOwnershipTag, type DesiredGrafana } from './grafana.ts';

const TOKEN = 'glsa_test';

const dashboard = (uid: string, title: string, extra: Record<string, unknown> = {}) => withOwnershipTag({ uid, title, tags: ['app'], panels: [], schemaVersion: 39, ...extra });

describe('Grafana adapter against the Grafana API double', () => {
  let grafana: GrafanaDouble;
  beforeEach(async () => {
    grafana = await startGrafanaDouble({ token: TOKEN });
  });
  afterEach(() => grafana.close());

  const adapter = (dashboards: Record<string, Record<string, unknown>>, over: Partial<DesiredGrafana> = {}) =>
    new GrafanaAdapter({ url: grafana.url, token: TOKEN, folder: 'Vigil', dashboards: new Map(Object.entries(dashboards)), message: 'test deploy', ...over });

  it('creates the folder and dashboards, verifies them, and then has nothing to do', async () => {
    const a = adapter({ app: dashboard('app', 'App') });
    const plan = await a.plan();
    expect(plan.changes.map((c) => `${c.kind} ${c.object}`)).toEqual(['add folder Vigil', 'add dashboard app']);
    await a.apply();
    await a.verify();
    const stored = grafana.dashboards.get('app')!;
    expect(stored.version).toBe(1);
    expect(stored.json.tags).toEqual(['app', OWNERSHIP_TAG]);
    expect(grafana.folders.get(stored.folderUid!)?.title).toBe('Vigil');
    expect((await adapter({ app: dashboard('app', 'App') }).plan()).changes).toEqual([]);
  });

  it('updates a changed dashboard with the version it read, and removes only dashboards it owns', async () => {
    await (async (a) => (await a.plan(), await a.apply()))(adapter({ app: dashboard('app', 'App'), old: dashboard('old', 'Old') }));
    grafana.seedDashboard({ uid: 'theirs', title: 'Theirs', tags: ['team'] });
    const a = adapter({ app: dashboard('app', 'App v2') });
    const plan = await a.plan();
    expect(plan.changes.map((c) => `${c.kind} ${c.object}`)).toEqual(['change dashboard app', 'remove dashboard old']);
    expect(plan.changes[0]!.detail).toBe('settings: title');
    await a.apply();
    await a.verify();
    expect(grafana.dashboards.get('app')!.version).toBe(2);
    expect(grafana.dashboards.get('app')!.json.title).toBe('App v2');
    expect(grafana.dashboards.has('old')).toBe(false);
    expect(grafana.dashboards.has('theirs')).toBe(true);
  });

  it('names the panels a change adds, removes and changes', () => {
    const live = dashboard('d', 'D', { panels: [{ id: 1, type: 'stat', title: 'Up' }, { id: 2, type: 'timeseries', title: 'Load' }] });
    const want = dashboard('d', 'D', { panels: [{ id: 1, type: 'stat', title: 'Up', unit: 'none' }, { id: 3, type: 'timeseries', title: 'CPU' }] });
    expect(dashboardDifference(live, want)).toBe('panels added: "CPU"; removed: "Load"; changed: "Up"');
  });

  it('refuses to take over a dashboard with the same uid that Vigil does not own', async () => {
    grafana.seedDashboard({ uid: 'app', title: 'Hand-made', tags: ['team'] });
    await expect(adapter({ app: dashboard('app', 'App') }).plan()).rejects.toThrow(/uid "app" that Vigil does not manage/);
    expect(grafana.dashboards.get('app')!.json.title).toBe('Hand-made');
  });

  it('fails with a conflict when someone saved the dashboard between plan and apply, and rolls back what it did', async () => {
    await (async (a) => (await a.plan(), await a.apply()))(adapter({ app: dashboard('app', 'App'), other: dashboard('other', 'Other') }));
    const a = adapter({ other: dashboard('other', 'Other v2'), app: dashboard('app', 'App v2') });
    await a.plan();
    // A person edits "app" in the UI after the plan read it.
    const edited = grafana.dashboards.get('app')!;
    const res = await fetch(`${grafana.url}/api/dashboards/db`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ dashboard: { ...edited.json, title: 'Edited by hand' }, folderUid: edited.folderUid, overwrite: true }) });
    expect(res.status).toBe(200);
    const error = await a.apply().catch((e) => e);
    expect(error).toBeInstanceOf(DeployError);
    expect((error as DeployError).code).toBe('deploy/conflict');
    expect(grafana.dashboards.get('app')!.json.title).toBe('Edited by hand');
    expect(grafana.dashboards.get('other')!.json.title).toBe('Other v2');
    expect(await a.rollback()).toEqual([]);
    expect(grafana.dashboards.get('other')!.json.title).toBe('Other');
  });

  it('says clearly when the token is rejected', async () => {
    const error = await adapter({ app: dashboard('app', 'App') }, { token: 'wrong' }).plan().catch((e) => e);
    expect((error as DeployError).code).toBe('deploy/auth');
    expect((error as DeployError).message).toMatch(/grafana rejected the token.*401/);
  });

  it('rolls back a new dashboard by deleting it, and a removed one by restoring it', async () => {
    await (async (a) => (await a.plan(), await a.apply()))(adapter({ gone: dashboard('gone', 'Gone') }));
    const a = adapter({ fresh: dashboard('fresh', 'Fresh') });
    await a.plan();
    await a.apply();
    expect(grafana.dashboards.has('gone')).toBe(false);
    expect(await a.rollback()).toEqual([]);
    expect(grafana.dashboards.has('fresh')).toBe(false);
    expect(grafana.dashboards.get('gone')!.json.title).toBe('Gone');
  });
});
