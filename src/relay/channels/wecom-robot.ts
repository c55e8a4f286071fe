/**
 * WeCom (企业微信) group robot delivery: render a notice as one markdown message whose content fits the robot's limit,
 * post it to the webhook, and classify the answer. WeCom answers HTTP 200 with `{errcode, errmsg}` for what it
 * refuses, so the errcode, not the status, says whether a message was sent.
 */
import { wecomRobot } from '../../channels/wecom-robot.ts';
import { markdownText } from './escape.ts';
import { alertBlocks, largestFittingMessage, titleLine, type AlertMarkup, type Shape } from './message.ts';
import { postToRobot, type RobotErrcodes } from './robot-webhook.ts';
import { renderTemplate, type CompiledTemplate } from './template.ts';
import type { Fetch, Notice, SendResult } from './types.ts';
import { WORDS } from './words.ts';

export interface WecomRobotTarget {
  /** `…/cgi-bin/webhook/send?key=KEY`: the key is the robot's only credential. */
  webhook: string;
  /** WeCom user ids, mentioned as `<@userid>`. */
  mentions: string[];
}

export interface RenderedWecomRobotMessage {
  /** The JSON request body. */
  body: string;
  /** UTF-8 bytes of `markdown.content` (what WeCom limits): never more than the robot accepts. */
  contentBytes: number;
  /** Alerts of the notice the message leaves out (named by "… and N more"). */
  omitted: number;
}

const CONTENT_LIMIT = wecomRobot.limits.messageBytes ?? fail('src/channels/wecom-robot.ts declares no messageBytes');
/** A WeCom userid: letters, digits and `_-.@`, starting with a letter or digit. Anything else could end `<@…>`. */
const USER_ID = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

function fail(message: string): never {
  throw new Error(message);
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering

/** The message, cut to fit the content limit; with `template`, the team's markdown instead of the built-in one. */
export function renderWecomRobot(notice: Notice, target: WecomRobotTarget, template?: CompiledTemplate): RenderedWecomRobotMessage {
  const fitted = largestFittingMessage(notice, (shape): RenderedWecomRobotMessage | undefined => {
    const content = wecomRobotContent(notice, target, shape, template);
    const contentBytes = Buffer.byteLength(content, 'utf8');
    if (contentBytes > CONTENT_LIMIT) return undefined;
    return { body: JSON.stringify({ msgtype: 'markdown', markdown: { content } }), contentBytes, omitted: notice.alerts.length - shape.shown };
  });
  if (fitted) return fitted;
  throw new Error('WeCom robot message: even the title does not fit the content limit');
}

/** WeCom's font colours: warning is orange-red, info green (the only three are info, comment, warning). */
const TITLE_COLOUR: Record<Notice['kind'], 'warning' | 'info'> = { firing: 'warning', escalation: 'warning', resolved: 'info' };

const MARKUP: AlertMarkup = { fieldPrefix: '> ', linksPrefix: '', time: (formatted) => `<font color="comment">${formatted}</font>` };

/**
 * The markdown of WeCom's robot subset (headings, bold, links, `<font color>`, quotes): no lists or tables, so every
 * field is a quoted line. Values from alerts are escaped; only the relay's own words make markup.
 */
export function wecomRobotContent(notice: Notice, target: WecomRobotTarget, shape: Shape, template?: CompiledTemplate): string {
  if (template) return wecomRobotRenderedContent(target, shape, renderTemplate(template, notice, shape).body);
  const mentions = shape.withMentions ? mentionLine(target.mentions) : undefined;
  const words = WORDS[notice.language];
  const blocks = [
    `### <font color="${TITLE_COLOUR[notice.kind]}">${markdownText(titleLine(notice, words))}</font>`,
    ...alertBlocks(notice, shape, words, MARKUP, true),
  ];
  if (mentions) blocks.push(mentions);
  return blocks.join('\n\n');
}

/** The markdown of a template's message whose body is rendered already (as renderTemplate renders it). */
export function wecomRobotRenderedContent(target: WecomRobotTarget, shape: Shape, body: string): string {
  // The relay writes the mentions, so a template cannot forget them (nor mention anyone the receiver does not name).
  const mentions = shape.withMentions ? mentionLine(target.mentions) : undefined;
  return mentions ? `${body}\n\n${mentions}` : body;
}

/**
 * `<@userid>` for each user id of the receiver's definition: the only mention WeCom's robot markdown knows (its
 * `mentioned_list` works on text messages only). An id that could end the tag early is left out, not repaired.
 */
function mentionLine(userIds: readonly string[]): string | undefined {
  const valid = userIds.filter((id) => USER_ID.test(id));
  return valid.length === 0 ? undefined : valid.map((id) => `<@${id}>`).join(' ');
}

// ---------------------------------------------------------------------------------------------------------------
// Sending

const ERRCODES: RobotErrcodes = {
  provider: 'WeCom',
  /** "接口调用超过限制": more than 20 messages a minute to this robot. */
  throttled: 45009,
  /** "系统繁忙": WeCom's global error codes say to try again a little later. */
  retryable: -1,
};
// Every other errcode stays the same on every retry: 40058 (content too long), 93000 (invalid webhook url: a wrong
// key, or the robot was removed from the group), 40008 (invalid message type), 44004 (empty content).

export async function sendWecomRobot(body: string, target: WecomRobotTarget, fetch: Fetch, timeoutMs = 10_000): Promise<SendResult> {
  return postToRobot(target.webhook, body, fetch, ERRCODES, timeoutMs);
}
