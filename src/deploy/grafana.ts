import { DeployError } from './errors.ts';
import { expectStatus, request, type HttpResponse } from './http.ts';
import { type Change, type Target, type TargetPlan, deepEqual } from './target.ts';

/** The tag that marks a dashboard as Vigil's: only dashboards carrying it are ever changed or deleted. */
export const OWNERSHIP_TAG = 'vigil-managed';

export interface DesiredGrafana {
  url: string;
  token: string;
  /** Folder title; undefined = the General (root) folder. */
  folder?: string;
  /** Dashboard JSON by uid, as emitted. */
  dashboards: Map<string, Record<string, unknown>>;
  /** Version note stored with each saved version. */
  message: string;
}

interface Stored {
  dashboard: Record<string, unknown>;
  meta: { version: number; folderUid?: string; provisioned?: boolean };
}

type Action =
  | { kind: 'add'; uid: string }
  | { kind: 'change'; uid: string; before: Stored }
  | { kind: 'remove'; uid: string; before: Stored };

/** Grafana's dashboard API (grafana-api.md): save with optimistic versions, verify by reading back, undo on rollback. */
export class GrafanaAdapter implements Target {
  readonly name = 'grafana';
  private actions: Action[] = [];
  private done: Action[] = [];
  private folderUid: string | undefined;
  private folderMissing = false;
  private savedVersions = new Map<string, number>();

  constructor(private readonly desired: DesiredGrafana) {}

  private call(method: string, path: string, body?: unknown): Promise<HttpResponse> {
    return request('grafana', `${this.desired.url}${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: { Authorization: `Bearer ${this.desired.token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    });
  }

  private check(what: string, r: HttpResponse, ok = [200]): void {
    if (r.status === 401) throw new DeployError(`grafana rejected the token while ${what} (HTTP 401)`, 'check the token in the Environment (a service account token with the Editor role)', 'deploy/auth');
    if (r.status === 403) throw new DeployError(`grafana: the token may not ${what} (HTTP 403)`, 'give the service account the Editor role on the folder', 'deploy/auth');
    expectStatus('grafana', what, r, ok);
  }

  async plan(): Promise<TargetPlan> {
    const changes: Change[] = [];
    const notes: string[] = [];
    await this.resolveFolder();
    if (this.folderMissing) changes.push({ kind: 'add', object: `folder ${this.desired.folder}` });
    this.actions = [];
    for (const [uid, json] of this.desired.dashboards) {
      const r = await this.call('GET', `/api/dashboards/uid/${encodeURIComponent(uid)}`);
      if (r.status === 404) {
        this.actions.push({ kind: 'add', uid });
        changes.push({ kind: 'add', object: `dashboard ${uid}`, detail: String(json.title ?? '') });
        continue;
      }
      this.check(`reading dashboard ${uid}`, r);
      const stored = r.json<Stored>();
      const tags = (stored.dashboard.tags as string[] | undefined) ?? [];
      if (!tags.includes(OWNERSHIP_TAG)) {
        throw new DeployError(`grafana already has a dashboard with uid "${uid}" that Vigil does not manage (no "${OWNERSHIP_TAG}" tag)`, 'choose another uid, or add the tag to that dashboard in Grafana to hand it over to Vigil', 'deploy/ownership');
      }
      if (stored.meta.provisioned) throw new DeployError(`dashboard ${uid} is provisioned from files in Grafana and cannot be saved through the API`, 'remove it from Grafana’s provisioning or give it another uid', 'deploy/ownership');
      const sameJson = deepEqual(comparable(stored.dashboard), comparable(json));
      const sameFolder = (stored.meta.folderUid || undefined) === this.folderUid;
      if (!sameJson || !sameFolder) {
        this.actions.push({ kind: 'change', uid, before: stored });
        changes.push({ kind: 'change', object: `dashboard ${uid}`, detail: [!sameJson && dashboardDifference(stored.dashboard, json), !sameFolder && 'moved to another folder'].filter(Boolean).join('; ') });
      }
    }
    const owned = await this.call('GET', `/api/search?type=dash-db&tag=${OWNERSHIP_TAG}&limit=5000`);
    this.check('searching dashboards', owned);
    for (const hit of owned.json<{ uid: string; title: string }[]>()) {
      if (this.desired.dashboards.has(hit.uid)) continue;
      const r = await this.call('GET', `/api/dashboards/uid/${encodeURIComponent(hit.uid)}`);
      this.check(`reading dashboard ${hit.uid}`, r);
      this.actions.push({ kind: 'remove', uid: hit.uid, before: r.json<Stored>() });
      changes.push({ kind: 'remove', object: `dashboard ${hit.uid}`, detail: hit.title });
    }
    return { target: this.name, changes, notes };
  }

  async apply(): Promise<void> {
    this.done = [];
    this.savedVersions.clear();
    if (this.folderMissing) await this.createFolder();
    for (const action of this.actions) {
      if (action.kind === 'remove') {
        const r = await this.call('DELETE', `/api/dashboards/uid/${encodeURIComponent(action.uid)}`);
        this.check(`deleting dashboard ${action.uid}`, r);
      } else {
        const json = this.desired.dashboards.get(action.uid)!;
        const before = action.kind === 'change' ? action.before : undefined;
        // The version read at plan time: if someone saved meanwhile, Grafana answers 412 instead of losing their edit.
        const dashboard = { ...json, id: before ? before.dashboard.id : null, uid: action.uid, version: before?.meta.version };
        const r = await this.call('POST', '/api/dashboards/db', { dashboard, folderUid: this.folderUid ?? '', overwrite: false, message: this.desired.message });
        if (r.status === 412) {
          throw new DeployError(`grafana refused to save dashboard ${action.uid}: ${messageOf(r)}`, 'someone changed it in Grafana since the plan; run the deploy again (Vigil owns the dashboard and will replace that edit)', 'deploy/conflict');
        }
        this.check(`saving dashboard ${action.uid}`, r);
        this.savedVersions.set(action.uid, r.json<{ version: number }>().version);
      }
      this.done.push(action);
    }
  }

