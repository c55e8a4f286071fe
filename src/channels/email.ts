import type { Channel } from './channel.ts';

/** Email, sent by Alertmanager through the project's smtp smarthost. */
export const email: Channel<'email'> = {
  name: 'email',
  deliveredBy: 'alertmanager',
  requires: ['smtp'],
  secretFields: [],
  limits: {},
  alertmanager(spec, { sendResolved, write }) {
    return {
      list: 'email_configs',
      config: {
        to: write.text(spec.to.join(', ')),
        send_resolved: sendResolved,
        html: write.template('emailHtml'),
        headers: { Subject: write.template('emailSubject') },
      },
    };
  },
};
