/**
 * DingTalk custom robot delivery: render a notice as one message that fits the robot's body limit, sign the webhook
 * URL, post it, and classify the answer. DingTalk answers HTTP 200 with `{errcode, errmsg}` for everything it refuses,
 * so the errcode, not the status, says whether a message was sent.
 */
import { createHmac } from 'node:crypto';
import { dingtalk } from '../../channels/dingtalk.ts';
import { markdownText } from './escape.ts';
import { actionLinks, alertBlocks, largestFittingMessage, titleLine, type AlertMarkup, type Shape } from './message.ts';
import { postToRobot, type RobotErrcodes } from './robot-webhook.ts';
import { renderTemplate, type CompiledTemplate } from './template.ts';
import type { Fetch, Notice, SendResult } from './types.ts';
import { WORDS } from './words.ts';

export interface DingtalkTarget {
  webhook: string;
  secret?: string;
  atMobiles: string[];
  atUserIds?: string[];
  isAtAll?: boolean;
}

export interface RenderedMessage {
  /** The JSON request body. */
  body: string;
  /** UTF-8 bytes of `body`: never more than the robot accepts. */
  bytes: number;
  /** Alerts of the notice the message leaves out (named by "… and N more"). */
  omitted: number;
}

function requiredLimit(value: number | undefined, what: string): number {
  if (value === undefined) throw new Error(`src/channels/dingtalk.ts declares no ${what}`);
  return value;
}

const BODY_LIMIT = requiredLimit(dingtalk.limits.messageBytes, 'messageBytes');

// ---------------------------------------------------------------------------------------------------------------
// Rendering

const MARKUP: AlertMarkup = { fieldPrefix: '- ', linksPrefix: '- ', time: (formatted) => formatted };

/** The message, cut to fit the body limit; with `template`, the team's markdown instead of the built-in one. */
export function renderDingtalk(notice: Notice, target: DingtalkTarget, template?: CompiledTemplate): RenderedMessage {
  const fitted = largestFittingMessage(notice, (shape): RenderedMessage | undefined => {
    const body = dingtalkBody(notice, target, shape, template);
    const bytes = Buffer.byteLength(body, 'utf8');
    return bytes <= BODY_LIMIT ? { body, bytes, omitted: notice.alerts.length - shape.shown } : undefined;
  });
  if (fitted) return fitted;
  throw new Error('DingTalk message: even the title does not fit the body limit');
}

/** The JSON request body for one shape of the notice. */
export function dingtalkBody(notice: Notice, target: DingtalkTarget, shape: Shape, template?: CompiledTemplate): string {
  return JSON.stringify(template ? templatedMessage(notice, target, shape, renderTemplate(template, notice, shape)) : message(notice, target, shape));
}

/** The JSON request body of a template's message whose fields are rendered already (as renderTemplate renders them). */
export function dingtalkRenderedBody(notice: Notice, target: DingtalkTarget, shape: Shape, rendered: { title?: string; body: string }): string {
  return JSON.stringify(templatedMessage(notice, target, shape, rendered));
}

/**
 * A template's markdown, always as a markdown message (its links are the confirm and close buttons), with the
 * mentions appended: DingTalk notifies only whom the text @-mentions, so the relay writes them, not the template.
 */
function templatedMessage(notice: Notice, target: DingtalkTarget, shape: Shape, rendered: { title?: string; body: string }): Record<string, unknown> {
  const mentions = shape.withMentions ? mentionsOf(target) : undefined;
  const text = mentions ? `${rendered.body}\n\n${mentions.text}` : rendered.body;
  const title = rendered.title || titleLine(notice, WORDS[notice.language]);
  return { msgtype: 'markdown', markdown: { title, text }, ...(mentions ? { at: mentions.at } : {}) };
}

function message(notice: Notice, target: DingtalkTarget, shape: Shape): Record<string, unknown> {
  const words = WORDS[notice.language];
  const title = titleLine(notice, words);
  const mentions = shape.withMentions ? mentionsOf(target) : undefined;
  const buttons = shape.shown === 1 && notice.alerts.length === 1 && !mentions ? actionLinks(notice, notice.alerts[0]) : undefined;

  const blocks = [`### ${markdownText(title)}`, ...alertBlocks(notice, shape, words, MARKUP, !buttons)];
  if (mentions) blocks.push(mentions.text);
  const text = blocks.join('\n\n');

  if (buttons) {
    return {
      msgtype: 'actionCard',
      actionCard: {
        title,
        text,
        btnOrientation: '1',
        btns: [
          { title: words.confirm, actionURL: buttons.confirm },
          { title: words.close, actionURL: buttons.close },
        ],
      },
    };
  }
  return { msgtype: 'markdown', markdown: { title, text }, ...(mentions ? { at: mentions.at } : {}) };
}

/**
 * DingTalk notifies a person only when the `at` field names them AND `@<mobile>` / `@<userid>` is in the text.
 * Names come from the receiver's definition, not from alerts; whitespace would end the mention, so none is kept.
 * The `at` field exists for text and markdown messages only, so a message with mentions is never an actionCard.
 */
function mentionsOf(target: DingtalkTarget): { text: string; at: Record<string, unknown> } | undefined {
  const clean = (ids: string[] | undefined) => (ids ?? []).map((id) => id.replace(/\s+/g, '')).filter((id) => id !== '');
  const atMobiles = clean(target.atMobiles);
  const atUserIds = clean(target.atUserIds);
  const isAtAll = target.isAtAll === true;
  if (atMobiles.length === 0 && atUserIds.length === 0 && !isAtAll) return undefined;
  // Everyone, like a person, is notified only when the text says so too: `@all` beside `isAtAll: true`.
  const names = [...(isAtAll ? ['all'] : []), ...atMobiles, ...atUserIds];
  return { text: names.map((n) => `@${n}`).join(' '), at: { atMobiles, atUserIds, isAtAll } };
}

// ---------------------------------------------------------------------------------------------------------------
// Signing and sending

/**
 * The webhook with DingTalk's signature ("加签") appended when the robot has a secret: `timestamp` in ms and
 * `sign` = URL-encoded Base64 of HMAC-SHA256 (key: the secret) of `timestamp + "\n" + secret`. DingTalk refuses a
 * timestamp more than an hour away from its clock.
 */
export function signedUrl(webhook: string, secret: string | undefined, nowMs: number): string {
  if (!secret) return webhook;
  const timestamp = String(Math.trunc(nowMs));
  const sign = createHmac('sha256', secret).update(`${timestamp}\n${secret}`, 'utf8').digest('base64');
  const separator = !webhook.includes('?') ? '?' : /[?&]$/.test(webhook) ? '' : '&';
  return `${webhook}${separator}timestamp=${timestamp}&sign=${encodeURIComponent(sign)}`;
}

/**
 * DingTalk's errcodes the relay acts on. Every other non-zero errcode (bad keyword, secret, IP, token; 460101 too
 * long) stays the same on every retry.
 */
const ERRCODES: RobotErrcodes = {
  provider: 'DingTalk',
  throttled: 130101,
  /**
   * "系统繁忙" (system busy): DingTalk's global error codes say the server is briefly unavailable and to try again
   * (global error codes, https://developers.dingtalk.com/document/app/server-api-error-codes-1: "服务器暂不可用，建议稍候再重试1次，最多重试3次").
   */
  retryable: -1,
};

export async function sendDingtalk(body: string, target: DingtalkTarget, fetch: Fetch, nowMs: number, timeoutMs = 10_000): Promise<SendResult> {
  return postToRobot(signedUrl(target.webhook, target.secret, nowMs), body, fetch, ERRCODES, timeoutMs);
}