  async verify(): Promise<void> {
    for (const [uid, version] of this.savedVersions) {
      const r = await this.call('GET', `/api/dashboards/uid/${encodeURIComponent(uid)}`);
      this.check(`reading dashboard ${uid}`, r);
      const stored = r.json<Stored>();
      if (stored.meta.version !== version || !deepEqual(comparable(stored.dashboard), comparable(this.desired.dashboards.get(uid)!))) {
        throw new DeployError(`grafana does not return the saved version ${version} of dashboard ${uid} (it returns version ${stored.meta.version})`, 'someone or something saved it at the same time; deploy again', 'deploy/verify');
      }
    }
    for (const a of this.done.filter((x) => x.kind === 'remove')) {
      const r = await this.call('GET', `/api/dashboards/uid/${encodeURIComponent(a.uid)}`);
      if (r.status !== 404) throw new DeployError(`grafana still has dashboard ${a.uid} after deleting it`, 'something recreated it meanwhile (provisioning, another tool); check Grafana and deploy again', 'deploy/verify');
    }
  }

  async rollback(): Promise<string[]> {
    const failures: string[] = [];
    for (const action of [...this.done].reverse()) {
      try {
        if (action.kind === 'add') {
          const r = await this.call('DELETE', `/api/dashboards/uid/${encodeURIComponent(action.uid)}`);
          if (r.status !== 404) this.check(`deleting dashboard ${action.uid}`, r);
        } else {
          const { dashboard, meta } = action.before;
          const r = await this.call('POST', '/api/dashboards/db', { dashboard: { ...dashboard, id: action.kind === 'remove' ? null : dashboard.id }, folderUid: meta.folderUid ?? '', overwrite: true, message: `${this.desired.message} (rolled back)` });
          this.check(`restoring dashboard ${action.uid}`, r);
        }
      } catch (e) {
        failures.push(`grafana dashboard ${action.uid}: ${(e as Error).message}`);
      }
    }
    return failures;
  }

  private async resolveFolder(): Promise<void> {
    this.folderUid = undefined;
    this.folderMissing = false;
    if (!this.desired.folder) return;
    const r = await this.call('GET', '/api/folders?limit=1000');
    this.check('listing folders', r);
    const found = r.json<{ uid: string; title: string }[]>().find((f) => f.title === this.desired.folder);
    if (found) this.folderUid = found.uid;
    else {
      this.folderUid = folderUidFor(this.desired.folder);
      this.folderMissing = true;
    }
  }

  private async createFolder(): Promise<void> {
    const r = await this.call('POST', '/api/folders', { uid: this.folderUid, title: this.desired.folder });
    this.check(`creating folder ${this.desired.folder}`, r);
  }
}

/** For the plan: which panels (by title) were added, removed or changed, or else which dashboard settings. */
export function dashboardDifference(live: Record<string, unknown>, want: Record<string, unknown>): string {
  const panels = (d: Record<string, unknown>) => {
    const out = new Map<string, unknown>();
    const visit = (list: unknown) => {
      if (!Array.isArray(list)) return;
      for (const p of list as Record<string, unknown>[]) {
        if (p.type === 'row') visit(p.panels);
        else out.set(String(p.title ?? `panel ${String(p.id)}`), p);
        if (p.type === 'row') out.set(`row ${String(p.title ?? '')}`, { ...p, panels: undefined });
      }
    };
    visit(d.panels);
    return out;
  };
  const before = panels(live);
  const after = panels(want);
  const added = [...after.keys()].filter((t) => !before.has(t));
  const removed = [...before.keys()].filter((t) => !after.has(t));
  const changed = [...after.keys()].filter((t) => before.has(t) && !deepEqual(before.get(t), after.get(t)));
  const parts = [
    added.length && `panels added: ${added.map((t) => `"${t}"`).join(', ')}`,
    removed.length && `removed: ${removed.map((t) => `"${t}"`).join(', ')}`,
    changed.length && `changed: ${changed.map((t) => `"${t}"`).join(', ')}`,
  ].filter(Boolean);
  if (parts.length) return parts.join('; ');
  const keys = [...new Set([...Object.keys(comparable(live)), ...Object.keys(comparable(want))])].filter((k) => k !== 'panels' && !deepEqual(comparable(live)[k], comparable(want)[k]));
  return `settings: ${keys.sort().join(', ') || 'content'}`;
}

/** Grafana sets id and version itself; everything else must be what Vigil posted. */
function comparable(d: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, version: _version, ...rest } = d;
  return rest;
}

function messageOf(r: HttpResponse): string {
  try {
    return (JSON.parse(r.text) as { message?: string }).message ?? r.text;
  } catch {
    return r.text;
  }
}

function folderUidFor(title: string): string {
  const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  return `vigil-${slug}`.slice(0, 40);
}

/** The dashboard as deployed: the emitted JSON with Vigil's ownership tag. */
export function withOwnershipTag(json: Record<string, unknown>): Record<string, unknown> {
  const tags = Array.isArray(json.tags) ? (json.tags as string[]) : [];
  return tags.includes(OWNERSHIP_TAG) ? json : { ...json, tags: [...tags, OWNERSHIP_TAG] };
}
