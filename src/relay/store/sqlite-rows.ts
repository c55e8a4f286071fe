import type { AlertEvent, AlertRecord, AlertStatus, DeliveryJob, EscalationTimer, EventType } from '../types.ts';

/** Rows as SQLite returns them (snake_case columns, JSON as text, NULL for what is absent). */
export interface AlertRow {
  id: string;
  fingerprint: string;
  starts_at: number;
  ends_at: number | null;
  status: AlertStatus;
  alertname: string;
  severity: string;
  labels: string;
  annotations: string;
  generator_url: string;
  receiver: string;
  created_at: number;
  updated_at: number;
  confirmed_by: string | null;
  confirmed_at: number | null;
  confirm_comment: string | null;
  closed_by: string | null;
  closed_at: number | null;
  close_reason: string | null;
  silence_id: string | null;
}

export interface JobRow {
  id: number;
  channel: string;
  receiver: string;
  alert_ids: string;
  kind: DeliveryJob['kind'];
  group_key: string;
  due_at: number;
  attempts: number;
  status: DeliveryJob['status'];
  last_error: string | null;
  created_at: number;
}

export interface TimerRow {
  id: number;
  alert_id: string;
  step: number;
  due_at: number;
}

export interface EventRow {
  id: number;
  alert_id: string;
  at: number;
  type: EventType;
  detail: string;
}

export function alertFromRow(row: AlertRow): AlertRecord {
  return {
    id: row.id,
    fingerprint: row.fingerprint,
    startsAt: row.starts_at,
    ...(row.ends_at !== null ? { endsAt: row.ends_at } : {}),
    status: row.status,
    alertname: row.alertname,
    severity: row.severity,
    labels: JSON.parse(row.labels) as Record<string, string>,
    annotations: JSON.parse(row.annotations) as Record<string, string>,
    generatorURL: row.generator_url,
    receiver: row.receiver,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.confirmed_by !== null ? { confirmedBy: row.confirmed_by } : {}),
    ...(row.confirmed_at !== null ? { confirmedAt: row.confirmed_at } : {}),
    ...(row.confirm_comment !== null ? { confirmComment: row.confirm_comment } : {}),
    ...(row.closed_by !== null ? { closedBy: row.closed_by } : {}),
    ...(row.closed_at !== null ? { closedAt: row.closed_at } : {}),
    ...(row.close_reason !== null ? { closeReason: row.close_reason } : {}),
    ...(row.silence_id !== null ? { silenceId: row.silence_id } : {}),
  };
}

export function jobFromRow(row: JobRow): DeliveryJob {
  return {
    id: row.id,
    channel: row.channel,
    receiver: row.receiver,
    alertIds: JSON.parse(row.alert_ids) as string[],
    kind: row.kind,
    groupKey: row.group_key,
    dueAt: row.due_at,
    attempts: row.attempts,
    status: row.status,
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
    createdAt: row.created_at,
  };
}

export function timerFromRow(row: TimerRow): EscalationTimer {
  return { id: row.id, alertId: row.alert_id, step: row.step, dueAt: row.due_at };
}

export function eventFromRow(row: EventRow): AlertEvent {
  return { id: row.id, alertId: row.alert_id, at: row.at, type: row.type, detail: JSON.parse(row.detail) as Record<string, unknown> };
}
