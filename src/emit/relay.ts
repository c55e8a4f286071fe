import type { Model } from '../model/types.ts';
import { GENERATED_HEADER, goYaml, type Artifact } from './artifact.ts';
import { channelsOf } from '../channels/index.ts';
import { fallbackOf } from './relay-fallback.ts';

import { RELAY_CONFIG_PATH } from '../build/paths.ts';
export { RELAY_CONFIG_PATH };

/**
 * What the notification relay needs and Alertmanager does not carry: the channels it delivers (deliveredBy 'relay',
 * DingTalk and SMS) behind the relay webhooks (secrets as references only), each severity's escalation steps, and how
 * long a confirmation holds per severity (`confirmExpiry`, only the severities that set one).
 */
export function emitRelayConfig(model: Model): Artifact {
  const receivers: Record<string, unknown> = {};
  // The receivers the relay notifies itself (escalation tiers, fallbacks): it mails them too.
  const tiers = new Set([...model.severities.flatMap((s) => s.escalation.flatMap((step) => step.receivers)), ...fallbackTargets(model)]);
  let mails = false;
  for (const r of [...model.receivers].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const channels: Record<string, unknown> = {};
    for (const { channel, spec } of channelsOf(r)) {
      if (channel.relayEntry) channels[channel.name] = channel.relayEntry(spec, r.sendResolved);
      else if (channel.escalationEntry && tiers.has(r.name)) {
        channels[channel.name] = channel.escalationEntry(spec, r.sendResolved);
        mails ||= channel.name === 'email';
      }
    }
    if (Object.keys(channels).length) receivers[r.name] = channels;
  }
  const escalation: Record<string, unknown> = {};
  for (const s of model.severities) {
    if (s.escalation.length) escalation[s.name] = s.escalation.map((step) => ({ after: step.after, receivers: step.receivers, ...(step.repeat ? { repeat: step.repeat } : {}) }));
  }
  const confirmExpiry: Record<string, string> = {};
  for (const s of model.severities) {
    if (s.confirmExpiry !== undefined) confirmExpiry[s.name] = s.confirmExpiry;
  }
  const smtp = mails && model.project?.smtp;
  const templates = relayTemplates(model);
  const config = { relay: model.project?.relay ?? null, ...(smtp ? { smtp } : {}), receivers, escalation, ...(Object.keys(confirmExpiry).length ? { confirmExpiry } : {}), ...(templates.length ? { templates } : {}) };
  const fallback = fallbacks(model, receivers);
  if (Object.keys(fallback).length) Object.assign(config, { fallback });
  const sources = [
    ...model.receivers.filter((r) => tiers.has(r.name) || channelsOf(r).some(({ channel }) => channel.deliveredBy === 'relay')).map((r) => r.origin.def.file),
    ...model.severities.filter((s) => s.escalation.length || s.confirmExpiry !== undefined).map((s) => s.origin.def.file),
    ...(model.project?.origin ? [model.project.origin.def.file] : []),
    ...model.templates.map((t) => t.origin.def.file),
  ];
  return { path: RELAY_CONFIG_PATH, content: goYaml(config, GENERATED_HEADER), sources };
}

/** The message templates, sorted by name, fields in a fixed order: the relay compiles and chooses them. */
function relayTemplates(model: Model): Record<string, unknown>[] {
  return [...model.templates]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((t) => ({
      name: t.name,
      channel: t.channel,
      ...(t.receivers ? { receivers: t.receivers } : {}),
      ...(t.severities ? { severities: t.severities } : {}),
      ...(t.language ? { language: t.language } : {}),
      ...(t.title !== undefined ? { title: t.title } : {}),
      body: t.body,
    }));
}

function fallbackTargets(model: Model): string[] {
  return model.receivers.flatMap((r) => fallbackOf(r) ?? []);
}

/**
 * relay.yml `fallback: { receiver: fallbackReceiver }`, by receiver name: only where both are receivers of this relay
 * (the ref/receiver check makes any other fallback a build error).
 */
function fallbacks(model: Model, receivers: Record<string, unknown>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const r of [...model.receivers].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const to = fallbackOf(r);
    if (to !== undefined && to !== r.name && Object.hasOwn(receivers, r.name) && Object.hasOwn(receivers, to)) result[r.name] = to;
  }
  return result;
}
