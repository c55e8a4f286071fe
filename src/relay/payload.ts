import { alertId } from './alert-id.ts';
import type { EscalationStep, IngestInput, WebhookAlert, WebhookPayload } from './types.ts';

/** What the relay accepts in one request; Alertmanager's groups are far smaller (it truncates with max_alerts). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
export const MAX_ALERTS = 5_000;

export class PayloadError extends Error {}

/**
 * Alertmanager's webhook payload (version 4), checked field by field: a PayloadError names the first that is wrong,
 * so the 400 and the history say what was refused and why.
 */
export function parsePayload(text: string): WebhookPayload {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new PayloadError(`the body is not JSON (${(e as Error).message})`);
  }
  const p = record(doc, 'the payload');
  if (p.version !== '4') throw new PayloadError(`version: expected "4" (Alertmanager's webhook format), got ${JSON.stringify(p.version)}`);
  if (!Array.isArray(p.alerts)) throw new PayloadError('alerts: must be a list');
  if (p.alerts.length > MAX_ALERTS) throw new PayloadError(`alerts: ${p.alerts.length} alerts in one notification (at most ${MAX_ALERTS}; set max_alerts in webhook_configs)`);
  const alerts = p.alerts.map((a, i) => parseAlert(a, `alerts[${i}]`));
  return {
    version: '4',
    groupKey: text_(p.groupKey, 'groupKey'),
    truncatedAlerts: typeof p.truncatedAlerts === 'number' ? p.truncatedAlerts : 0,
    status: status(p.status, 'status'),
    receiver: text_(p.receiver, 'receiver'),
    groupLabels: labels(p.groupLabels ?? {}, 'groupLabels'),
    commonLabels: labels(p.commonLabels ?? {}, 'commonLabels'),
    commonAnnotations: labels(p.commonAnnotations ?? {}, 'commonAnnotations'),
    externalURL: typeof p.externalURL === 'string' ? p.externalURL : '',
    alerts,
  };
}

function parseAlert(v: unknown, at: string): WebhookAlert {
  const a = record(v, at);
  const fingerprint = text_(a.fingerprint, `${at}.fingerprint`);
  return {
    status: status(a.status, `${at}.status`),
    labels: labels(a.labels, `${at}.labels`),
    annotations: labels(a.annotations ?? {}, `${at}.annotations`),
    startsAt: time(a.startsAt, `${at}.startsAt`),
    endsAt: typeof a.endsAt === 'string' ? a.endsAt : '0001-01-01T00:00:00Z',
    generatorURL: typeof a.generatorURL === 'string' ? a.generatorURL : '',
    fingerprint,
  };
}

/**
 * The store's input for one notification: each alert keyed by fingerprint + startsAt, with its severity's escalation.
 * An alert without a severity label gets none (Vigil's rules always set it; foreign ones may not).
 */
export function ingestInput(
  payload: WebhookPayload,
  route: { receiver: string; channel: string; sendResolved: boolean },
  escalation: ReadonlyMap<string, EscalationStep[]>,
  receivedAt: number,
  dedupeWindowMs: number,
): IngestInput {
  return {
    receiver: route.receiver,
    channel: route.channel,
    groupKey: payload.groupKey,
    receivedAt,
    dedupeWindowMs,
    sendResolved: route.sendResolved,
    alerts: payload.alerts.map((a) => {
      const startsAt = Date.parse(a.startsAt);
      const endsAt = a.status === 'resolved' ? Date.parse(a.endsAt) : undefined;
      const severity = a.labels.severity ?? '';
      return {
        id: alertId(a.fingerprint, startsAt),
        fingerprint: a.fingerprint,
        status: a.status,
        startsAt,
        ...(endsAt !== undefined && Number.isFinite(endsAt) ? { endsAt } : {}),
        alertname: a.labels.alertname ?? '',
        severity,
        labels: a.labels,
        annotations: a.annotations,
        generatorURL: a.generatorURL,
        escalation: escalation.get(severity) ?? [],
      };
    }),
  };
}

function record(v: unknown, at: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new PayloadError(`${at}: must be an object`);
  return v as Record<string, unknown>;
}

function text_(v: unknown, at: string): string {
  if (typeof v !== 'string') throw new PayloadError(`${at}: must be a string`);
  return v;
}

function status(v: unknown, at: string): 'firing' | 'resolved' {
  if (v !== 'firing' && v !== 'resolved') throw new PayloadError(`${at}: must be "firing" or "resolved", got ${JSON.stringify(v)}`);
  return v;
}

function labels(v: unknown, at: string): Record<string, string> {
  const r = record(v, at);
  for (const [k, value] of Object.entries(r)) if (typeof value !== 'string') throw new PayloadError(`${at}.${k}: must be a string`);
  return r as Record<string, string>;
}

function time(v: unknown, at: string): string {
  const s = text_(v, at);
  if (!Number.isFinite(Date.parse(s))) throw new PayloadError(`${at}: ${JSON.stringify(s)} is not an RFC 3339 time`);
  return s;
}
