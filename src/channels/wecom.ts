import type { Channel } from './channel.ts';

/**
 * WeCom (企业微信) application messages, sent by Alertmanager's wechat_configs (the application API: corp id, agent
 * id, api secret; not the group robot).
 */
export const wecom: Channel<'wecom'> = {
  name: 'wecom',
  deliveredBy: 'alertmanager',
  requires: [],
  secretFields: ['apiSecret'],
  // The application API's text message content; longer content is cut by the provider.
  limits: { messageBytes: 2048, limitOf: 'text.content' },
  alertmanager(spec, { sendResolved, write }) {
    // Per-receiver corp_id and api_secret satisfy 0.25's validation (it wants them globally only when a
    // wechat_config leaves them out); the API URL has a global default.
    // 0.25 executes these fields as templates; the definitions mean them literally.
    const config: Record<string, unknown> = { send_resolved: sendResolved, corp_id: write.text(spec.corpId), agent_id: write.text(spec.agentId) };
    if (spec.toParty !== undefined) config.to_party = write.text(spec.toParty);
    if (spec.toUser !== undefined) config.to_user = write.text(spec.toUser);
    if (spec.toTag !== undefined) config.to_tag = write.text(spec.toTag);
    // 0.25 has no api_secret_file: deploy fills this placeholder by its path in the document.
    config.api_secret = write.placeholder(spec.apiSecret, 'wechat_configs.api_secret');
    config.message = write.template('wecomMessage');
    return { list: 'wechat_configs', config };
  },
};
