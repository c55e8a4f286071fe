import path from 'node:path';
import { load as parseYaml } from 'js-yaml';
import type { AlertmanagerPeer } from '../build/environment.ts';
import { formatMatcher, parseAlertmanagerMatchers, sortMatchers } from '../routing/matchers.ts';
import { parseDuration } from '../util/duration.ts';
import { DeployError } from './errors.ts';
import { type FileSnapshot, readIfExists, restore, writeAtomic } from './files.ts';
import { expectStatus, request } from './http.ts';
import { isUnavailable, uncomparedNote } from './secrets.ts';
import { type Change, type Target, type TargetPlan, eventually } from './target.ts';

export interface DesiredAlertmanager {
  peers: AlertmanagerPeer[];
  /** alertmanager.yml with secrets filled in. */
  config: { content: string; holdsSecrets: boolean; lacksSecrets: boolean };
  /** Template files by base name; written to templates/ beside each config file. */
  templates: Map<string, string>;
  /** Secret files to create in each peer's secretsDir, by variable name (secrets of fields with a *_file variant), mode 0600. */
  secretFiles: { name: string; content: string }[];
}

type Json = Record<string, unknown>;

/**
 * Every peer of an Alertmanager cluster: the same configuration written to each peer's config file (once per
 * distinct path), every peer reloaded, and every peer's loaded configuration compared with the build through
 * /api/v2/status — the way Alertmanager shows it: defaults filled in and secrets masked as <secret>.
 */
export class AlertmanagerAdapter implements Target {
  readonly name: string;
  private snapshots: FileSnapshot[] = [];
  private toWrite: { file: string; content: string; mode: number }[] = [];

  constructor(private readonly desired: DesiredAlertmanager) {
    this.name = desired.peers.length > 1 ? `alertmanager cluster (${desired.peers.length} peers)` : 'alertmanager';
  }

  /** `comparable`: false where a lenient plan left a secret out, so the file cannot equal the target's copy. */
  private files(): { file: string; content: string; mode: number; comparable: boolean }[] {
    const out = new Map<string, { file: string; content: string; mode: number; comparable: boolean }>();
    for (const peer of this.desired.peers) {
      if (!peer.configFile) continue;
      const dir = path.dirname(peer.configFile);
      for (const [name, content] of this.desired.templates) out.set(path.join(dir, 'templates', name), { file: path.join(dir, 'templates', name), content, mode: 0o644, comparable: true });
      out.set(peer.configFile, { file: peer.configFile, content: this.desired.config.content, mode: this.desired.config.holdsSecrets ? 0o600 : 0o644, comparable: !this.desired.config.lacksSecrets });
      if (!peer.secretsDir) continue;
      for (const s of this.desired.secretFiles) {
        const file = path.join(peer.secretsDir, s.name);
        out.set(file, { file, content: s.content, mode: 0o600, comparable: !isUnavailable(s.content) });
      }
    }
    return [...out.values()];
  }

  async plan(): Promise<TargetPlan> {
    const changes: Change[] = [];
    const notes: string[] = [];
    const want = parseYaml(this.desired.config.content) as Json;
    const seen = new Set<string>();
    const differing: string[] = [];
    for (const peer of this.desired.peers) {
      const status = await this.status(peer);
      const live = parseYaml(status.config.original) as Json;
      const peerChanges = configChanges(want, live);
      for (const c of peerChanges) {
        const key = `${c.kind} ${c.object}`;
        if (!seen.has(key)) changes.push(c);
        seen.add(key);
      }
      if (peerChanges.length) differing.push(peer.url);
      if (!peer.configFile) notes.push(`${peer.url}: no configFile in the Environment, so deploy cannot write its configuration`);
    }
    // Peers of one cluster should agree; say which ones drifted when only some differ from the build.
    if (differing.length && differing.length < this.desired.peers.length) notes.push(`only ${differing.join(', ')} serve${differing.length === 1 ? 's' : ''} a configuration that differs from the build`);
    this.toWrite = [];
    const uncompared: string[] = [];
    for (const f of this.files()) {
      // Without the secrets the file cannot equal the target's copy; the loaded config was compared masked above.
      if (!f.comparable) {
        uncompared.push(f.file);
        continue;
      }
      const current = await readIfExists(f.file);
      if (current !== f.content) {
        this.toWrite.push(f);
        const object = `template ${path.basename(f.file)}`;
        if (f.file.includes(`${path.sep}templates${path.sep}`) && !changes.some((c) => c.object === object)) changes.push({ kind: current === null ? 'add' : 'change', object });
      }
    }
    if (uncompared.length) notes.push(uncomparedNote(uncompared));
    if (this.toWrite.length && !changes.length) changes.push({ kind: 'change', object: 'configuration files', detail: 'text only; the loaded configuration is the same' });
    return { target: this.name, changes, notes };
  }

