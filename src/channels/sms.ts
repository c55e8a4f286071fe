import { relayNotifyPath, relayWebhook, type Channel } from './channel.ts';
import { sortedEntry } from './relay-entry.ts';

/** Text messages to phone numbers, delivered by the Vigil relay through its SMS provider. */
export const sms: Channel<'sms'> = {
  name: 'sms',
  deliveredBy: 'relay',
  // Texts go out through the relay's provider (Aliyun, Tencent Cloud or an HTTP gateway): without one, every text dies.
  requires: ['relay', 'relaySms'],
  secretFields: [],
  limits: {},
  // Aliyun and Tencent send only templates registered with them: the relay's own text goes to an HTTP gateway alone.
  templated: (project) => project?.relay?.sms?.provider === 'http',
  relayPath: (receiver) => relayNotifyPath('sms', receiver),
  alertmanager: (_spec, ctx) => relayWebhook('sms', ctx),
  relayEntry: (spec, sendResolved) => sortedEntry({ ...spec, sendResolved: spec.sendResolved ?? sendResolved }),
};
