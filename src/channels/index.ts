import type { ProjectModel, ReceiverChannels, ReceiverModel } from '../model/types.ts';
import type { Channel, ChannelName, ProjectSetting } from './channel.ts';
import { dingtalk } from './dingtalk.ts';
import { email } from './email.ts';
import { signedWebhook } from './signed-webhook.ts';
import { sms } from './sms.ts';
import { webhook } from './webhook.ts';
import { wecom } from './wecom.ts';
import { wecomRobot } from './wecom-robot.ts';

export type { AlertmanagerBlock, AlertmanagerContext, AlertmanagerWriter, Channel, ChannelLimits, ChannelName, ProjectSetting } from './channel.ts';
export { relayNotifyPath } from './channel.ts';

/** Every receiver channel, in the order alertmanager.yml writes their blocks. */
export const CHANNELS: readonly Channel[] = [email, wecom, dingtalk, wecomRobot, sms, webhook, signedWebhook];

export const CHANNEL_NAMES: readonly ChannelName[] = CHANNELS.map((c) => c.name);

/** The channels a receiver has, in CHANNELS order, each with its definition. */
export function channelsOf(r: ReceiverModel): { channel: Channel; spec: NonNullable<ReceiverChannels[ChannelName]> }[] {
  return CHANNELS.flatMap((channel) => {
    const spec = r.channels[channel.name];
    return spec ? [{ channel, spec }] : [];
  });
}

/** The settings of `requires` that the project lacks. */
export function missingSettings(channel: Channel, project: ProjectModel | undefined): ProjectSetting[] {
  const missing = channel.requires.filter((setting) => (setting === 'relaySms' ? !project?.relay?.sms : !project?.[setting]));
  // Without a relay at all, that is the one thing to say.
  return missing.includes('relay') ? missing.filter((s) => s !== 'relaySms') : missing;
}

/** The channels of a receiver whose messages the relay writes, so a message template can: see Channel.templated. */
export function templatedChannelsOf(r: ReceiverModel, project: ProjectModel | undefined, escalationTier: boolean): ChannelName[] {
  return channelsOf(r)
    .filter(({ channel }) => channel.templated?.(project, escalationTier) === true)
    .map(({ channel }) => channel.name);
}
