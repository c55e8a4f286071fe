import { relayNotifyPath, relayWebhook, type Channel } from './channel.ts';
import { sortedEntry } from './relay-entry.ts';

/**
 * DingTalk custom robots, delivered by the Vigil relay, which holds the webhook and signing secret; Alertmanager only
 * posts to the relay.
 */
export const dingtalk: Channel<'dingtalk'> = {
  name: 'dingtalk',
  deliveredBy: 'relay',
  requires: ['relay'],
  secretFields: ['webhook', 'secret'],
  // Errcode 460101 when the body is longer; errcode 130101 (throttled for 10 minutes) when faster.
  limits: { messageBytes: 20_000, limitOf: 'request body', messagesPerMinute: 20 },
  templated: () => true,
  relayPath: (receiver) => relayNotifyPath('dingtalk', receiver),
  alertmanager: (_spec, ctx) => relayWebhook('dingtalk', ctx),
  relayEntry: (spec, sendResolved) => sortedEntry({ ...spec, sendResolved: spec.sendResolved ?? sendResolved }),
};
