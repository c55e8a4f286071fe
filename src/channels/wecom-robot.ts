import { relayNotifyPath, relayWebhook, type Channel } from './channel.ts';
import { sortedEntry } from './relay-entry.ts';

/**
 * WeCom (企业微信) group robots, delivered by the Vigil relay, which holds the webhook (its `key` is the robot's only
 * credential); Alertmanager only posts to the relay. Not the `wecom` channel, which is WeCom's application API.
 */
export const wecomRobot: Channel<'wecomRobot'> = {
  name: 'wecomRobot',
  deliveredBy: 'relay',
  requires: ['relay'],
  secretFields: ['webhook'],
  // WeCom's robot docs: markdown.content at most 4,096 bytes of UTF-8 (errcode 40058 when longer); 20 messages a
  // minute per robot (errcode 45009 when faster).
  limits: { messageBytes: 4096, limitOf: 'markdown.content', messagesPerMinute: 20 },
  templated: () => true,
  relayPath: (receiver) => relayNotifyPath('wecomRobot', receiver),
  alertmanager: (_spec, ctx) => relayWebhook('wecomRobot', ctx),
  relayEntry: (spec, sendResolved) => sortedEntry({ ...spec, sendResolved: spec.sendResolved ?? sendResolved }),
};
