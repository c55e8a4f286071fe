import { createHash } from 'node:crypto';

/**
 * An alert's id: the same for every post of one firing (any Alertmanager peer, any relay replica), different for the
 * next firing of the same series (another startsAt). Short enough for a URL, long enough never to collide in practice.
 */
export function alertId(fingerprint: string, startsAtMs: number): string {
  return createHash('sha256').update(`${fingerprint}\n${startsAtMs}`).digest('hex').slice(0, 20);
}
