import path from 'node:path';
import { buildManifest, sha256 } from '../build/manifest.ts';
import { ENVIRONMENT_PATH, MANIFEST_PATH, RELAY_CONFIG_PATH } from '../build/paths.ts';
import { DeployError } from './errors.ts';
import { type FileSnapshot, readIfExists, restore, writeAtomic } from './files.ts';
import { expectStatus, request } from './http.ts';
import { type Change, type Target, type TargetPlan, eventually } from './target.ts';

export interface DesiredRelay {
  environment: string;
  url: string;
  /** Where the relay's part of the build goes (`<buildDir>/<env>/`), as this machine reaches it. */
  buildDir: string;
  /** The relay's read token (status: what a plan needs), else the operate token. */
  readToken?: string;
  /** The relay's operate token (reload: what a deploy needs); a plan may run without it. */
  operateToken?: string;
  relayConfig: string;
  environmentJson: string;
}

/**
 * The notification relay as one more target: its part of the build (relay.yml and environment.json, with a manifest
 * of their own, so the relay's build check holds) written under `<buildDir>/<env>/`, a reload, and a verify that the
 * relay serves it — the sha256 of relay.yml in /api/v1/status. Rollback puts the previous files back and reloads.
 */
export class RelayAdapter implements Target {
  readonly name = 'relay';
  private snapshots: FileSnapshot[] = [];
  private readonly files: { path: string; content: string }[];
  private readonly wantSha: string;

  constructor(private readonly desired: DesiredRelay) {
    const parts = [
      { path: ENVIRONMENT_PATH, content: desired.environmentJson, sources: [] },
      { path: RELAY_CONFIG_PATH, content: desired.relayConfig, sources: [] },
    ];
    // The manifest last: a relay reading the directory mid-write sees the old manifest and refuses the new files
    // (sha256 differ), never a half-new build.
    this.files = [...parts.map(({ path: p, content }) => ({ path: p, content })), { path: MANIFEST_PATH, content: buildManifest(parts).content }];
    this.wantSha = sha256(desired.relayConfig);
  }

  private dir(): string {
    return path.join(this.desired.buildDir, this.desired.environment);
  }

  async plan(): Promise<TargetPlan> {
    const live = await this.status();
    const changes: Change[] = [];
    if (live.build?.relayConfigSha256 !== this.wantSha) changes.push({ kind: 'change', object: 'relay configuration', detail: `serves relay.yml ${String(live.build?.relayConfigSha256 ?? 'unknown').slice(0, 12)}, the build has ${this.wantSha.slice(0, 12)}` });
    else {
      // Served, yet the files on disk may differ (edited by hand): the next reload would pick those up.
      for (const f of this.files) if ((await readIfExists(path.join(this.dir(), f.path))) !== f.content) changes.push({ kind: 'change', object: `relay file ${f.path}` });
    }
    return { target: this.name, changes, notes: [] };
  }

  async apply(): Promise<void> {
    const dir = this.dir();
    this.snapshots = [];
    for (const f of this.files) this.snapshots.push({ path: path.join(dir, f.path), before: await readIfExists(path.join(dir, f.path)) });
    for (const f of this.files) await writeAtomic(path.join(dir, f.path), f.content);
    await this.reload();
  }

  async verify(): Promise<void> {
    await eventually(async () => {
      const live = await this.status();
      if (live.build?.relayConfigSha256 !== this.wantSha) throw new DeployError(`the relay at ${this.desired.url} does not serve the deployed relay.yml`, 'check that the relay runs with --build on relay.buildDir and this --env', 'deploy/verify');
    });
  }

  async rollback(): Promise<string[]> {
    const failures = await restore(this.snapshots);
    try {
      await this.reload();
    } catch (e) {
      failures.push(`relay: reload after restoring the files failed: ${(e as Error).message}`);
    }
    return failures;
  }

  private headers(token: string | undefined): Record<string, string> {
    return token ? { Authorization: `Bearer ${token}` } : {};
  }

  private async status(): Promise<{ build?: { relayConfigSha256?: string; environment?: string | null } }> {
    const r = await request(`relay ${this.desired.url}`, `${this.desired.url}/api/v1/status`, { headers: this.headers(this.desired.readToken ?? this.desired.operateToken) });
    if (r.status === 401) throw new DeployError(`the relay at ${this.desired.url} refused the status request (HTTP 401)`, 'set relay.apiTokens.read (or operate) in the Environment and its secret here', 'deploy/http');
    expectStatus(`relay ${this.desired.url}`, 'reading its status (/api/v1/status)', r);
    return r.json();
  }

  private async reload(): Promise<void> {
    if (!this.desired.operateToken) throw new DeployError(`no operate token for the relay at ${this.desired.url}: it cannot be told to reload`, 'set relay.apiTokens.operate in the Environment and its secret where deploy runs', 'deploy/secret');
    const r = await request(`relay ${this.desired.url}`, `${this.desired.url}/-/reload`, { method: 'POST', headers: this.headers(this.desired.operateToken) });
    if (r.status !== 200) {
      throw new DeployError(`the relay at ${this.desired.url} did not load the new build (HTTP ${r.status}${r.text.trim() ? `: ${r.text.trim().slice(0, 500)}` : ''})`, 'the relay keeps serving its previous build; its log says why', 'deploy/reload');
    }
  }
}
