import { spanOf } from '../model/types.ts';
import type { Check } from './check.ts';
import { CHANNEL_NAMES, channelsOf, missingSettings, type ProjectSetting } from '../channels/index.ts';
import { integrationConfigs } from '../channels/alertmanager-integrations.ts';

const MISSING: Record<ProjectSetting, (receiver: string, channel: string) => string> = {
  smtp: (receiver, channel) => `receiver ${receiver} sends ${channel} but the project has no smtp settings`,
  relay: (receiver, channel) => `receiver ${receiver} uses ${channel}, which is delivered by the Vigil relay, but the project has no relay url`,
  relaySms: (receiver, channel) => `receiver ${receiver} sends ${channel}, but the relay has no SMS provider: every text would end as a dead letter`,
};

const HINT: Record<ProjectSetting, string> = {
  smtp: 'add `smtp: { smarthost: host:587, from: alerts@example.com }` to the Project',
  relay: 'add `relay: { url: http://vigil-relay:9095 }` to the Project',
  relaySms: 'add `sms: { provider: aliyun, accessKeyId: { env: … }, accessKeySecret: { env: … }, signName: …, templateCode: … }` (or tencent, or http) to relay',
};

/**
 * Each receiver can actually deliver: it has a channel (or an Alertmanager integration), and the project provides what
 * its channels need. A receiver that delivers nothing must say so (`discard: true`): without a word, an empty receiver
 * is far more often a channel forgotten than alerts meant to vanish.
 */
export const receiverDeliveryCheck: Check = {
  id: 'receiver/delivery',
  description: 'Receivers have at least one channel or Alertmanager integration, or say discard: true (and then have none); email needs project smtp; dingtalk, wecomRobot, signedWebhook and sms need the project relay (with a token; sms also its SMS provider).',
  severity: 'error',
  run(ctx) {
    const project = ctx.model.project;
    for (const r of ctx.model.receivers) {
      const channels = channelsOf(r);
      const integrations = integrationConfigs(r.integrations);
      if (r.discard && (channels.length > 0 || integrations.length > 0)) {
        const what = channels[0] ? `the channel ${channels[0].channel.name}` : `Alertmanager's ${integrations[0]!.list}`;
        ctx.report({
          message: `receiver ${r.name} says discard: true but has ${what}: would it deliver or not?`,
          span: spanOf(r.origin, 'discard'),
          hint: 'remove discard: true to deliver, or remove the channels to drop its alerts on purpose',
        });
      } else if (!r.discard && channels.length === 0 && integrations.length === 0) {
        ctx.report({
          message: `receiver ${r.name} has no channel`,
          span: spanOf(r.origin, 'name'),
          hint: `add one of ${CHANNEL_NAMES.join(', ')} or an alertmanager: block (slack_configs, pagerduty_configs, …); if it is meant to drop its alerts (the null receiver of Watchdog), say discard: true`,
        });
      }
      if (!project) continue;
      for (const { channel } of channels) {
        for (const setting of missingSettings(channel, project)) {
          ctx.report({ message: MISSING[setting](r.name, channel.name), span: spanOf(r.origin, channel.name), hint: HINT[setting] });
        }
      }
    }
    const relayUser = ctx.model.receivers.find((r) => channelsOf(r).some(({ channel }) => channel.deliveredBy === 'relay'));
    if (project?.relay && relayUser && !project.relay.token && project.origin) {
      ctx.report({
        severity: 'warning',
        message: `the relay has no token, so anyone who reaches ${project.relay.url} can post alerts to it (receiver ${relayUser.name} is delivered there); \`vigil relay\` refuses to start that way unless told --insecure-open-notify`,
        span: spanOf(project.origin, 'relay'),
        hint: 'add `token: { env: VIGIL_RELAY_TOKEN }` to relay: Alertmanager then sends it as a bearer token and the relay requires it',
      });
    }
  },
};
