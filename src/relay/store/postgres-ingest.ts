import type { AlertStatus, IngestInput, IngestResult } from '../types.ts';
import { addEvent, addJob, addTimer, deletePendingTimers, jsonText, readAlerts, type Query } from './postgres-sql.ts';

type IncomingAlert = IngestInput['alerts'][number];

/**
 * One notification, recorded whole (the caller runs it in one transaction) with the SQLite store's semantics (see
 * sqlite-ingest.ts). Replicas may ingest the same group at the same moment: every alert's row is created or locked
 * first, in id order (so two ingests never wait on each other crosswise), and everything that decides a duplicate —
 * the record, its 'received' events, the sent notices — is read and written only under that lock.
 */
export async function ingestNotification(query: Query, input: IngestInput): Promise<IngestResult> {
  const created = await createOrLock(query, input);
  const noticed: { id: string; status: IncomingAlert['status'] }[] = [];
  for (const alert of input.alerts) {
    const isNew = created.delete(alert.id);
    const status = isNew ? await recordNewAlert(query, input, alert) : await recordKnownAlert(query, input, alert);
    if (needsNotice(alert.status, status, input.sendResolved) && !(await recentlyNoticed(query, input, alert))) {
      // Written at enqueue time: a second peer's post a moment later is a duplicate even before this job has run.
      await query(
        `INSERT INTO sent (alert_id, receiver, channel, kind, at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (alert_id, receiver, channel, kind) DO UPDATE SET at = excluded.at`,
        [alert.id, input.receiver, input.channel, alert.status, input.receivedAt],
      );
      noticed.push({ id: alert.id, status: alert.status });
    }
  }
  const records = await readAlerts(query, input.alerts.map((a) => a.id));
  const alerts = input.alerts.map((a) => records.get(a.id)!);
  if (noticed.length === 0) return { alerts };
  const job = await addJob(
    query,
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
  return { alerts, job };
}

/**
 * Inserts the records that do not exist yet and locks the ones that do; returns the ids this transaction created.
 * A concurrent ingest's uncommitted insert of the same id makes ours wait, then yield to it (ON CONFLICT DO NOTHING):
 * the lock taken next sees its committed row, so exactly one of them treats the alert as new. No conflict target:
 * the id and (fingerprint, startsAt) name the same alert, and the race may trip either unique index first.
 */
async function createOrLock(query: Query, input: IngestInput): Promise<Set<string>> {
  const created = new Set<string>();
  const firstOfEach = new Map(input.alerts.map((a) => [a.id, a] as const).reverse());
  for (const id of [...firstOfEach.keys()].sort()) {
    const alert = firstOfEach.get(id)!;
    const status: AlertStatus = alert.status === 'firing' ? 'open' : 'resolved';
    const endsAt = status === 'resolved' ? (alert.endsAt ?? input.receivedAt) : null;
    const inserted = await query(
      `INSERT INTO alerts (id, fingerprint, starts_at, ends_at, status, alertname, severity, labels, annotations, generator_url, receiver, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10, $11, $12, $12)
       ON CONFLICT DO NOTHING RETURNING id`,
      [id, alert.fingerprint, alert.startsAt, endsAt, status, alert.alertname, alert.severity, jsonText(alert.labels), jsonText(alert.annotations), alert.generatorURL, input.receiver, input.receivedAt],
    );
    if (inserted.length > 0) created.add(id);
    else await query('SELECT 1 FROM alerts WHERE id = $1 FOR NO KEY UPDATE', [id]);
  }
  return created;
}

/** The history of a record createOrLock just inserted; returns its status. */
async function recordNewAlert(query: Query, input: IngestInput, alert: IncomingAlert): Promise<AlertStatus> {
  const at = input.receivedAt;
  const origin = { receiver: input.receiver, channel: input.channel, groupKey: input.groupKey };
  if (alert.status === 'resolved') {
    // Never seen firing (the relay was down, or only resolved notices reach this receiver): kept for the history.
    await addEvent(query, alert.id, at, 'resolved', { ...origin, endsAt: alert.endsAt ?? at });
    return 'resolved';
  }
  await addEvent(query, alert.id, at, 'received', origin);
  const first = alert.escalation[0];
  if (first) await addTimer(query, alert.id, 0, Math.max(alert.startsAt + first.afterMs, at));
  return 'open';
}

/** Updates a locked existing record and its history; returns the record's status afterwards. */
async function recordKnownAlert(query: Query, input: IngestInput, alert: IncomingAlert): Promise<AlertStatus> {
  const at = input.receivedAt;
  const origin = { receiver: input.receiver, channel: input.channel, groupKey: input.groupKey };
  const [existing] = await query<{ status: AlertStatus }>(
    `UPDATE alerts SET alertname = $1, severity = $2, labels = $3::jsonb, annotations = $4::jsonb, generator_url = $5, updated_at = $6 WHERE id = $7
     RETURNING status`,
    [alert.alertname, alert.severity, jsonText(alert.labels), jsonText(alert.annotations), alert.generatorURL, at, alert.id],
  );
  const status = existing!.status;
  const live = status === 'open' || status === 'confirmed';
  if (!live) return status;
  if (alert.status === 'firing') {
    // Re-sends (every repeat_interval, every peer) would drown the history: one 'received' per receiver and channel.
    if (!(await receivedBefore(query, alert.id, input.receiver, input.channel))) await addEvent(query, alert.id, at, 'received', origin);
    return status;
  }
  const endsAt = alert.endsAt ?? at;
  await query("UPDATE alerts SET status = 'resolved', ends_at = $1 WHERE id = $2", [endsAt, alert.id]);
  await addEvent(query, alert.id, at, 'resolved', { ...origin, endsAt });
  await deletePendingTimers(query, alert.id);
  return 'resolved';
}

function needsNotice(incoming: IncomingAlert['status'], status: AlertStatus, sendResolved: boolean): boolean {
  if (incoming === 'firing') return status === 'open';
  return sendResolved && status === 'resolved';
}

async function recentlyNoticed(query: Query, input: IngestInput, alert: IncomingAlert): Promise<boolean> {
  const [last] = await query<{ at: number }>('SELECT at FROM sent WHERE alert_id = $1 AND receiver = $2 AND channel = $3 AND kind = $4', [alert.id, input.receiver, input.channel, alert.status]);
  return last !== undefined && last.at > input.receivedAt - input.dedupeWindowMs;
}

async function receivedBefore(query: Query, alertId: string, receiver: string, channel: string): Promise<boolean> {
  const rows = await query("SELECT 1 FROM events WHERE alert_id = $1 AND type = 'received' AND detail->>'receiver' = $2 AND detail->>'channel' = $3 LIMIT 1", [alertId, receiver, channel]);
  return rows.length > 0;
}
