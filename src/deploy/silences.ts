import type { AlertmanagerPeer } from '../build/environment.ts';
import type { SilenceDocument, SilencesFile } from '../silences/document.ts';
import { planSilences, type LiveSilence, type SilenceAction } from '../silences/diff.ts';
import { DeployError } from './errors.ts';
import { expectStatus, redact, request } from './http.ts';
import { type Change, type Target, type TargetPlan, eventually } from './target.ts';

export interface DesiredSilences {
  peers: AlertmanagerPeer[];
  /** alertmanager/silences.json of the Environment's build. */
  file: SilencesFile;
  /** The clock (tests pass their own). */
  now?: () => number;
}

/** What apply did to one silence, so rollback can undo it. */
type Applied = { kind: 'created'; id: string } | { kind: 'updated'; id: string; previous: LiveSilence } | { kind: 'expired'; previous: LiveSilence };

/**
 * The silences of an Environment's Alertmanager that the build owns (comment marker `[vigil <project>/<name>]`),
 * through API v2. Silences gossip between the peers of a cluster, so they are written through the first peer and
 * verified on every peer; a silence without this project's marker is never written, updated or expired.
 */
export class SilencesAdapter implements Target {
  readonly name = 'alertmanager silences';
  private actions: SilenceAction[] = [];
  private applied: Applied[] = [];
  private readonly now: () => number;

  constructor(private readonly desired: DesiredSilences) {
    this.now = desired.now ?? Date.now;
  }

  async plan(): Promise<TargetPlan> {
    const live = await this.list(this.writer);
    this.actions = planSilences(this.desired.file.project, this.desired.file.silences, live, this.now());
    const changes: Change[] = [];
    const notes: string[] = [];
    let kept = 0;
    for (const a of this.actions) {
      if (a.kind === 'create') changes.push({ kind: 'add', object: `silence ${a.want.name}`, detail: window(a.want) });
      else if (a.kind === 'update') changes.push({ kind: 'change', object: `silence ${a.want.name}`, detail: `${a.detail} (${window(a.want)})` });
      else if (a.kind === 'expire') changes.push({ kind: 'remove', object: `silence ${ownName(a.live)}`, detail: EXPIRE_WHY[a.why] });
      else if (a.kind === 'ended') notes.push(`silence ${a.want.name} ended at ${a.want.endsAt}: nothing to create (remove it from the definitions)`);
      else kept++;
    }
    if (kept) notes.push(`${kept} silence${kept === 1 ? '' : 's'} unchanged`);
    return { target: this.name, changes, notes };
  }

  async apply(): Promise<void> {
    this.applied = [];
    for (const a of this.actions) {
      if (a.kind === 'create') this.applied.push({ kind: 'created', id: await this.post(body(a.want)) });
      else if (a.kind === 'update') {
        // An active silence can be updated in place only while its matchers and start stay: keep the start
        // Alertmanager gave it when the build's start had already passed (else it is expired and recreated).
        const startsAt = a.live.status?.state === 'active' && Date.parse(a.live.startsAt) > Date.parse(a.want.startsAt) ? a.live.startsAt : a.want.startsAt;
        this.applied.push({ kind: 'updated', id: await this.post({ ...body(a.want), startsAt, id: a.live.id }), previous: a.live });
      } else if (a.kind === 'expire') {
        await this.expire(a.live.id);
        this.applied.push({ kind: 'expired', previous: a.live });
      }
    }
  }

  async verify(): Promise<void> {
    for (const peer of this.desired.peers) {
      await eventually(async () => {
        const pending = planSilences(this.desired.file.project, this.desired.file.silences, await this.list(peer), this.now()).filter((a) => a.kind === 'create' || a.kind === 'update' || a.kind === 'expire');
        if (pending.length) {
          const names = pending.map((a) => ('want' in a ? a.want.name : ownName(a.live)));
          throw new DeployError(`alertmanager ${peer.url} does not show the deployed silences (${names.join(', ')} differ)`, 'silences reach the other peers by gossip: check the --cluster.peer flags and that the peers reach each other', 'deploy/verify');
        }
      });
    }
  }

