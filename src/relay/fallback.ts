import type { RelayConfig } from './config.ts';
import type { DeliveryJob, NewJob } from './types.ts';

/**
 * The notices a dead letter hands to its receiver's fallback (e.g. DingTalk down → SMS): the same alerts and kind,
 * to each relay channel of the fallback receiver (a resolved notice only where that channel sends resolved ones).
 */
export function fallbackJobs(job: DeliveryJob, config: RelayConfig, now: number): NewJob[] {
  const to = config.fallbacks.get(job.receiver);
  if (to === undefined || to === job.receiver) return [];
  const channels = Object.entries(config.receivers.get(to) ?? {}) as [string, { sendResolved: boolean }][];
  return channels
    .filter(([, channel]) => job.kind !== 'resolved' || channel.sendResolved)
    .map(([channel]) => ({ channel, receiver: to, alertIds: job.alertIds, kind: job.kind, groupKey: `fallback:${job.receiver}:${job.groupKey}`, dueAt: now }));
}
