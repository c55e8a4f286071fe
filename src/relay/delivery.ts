import { dingtalk as dingtalkFacts } from '../channels/dingtalk.ts';
import { wecomRobot as wecomRobotFacts } from '../channels/wecom-robot.ts';
import { renderDingtalk, sendDingtalk } from './channels/dingtalk.ts';
import { renderEmail, sendEmail } from './channels/email.ts';
import { renderSignedWebhook, sendSignedWebhook } from './channels/signed-webhook.ts';
import { sendSms, smsText, TEMPLATE_VARIABLE_CHARS, type SmsProvider } from './channels/sms.ts';
import type { Fetch, Notice, SendResult } from './channels/types.ts';
import { chooseTemplate, noticeSeverity, TemplateError, type CompiledTemplate, type TemplateChannel } from './channels/template.ts';
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
  /** The message template used (kind Templates); absent: the built-in message. */
  template?: string;
  /** Why the chosen template was not used for this notice (the built-in message went instead). */
  templateError?: string;
}

/** The team's template for this notice's channel, receiver, first severity and the relay's language, if any. */
function templateFor(channel: TemplateChannel, notice: Notice, config: RelayConfig): CompiledTemplate | undefined {
  const sources = config.templates.map((t) => t.source);
  const chosen = chooseTemplate(sources, { channel, receiver: notice.receiver, severity: noticeSeverity(notice), language: notice.language });
  return chosen && config.templates.find((t) => t.source === chosen);
}

/**
 * Renders with the template, or — when it fails on this notice (it reads a label this alert lacks: the build rendered
 * it against the labels the rules guarantee) — with the built-in message: an alert is never lost to its template.
 */
function withTemplate<T>(template: CompiledTemplate | undefined, render: (t?: CompiledTemplate) => T): { value: T; used: Pick<Delivered, 'template' | 'templateError'>; template?: CompiledTemplate } {
  if (!template) return { value: render(), used: {} };
  try {
    return { value: render(template), used: { template: template.source.name }, template };
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    return { value: render(), used: { templateError: `template ${template.source.name}, ${e.field}: ${e.message}` } };
  }
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
      const { value: rendered, used } = withTemplate(templateFor('dingtalk', notice, ctx.config), (t) => renderDingtalk(notice, target, t));
      const result = await sendDingtalk(rendered.body, target, ctx.fetch, now);
      return { ...result, omitted: rendered.omitted, ...used };
    }
    if (channel === 'wecomRobot' && receiver.wecomRobot) {
      const w = receiver.wecomRobot;
      const target = { webhook: await ctx.secrets.read(w.webhook, `receiver ${notice.receiver}: WeCom robot webhook`), mentions: w.mentions };
      const { value: rendered, used } = withTemplate(templateFor('wecomRobot', notice, ctx.config), (t) => renderWecomRobot(notice, target, t));
      const result = await sendWecomRobot(rendered.body, target, ctx.fetch);
      return { ...result, omitted: rendered.omitted, ...used };
    }
    if (channel === 'sms' && receiver.sms) {
      const configured = ctx.config.settings.sms;
      if (!configured) return failed(`receiver ${notice.receiver}: the relay has no SMS provider (relay.sms: aliyun, tencent or http)`, false);
      const provider = await smsProvider(configured, ctx);
      const variableChars = provider.provider === 'http' ? Infinity : TEMPLATE_VARIABLE_CHARS[provider.provider];
      // Aliyun and Tencent send only their registered templates: the team's text goes to an HTTP gateway alone.
      const template = provider.provider === 'http' ? templateFor('sms', notice, ctx.config) : undefined;
      const { value: message, used } = withTemplate(template, (t) => smsText(notice, undefined, variableChars, t));
      return { ...(await sendSms(provider, receiver.sms.to, message, ctx.fetch, now)), ...used };
    }
    if (channel === 'signedWebhook' && receiver.signedWebhook) return await deliverSignedWebhook(receiver.signedWebhook, notice, ctx, now);
    if (channel === 'email' && receiver.email) {
      const smtp = ctx.config.smtp;
      if (!smtp) return failed(`receiver ${notice.receiver}: the relay has no smtp settings to mail it`, false);
      const [host, port] = [smtp.smarthost.slice(0, smtp.smarthost.lastIndexOf(':')), Number(smtp.smarthost.slice(smtp.smarthost.lastIndexOf(':') + 1))];
      const password = smtp.authPassword ? await ctx.secrets.read(smtp.authPassword, 'smtp.authPassword') : undefined;
      const { used, template } = withTemplate(templateFor('email', notice, ctx.config), (t) => renderEmail(notice, t));
      const settings = { host, port, secure: port === 465, from: smtp.from, ...(smtp.authUsername ? { username: smtp.authUsername } : {}), ...(password !== undefined ? { password } : {}), ...(smtp.requireTls !== undefined ? { requireTls: smtp.requireTls } : {}) };
      return { ...(await sendEmail(settings, receiver.email.to, notice, undefined, template)), ...used };
    }
  } catch (e) {
    // A missing secret heals when the operator sets it and reloads: retry rather than give the alert up.
    if (e instanceof MissingSecret) return failed(e.message, true);
    throw e;
  }
  return failed(`receiver ${notice.receiver} has no ${channel} channel in this relay's build`, false);
}
