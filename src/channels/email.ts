import type { Channel } from './channel.ts';

/** Email, sent by Alertmanager through the project's smtp smarthost. */
export const email: Channel<'email'> = {
  name: 'email',
  deliveredBy: 'alertmanager',
  requires: ['smtp'],
  secretFields: [],
  limits: {},
  // An escalation tier with email is mailed by the relay, through the same Project smtp settings.
  // The relay mails escalation tiers itself (with a template); every other mail is Alertmanager's, from vigil.tmpl.
  templated: (_project, escalationTier) => escalationTier,
  escalationEntry: (spec, sendResolved) => ({ sendResolved: spec.sendResolved ?? sendResolved, to: [...spec.to] }),
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
