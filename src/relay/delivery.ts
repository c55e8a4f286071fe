import { dingtalk as dingtalkFacts } from '../channels/dingtalk.ts';
import { renderDingtalk, sendDingtalk } from './channels/dingtalk.ts';
import type { Fetch, Notice, SendResult } from './channels/types.ts';
import type { RelayConfig } from './config.ts';
import { MissingSecret, type SecretReader } from './secrets.ts';

export interface DeliveryContext {
  config: RelayConfig;
  secrets: SecretReader;
  fetch: Fetch;
}

export interface Delivered extends SendResult {
  /** Alerts left out of the message to keep it under the channel's size limit ("… and N more"). */
  omitted?: number;
}

/** Messages a minute one target of `channel` takes, where the provider limits it (the token buckets' rate). */
export function messagesPerMinute(channel: string): number | undefined {
  // A little under the provider's limit: its window and ours never line up exactly.
  if (channel === 'dingtalk') return dingtalkFacts.limits.messagesPerMinute! - 2;
  return undefined;
}

const failed = (error: string, retryable: boolean): Delivered => ({ ok: false, retryable, error, latencyMs: 0 });

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
      };
      const rendered = renderDingtalk(notice, target);
      const result = await sendDingtalk(rendered.body, target, ctx.fetch, now);
      return { ...result, omitted: rendered.omitted };
    }
    if (channel === 'sms' && receiver.sms) {
      // The Environment names no SMS provider yet (Aliyun, Tencent Cloud, an HTTP gateway): a dead letter that says so.
      return failed(`receiver ${notice.receiver}: no SMS provider is configured for this relay`, false);
    }
  } catch (e) {
    // A missing secret heals when the operator sets it and reloads: retry rather than give the alert up.
    if (e instanceof MissingSecret) return failed(e.message, true);
    throw e;
  }
  return failed(`receiver ${notice.receiver} has no ${channel} channel in this relay's build`, false);
}
