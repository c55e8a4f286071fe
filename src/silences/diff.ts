import { compareMatchers } from '../routing/matchers.ts';
import { silenceOwner, simpleMatcher, type ApiMatcher, type SilenceDocument } from './document.ts';

/** A silence as Alertmanager's GET /api/v2/silences lists it (the fields Vigil reads). */
export interface LiveSilence {
  id: string;
  matchers: ApiMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  status: { state: 'active' | 'pending' | 'expired' | string };
}

export type SilenceAction =
  | { kind: 'create'; want: SilenceDocument }
  | { kind: 'update'; want: SilenceDocument; live: LiveSilence; detail: string }
  | { kind: 'expire'; live: LiveSilence; why: 'removed' | 'duplicate' | 'ended' }
  | { kind: 'keep'; want: SilenceDocument; live: LiveSilence }
  /** Its endsAt has passed: nothing to create (silence/expired warns at build time). */
  | { kind: 'ended'; want: SilenceDocument };

/**
 * What a deploy does to an Alertmanager's silences: only those whose comment carries this project's marker count as
 * Vigil's, and only the ones not yet expired; a person's silence, or another project's, is never in the result.
 * Per build entry: keep the live one that equals it, update the one that differs, create one where none is live;
 * expire Vigil's live silences that no entry names any more (and extra copies of one entry).
 */
export function planSilences(project: string, desired: readonly SilenceDocument[], live: readonly LiveSilence[], now: number): SilenceAction[] {
  const owned = new Map<string, LiveSilence[]>();
  for (const s of live) {
    const owner = silenceOwner(s.comment);
    if (!owner || owner.project !== project || s.status?.state === 'expired') continue;
    (owned.get(owner.name) ?? owned.set(owner.name, []).get(owner.name)!).push(s);
  }
  const actions: SilenceAction[] = [];
  for (const want of desired) {
    const candidates = [...(owned.get(want.name) ?? [])].sort((a, b) => Number(!sameSilence(want, a)) - Number(!sameSilence(want, b)) || (a.id < b.id ? -1 : 1));
    owned.delete(want.name);
    const [current, ...extra] = candidates;
    for (const e of extra) actions.push({ kind: 'expire', live: e, why: 'duplicate' });
    if (Date.parse(want.endsAt) <= now) {
      if (current) actions.push({ kind: 'expire', live: current, why: 'ended' });
      else actions.push({ kind: 'ended', want });
    } else if (!current) actions.push({ kind: 'create', want });
    else if (sameSilence(want, current)) actions.push({ kind: 'keep', want, live: current });
    else actions.push({ kind: 'update', want, live: current, detail: differences(want, current).join(', ') });
  }
  for (const list of owned.values()) for (const s of list) actions.push({ kind: 'expire', live: s, why: 'removed' });
  return actions;
}

const sortedMatchers = (list: readonly ApiMatcher[]) => [...list].map(simpleMatcher).sort(compareMatchers).map((m) => `${m.label}${m.op}${JSON.stringify(m.value)}`).join(',');

/** The fields of a live silence that differ from the build's (empty: the same). */
export function differences(want: SilenceDocument, live: LiveSilence): string[] {
  const out: string[] = [];
  if (!Array.isArray(live.matchers) || sortedMatchers(want.matchers) !== sortedMatchers(live.matchers)) out.push('matchers');
  // Alertmanager starts a silence whose startsAt has passed at the moment it is created: a live start later than
  // the build's is the same window once the silence is active.
  const start = Date.parse(live.startsAt);
  const wantStart = Date.parse(want.startsAt);
  if (!(start === wantStart || (live.status?.state === 'active' && start > wantStart))) out.push('startsAt');
  if (Date.parse(live.endsAt) !== Date.parse(want.endsAt)) out.push('endsAt');
  if (live.createdBy !== want.createdBy) out.push('createdBy');
  if (live.comment !== want.comment) out.push('comment');
  return out;
}

export const sameSilence = (want: SilenceDocument, live: LiveSilence): boolean => differences(want, live).length === 0;