  async apply(): Promise<void> {
    const unwritable = this.desired.peers.filter((p) => !p.configFile);
    if (unwritable.length) throw new DeployError(`no configFile for Alertmanager peer ${unwritable.map((p) => p.url).join(', ')}`, 'set alertmanager.configFile (or configFile per peer) in the Environment', 'deploy/config');
    this.snapshots = [];
    for (const w of this.toWrite) this.snapshots.push({ path: w.file, before: await readIfExists(w.file), mode: w.mode });
    for (const w of this.toWrite) await writeAtomic(w.file, w.content, w.mode);
    for (const peer of this.desired.peers) await this.reload(peer);
  }

  async verify(): Promise<void> {
    const want = parseYaml(this.desired.config.content) as Json;
    for (const peer of this.desired.peers) {
      await eventually(async () => {
        const status = await this.status(peer);
        const diff = configChanges(want, parseYaml(status.config.original) as Json);
        if (diff.length) {
          throw new DeployError(`alertmanager ${peer.url} did not load the deployed configuration (differs in ${diff.map((d) => d.object).join(', ')})`, 'check that the peer reads the config file Vigil wrote (configFile in the Environment)', 'deploy/verify');
        }
        if (this.desired.peers.length > 1 && status.cluster?.status !== 'ready') {
          throw new DeployError(`alertmanager ${peer.url}: cluster status is "${status.cluster?.status ?? 'unknown'}", not ready`, 'check --cluster.peer flags and that the peers reach each other', 'deploy/verify');
        }
      });
    }
  }

  async rollback(): Promise<string[]> {
    const failures = await restore(this.snapshots);
    for (const peer of this.desired.peers) {
      try {
        await this.reload(peer);
      } catch (e) {
        failures.push(`alertmanager ${peer.url}: reload after restoring the files failed: ${(e as Error).message}`);
      }
    }
    return failures;
  }

  private async status(peer: AlertmanagerPeer): Promise<{ config: { original: string }; cluster?: { status?: string; peers?: unknown[] } }> {
    const r = await request(`alertmanager ${peer.url}`, `${peer.url}/api/v2/status`);
    expectStatus(`alertmanager ${peer.url}`, 'reading its status (/api/v2/status)', r);
    return r.json();
  }

  private async reload(peer: AlertmanagerPeer): Promise<void> {
    const r = await request(`alertmanager ${peer.url}`, peer.reloadUrl, { method: 'POST' });
    if (r.status !== 200) {
      throw new DeployError(
        `alertmanager ${peer.url} rejected the new configuration (HTTP ${r.status}${r.text.trim() ? `: ${r.text.trim().slice(0, 500)}` : ''})`,
        'run `amtool check-config` on the file; the old configuration stays loaded',
        'deploy/reload',
      );
    }
  }
}

/**
 * The differences between the build's configuration and the one a peer shows, by top-level object: each receiver by
 * name, the route tree, inhibit rules, global settings, templates list. Keys only the live side has are Alertmanager's
 * defaults; `<secret>` on the live side matches any value; durations compare by length (1h = 60m).
 */
