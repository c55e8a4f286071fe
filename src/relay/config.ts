import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../util/duration.ts';
import type { EscalationStep } from './types.ts';
import { compileTemplate, TemplateError, type CompiledTemplate, type TemplateSource } from './channels/template.ts';
import { DEFAULT_SIGNATURE_HEADER } from '../channels/signed-webhook.ts';

/** A secret as the build names it: an environment variable or a file, never a value. */
export interface SecretRef {
  env?: string;
  file?: string;
}

export interface DingtalkReceiver {
  webhook: SecretRef;
  secret?: SecretRef;
  atMobiles: string[];
  /** @-mention everyone in the group (`dingtalk.atAll`). */
  atAll: boolean;
  sendResolved: boolean;
}

export interface WecomRobotReceiver {
  /** The whole webhook URL: its `key` is the robot's only credential. */
  webhook: SecretRef;
  /** WeCom user ids written into the message as `<@userid>`. */
  mentions: string[];
  sendResolved: boolean;
}

export interface SmsReceiver {
  to: string[];
  sendResolved: boolean;
}

export interface EmailReceiver {
  to: string[];
  sendResolved: boolean;
}

export interface SignedWebhookReceiver {
  /** Not a secret: the build's secret/literal check keeps credentials out of it. */
  url: string;
  /** The HMAC-SHA256 key of the signature. */
  secret: SecretRef;
  /** The header the signature goes in. */
  header: string;
  sendResolved: boolean;
}

export interface RelayReceiver {
  dingtalk?: DingtalkReceiver;
  wecomRobot?: WecomRobotReceiver;
  sms?: SmsReceiver;
  signedWebhook?: SignedWebhookReceiver;
  /** Escalation tiers only: Alertmanager mails a receiver otherwise. */
  email?: EmailReceiver;
}

/** The Project's smtp settings, for the email the relay sends itself (escalation tiers). */
export interface SmtpConfig {
  smarthost: string;
  from: string;
  authUsername?: string;
  authPassword?: SecretRef;
  requireTls?: boolean;
}

export type SmsProviderConfig =
  | { provider: 'aliyun'; accessKeyId: SecretRef; accessKeySecret: SecretRef; signName: string; templateCode: string; endpoint?: string }
  | { provider: 'tencent'; secretId: SecretRef; secretKey: SecretRef; sdkAppId: string; signName: string; templateId: string; region?: string; endpoint?: string }
  | { provider: 'http'; url: string; token?: SecretRef };

/** The Project's (or Environment's) `relay:` settings as the build carries them: how the relay runs. */
export interface RelaySettings {
  url?: string;
  token?: SecretRef;
  apiTokens: { read?: SecretRef; operate?: SecretRef };
  listen?: string;
  publicUrl?: string;
  store?: string;
  storePassword?: SecretRef;
  language?: 'zh' | 'en';
  timeZone?: string;
  sms?: SmsProviderConfig;
}

/** relay/relay.yml of an environment's build, read strictly: what the relay delivers and how it escalates. */
export interface RelayConfig {
  settings: RelaySettings;
  smtp?: SmtpConfig;
  receivers: Map<string, RelayReceiver>;
  /** Steps by severity, in order. */
  escalation: Map<string, EscalationStep[]>;
  /** How long a confirmation holds, by severity (ms); a severity absent here keeps its confirmations until the alert ends. */
  confirmExpiryMs: Map<string, number>;
  /** Where a receiver's dead letters go next, by receiver (relay.yml `fallback`): another receiver of this relay. */
  fallbacks: Map<string, string>;
  /** The message templates (kind Templates), compiled; the relay chooses one per notice. */
  templates: CompiledTemplate[];
}

