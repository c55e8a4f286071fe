import type { ReceiverModel } from '../model/types.ts';
import { channelsOf } from '../channels/index.ts';
import { lookup } from '../util/lookup.ts';

/**
 * A receiver's `fallback` (the receiver the relay notifies when a relay channel's delivery to this one finally
 * fails), read from its definition as written.
 */
export function fallbackOf(r: ReceiverModel): string | undefined {
  const fallback = (lookup(r.origin.def.value, r.origin.path) as { fallback?: unknown } | undefined)?.fallback;
  return typeof fallback === 'string' ? fallback : undefined;
}

/** The channels of `r` the relay can deliver when it is a fallback: its relay channels, and email (the relay mails it). */
export function fallbackChannels(r: ReceiverModel): string[] {
  return channelsOf(r)
    .filter(({ channel }) => channel.relayEntry || channel.escalationEntry)
    .map(({ channel }) => channel.name);
}
