import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../util/duration.ts';
import type { EscalationStep } from './types.ts';

/** A secret as the build names it: an environment variable or a file, never a value. */
export interface SecretRef {
  env?: string;
  file?: string;
}

export interface DingtalkReceiver {
  webhook: SecretRef;
  secret?: SecretRef;
  atMobiles: string[];
  sendResolved: boolean;
}

export interface SmsReceiver {
  to: string[];
  sendResolved: boolean;
}

export interface RelayReceiver {
  dingtalk?: DingtalkReceiver;
  sms?: SmsReceiver;
}

/** relay/relay.yml of an environment's build, read strictly: what the relay delivers and how it escalates. */
export interface RelayConfig {
  url?: string;
  receivers: Map<string, RelayReceiver>;
  /** Steps by severity, in order. */
  escalation: Map<string, EscalationStep[]>;
}

export class RelayConfigError extends Error {}

/** Reads relay.yml; throws a RelayConfigError naming the first field that is not what Vigil writes. */
export function parseRelayConfig(text: string): RelayConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new RelayConfigError(`relay.yml is not YAML (${(e as Error).message.split('\n')[0]})`);
  }
  const root = record(doc, '(the document)');
  const relay = root.relay === null || root.relay === undefined ? undefined : record(root.relay, 'relay');
  const receivers = new Map<string, RelayReceiver>();
  for (const [name, value] of Object.entries(record(root.receivers ?? {}, 'receivers'))) {
    const r = record(value, `receivers.${name}`);
    const receiver: RelayReceiver = {};
    if (r.dingtalk !== undefined) {
      const d = record(r.dingtalk, `receivers.${name}.dingtalk`);
      receiver.dingtalk = {
        webhook: secretRef(d.webhook, `receivers.${name}.dingtalk.webhook`),
        ...(d.secret === undefined ? {} : { secret: secretRef(d.secret, `receivers.${name}.dingtalk.secret`) }),
        atMobiles: strings(d.atMobiles ?? [], `receivers.${name}.dingtalk.atMobiles`),
        sendResolved: d.sendResolved !== false,
      };
    }
    if (r.sms !== undefined) {
      const s = record(r.sms, `receivers.${name}.sms`);
      receiver.sms = { to: strings(s.to ?? [], `receivers.${name}.sms.to`), sendResolved: s.sendResolved !== false };
    }
    receivers.set(name, receiver);
  }
  const escalation = new Map<string, EscalationStep[]>();
  for (const [severity, value] of Object.entries(record(root.escalation ?? {}, 'escalation'))) {
    if (!Array.isArray(value)) throw new RelayConfigError(`escalation.${severity}: must be a list`);
    escalation.set(
      severity,
      value.map((step, i) => {
        const at = `escalation.${severity}[${i}]`;
        const s = record(step, at);
        const afterMs = typeof s.after === 'string' ? parseDuration(s.after) : NaN;
        if (!Number.isFinite(afterMs)) throw new RelayConfigError(`${at}.after: must be a duration such as 15m`);
        return { afterMs, receivers: strings(s.receivers, `${at}.receivers`) };
      }),
    );
  }
  return { ...(typeof relay?.url === 'string' ? { url: relay.url } : {}), receivers, escalation };
}

function record(v: unknown, at: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new RelayConfigError(`${at}: must be a mapping`);
  return v as Record<string, unknown>;
}

function strings(v: unknown, at: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new RelayConfigError(`${at}: must be a list of strings`);
  return v as string[];
}

function secretRef(v: unknown, at: string): SecretRef {
  const r = record(v, at);
  if (typeof r.env === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(r.env) && r.file === undefined) return { env: r.env };
  if (typeof r.file === 'string' && r.file.startsWith('/') && r.env === undefined) return { file: r.file };
  throw new RelayConfigError(`${at}: must be a secret reference ({ env: NAME } or { file: /absolute/path })`);
}
