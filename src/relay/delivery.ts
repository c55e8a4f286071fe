import { dingtalk as dingtalkFacts } from '../channels/dingtalk.ts';
import { wecomRobot as wecomRobotFacts } from '../channels/wecom-robot.ts';
import { renderDingtalk, sendDingtalk } from './channels/dingtalk.ts';
import { sendEmail } from './channels/email.ts';
import { renderSignedWebhook, sendSignedWebhook } from './channels/signed-webhook.ts';
import { sendSms, smsText, TEMPLATE_VARIABLE_CHARS, type SmsProvider } from './channels/sms.ts';
import type { Fetch, Notice, SendResult } from './channels/types.ts';
import { renderWecomRobot, sendWecomRobot } from './channels/wecom-robot.ts';
import type { RelayConfig, SignedWebhookReceiver, SmsProviderConfig } from './config.ts';
import { MissingSecret, type SecretReader } from './secrets.ts';

export interface DeliveryContext {
  config: RelayConfig;
  secrets: SecretReader;
  fetch: Fetch;
  /** Confirm and close links for an alert, when the relay makes them (a public URL and a link key). */
  links?: Notice['links'];
}

export interface Delivered extends SendResult {
  /** Alerts left out of the message to keep it under the channel's size limit ("… and N more"). */
  omitted?: number;
}

/** Messages a minute one target of `channel` takes, where the provider limits it (the token buckets' rate). */
export function messagesPerMinute(channel: string): number | undefined {
  // A little under the provider's limit: its window and ours never line up exactly.
  if (channel === 'dingtalk') return dingtalkFacts.limits.messagesPerMinute! - 2;
  if (channel === 'wecomRobot') return wecomRobotFacts.limits.messagesPerMinute! - 2;
  return undefined;
}

const failed = (error: string, retryable: boolean): Delivered => ({ ok: false, retryable, error, latencyMs: 0 });

/** The provider's settings with its secrets read. */
async function smsProvider(c: SmsProviderConfig, ctx: DeliveryContext): Promise<SmsProvider> {
  const read = (ref: Parameters<DeliveryContext['secrets']['read']>[0], what: string) => ctx.secrets.read(ref, `relay.sms.${what}`);
  const endpoint = 'endpoint' in c && c.endpoint ? { endpoint: c.endpoint } : {};
  if (c.provider === 'aliyun') return { provider: 'aliyun', accessKeyId: await read(c.accessKeyId, 'accessKeyId'), accessKeySecret: await read(c.accessKeySecret, 'accessKeySecret'), signName: c.signName, templateCode: c.templateCode, ...endpoint };
  if (c.provider === 'tencent') return { provider: 'tencent', secretId: await read(c.secretId, 'secretId'), secretKey: await read(c.secretKey, 'secretKey'), sdkAppId: c.sdkAppId, signName: c.signName, templateId: c.templateId, ...(c.region ? { region: c.region } : {}), ...endpoint };
  return { provider: 'http', url: c.url, ...(c.token ? { headers: { Authorization: `Bearer ${await read(c.token, 'token')}` } } : {}) };
}

async function deliverSignedWebhook(w: SignedWebhookReceiver, notice: Notice, ctx: DeliveryContext, now: number): Promise<Delivered> {
  const secret = await ctx.secrets.read(w.secret, `receiver ${notice.receiver}: signed webhook secret`);
  return sendSignedWebhook(renderSignedWebhook(notice), { url: w.url, secret, header: w.header }, ctx.fetch, now);
}

/** Sends one notice to one receiver's channel as the build configures it. */
export async function deliver(channel: string, notice: Notice, ctx: DeliveryContext, now: number): Promise<Delivered> {
  const receiver = ctx.config.receivers.get(notice.receiver);
  if (!receiver) return failed(`receiver ${notice.receiver} is not in this relay's build`, false);
  try {
    if (channel === 'dingtalk' && receiver.dingtalk) {
      const d = receiver.dingtalk;
      const target = {
        webhook: await ctx.secrets.read(d.webhook, `receiver ${notice.receiver}: DingTalk webhook`),
        ...(d.secret ? { secret: await ctx.secrets.read(d.secret, `receiver ${notice.receiver}: DingTalk signing secret`) } : {}),
        atMobiles: d.atMobiles,
        isAtAll: d.atAll,
      };
      const rendered = renderDingtalk(notice, target);
      const result = await sendDingtalk(rendered.body, target, ctx.fetch, now);
      return { ...result, omitted: rendered.omitted };
    }
    if (channel === 'wecomRobot' && receiver.wecomRobot) {
      const w = receiver.wecomRobot;
      const target = { webhook: await ctx.secrets.read(w.webhook, `receiver ${notice.receiver}: WeCom robot webhook`), mentions: w.mentions };
      const rendered = renderWecomRobot(notice, target);
      const result = await sendWecomRobot(rendered.body, target, ctx.fetch);
      return { ...result, omitted: rendered.omitted };
    }
    if (channel === 'sms' && receiver.sms) {
      const configured = ctx.config.settings.sms;
      if (!configured) return failed(`receiver ${notice.receiver}: the relay has no SMS provider (relay.sms: aliyun, tencent or http)`, false);
      const provider = await smsProvider(configured, ctx);
      const variableChars = provider.provider === 'http' ? Infinity : TEMPLATE_VARIABLE_CHARS[provider.provider];
      return await sendSms(provider, receiver.sms.to, smsText(notice, undefined, variableChars), ctx.fetch, now);
    }
    if (channel === 'signedWebhook' && receiver.signedWebhook) return await deliverSignedWebhook(receiver.signedWebhook, notice, ctx, now);
    if (channel === 'email' && receiver.email) {
      const smtp = ctx.config.smtp;
      if (!smtp) return failed(`receiver ${notice.receiver}: the relay has no smtp settings to mail it`, false);
      const [host, port] = [smtp.smarthost.slice(0, smtp.smarthost.lastIndexOf(':')), Number(smtp.smarthost.slice(smtp.smarthost.lastIndexOf(':') + 1))];
      const password = smtp.authPassword ? await ctx.secrets.read(smtp.authPassword, 'smtp.authPassword') : undefined;
      return await sendEmail({ host, port, secure: port === 465, from: smtp.from, ...(smtp.authUsername ? { username: smtp.authUsername } : {}), ...(password !== undefined ? { password } : {}), ...(smtp.requireTls !== undefined ? { requireTls: smtp.requireTls } : {}) }, receiver.email.to, notice);
    }
  } catch (e) {
    // A missing secret heals when the operator sets it and reloads: retry rather than give the alert up.
    if (e instanceof MissingSecret) return failed(e.message, true);
    throw e;
  }
  return failed(`receiver ${notice.receiver} has no ${channel} channel in this relay's build`, false);
}
