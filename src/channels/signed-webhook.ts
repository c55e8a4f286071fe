import { relayNotifyPath, relayWebhook, type Channel } from './channel.ts';
import { sortedEntry } from './relay-entry.ts';

/** The header the signature goes in when the definition names none. */
export const DEFAULT_SIGNATURE_HEADER = 'X-Vigil-Signature';

/**
 * Any HTTP endpoint, posted by the Vigil relay with the relay's own JSON body signed in a header (HMAC-SHA256 of the
 * timestamp and body): unlike `webhook`, which Alertmanager posts, it gets escalation, retries with backoff, dead
 * letters and confirm/close links. The URL is not a secret (secret/literal keeps credentials out of it); the signing
 * secret is a reference.
 */
export const signedWebhook: Channel<'signedWebhook'> = {
  name: 'signedWebhook',
  deliveredBy: 'relay',
  requires: ['relay'],
  secretFields: ['secret'],
  limits: {},
  relayPath: (receiver) => relayNotifyPath('signedWebhook', receiver),
  alertmanager: (_spec, ctx) => relayWebhook('signedWebhook', ctx),
  relayEntry: (spec, sendResolved) =>
    sortedEntry({ url: spec.url, secret: spec.secret, header: spec.header ?? DEFAULT_SIGNATURE_HEADER, sendResolved: spec.sendResolved ?? sendResolved }),
};
