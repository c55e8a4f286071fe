import type { EventType, JobFinish } from '../types.ts';
import { jobFromRow, type JobRow } from './sqlite-rows.ts';
import { addJob, jsonText, type Query } from './postgres-sql.ts';

interface JobChange {
  id: number;
  status: 'pending' | 'done' | 'dead';
  /** 1 for a send, 0 for a hold-back (nothing was sent). */
  spent: number;
  due_at: number | null;
  last_error: string | null;
  finished_at: number | null;
}

interface NewEvent {
  alert_id: string;
  at: number;
  type: EventType;
  detail: Record<string, unknown>;
}

/**
 * Ends several claimed jobs inside the caller's transaction in two statements, however many there are: one UPDATE
 * that only touches jobs this owner still leases (the rows it returns are the ones it ended), one INSERT of all their
 * events. A dead letter's fallback notices are queued alongside. A result per finish, in order: false when the lease
 * was lost.
 */
export async function finishJobs(query: Query, finishes: readonly JobFinish[], owner: string, now: number): Promise<boolean[]> {
  const changes: JobChange[] = finishes.map(({ id, outcome }) => {
    if (outcome.ok) return { id, status: 'done', spent: 1, due_at: null, last_error: null, finished_at: now };
    if (outcome.retryAt !== undefined) return { id, status: 'pending', spent: outcome.held ? 0 : 1, due_at: outcome.retryAt, last_error: outcome.error, finished_at: null };
    return { id, status: 'dead', spent: 1, due_at: null, last_error: outcome.error, finished_at: now };
  });
  const rows = await query<JobRow>(
    `UPDATE jobs AS j SET status = c.status, attempts = j.attempts + c.spent, due_at = COALESCE(c.due_at, j.due_at),
            last_error = COALESCE(c.last_error, j.last_error), finished_at = c.finished_at, lease_owner = NULL, lease_until = NULL
     FROM jsonb_to_recordset($1::jsonb) AS c(id bigint, status text, spent integer, due_at bigint, last_error text, finished_at bigint)
     WHERE j.id = c.id AND j.lease_owner = $2 AND j.status = 'pending'
     RETURNING j.*`,
    [jsonText(changes), owner],
  );
  const ended = new Map(rows.map((r) => [Number(r.id), jobFromRow(r)]));
  const events: NewEvent[] = [];
  for (const [i, { id, outcome }] of finishes.entries()) {
    const job = ended.get(id);
    if (!job) continue;
    const about = { jobId: job.id, channel: job.channel, receiver: job.receiver, kind: job.kind, attempt: job.attempts - changes[i]!.spent + 1 };
    const add = (type: EventType, detail: Record<string, unknown>) => events.push(...job.alertIds.map((alert_id) => ({ alert_id, at: now, type, detail })));
    if (outcome.ok) add('notified', { ...about, ...outcome.detail });
    else if (outcome.retryAt !== undefined) add(outcome.throttled ? 'throttled' : 'notify_failed', { ...about, ...outcome.detail, error: outcome.error, retryAt: outcome.retryAt });
    else {
      add('dead_lettered', { ...about, ...outcome.detail, error: outcome.error });
      for (const fallback of outcome.fallback ?? []) {
        const fallbackJob = await addJob(query, fallback, now);
        const detail = { jobId: job.id, from: job.receiver, fromChannel: job.channel, receiver: fallback.receiver, channel: fallback.channel, fallbackJobId: fallbackJob.id };
        events.push(...fallback.alertIds.map((alert_id) => ({ alert_id, at: now, type: 'fallback' as const, detail })));
      }
    }
  }
  if (events.length > 0) {
    await query(
      `INSERT INTO events (alert_id, at, type, detail)
       SELECT e.alert_id, e.at, e.type, e.detail
       FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (alert_id text, at bigint, type text, detail jsonb)) WITH ORDINALITY AS e(alert_id, at, type, detail, n) ORDER BY e.n`,
      [jsonText(events)],
    );
  }
  return finishes.map((f) => ended.has(f.id));
}
