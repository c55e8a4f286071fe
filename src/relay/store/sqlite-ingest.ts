import type { AlertStatus, IngestInput, IngestResult } from '../types.ts';
import { addEvent, addJob, addTimer, deletePendingTimers, readAlert, readJob, type Sql } from './sqlite-sql.ts';

type IncomingAlert = IngestInput['alerts'][number];

/**
 * One notification, recorded whole (the caller runs it in one transaction): each alert upserted by id, its history
 * extended, and one job for the alerts that need a notice now and were not already noticed within the window.
 */
export function ingestNotification(sql: Sql, input: IngestInput): IngestResult {
  const noticed: { id: string; status: IncomingAlert['status'] }[] = [];
  for (const alert of input.alerts) {
    const status = recordAlert(sql, input, alert);
    if (needsNotice(alert.status, status, input.sendResolved) && !recentlyNoticed(sql, input, alert)) {
      // Written at enqueue time: a second peer's post a moment later is a duplicate even before this job has run.
      sql(
        `INSERT INTO sent (alert_id, receiver, channel, kind, at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (alert_id, receiver, channel, kind) DO UPDATE SET at = excluded.at`,
      ).run(alert.id, input.receiver, input.channel, alert.status, input.receivedAt);
      noticed.push({ id: alert.id, status: alert.status });
    }
  }
  const alerts = input.alerts.map((a) => readAlert(sql, a.id)!);
  if (noticed.length === 0) return { alerts };
  const jobId = addJob(
    sql,
    {
      channel: input.channel,
      receiver: input.receiver,
      alertIds: noticed.map((n) => n.id),
      kind: noticed.some((n) => n.status === 'firing') ? 'firing' : 'resolved',
      groupKey: input.groupKey,
      dueAt: input.receivedAt,
    },
    input.receivedAt,
  );
  return { alerts, job: readJob(sql, jobId) };
}

/** Inserts or updates the alert's record and its history; returns the record's status afterwards. */
function recordAlert(sql: Sql, input: IngestInput, alert: IncomingAlert): AlertStatus {
  const at = input.receivedAt;
  const origin = { receiver: input.receiver, channel: input.channel, groupKey: input.groupKey };
  const existing = sql('SELECT status FROM alerts WHERE id = ?').get(alert.id) as { status: AlertStatus } | undefined;

  if (!existing) {
    const status: AlertStatus = alert.status === 'firing' ? 'open' : 'resolved';
    const endsAt = status === 'resolved' ? (alert.endsAt ?? at) : null;
    sql(
      `INSERT INTO alerts (id, fingerprint, starts_at, ends_at, status, alertname, severity, labels, annotations, generator_url, receiver, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(alert.id, alert.fingerprint, alert.startsAt, endsAt, status, alert.alertname, alert.severity, JSON.stringify(alert.labels), JSON.stringify(alert.annotations), alert.generatorURL, input.receiver, at, at);
    if (status === 'resolved') {
      // Never seen firing (the relay was down, or only resolved notices reach this receiver): kept for the history.
      addEvent(sql, alert.id, at, 'resolved', { ...origin, endsAt });
      return status;
    }
    addEvent(sql, alert.id, at, 'received', origin);
    const first = alert.escalation[0];
    if (first) addTimer(sql, alert.id, 0, Math.max(alert.startsAt + first.afterMs, at));
    return status;
  }

  sql('UPDATE alerts SET alertname = ?, severity = ?, labels = ?, annotations = ?, generator_url = ?, updated_at = ? WHERE id = ?').run(
    alert.alertname,
    alert.severity,
    JSON.stringify(alert.labels),
    JSON.stringify(alert.annotations),
    alert.generatorURL,
    at,
    alert.id,
  );
  const live = existing.status === 'open' || existing.status === 'confirmed';
  if (!live) return existing.status;
  if (alert.status === 'firing') {
    // Re-sends (every repeat_interval, every peer) would drown the history: one 'received' per receiver and channel.
    if (!receivedBefore(sql, alert.id, input.receiver, input.channel)) addEvent(sql, alert.id, at, 'received', origin);
    return existing.status;
  }
  const endsAt = alert.endsAt ?? at;
  sql("UPDATE alerts SET status = 'resolved', ends_at = ? WHERE id = ?").run(endsAt, alert.id);
  addEvent(sql, alert.id, at, 'resolved', { ...origin, endsAt });
  deletePendingTimers(sql, alert.id);
  return 'resolved';
}

function needsNotice(incoming: IncomingAlert['status'], status: AlertStatus, sendResolved: boolean): boolean {
  if (incoming === 'firing') return status === 'open';
  return sendResolved && status === 'resolved';
}

function recentlyNoticed(sql: Sql, input: IngestInput, alert: IncomingAlert): boolean {
  const last = sql('SELECT at FROM sent WHERE alert_id = ? AND receiver = ? AND channel = ? AND kind = ?').pluck().get(alert.id, input.receiver, input.channel, alert.status) as number | undefined;
  return last !== undefined && last > input.receivedAt - input.dedupeWindowMs;
}

function receivedBefore(sql: Sql, alertId: string, receiver: string, channel: string): boolean {
  return (
    sql("SELECT 1 FROM events WHERE alert_id = ? AND type = 'received' AND json_extract(detail, '$.receiver') = ? AND json_extract(detail, '$.channel') = ? LIMIT 1")
      .pluck()
      .get(alertId, receiver, channel) !== undefined
  );
}
