import type { ProjectModel, ReceiverChannels, SecretRef } from '../model/types.ts';

/** The channels a receiver can have: the keys of a Receivers entry besides name and sendResolved. */
export type ChannelName = keyof ReceiverChannels;

/** Project settings a channel cannot work without (`relaySms`: the relay's SMS provider, `relay.sms`). */
export type ProjectSetting = 'smtp' | 'relay' | 'relaySms';

/** Templates of `alertmanager/templates/vigil.tmpl` a channel's Alertmanager block refers to. */
export type TemplateKey = 'emailSubject' | 'emailHtml' | 'wecomMessage';

/**
 * What the Alertmanager emitter lends a channel to write its block: the channel modules hold the facts, the emitter
 * holds the writing machinery (template escaping, secret bookkeeping), and neither folder imports the other's.
 */
export interface AlertmanagerWriter {
  /** A literal value for a field Alertmanager executes as a Go template. */
  text(s: string): string;
  /** `{{ template "<name>" . }}` for one of Vigil's templates. */
  template(key: TemplateKey): string;
  /** A secret for a field that has no `*_file` variant: a placeholder deploy fills in the document. */
  placeholder(ref: SecretRef, field: string): unknown;
  /** A secret for a field with a `*_file` variant: the path of the file holding it. */
  file(ref: SecretRef, field: string): string;
}

export interface AlertmanagerContext {
  receiver: string;
  sendResolved: boolean;
  /** The project's relay URL without trailing slashes ('' when the project has none: then no relay channel is written). */
  relayUrl: string;
  /** The token Alertmanager sends the relay (a secret reference); none: the relay's notify endpoint takes no token. */
  relayToken?: SecretRef;
  write: AlertmanagerWriter;
}

/** One entry of a receiver in alertmanager.yml: under which list and with what config. */
export interface AlertmanagerBlock {
  list: 'email_configs' | 'wechat_configs' | 'webhook_configs';
  config: Record<string, unknown>;
}

/** Sizes and rates the provider enforces on one message, as far as Vigil knows them. */
export interface ChannelLimits {
  /** Largest accepted message (request body or message content, see `limitOf`), in bytes. */
  messageBytes?: number;
  /** What `messageBytes` measures, in the provider's terms. */
  limitOf?: string;
  /** Messages a minute one robot accepts before it throttles. */
  messagesPerMinute?: number;
}

export interface Channel<N extends ChannelName = ChannelName> {
  name: N;
  /** Who talks to the provider: Alertmanager itself, or the Vigil relay that Alertmanager posts to. */
  deliveredBy: 'alertmanager' | 'relay';
  /**
   * The project settings without which the channel cannot deliver: the emitter leaves it out of alertmanager.yml and
   * receiver/delivery reports it.
   */
  requires: readonly ProjectSetting[];
  /** The definition's fields that hold a secret reference. */
  secretFields: readonly string[];
  limits: ChannelLimits;
  /**
   * Whether the relay writes this channel's messages (and so a message template, kind Templates, can): for a receiver
   * of `project`, notified as an escalation tier or not.
   */
  templated?(project: ProjectModel | undefined, escalationTier: boolean): boolean;
  /** The relay path Alertmanager posts this receiver's notifications to (relay channels only). */
  relayPath?(receiver: string): string;
  /** The block in alertmanager.yml; only called when the project has every setting in `requires`. */
  alertmanager(spec: NonNullable<ReceiverChannels[N]>, ctx: AlertmanagerContext): AlertmanagerBlock;
  /** What relay.yml holds for this channel (relay channels only; secrets as references). */
  relayEntry?(spec: NonNullable<ReceiverChannels[N]>, sendResolved: boolean): Record<string, unknown>;
  /**
   * What relay.yml holds for this channel when the receiver is an escalation tier, for a channel Alertmanager
   * delivers otherwise (escalation is the relay's alone: it sends to the tier itself).
   */
  escalationEntry?(spec: NonNullable<ReceiverChannels[N]>, sendResolved: boolean): Record<string, unknown>;
}

/**
 * The webhook_configs entry of a channel the relay delivers: Alertmanager's payload to the relay's notify path, with
 * the relay's bearer token read from a file (Alertmanager has no other way to keep it out of its configuration).
 */
export function relayWebhook(channel: ChannelName, ctx: AlertmanagerContext): AlertmanagerBlock {
  const config: Record<string, unknown> = { send_resolved: ctx.sendResolved, url: `${ctx.relayUrl}${relayNotifyPath(channel, ctx.receiver)}` };
  if (ctx.relayToken) config.http_config = { authorization: { type: 'Bearer', credentials_file: ctx.write.file(ctx.relayToken, 'webhook_configs.http_config.authorization.credentials_file') } };
  return { list: 'webhook_configs', config };
}

/** `/api/v1/notify/<channel>/<receiver>`: where the relay takes Alertmanager's webhook for one receiver's channel. */
export function relayNotifyPath(channel: ChannelName, receiver: string): string {
  return `/api/v1/notify/${channel}/${encodeURIComponent(receiver)}`;
}
