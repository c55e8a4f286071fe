import type { Channel } from './channel.ts';

/** Any HTTP endpoint that takes Alertmanager's webhook payload (version 4), posted by Alertmanager itself. */
export const webhook: Channel<'webhook'> = {
  name: 'webhook',
  deliveredBy: 'alertmanager',
  requires: [],
  secretFields: ['bearerToken'],
  limits: {},
  alertmanager(spec, { sendResolved, write }) {
    const config: Record<string, unknown> = { send_resolved: sendResolved, url: spec.url };
    if (spec.maxAlerts !== undefined) config.max_alerts = spec.maxAlerts;
    if (spec.bearerToken) {
      config.http_config = {
        authorization: { type: 'Bearer', credentials_file: write.file(spec.bearerToken, 'webhook_configs.http_config.authorization.credentials_file') },
      };
    }
    return { list: 'webhook_configs', config };
  },
};
