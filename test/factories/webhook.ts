/**
 * Alertmanager's webhook payloads (version 4) as Alertmanager 0.25 posts them, and the relay events made of them.
 * A firing alert's endsAt is Go's zero time, the fingerprint is Alertmanager's (FNV-1a 64 of the sorted labels), the
 * payload's status is "resolved" only when every alert is, and its common labels and annotations are what all its
 * alerts share: a test states the labels and the status, the rest follows.
 */
import { ingestInput } from '../../src/relay/payload.ts';
import type { EscalationStep, IngestInput, WebhookAlert, WebhookPayload } from '../../src/relay/types.ts';
import { withDefaults, type Overrides } from './merge.ts';

export { alertMaker, noticeMaker, STARTED } from '../helpers/notices.ts';

/** Go's zero time: the endsAt Alertmanager sends for an alert still firing. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';
export const STARTS_AT = '2025-01-01T08:00:00Z';

/** Alertmanager's fingerprint of a label set (prometheus/common model.LabelSet.Fingerprint), 16 hex digits. */
export function fingerprintOf(labels: Record<string, string>): string {
  const prime = 0x100000001b3n;
  const mask = 0xffffffffffffffffn;
  let hash = 0xcbf29ce484222325n;
  const write = (bytes: Uint8Array) => {
    for (const b of bytes) hash = ((hash ^ BigInt(b)) * prime) & mask;
  };
  const encoder = new TextEncoder();
  for (const name of Object.keys(labels).sort()) {
    write(encoder.encode(name));
    write(Uint8Array.of(0xff));
    write(encoder.encode(labels[name]!));
    write(Uint8Array.of(0xff));
  }
  return hash.toString(16).padStart(16, '0');
}

/** One alert of a payload: QueueDeep at critical for service api unless told otherwise; resolved ones end a minute later. */
export function webhookAlert(overrides: Overrides<WebhookAlert> = {}): WebhookAlert {
  const labels = (overrides.labels as Record<string, string> | undefined) ?? { alertname: 'QueueDeep', severity: 'critical', service: 'api', team: 'app' };
  const status = (overrides.status as WebhookAlert['status'] | undefined) ?? 'firing';
  const startsAt = (overrides.startsAt as string | undefined) ?? STARTS_AT;
  return withDefaults<WebhookAlert>(
    {
      status,
      labels,
      annotations: { summary: `${labels.alertname ?? 'Alert'} of ${labels.service ?? 'the service'}`, runbook_url: 'https://runbooks.example.com/queue-deep' },
      startsAt,
      endsAt: status === 'resolved' ? new Date(Date.parse(startsAt) + 60_000).toISOString().replace('.000Z', 'Z') : ZERO_TIME,
      generatorURL: `http://prometheus:9090/graph?g0.expr=${encodeURIComponent(labels.alertname ?? '')}&g0.tab=1`,
      fingerprint: fingerprintOf(labels),
    },
    overrides,
  );
}

function shared(maps: Record<string, string>[]): Record<string, string> {
  if (maps.length === 0) return {};
  return Object.fromEntries(Object.entries(maps[0]!).filter(([k, v]) => maps.every((m) => m[k] === v)));
}

/**
 * A notification of a group: grouped by alertname (the group labels taken from the first alert), on route `{}` to
 * receiver `oncall`, one firing alert unless `alerts` says otherwise.
 */
export function webhookPayload(overrides: Overrides<WebhookPayload> = {}): WebhookPayload {
  const alerts = (overrides.alerts as WebhookAlert[] | undefined) ?? [webhookAlert()];
  const groupBy = ['alertname'];
  const groupLabels = (overrides.groupLabels as Record<string, string> | undefined) ?? Object.fromEntries(groupBy.filter((n) => alerts[0]?.labels[n] !== undefined).map((n) => [n, alerts[0]!.labels[n]!]));
  const groupKey = `{}:{${Object.entries(groupLabels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
  return withDefaults<WebhookPayload>(
    {
      receiver: 'oncall',
      status: alerts.every((a) => a.status === 'resolved') && alerts.length > 0 ? 'resolved' : 'firing',
      alerts,
      groupLabels,
      commonLabels: shared(alerts.map((a) => a.labels)),
      commonAnnotations: shared(alerts.map((a) => a.annotations)),
      externalURL: 'http://alertmanager:9093',
      version: '4',
      groupKey,
      truncatedAlerts: 0,
    },
    overrides,
  );
}

export interface RelayEventOptions {
  receiver?: string;
  channel?: string;
  sendResolved?: boolean;
  escalation?: ReadonlyMap<string, EscalationStep[]>;
  receivedAt?: number;
  dedupeWindowMs?: number;
}

/** What the relay's store ingests for a payload: the relay's own ingestInput, so ids and escalation are the relay's. */
export function relayEvent(payload: WebhookPayload = webhookPayload(), options: RelayEventOptions = {}): IngestInput {
  return ingestInput(
    payload,
    { receiver: options.receiver ?? payload.receiver, channel: options.channel ?? 'dingtalk', sendResolved: options.sendResolved ?? true },
    options.escalation ?? new Map(),
    options.receivedAt ?? Date.parse(STARTS_AT) + 60_000,
    options.dedupeWindowMs ?? 5 * 60_000,
  );
}
