import { spanOf } from '../model/types.ts';
import type { Check } from './check.ts';

/** Each receiver can actually deliver: it has a channel, and the project provides what its channels need. */
export const receiverDeliveryCheck: Check = {
  id: 'receiver/delivery',
  description: 'Receivers have at least one channel; email needs project smtp; dingtalk and sms need the project relay.',
  severity: 'error',
  run(ctx) {
    const project = ctx.model.project;
    for (const r of ctx.model.receivers) {
      const channels = Object.keys(r.channels);
      if (channels.length === 0) {
        ctx.report({ message: `receiver ${r.name} has no channel`, span: spanOf(r.origin, 'name'), hint: 'add one of email, wecom, dingtalk, sms, webhook' });
      }
      if (r.channels.email && project && !project.smtp) {
        ctx.report({ message: `receiver ${r.name} sends email but the project has no smtp settings`, span: spanOf(r.origin, 'email'), hint: 'add `smtp: { smarthost: host:587, from: alerts@example.com }` to the Project' });
      }
      for (const channel of ['dingtalk', 'sms'] as const) {
        if (r.channels[channel] && project && !project.relay) {
          ctx.report({ message: `receiver ${r.name} uses ${channel}, which is delivered by the Vigil relay, but the project has no relay url`, span: spanOf(r.origin, channel), hint: 'add `relay: { url: http://vigil-relay:9095 }` to the Project' });
        }
      }
    }
  },
};
