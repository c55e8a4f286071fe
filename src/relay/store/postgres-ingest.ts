import type { AlertStatus, EventType, IngestInput, IngestResult, NewJob } from '../types.ts';
import { addEvent, deletePendingTimers, jsonText, readAlerts, type Query } from './postgres-sql.ts';
import { alertFromRow, type AlertRow } from './sqlite-rows.ts';

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
    // A record createOrLock inserted came with its history; only a known one is updated here.
    const status = created.delete(alert.id) ? statusOfNew(alert) : await recordKnownAlert(query, input, alert);
    if (needsNotice(alert.status, status, input.sendResolved) && (await markNoticed(query, input, alert))) noticed.push({ id: alert.id, status: alert.status });
  }
  const ids = input.alerts.map((a) => a.id);
  if (noticed.length === 0) {
    const records = await readAlerts(query, ids);
    return { alerts: input.alerts.map((a) => records.get(a.id)!) };
  }
  const job: NewJob = {
    channel: input.channel,
    receiver: input.receiver,
    alertIds: noticed.map((n) => n.id),
    kind: noticed.some((n) => n.status === 'firing') ? 'firing' : 'resolved',
    groupKey: input.groupKey,
    dueAt: input.receivedAt,
  };
  // The job and the records after this notification in one statement: the insert's id comes back beside each record.
  const rows = await query<AlertRow & { job_id: number }>(
    `WITH job AS (
       INSERT INTO jobs (channel, receiver, alert_ids, kind, group_key, due_at, created_at) VALUES ($1, $2, $3::jsonb, $4, $5, $6, $6) RETURNING id
     )
     SELECT alerts.*, job.id AS job_id FROM alerts CROSS JOIN job WHERE alerts.id = ANY($7::text[])`,
    [job.channel, job.receiver, jsonText(job.alertIds), job.kind, job.groupKey, job.dueAt, [...new Set(ids)]],
  );
  const records = new Map(rows.map((r) => [r.id, alertFromRow(r)]));
  return {
    alerts: input.alerts.map((a) => records.get(a.id)!),
    job: { ...job, id: rows[0]!.job_id, attempts: 0, status: 'pending', createdAt: input.receivedAt },
  };
}

/**
 * Inserts the records that do not exist yet, each with its history (a 'received' or 'resolved' event, the first
 * escalation step's timer) in the same statement, and locks the ones that do; returns the ids this transaction created.
 * A concurrent ingest's uncommitted insert of the same id makes ours wait, then yield to it (ON CONFLICT DO NOTHING):
 * the lock taken next sees its committed row, so exactly one of them treats the alert as new. No conflict target:
 * the id and (fingerprint, startsAt) name the same alert, and the race may trip either unique index first.
 */
async function createOrLock(query: Query, input: IngestInput): Promise<Set<string>> {
  const created = new Set<string>();
  const firstOfEach = new Map(input.alerts.map((a) => [a.id, a] as const).reverse());
  for (const id of [...firstOfEach.keys()].sort()) {
    const alert = firstOfEach.get(id)!;
    const status = statusOfNew(alert);
    const endsAt = status === 'resolved' ? (alert.endsAt ?? input.receivedAt) : null;
    const history = historyOfNew(input, alert);
    const inserted = await query(
      `WITH created AS (
         INSERT INTO alerts (id, fingerprint, starts_at, ends_at, status, alertname, severity, labels, annotations, generator_url, receiver, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10, $11, $12, $12)
         ON CONFLICT DO NOTHING RETURNING id
       ), event AS (
         INSERT INTO events (alert_id, at, type, detail) SELECT id, $12, $13, $14::jsonb FROM created
       ), timer AS (
         INSERT INTO timers (alert_id, step, due_at) SELECT id, 0, $15::bigint FROM created WHERE $15::bigint IS NOT NULL
       )
       SELECT id FROM created`,
      [id, alert.fingerprint, alert.startsAt, endsAt, status, alert.alertname, alert.severity, jsonText(alert.labels), jsonText(alert.annotations), alert.generatorURL, input.receiver, input.receivedAt, history.type, jsonText(history.detail), history.firstStepAt],
    );
    if (inserted.length > 0) created.add(id);
    else await query('SELECT 1 FROM alerts WHERE id = $1 FOR NO KEY UPDATE', [id]);
  }
  return created;
}

function statusOfNew(alert: IncomingAlert): AlertStatus {
  return alert.status === 'firing' ? 'open' : 'resolved';
}

/**
 * What a new record's history starts with. Resolved and never seen firing (the relay was down, or only resolved
 * notices reach this receiver): kept for the history. Firing: received, and the first escalation step's timer.
 */
function historyOfNew(input: IngestInput, alert: IncomingAlert): { type: EventType; detail: Record<string, unknown>; firstStepAt: number | null } {
  const at = input.receivedAt;
  const origin = { receiver: input.receiver, channel: input.channel, groupKey: input.groupKey };
  if (alert.status === 'resolved') return { type: 'resolved', detail: { ...origin, endsAt: alert.endsAt ?? at }, firstStepAt: null };
  const first = alert.escalation[0];
  return { type: 'received', detail: origin, firstStepAt: first ? Math.max(alert.startsAt + first.afterMs, at) : null };
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

/**
 * Records that a notice goes out for the alert now, unless one went out within the dedupe window (a second peer's
 * post, a re-sent group): written at enqueue time, so a post a moment later is a duplicate even before the job has
 * run. One statement: the upsert only touches a row older than the window, and returns a row when it wrote one.
 */
async function markNoticed(query: Query, input: IngestInput, alert: IncomingAlert): Promise<boolean> {
  const rows = await query(
    `INSERT INTO sent (alert_id, receiver, channel, kind, at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (alert_id, receiver, channel, kind) DO UPDATE SET at = excluded.at WHERE sent.at <= $6
     RETURNING 1`,
    [alert.id, input.receiver, input.channel, alert.status, input.receivedAt, input.receivedAt - input.dedupeWindowMs],
  );
  return rows.length > 0;
}

async function receivedBefore(query: Query, alertId: string, receiver: string, channel: string): Promise<boolean> {
  const rows = await query("SELECT 1 FROM events WHERE alert_id = $1 AND type = 'received' AND detail->>'receiver' = $2 AND detail->>'channel' = $3 LIMIT 1", [alertId, receiver, channel]);
  return rows.length > 0;
}
