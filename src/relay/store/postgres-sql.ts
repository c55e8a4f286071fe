import type { PoolClient, QueryResultRow } from 'pg';
import type { BucketState } from '../throttle.ts';
import type { AlertRecord, DeliveryJob, EventType, NewJob } from '../types.ts';
import { alertFromRow, jobFromRow, type AlertRow, type JobRow } from './sqlite-rows.ts';

/**
 * A query on the transaction's connection. Rows come back as SQLite's rows do (bigint as numbers, jsonb as its text:
 * see `pgTypes` in postgres.ts), so one set of row mappers serves both stores.
 */
export type Query = <R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]) => Promise<R[]>;

const statementNames = new Map<string, string>();

/** Named statements: prepared once per connection, as the SQLite store caches its prepared statements. */
export function queryOn(client: PoolClient): Query {
  return async <R extends QueryResultRow>(text: string, values: unknown[] = []) => {
    let name = statementNames.get(text);
    if (!name) {
      name = `vigil_${statementNames.size}`;
      statementNames.set(text, name);
    }
    const result = await client.query<R>({ name, text, values: values.map(withoutNul) });
    return result.rows;
  };
}

/**
 * PostgreSQL's text and jsonb cannot hold U+0000, which SQLite keeps: a provider's error text or a label carrying
 * one must not make a notification or its outcome unrecordable, so it is stored as U+FFFD.
 */
function withoutNul(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('\0') ? value.replaceAll('\0', '\uFFFD') : value;
  if (Array.isArray(value)) return value.map(withoutNul);
  return value;
}

/** JSON for a jsonb parameter: always text (node-postgres would turn a JS array into a PostgreSQL array). */
export function jsonText(value: unknown): string {
  // jsonb refuses the \u0000 escape as well.
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' && v.includes('\0') ? v.replaceAll('\0', '\uFFFD') : v));
}

/** The writes and reads the store methods share; each runs inside the caller's transaction. */
export async function readAlert(query: Query, id: string): Promise<AlertRecord | undefined> {
  const [row] = await query<AlertRow>('SELECT * FROM alerts WHERE id = $1', [id]);
  return row && alertFromRow(row);
}

/** The alert's row, locked until the transaction ends (against confirm, close, ingest and escalation alike). */
export async function lockAlert(query: Query, id: string): Promise<AlertRecord | undefined> {
  const [row] = await query<AlertRow>('SELECT * FROM alerts WHERE id = $1 FOR NO KEY UPDATE', [id]);
  return row && alertFromRow(row);
}

export async function readAlerts(query: Query, ids: readonly string[]): Promise<Map<string, AlertRecord>> {
  const rows = await query<AlertRow>('SELECT * FROM alerts WHERE id = ANY($1::text[])', [[...new Set(ids)]]);
  return new Map(rows.map((r) => [r.id, alertFromRow(r)]));
}

export async function addEvent(query: Query, alertId: string, at: number, type: EventType, detail: Record<string, unknown>): Promise<void> {
  await query('INSERT INTO events (alert_id, at, type, detail) VALUES ($1, $2, $3, $4::jsonb)', [alertId, at, type, jsonText(detail)]);
}

export async function addJob(query: Query, job: NewJob, createdAt: number): Promise<DeliveryJob> {
  const [row] = await query<JobRow>(
    'INSERT INTO jobs (channel, receiver, alert_ids, kind, group_key, due_at, created_at) VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7) RETURNING *',
    [job.channel, job.receiver, jsonText(job.alertIds), job.kind, job.groupKey, job.dueAt, createdAt],
  );
  return jobFromRow(row!);
}

export async function addTimer(query: Query, alertId: string, step: number, dueAt: number): Promise<void> {
  await query('INSERT INTO timers (alert_id, step, due_at) VALUES ($1, $2, $3)', [alertId, step, dueAt]);
}

/** A confirmation that expired: the alert is open again; who confirmed it stays in its history, not on the record. */
export async function reopenAlert(query: Query, alertId: string, now: number): Promise<void> {
  await query("UPDATE alerts SET status = 'open', confirmed_by = NULL, confirmed_at = NULL, confirm_comment = NULL, updated_at = $1 WHERE id = $2", [now, alertId]);
  await addEvent(query, alertId, now, 'reopened', { reason: 'confirmation expired' });
}

/** An alert that stopped being open needs no further escalation step (nor, once ended, its confirmation's expiry). */
export async function deletePendingTimers(query: Query, alertId: string): Promise<void> {
  await query('DELETE FROM timers WHERE alert_id = $1 AND fired_at IS NULL', [alertId]);
}

/**
 * The bucket of `target`, locked until the transaction ends (a new one is created full): replicas taking from one
 * robot's bucket queue on its row, so their takes add up.
 */
export async function lockBucket(query: Query, target: string, perMinute: number, now: number): Promise<BucketState> {
  const [row] = await query<{ tokens: number; updated_at: number }>(
    `INSERT INTO buckets (target, tokens, updated_at) VALUES ($1, $2, $3)
     ON CONFLICT (target) DO UPDATE SET target = excluded.target
     RETURNING tokens, updated_at`,
    [target, perMinute, now],
  );
  return { tokens: row!.tokens, at: row!.updated_at };
}

export async function writeBucket(query: Query, target: string, state: BucketState): Promise<void> {
  await query('UPDATE buckets SET tokens = $1, updated_at = $2 WHERE target = $3', [state.tokens, state.at, target]);
}
