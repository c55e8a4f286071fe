import type { ReceiverModel } from '../model/types.ts';
import { channelsOf } from '../channels/index.ts';

/** A receiver's `fallback`: the receiver the relay notifies when a relay channel's delivery to this one finally fails. */
export function fallbackOf(r: ReceiverModel): string | undefined {
  return r.fallback;
}

/** The channels of `r` the relay can deliver when it is a fallback: its relay channels, and email (the relay mails it). */
export function fallbackChannels(r: ReceiverModel): string[] {
  return channelsOf(r)
    .filter(({ channel }) => channel.relayEntry || channel.escalationEntry)
    .map(({ channel }) => channel.name);
}