export function configChanges(wanted: Json, shown: Json): Change[] {
  const changes: Change[] = [];
  const want = withSortedMatchers(wanted);
  const live = withSortedMatchers(shown);
  const wantReceivers = new Map(((want.receivers as Json[]) ?? []).map((r) => [String(r.name), r]));
  const liveReceivers = new Map(((live.receivers as Json[]) ?? []).map((r) => [String(r.name), r]));
  for (const [name, r] of wantReceivers) {
    const l = liveReceivers.get(name);
    if (!l) changes.push({ kind: 'add', object: `receiver ${name}` });
    else if (!covers(r, l)) changes.push({ kind: 'change', object: `receiver ${name}`, detail: differenceAt(r, l) });
  }
  for (const name of liveReceivers.keys()) if (!wantReceivers.has(name)) changes.push({ kind: 'remove', object: `receiver ${name}` });
  for (const key of ['global', 'route', 'inhibit_rules', 'templates', 'time_intervals', 'mute_time_intervals']) {
    const w = want[key];
    const l = live[key];
    if (w === undefined && (l === undefined || (Array.isArray(l) && l.length === 0) || key === 'global')) continue;
    if (w !== undefined && l === undefined && Array.isArray(w) && w.length === 0) continue;
    if (w === undefined) changes.push({ kind: 'remove', object: key.replace(/_/g, ' ') });
    else if (l === undefined || !covers(w, l)) changes.push({ kind: 'change', object: key === 'route' ? 'route tree' : key.replace(/_/g, ' '), ...(l === undefined ? {} : { detail: differenceAt(w, l) }) });
  }
  return changes;
}

/**
 * A copy of a config whose matcher lists (routes at any depth, inhibit rules) are in the order Alertmanager sorts them
 * into when it loads a config, so that a list compares equal whatever order it was written in. A list holding a
 * matcher that does not parse is left as it is (and then differs, as it should).
 */
export function withSortedMatchers(config: Json): Json {
  const sorted = (list: unknown): unknown => {
    if (!Array.isArray(list) || !list.every((m) => typeof m === 'string')) return list;
    try {
      return sortMatchers(list.flatMap((m: string) => parseAlertmanagerMatchers(m))).map(formatMatcher);
    } catch {
      return list;
    }
  };
  const route = (r: unknown): unknown => {
    if (!r || typeof r !== 'object' || Array.isArray(r)) return r;
    const out: Json = { ...(r as Json) };
    if ('matchers' in out) out.matchers = sorted(out.matchers);
    if (Array.isArray(out.routes)) out.routes = out.routes.map(route);
    return out;
  };
  const out: Json = { ...config };
  if ('route' in out) out.route = route(out.route);
  if (Array.isArray(out.inhibit_rules)) {
    out.inhibit_rules = out.inhibit_rules.map((rule: unknown) => {
      if (!rule || typeof rule !== 'object' || Array.isArray(rule)) return rule;
      const r: Json = { ...(rule as Json) };
      for (const key of ['source_matchers', 'target_matchers']) if (key in r) r[key] = sorted(r[key]);
      return r;
    });
  }
  return out;
}

/** Where the build first differs from what a peer shows, as a path (`email_configs[0].to`), for the plan. */
function differenceAt(want: unknown, live: unknown, at = ''): string | undefined {
  if (covers(want, live)) return undefined;
  if (Array.isArray(want) && Array.isArray(live)) {
    if (want.length !== live.length) return `${at || 'list'}: ${live.length} → ${want.length} entries`;
    for (let i = 0; i < want.length; i++) {
      const d = differenceAt(want[i], live[i], `${at}[${i}]`);
      if (d) return d;
    }
  }
  if (want && typeof want === 'object' && !Array.isArray(want) && live && typeof live === 'object' && !Array.isArray(live)) {
    for (const [k, v] of Object.entries(want as Json)) {
      const d = differenceAt(v, (live as Json)[k], at ? `${at}.${k}` : k);
      if (d) return d;
    }
  }
  const shown = (v: unknown) => (v === undefined ? 'absent' : typeof v === 'object' ? 'other' : JSON.stringify(v));
  return `${at || 'value'}: ${shown(live)} → ${shown(want)}`;
}

function covers(want: unknown, live: unknown): boolean {
  if (live === '<secret>' && typeof want === 'string') return true;
  if (typeof want === 'string' && typeof live === 'string') {
    if (want === live) return true;
    const a = parseDuration(want);
    const b = parseDuration(live);
    if (!Number.isNaN(a) && a === b) return true;
    // Alertmanager prints a templates path resolved against the config file's directory.
    return live.endsWith(`/${want}`);
  }
  if (Array.isArray(want)) return Array.isArray(live) && want.length === live.length && want.every((w, i) => covers(w, live[i]));
  if (want && typeof want === 'object') {
    if (!live || typeof live !== 'object' || Array.isArray(live)) return false;
    return Object.entries(want as Json).every(([k, v]) => v === undefined || covers(v, (live as Json)[k]));
  }
  return want === live;
}