export class RelayConfigError extends Error {
  constructor(
    message: string,
    /** What to do; the default fits a relay.yml that is not what Vigil writes. */
    readonly hint = 'build again with `vigil build`: the relay serves relay.yml as Vigil writes it',
  ) {
    super(message);
  }
}

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
        atAll: optionalBoolean(d.atAll, `receivers.${name}.dingtalk.atAll`),
        sendResolved: d.sendResolved !== false,
      };
    }
    if (r.wecomRobot !== undefined) {
      const w = record(r.wecomRobot, `receivers.${name}.wecomRobot`);
      receiver.wecomRobot = {
        webhook: secretRef(w.webhook, `receivers.${name}.wecomRobot.webhook`),
        mentions: strings(w.mentions ?? [], `receivers.${name}.wecomRobot.mentions`),
        sendResolved: w.sendResolved !== false,
      };
    }
    if (r.sms !== undefined) {
      const s = record(r.sms, `receivers.${name}.sms`);
      receiver.sms = { to: strings(s.to ?? [], `receivers.${name}.sms.to`), sendResolved: s.sendResolved !== false };
    }
    if (r.signedWebhook !== undefined) receiver.signedWebhook = signedWebhookReceiver(r.signedWebhook, `receivers.${name}.signedWebhook`);
    if (r.email !== undefined) {
      const e = record(r.email, `receivers.${name}.email`);
      receiver.email = { to: strings(e.to ?? [], `receivers.${name}.email.to`), sendResolved: e.sendResolved !== false };
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
        const repeatMs = typeof s.repeat === 'string' ? parseDuration(s.repeat) : undefined;
        if (s.repeat !== undefined && !(repeatMs! > 0)) throw new RelayConfigError(`${at}.repeat: must be a duration longer than 0, such as 30m`);
        return { afterMs, receivers: strings(s.receivers, `${at}.receivers`), ...(repeatMs !== undefined ? { repeatMs } : {}) };
      }),
    );
  }
  const confirmExpiryMs = new Map<string, number>();
  for (const [severity, value] of Object.entries(record(root.confirmExpiry ?? {}, 'confirmExpiry'))) {
    const ms = typeof value === 'string' ? parseDuration(value) : NaN;
    if (!Number.isFinite(ms)) throw new RelayConfigError(`confirmExpiry.${severity}: must be a duration such as 30m`);
    confirmExpiryMs.set(severity, ms);
  }
  const templates = messageTemplates(root.templates ?? []);
  return { settings: relaySettings(relay), ...(root.smtp === undefined ? {} : { smtp: smtpConfig(record(root.smtp, 'smtp')) }), receivers, escalation, confirmExpiryMs, fallbacks: fallbacks(root.fallback, receivers), templates };
}

const TEMPLATE_CHANNELS = new Set(['dingtalk', 'wecomRobot', 'sms', 'email']);

/** `templates:` of relay.yml, each compiled (the build rendered them already; this guards a hand-edited file). */
function messageTemplates(value: unknown): CompiledTemplate[] {
  if (!Array.isArray(value)) throw new RelayConfigError('templates: must be a list');
  return value.map((item, i) => {
    const at = `templates[${i}]`;
    const t = record(item, at);
    if (typeof t.name !== 'string' || t.name === '') throw new RelayConfigError(`${at}.name: must be a name`);
    if (typeof t.channel !== 'string' || !TEMPLATE_CHANNELS.has(t.channel)) throw new RelayConfigError(`${at}.channel: must be dingtalk, wecomRobot, sms or email`);
    if (typeof t.body !== 'string') throw new RelayConfigError(`${at}.body: must be text`);
    if (t.title !== undefined && typeof t.title !== 'string') throw new RelayConfigError(`${at}.title: must be text`);
    if (t.language !== undefined && t.language !== 'zh' && t.language !== 'en') throw new RelayConfigError(`${at}.language: must be zh or en`);
    const source: TemplateSource = {
      name: t.name,
      channel: t.channel as TemplateSource['channel'],
      ...(t.receivers === undefined ? {} : { receivers: strings(t.receivers, `${at}.receivers`) }),
      ...(t.severities === undefined ? {} : { severities: strings(t.severities, `${at}.severities`) }),
      ...(t.language === undefined ? {} : { language: t.language }),
      ...(t.title === undefined ? {} : { title: t.title }),
      body: t.body,
    };
    try {
      return compileTemplate(source);
    } catch (e) {
      if (e instanceof TemplateError) throw new RelayConfigError(`${at} (${source.name}).${e.field}: ${e.message}${e.line ? ` at line ${e.line}` : ''}`);
      throw e;
    }
  });
}

/** When a confirmation made `now` of an alert of `severity` expires; undefined when its severity sets no confirmExpiry. */
export function confirmationExpiresAt(config: RelayConfig, severity: string, now: number): number | undefined {
  const ms = config.confirmExpiryMs.get(severity);
  return ms === undefined ? undefined : now + ms;
}

/** relay.yml `fallback: { receiver: fallbackReceiver }`: each name a receiver of this relay.yml. */
function fallbacks(value: unknown, receivers: Map<string, RelayReceiver>): Map<string, string> {
  const result = new Map<string, string>();
  for (const [from, to] of Object.entries(record(value ?? {}, 'fallback'))) {
    if (typeof to !== 'string' || !receivers.has(to) || to === from) throw new RelayConfigError(`fallback.${from}: must name another receiver of relay.yml, got ${JSON.stringify(to)}`);
    result.set(from, to);
  }
  return result;
}

