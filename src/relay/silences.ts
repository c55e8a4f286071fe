import type { AlertRecord } from './types.ts';

/**
 * Alertmanager silences for closed alerts, through its API v2. The peers of a cluster gossip silences, so the first
 * peer that answers is enough; each is tried in turn.
 */
export interface Silencer {
  /** Silences exactly this alert's labels until `endsAt`; returns the silence id. */
  create(alert: AlertRecord, user: string, reason: string, now: number, endsAt: number): Promise<string>;
  /** Expires a silence (the alert resolved); a silence already gone is fine. */
  expire(id: string): Promise<void>;
  /** Fingerprints of the alerts Alertmanager holds as firing (silenced ones included; resolved ones are gone). */
  firing(): Promise<Set<string>>;
}

export class SilenceError extends Error {}

export function alertmanagerSilencer(peers: readonly string[], fetchImpl: typeof fetch = fetch, timeoutMs = 5_000): Silencer {
  const attempt = async <T>(what: string, call: (base: string) => Promise<T>): Promise<T> => {
    if (peers.length === 0) throw new SilenceError(`${what}: the build names no Alertmanager (an Environment's alertmanager peers)`);
    const problems: string[] = [];
    for (const peer of peers) {
      try {
        return await call(peer.replace(/\/+$/, ''));
      } catch (e) {
        problems.push(`${peer}: ${(e as Error).message}`);
      }
    }
    throw new SilenceError(`${what}: ${problems.join('; ')}`);
  };
  return {
    create: (alert, user, reason, now, endsAt) =>
      attempt('creating the silence', async (base) => {
        const body = JSON.stringify({
          matchers: Object.entries(alert.labels)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })),
          startsAt: new Date(now).toISOString(),
          endsAt: new Date(endsAt).toISOString(),
          createdBy: user,
          comment: `${reason} (closed in the Vigil relay: alert ${alert.id})`,
        });
        const r = await fetchImpl(`${base}/api/v2/silences`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body, signal: AbortSignal.timeout(timeoutMs) });
        const text = await r.text();
        if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${text.slice(0, 200)}`);
        const id = (JSON.parse(text) as { silenceID?: unknown }).silenceID;
        if (typeof id !== 'string') throw new Error('the answer has no silenceID');
        return id;
      }),
    firing: () =>
      attempt('reading the alerts', async (base) => {
        const r = await fetchImpl(`${base}/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true`, { signal: AbortSignal.timeout(timeoutMs) });
        if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
        const alerts = (await r.json()) as { fingerprint?: unknown }[];
        return new Set(alerts.flatMap((a) => (typeof a.fingerprint === 'string' ? [a.fingerprint] : [])));
      }),
    expire: (id) =>
      attempt('expiring the silence', async (base) => {
        const r = await fetchImpl(`${base}/api/v2/silence/${encodeURIComponent(id)}`, { method: 'DELETE', signal: AbortSignal.timeout(timeoutMs) });
        // 404: already expired or never replicated to this peer's view; either way nothing is silenced any more.
        if (r.status !== 200 && r.status !== 404) throw new Error(`HTTP ${r.status}: ${(await r.text()).slice(0, 200)}`);
      }),
  };
}

/**
 * A closed alert is silenced, so Alertmanager sends no resolved notice for it: the relay looks instead. Each closed
 * alert whose silence is still set and which Alertmanager no longer holds as firing has resolved — its silence is
 * expired (a new firing of the same series then notifies as it should). Returns how many were expired.
 */
export async function expireSilencesOfResolved(silencer: Silencer, closed: readonly AlertRecord[], forget: (alert: AlertRecord) => Promise<void>): Promise<number> {
  const silenced = closed.filter((a) => a.silenceId);
  if (silenced.length === 0) return 0;
  const firing = await silencer.firing();
  let expired = 0;
  for (const alert of silenced) {
    if (firing.has(alert.fingerprint)) continue;
    await silencer.expire(alert.silenceId!);
    await forget(alert);
    expired++;
  }
  return expired;
}
