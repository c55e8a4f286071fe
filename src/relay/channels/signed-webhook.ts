/**
 * The generic signed webhook: the relay's own JSON body (version "1", documented in docs/en/relay.md), posted to any
 * HTTP endpoint with a signature header in the Stripe / Standard Webhooks style, `t=<unix seconds>,v1=<hex
 * HMAC-SHA256(secret, "<t>.<body>")>`. The timestamp is inside what is signed, so a receiver that refuses old
 * timestamps refuses replays too. The answer is plain HTTP: 2xx sent, 429/408/5xx/network retried, other 4xx final.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AlertRecord } from '../types.ts';
import { classifyHttpStatus, parseJson, postForAnswer } from './answers.ts';
import type { Fetch, Notice, SendResult } from './types.ts';

export const BODY_VERSION = '1';
/** How far a receiver should let a signature's timestamp be from its own clock (what docs/en/relay.md advises). */
export const REPLAY_WINDOW_SECONDS = 300;
const ANSWER_CHARS = 2_000;

export interface SignedWebhookTarget {
  url: string;
  secret: string;
  /** The header the signature goes in (X-Vigil-Signature unless the definition names another). */
  header: string;
}

export interface SignedWebhookAlert {
  id: string;
  alertname: string;
  severity: string;
  /** The relay's lifecycle: open, confirmed, resolved or closed. */
  status: AlertRecord['status'];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** ISO 8601 */
  startsAt: string;
  /** ISO 8601; null while the alert has not ended. */
  endsAt: string | null;
  generatorURL: string;
  /** Where a person confirms or closes the alert; absent when the relay has no public URL, and on resolved notices. */
  links?: { confirm: string; close: string };
}

export interface SignedWebhookBody {
  version: typeof BODY_VERSION;
  kind: Notice['kind'];
  receiver: string;
  alerts: SignedWebhookAlert[];
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering and signing

export function renderSignedWebhook(notice: Notice): string {
  const body: SignedWebhookBody = { version: BODY_VERSION, kind: notice.kind, receiver: notice.receiver, alerts: notice.alerts.map((a) => alertOf(a, notice)) };
  return JSON.stringify(body);
}

function alertOf(alert: AlertRecord, notice: Notice): SignedWebhookAlert {
  const links = notice.links?.(alert);
  return {
    id: alert.id,
    alertname: alert.alertname,
    severity: alert.severity,
    status: alert.status,
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt: new Date(alert.startsAt).toISOString(),
    endsAt: alert.endsAt === undefined ? null : new Date(alert.endsAt).toISOString(),
    generatorURL: alert.generatorURL,
    ...(links ? { links: { confirm: links.confirm, close: links.close } } : {}),
  };
}

/** The header value for `body` signed at `nowMs`. */
export function signatureHeader(secret: string, body: string, nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${hmacHex(secret, t, body)}`;
}

function hmacHex(secret: string, t: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${t}.`, 'utf8').update(body).digest('hex');
}

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: 'missing' | 'malformed' | 'signature' | 'timestamp' };

/**
 * What a receiver does with the header (exported for Node receivers and for tests): the raw body as it arrived, the
 * header's value, and the receiver's clock. Several `v1=` (a secret being rotated) pass when one matches.
 */
export function verifySignature(secret: string, body: string | Buffer, header: string | undefined, nowMs: number, toleranceSeconds = REPLAY_WINDOW_SECONDS): SignatureCheck {
  if (header === undefined || header === '') return { ok: false, reason: 'missing' };
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = parts.find(([k]) => k === 't')?.[1];
  const signatures = parts.filter(([k, v]) => k === 'v1' && v !== undefined).map(([, v]) => v!);
  if (t === undefined || !/^\d{1,12}$/.test(t) || signatures.length === 0) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(hmacHex(secret, Number(t), body), 'hex');
  const matches = signatures.some((s) => /^[0-9a-f]{64}$/i.test(s) && timingSafeEqual(Buffer.from(s, 'hex'), expected));
  if (!matches) return { ok: false, reason: 'signature' };
  if (Math.abs(nowMs / 1000 - Number(t)) > toleranceSeconds) return { ok: false, reason: 'timestamp' };
  return { ok: true, timestamp: Number(t) };
}

// ---------------------------------------------------------------------------------------------------------------
// Sending

export async function sendSignedWebhook(body: string, target: SignedWebhookTarget, fetch: Fetch, nowMs: number, timeoutMs = 10_000): Promise<SendResult> {
  const started = performance.now();
  const latency = () => performance.now() - started;
  const headers = { 'Content-Type': 'application/json', 'User-Agent': 'vigil-relay', [target.header]: signatureHeader(target.secret, body, nowMs) };
  const answered = await postForAnswer(fetch, target.url, headers, body, timeoutMs);
  if ('failure' in answered) return { ok: false, retryable: true, error: answered.failure, latencyMs: latency() };
  const { status, text } = answered;
  const answer = text === '' ? undefined : (parseJson(text) ?? text.slice(0, ANSWER_CHARS));
  return { ...classifyHttpStatus(status, answer), latencyMs: latency() };
}