function signedWebhookReceiver(value: unknown, at: string): SignedWebhookReceiver {
  const w = record(value, at);
  if (typeof w.url !== 'string' || !/^https?:\/\//.test(w.url)) throw new RelayConfigError(`${at}.url: must be an http(s) URL`);
  const header = w.header ?? DEFAULT_SIGNATURE_HEADER;
  if (typeof header !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(header)) throw new RelayConfigError(`${at}.header: must be an HTTP header name`);
  return { url: w.url, secret: secretRef(w.secret, `${at}.secret`), header, sendResolved: w.sendResolved !== false };
}

function smtpConfig(s: Record<string, unknown>): SmtpConfig {
  if (typeof s.smarthost !== 'string' || !/^[^:\s]+:\d{1,5}$/.test(s.smarthost)) throw new RelayConfigError('smtp.smarthost: must be host:port');
  if (typeof s.from !== 'string' || s.from === '') throw new RelayConfigError('smtp.from: must be an address');
  return {
    smarthost: s.smarthost,
    from: s.from,
    ...(typeof s.authUsername === 'string' ? { authUsername: s.authUsername } : {}),
    ...(s.authPassword === undefined ? {} : { authPassword: secretRef(s.authPassword, 'smtp.authPassword') }),
    ...(typeof s.requireTls === 'boolean' ? { requireTls: s.requireTls } : {}),
  };
}

function relaySettings(relay: Record<string, unknown> | undefined): RelaySettings {
  if (!relay) return { apiTokens: {} };
  const optionalText = (key: string) => {
    const v = relay[key];
    if (v === undefined) return {};
    if (typeof v !== 'string') throw new RelayConfigError(`relay.${key}: must be a string`);
    return { [key]: v };
  };
  const optionalRef = (v: unknown, at: string) => (v === undefined ? undefined : secretRef(v, at));
  const api = relay.apiTokens === undefined ? {} : record(relay.apiTokens, 'relay.apiTokens');
  const language = relay.language;
  if (language !== undefined && language !== 'zh' && language !== 'en') throw new RelayConfigError('relay.language: must be zh or en');
  const read = optionalRef(api.read, 'relay.apiTokens.read');
  const operate = optionalRef(api.operate, 'relay.apiTokens.operate');
  const token = optionalRef(relay.token, 'relay.token');
  const storePassword = optionalRef(relay.storePassword, 'relay.storePassword');
  return {
    ...optionalText('url'),
    ...optionalText('listen'),
    ...optionalText('publicUrl'),
    ...optionalText('store'),
    ...optionalText('timeZone'),
    ...(language ? { language } : {}),
    ...(token ? { token } : {}),
    ...(storePassword ? { storePassword } : {}),
    apiTokens: { ...(read ? { read } : {}), ...(operate ? { operate } : {}) },
    ...(relay.sms === undefined ? {} : { sms: smsProvider(record(relay.sms, 'relay.sms')) }),
  };
}

function smsProvider(s: Record<string, unknown>): SmsProviderConfig {
  const text = (key: string) => {
    if (typeof s[key] !== 'string' || s[key] === '') throw new RelayConfigError(`relay.sms.${key}: must be a non-empty string`);
    return s[key] as string;
  };
  const maybe = (key: string) => (typeof s[key] === 'string' ? { [key]: s[key] as string } : {});
  if (s.provider === 'aliyun') return { provider: 'aliyun', accessKeyId: secretRef(s.accessKeyId, 'relay.sms.accessKeyId'), accessKeySecret: secretRef(s.accessKeySecret, 'relay.sms.accessKeySecret'), signName: text('signName'), templateCode: text('templateCode'), ...maybe('endpoint') };
  if (s.provider === 'tencent') return { provider: 'tencent', secretId: secretRef(s.secretId, 'relay.sms.secretId'), secretKey: secretRef(s.secretKey, 'relay.sms.secretKey'), sdkAppId: text('sdkAppId'), signName: text('signName'), templateId: text('templateId'), ...maybe('region'), ...maybe('endpoint') };
  if (s.provider === 'http') return { provider: 'http', url: text('url'), ...(s.token === undefined ? {} : { token: secretRef(s.token, 'relay.sms.token') }) };
  throw new RelayConfigError(`relay.sms.provider: must be aliyun, tencent or http, got ${JSON.stringify(s.provider)}`);
}

function record(v: unknown, at: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new RelayConfigError(`${at}: must be a mapping`);
  return v as Record<string, unknown>;
}

function optionalBoolean(v: unknown, at: string): boolean {
  if (v !== undefined && typeof v !== 'boolean') throw new RelayConfigError(`${at}: must be true or false`);
  return v === true;
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