  async rollback(): Promise<string[]> {
    const failures: string[] = [];
    for (const a of [...this.applied].reverse()) {
      try {
        if (a.kind === 'created') await this.expire(a.id);
        else if (a.kind === 'updated' && a.id === a.previous.id) await this.post({ ...body(a.previous), id: a.id });
        else {
          if (a.kind === 'updated') await this.expire(a.id);
          // Alertmanager cannot revive an expired silence: the previous one comes back as a new silence (same fields).
          if (Date.parse(a.previous.endsAt) > this.now()) await this.post(body(a.previous));
        }
      } catch (e) {
        failures.push(`silence ${a.kind === 'created' ? a.id : ownName(a.previous)}: ${(e as Error).message}`);
      }
    }
    this.applied = [];
    return failures;
  }

  private get writer(): AlertmanagerPeer {
    return this.desired.peers[0]!;
  }

  private async list(peer: AlertmanagerPeer): Promise<LiveSilence[]> {
    const service = `alertmanager ${peer.url}`;
    const r = await request(service, `${peer.url}/api/v2/silences`);
    expectStatus(service, 'listing its silences (/api/v2/silences)', r);
    const list = r.json<unknown>();
    const bad = (why: string) => new DeployError(`${service} at ${redact(`${peer.url}/api/v2/silences`)} answered with something that is not a list of silences: ${why}`, 'is the URL that of Alertmanager (API v2, version 0.25 or later)?', 'deploy/protocol');
    if (!Array.isArray(list)) throw bad(`a JSON ${list === null ? 'null' : typeof list}`);
    return list.map((s, i) => {
      if (!s || typeof s !== 'object' || typeof (s as LiveSilence).id !== 'string') throw bad(`entry ${i} has no id`);
      return s as LiveSilence;
    });
  }

  private async post(silence: SilenceBody & { id?: string }): Promise<string> {
    const service = `alertmanager ${this.writer.url}`;
    const r = await request(service, `${this.writer.url}/api/v2/silences`, { method: 'POST', body: JSON.stringify(silence), headers: { 'content-type': 'application/json' } });
    expectStatus(service, `saving silence ${ownName(silence)}`, r);
    const id = r.json<{ silenceID?: unknown }>()?.silenceID;
    if (typeof id !== 'string' || id === '') throw new DeployError(`${service} saved silence ${ownName(silence)} but answered without its id`, 'is the URL that of Alertmanager (API v2)?', 'deploy/protocol');
    return id;
  }

  private async expire(id: string): Promise<void> {
    const service = `alertmanager ${this.writer.url}`;
    const r = await request(service, `${this.writer.url}/api/v2/silence/${encodeURIComponent(id)}`, { method: 'DELETE' });
    expectStatus(service, `expiring silence ${id}`, r);
  }
}

type SilenceBody = Pick<LiveSilence, 'matchers' | 'startsAt' | 'endsAt' | 'createdBy' | 'comment'>;

const body = (s: SilenceDocument | LiveSilence): SilenceBody => ({ matchers: s.matchers, startsAt: s.startsAt, endsAt: s.endsAt, createdBy: s.createdBy, comment: s.comment });

const EXPIRE_WHY: Record<Extract<SilenceAction, { kind: 'expire' }>['why'], string> = {
  removed: 'no longer in the definitions: expire',
  duplicate: 'a second copy of the same entry: expire',
  ended: 'its endsAt has passed: expire',
};

const window = (s: SilenceDocument) => `${s.startsAt} → ${s.endsAt}`;

/** The entry name in a silence's marker (what the plan calls it). */
function ownName(s: { comment: string }): string {
  return /^\[vigil [^/\]]+\/([^\]]+)\]/.exec(s.comment)?.[1] ?? '(unnamed)';
}
