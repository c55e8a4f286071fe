import type { JobOutcome } from '../types.ts';
import { jobFromRow, type JobRow } from './sqlite-rows.ts';
import { addEvent, addJob, type Sql } from './sqlite-sql.ts';

/**
 * Ends one claimed job inside the caller's transaction: done, retried later (a hold-back spends no attempt), or dead,
 * with an event per alert; a dead letter's fallback notices are queued with it. False when the lease was lost.
 */
export function finishJob(sql: Sql, id: number, owner: string, outcome: JobOutcome, now: number): boolean {
  const row = sql("SELECT * FROM jobs WHERE id = ? AND lease_owner = ? AND status = 'pending'").get(id, owner) as JobRow | undefined;
  if (!row) return false;
  const job = jobFromRow(row);
  const about = { jobId: job.id, channel: job.channel, receiver: job.receiver, kind: job.kind, attempt: job.attempts + 1 };
  if (outcome.ok) {
    sql("UPDATE jobs SET status = 'done', attempts = attempts + 1, finished_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?").run(now, id);
    for (const alertId of job.alertIds) addEvent(sql, alertId, now, 'notified', { ...about, ...outcome.detail });
  } else if (outcome.retryAt !== undefined) {
    sql('UPDATE jobs SET due_at = ?, attempts = attempts + ?, last_error = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?').run(outcome.retryAt, outcome.held ? 0 : 1, outcome.error, id);
    const type = outcome.throttled ? 'throttled' : 'notify_failed';
    for (const alertId of job.alertIds) addEvent(sql, alertId, now, type, { ...about, ...outcome.detail, error: outcome.error, retryAt: outcome.retryAt });
  } else {
    sql("UPDATE jobs SET status = 'dead', attempts = attempts + 1, last_error = ?, finished_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?").run(outcome.error, now, id);
    for (const alertId of job.alertIds) addEvent(sql, alertId, now, 'dead_lettered', { ...about, ...outcome.detail, error: outcome.error });
    for (const fallback of outcome.fallback ?? []) {
      const fallbackJob = addJob(sql, fallback, now);
      for (const alertId of fallback.alertIds) addEvent(sql, alertId, now, 'fallback', { jobId: job.id, from: job.receiver, fromChannel: job.channel, receiver: fallback.receiver, channel: fallback.channel, fallbackJobId: fallbackJob });
    }
  }
  return true;
}
