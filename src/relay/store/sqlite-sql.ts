import type { Database, Statement } from 'better-sqlite3';
import type { BucketState } from '../throttle.ts';
import type { AlertRecord, DeliveryJob, EventType, NewJob } from '../types.ts';
import { alertFromRow, jobFromRow, type AlertRow, type JobRow } from './sqlite-rows.ts';

/** A prepared statement by its text, prepared once per connection (preparing is most of the cost of a small query). */
export type Sql = (text: string) => Statement;

export function statementCache(db: Database): Sql {
  const cache = new Map<string, Statement>();
  return (text) => {
    let statement = cache.get(text);
    if (!statement) {
      statement = db.prepare(text);
      cache.set(text, statement);
    }
    // pluck() is a mode of the statement, not of one call: a caller that plucked the same text once must not turn
    // every later caller's row into a bare value. Each use starts in row mode.
    return statement.reader ? statement.pluck(false) : statement;
  };
}

/** The writes and reads that ingest and the other store methods share; each runs inside the caller's transaction. */
export function readAlert(sql: Sql, id: string): AlertRecord | undefined {
  const row = sql('SELECT * FROM alerts WHERE id = ?').get(id) as AlertRow | undefined;
  return row && alertFromRow(row);
}

export function readJob(sql: Sql, id: number): DeliveryJob {
  return jobFromRow(sql('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow);
}

export function addEvent(sql: Sql, alertId: string, at: number, type: EventType, detail: Record<string, unknown>): void {
  sql('INSERT INTO events (alert_id, at, type, detail) VALUES (?, ?, ?, ?)').run(alertId, at, type, JSON.stringify(detail));
}

export function addJob(sql: Sql, job: NewJob, createdAt: number): number {
  const result = sql('INSERT INTO jobs (channel, receiver, alert_ids, kind, group_key, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
    job.channel,
    job.receiver,
    JSON.stringify(job.alertIds),
    job.kind,
    job.groupKey,
    job.dueAt,
    createdAt,
  );
  return Number(result.lastInsertRowid);
}

export function addTimer(sql: Sql, alertId: string, step: number, dueAt: number): void {
  sql('INSERT INTO timers (alert_id, step, due_at) VALUES (?, ?, ?)').run(alertId, step, dueAt);
}

/** A confirmation that expired: the alert is open again; who confirmed it stays in its history, not on the record. */
export function reopenAlert(sql: Sql, alertId: string, now: number): void {
  sql("UPDATE alerts SET status = 'open', confirmed_by = NULL, confirmed_at = NULL, confirm_comment = NULL, updated_at = ? WHERE id = ?").run(now, alertId);
  addEvent(sql, alertId, now, 'reopened', { reason: 'confirmation expired' });
}

/** An alert that stopped being open needs no further escalation step (nor, once ended, its confirmation's expiry). */
export function deletePendingTimers(sql: Sql, alertId: string): void {
  sql('DELETE FROM timers WHERE alert_id = ? AND fired_at IS NULL').run(alertId);
}

export function readBucket(sql: Sql, target: string): BucketState | undefined {
  const row = sql('SELECT tokens, updated_at FROM buckets WHERE target = ?').get(target) as { tokens: number; updated_at: number } | undefined;
  return row && { tokens: row.tokens, at: row.updated_at };
}

export function writeBucket(sql: Sql, target: string, state: BucketState): void {
  sql('INSERT INTO buckets (target, tokens, updated_at) VALUES (?, ?, ?) ON CONFLICT (target) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at').run(target, state.tokens, state.at);
}
