import { spanOf } from '../model/types.ts';
import type { Check } from './check.ts';
import { CHANNEL_NAMES, channelsOf, missingSettings, type ProjectSetting } from '../channels/index.ts';

const MISSING: Record<ProjectSetting, (receiver: string, channel: string) => string> = {
  smtp: (receiver, channel) => `receiver ${receiver} sends ${channel} but the project has no smtp settings`,
  relay: (receiver, channel) => `receiver ${receiver} uses ${channel}, which is delivered by the Vigil relay, but the project has no relay url`,
};

const HINT: Record<ProjectSetting, string> = {
  smtp: 'add `smtp: { smarthost: host:587, from: alerts@example.com }` to the Project',
  relay: 'add `relay: { url: http://vigil-relay:9095 }` to the Project',
};

/** Each receiver can actually deliver: it has a channel, and the project provides what its channels need. */
export const receiverDeliveryCheck: Check = {
  id: 'receiver/delivery',
  description: 'Receivers have at least one channel; email needs project smtp; dingtalk and sms need the project relay.',
  severity: 'error',
  run(ctx) {
    const project = ctx.model.project;
    for (const r of ctx.model.receivers) {
      const channels = channelsOf(r);
      if (channels.length === 0) {
        ctx.report({ message: `receiver ${r.name} has no channel`, span: spanOf(r.origin, 'name'), hint: `add one of ${CHANNEL_NAMES.join(', ')}` });
      }
      if (!project) continue;
      for (const { channel } of channels) {
        for (const setting of missingSettings(channel, project)) {
          ctx.report({ message: MISSING[setting](r.name, channel.name), span: spanOf(r.origin, channel.name), hint: HINT[setting] });
        }
      }
    }
  },
};
