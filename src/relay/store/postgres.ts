import pg from 'pg';
import type {
  AlertEvent,
  AlertFilter,
  AlertRecord,
  AlertStatistics,
  BucketTake,
  CloseOutcome,
  ConfirmOutcome,
  DeliveryJob,
  EscalationTimer,
  IngestInput,
  IngestResult,
  JobFinish,
  JobOutcome,
  NewJob,
  RelayStore,
} from '../types.ts';
import { CONFIRMATION_EXPIRY_STEP } from '../types.ts';
import { ingestNotification } from './postgres-ingest.ts';
import { migratePostgres } from './postgres-schema.ts';
import { drain, take } from '../throttle.ts';
import { finishJobs } from './postgres-finish.ts';
import { addEvent, addJob, addTimer, deletePendingTimers, lockAlert, lockBucket, queryOn, readAlert, readAlerts, reopenAlert, writeBucket, type Query } from './postgres-sql.ts';
import { alertFromRow, eventFromRow, jobFromRow, timerFromRow, type AlertRow, type EventRow, type JobRow, type TimerRow } from './sqlite-rows.ts';
import { truncateUtf8 } from './truncate.ts';

export interface PostgresStoreOptions {
  /** The schema the relay's tables live in (created when missing); default `public`. */
  schema?: string;
  /** Connections per replica; default 10. */
  maxConnections?: number;
}

/** A relay that cannot reach its database must answer Alertmanager 5xx soon, not hang until Alertmanager gives up. */
const CONNECT_TIMEOUT_MS = 5_000;
const STATEMENT_TIMEOUT_MS = 10_000;
/** Rejected bodies are kept for diagnosis, not archived: 64 KiB says what arrived. */
const REJECTED_BODY_MAX_BYTES = 64 * 1024;
/** serialization_failure and deadlock_detected: the transaction lost a race and is worth one more try. */
const RETRYABLE = new Set(['40001', '40P01']);

/** bigint (int8) as a number, as SQLite returns it (ms times and ids stay far below 2^53); jsonb as its text. */
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.INT8) return (value: string) => Number(value);
    if (oid === pg.types.builtins.JSONB || oid === pg.types.builtins.JSON) return (value: string) => value;
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

/**
 * The shared store: several relay replicas on one PostgreSQL. Every method is one transaction; claims skip rows
 * another replica holds locked (FOR UPDATE SKIP LOCKED) and take a lease, so each job and timer goes to one replica.
 * `url` carries the password; it is never logged nor put into an error message.
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<RelayStore> {
  const schema = options.schema ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`the PostgreSQL schema name "${schema}" is not a plain lower-case identifier (letters, digits and _): choose one like "vigil_relay"`);
  }
  const secrets = secretsOf(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    // Also client-side: a server that vanished without closing the socket never answers.
    query_timeout: STATEMENT_TIMEOUT_MS + 2_000,
    options: `-c search_path=${schema}`,
    types: pgTypes,
    application_name: 'vigil-relay',
  });
  // An idle connection the server dropped (a restart, a failover) must not crash the relay: the pool discards it and
  // the next method opens a new one or rejects.
  pool.on('error', () => undefined);
  const store = new PostgresRelayStore(pool, schema, secrets);
  try {
    await store.migrate();
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw e;
  }
  return store;
}

/**
 * Checks the URL's shape and returns the strings an error must never show. A malformed URL is refused without being
 * echoed (it holds the password); node-postgres reads the URL itself, query parameters (sslmode, …) included.
 */
function secretsOf(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('the PostgreSQL URL is not a URL: expected postgres://USER:PASSWORD@HOST:PORT/DATABASE');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error(`the PostgreSQL URL starts with "${parsed.protocol}": expected postgres://USER:PASSWORD@HOST:PORT/DATABASE`);
  }
  const password = parsed.password || parsed.searchParams.get('password') || '';
  return password ? [url, password, safeDecode(password)] : [url];
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

class PostgresRelayStore implements RelayStore {
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    private readonly secrets: readonly string[],
  ) {}

  /** Runs `work` as one transaction on one connection; once more when it lost a serialization or deadlock race. */
  private async transaction<T>(work: (query: Query, client: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transactionOnce(work);
      } catch (e) {
        if (attempt < 2 && RETRYABLE.has((e as { code?: string }).code ?? '')) continue;
        throw this.withoutSecrets(e);
      }
    }
  }

  private async transactionOnce<T>(work: (query: Query, client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(queryOn(client), client);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw e;
    } finally {
      // A connection that cannot even roll back is dropped rather than handed to the next caller.
      client.release(broken);
    }
  }

  /**
   * Runs `work` — one statement, atomic on its own — on a connection without BEGIN and COMMIT: two round trips fewer
   * than `transaction` for a claim or a read.
   */
  private async statement<T>(work: (query: Query) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch((e: unknown) => {
      throw this.withoutSecrets(e);
    });
    try {
      return await work(queryOn(client));
    } catch (e) {
      throw this.withoutSecrets(e);
    } finally {
      client.release();
    }
  }

  /** Errors pass through unchanged but for the password, should any layer ever quote it. */
  private withoutSecrets(error: unknown): unknown {
    if (!(error instanceof Error) || this.secrets.length === 0) return error;
    for (const secret of this.secrets) {
      if (secret && error.message.includes(secret)) error.message = error.message.replaceAll(secret, '***');
      if (secret && error.stack?.includes(secret)) error.stack = error.stack.replaceAll(secret, '***');
    }
    return error;
  }

  async migrate(): Promise<void> {
    await this.transaction((_query, client) => migratePostgres(client, this.schema));
  }

  close(): Promise<void>;
  close(alertId: string, user: string, reason: string, now: number): Promise<CloseOutcome>;
  async close(alertId?: string, user?: string, reason?: string, now?: number): Promise<void | CloseOutcome> {
    // RelayStore names both the store's shutdown and an alert's close `close`: the arguments tell them apart.
    if (alertId === undefined) {
      if (this.closed) return;
      this.closed = true;
      await this.pool.end();
      return;
    }
    return this.closeAlert(alertId, user ?? '', reason ?? '', now ?? Date.now());
  }

  async ingest(input: IngestInput): Promise<IngestResult> {
    return this.transaction((query) => ingestNotification(query, input));
  }

  async recordRejected(at: number, receiver: string, channel: string, reason: string, body: string): Promise<void> {
    await this.transaction((query) =>
      query('INSERT INTO rejected (at, receiver, channel, reason, body, body_bytes) VALUES ($1, $2, $3, $4, $5, $6)', [
        at,
        receiver,
        channel,
        reason,
        truncateUtf8(body, REJECTED_BODY_MAX_BYTES),
        Buffer.byteLength(body),
      ]),
    );
  }

  async claimJobs(now: number, owner: string, leaseMs: number, limit: number): Promise<DeliveryJob[]> {
    return this.statement(async (query) => {
      const rows = await query<JobRow>(
        `UPDATE jobs SET lease_owner = $1, lease_until = $2
         WHERE id IN (SELECT id FROM jobs WHERE status = 'pending' AND due_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)
                      ORDER BY due_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [owner, now + leaseMs, now, limit],
      );
      return rows.map(jobFromRow).sort((a, b) => a.dueAt - b.dueAt || a.id - b.id);
    });
  }

  async finishJob(id: number, owner: string, outcome: JobOutcome, now: number): Promise<boolean> {
    return (await this.finishJobs([{ id, outcome }], owner, now))[0]!;
  }

  async finishJobs(finishes: readonly JobFinish[], owner: string, now: number): Promise<boolean[]> {
    if (finishes.length === 0) return [];
    return this.transaction((query) => finishJobs(query, finishes, owner, now));
  }

  async takeTokens(target: string, perMinute: number, want: number, now: number): Promise<BucketTake> {
    return this.transaction(async (query) => {
      const step = take(await lockBucket(query, target, perMinute, now), perMinute, want, now);
      await writeBucket(query, target, step.state);
      return { granted: step.granted, nextAt: step.nextAt };
    });
  }

  async drainTokens(target: string, perMinute: number, now: number): Promise<void> {
    await this.transaction(async (query) => writeBucket(query, target, drain(await lockBucket(query, target, perMinute, now), perMinute, now)));
  }

  async deadLetters(limit: number): Promise<DeliveryJob[]> {
    return this.transaction(async (query) => (await query<JobRow>("SELECT * FROM jobs WHERE status = 'dead' ORDER BY finished_at DESC, id DESC LIMIT $1", [limit])).map(jobFromRow));
  }

  async claimTimers(now: number, owner: string, leaseMs: number, limit: number): Promise<EscalationTimer[]> {
    return this.statement(async (query) => {
      const rows = await query<TimerRow>(
        `UPDATE timers SET lease_owner = $1, lease_until = $2
         WHERE id IN (SELECT id FROM timers WHERE fired_at IS NULL AND due_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)
                      ORDER BY due_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
         RETURNING id, alert_id, step, due_at`,
        [owner, now + leaseMs, now, limit],
      );
      return rows.map(timerFromRow).sort((a, b) => a.dueAt - b.dueAt || a.id - b.id);
    });
  }

  async fireTimer(id: number, owner: string, now: number, jobs: NewJob[], next?: { step: number; dueAt: number }): Promise<boolean> {
    return this.transaction(async (query) => {
      const [found] = await query<{ alert_id: string }>('SELECT alert_id FROM timers WHERE id = $1', [id]);
      if (!found) return false;
      // The alert before the timer, as confirm, close and ingest lock them: a confirm racing this step either lands
      // first (the step is cancelled) or waits for it (and then finds the step fired); likewise a close or a resolve
      // racing a confirmation's expiry.
      const alert = await lockAlert(query, found.alert_id);
      const [timer] = await query<TimerRow>('SELECT id, alert_id, step, due_at FROM timers WHERE id = $1 AND lease_owner = $2 AND fired_at IS NULL FOR UPDATE', [id, owner]);
      if (!timer) return false;
      const expiry = timer.step === CONFIRMATION_EXPIRY_STEP;
      if (alert?.status !== (expiry ? 'confirmed' : 'open')) {
        await query("UPDATE timers SET fired_at = $1, outcome = 'cancelled' WHERE id = $2", [now, id]);
        return false;
      }
      for (const job of jobs) await addJob(query, job, now);
      if (expiry) await reopenAlert(query, timer.alert_id, now);
      else await addEvent(query, timer.alert_id, now, 'escalated', { step: timer.step, receivers: [...new Set(jobs.map((j) => j.receiver))] });
      await query("UPDATE timers SET fired_at = $1, outcome = 'fired' WHERE id = $2", [now, id]);
      if (next) await addTimer(query, timer.alert_id, next.step, next.dueAt);
      return true;
    });
  }

  async confirm(alertId: string, user: string, comment: string, now: number, expiresAt?: number): Promise<ConfirmOutcome> {
    return this.transaction(async (query) => {
      const alert = await lockAlert(query, alertId);
      if (!alert) return { ok: false, reason: 'not_found' };
      if (alert.status !== 'open') return { ok: false, reason: 'not_open', alert };
      await query("UPDATE alerts SET status = 'confirmed', confirmed_by = $1, confirmed_at = $2, confirm_comment = $3, updated_at = $2 WHERE id = $4", [user, now, comment, alertId]);
      await deletePendingTimers(query, alertId);
      if (expiresAt !== undefined) await addTimer(query, alertId, CONFIRMATION_EXPIRY_STEP, expiresAt);
      await addEvent(query, alertId, now, 'confirmed', { user, comment });
      return { ok: true, alert: (await readAlert(query, alertId))! };
    });
  }

  private async closeAlert(alertId: string, user: string, reason: string, now: number): Promise<CloseOutcome> {
    return this.transaction(async (query) => {
      const alert = await lockAlert(query, alertId);
      if (!alert) return { ok: false, reason: 'not_found' };
      if (alert.status !== 'open' && alert.status !== 'confirmed') return { ok: false, reason: 'already_ended', alert };
      await query("UPDATE alerts SET status = 'closed', closed_by = $1, closed_at = $2, close_reason = $3, ends_at = $2, updated_at = $2 WHERE id = $4", [user, now, reason, alertId]);
      await deletePendingTimers(query, alertId);
      await addEvent(query, alertId, now, 'closed', { user, reason });
      return { ok: true, alert: (await readAlert(query, alertId))! };
    });
  }

  async setSilence(alertId: string, silenceId: string): Promise<void> {
    await this.transaction((query) => query('UPDATE alerts SET silence_id = $1 WHERE id = $2', [silenceId, alertId]));
  }

  async getAlert(id: string): Promise<AlertRecord | undefined> {
    return this.statement((query) => readAlert(query, id));
  }

  async getAlerts(ids: readonly string[]): Promise<AlertRecord[]> {
    return this.statement(async (query) => {
      const byId = await readAlerts(query, ids);
      return [...new Set(ids)].flatMap((id) => byId.get(id) ?? []);
    });
  }

  async events(alertId: string): Promise<AlertEvent[]> {
    return this.statement(async (query) => (await query<EventRow>('SELECT * FROM events WHERE alert_id = $1 ORDER BY at, id', [alertId])).map(eventFromRow));
  }

  async listAlerts(filter: AlertFilter, limit: number, offset: number): Promise<{ total: number; alerts: AlertRecord[] }> {
    const where = whereClause(filter);
    const paging = where.params.length;
    return this.transaction(async (query) => {
      const [count] = await query<{ n: number }>(`SELECT count(*) AS n FROM alerts ${where.sql}`, where.params);
      const rows = await query<AlertRow>(`SELECT * FROM alerts ${where.sql} ORDER BY starts_at DESC, id LIMIT $${paging + 1} OFFSET $${paging + 2}`, [...where.params, limit, offset]);
      return { total: count!.n, alerts: rows.map(alertFromRow) };
    });
  }

  async statistics(filter: AlertFilter, groupBy: 'severity' | 'status'): Promise<AlertStatistics> {
    const where = whereClause(filter);
    const column = groupBy === 'severity' ? 'severity' : 'status';
    return this.transaction(async (query) => {
      const groups = await query<{ key: string; n: number }>(`SELECT ${column} AS key, count(*) AS n FROM alerts ${where.sql} GROUP BY ${column}`, where.params);
      const [means] = await query<{ total: number; confirm: number | null; resolve: number | null }>(
        `SELECT count(*) AS total,
                (avg(confirmed_at - starts_at) / 1000.0)::float8 AS confirm,
                (avg(CASE WHEN status IN ('resolved', 'closed') THEN ends_at - starts_at END) / 1000.0)::float8 AS resolve
         FROM alerts ${where.sql}`,
        where.params,
      );
      // JavaScript's order, as the SQLite store sorts: not the database's collation.
      groups.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      return {
        total: means!.total,
        groups: Object.fromEntries(groups.map((g) => [g.key, g.n])),
        meanTimeToConfirmSeconds: means!.confirm,
        meanTimeToResolveSeconds: means!.resolve,
      };
    });
  }

  async gauges(now: number): Promise<{ pendingJobs: number; dueTimers: number; deadLetters: number }> {
    return this.transaction(async (query) => {
      const [row] = await query<{ pending_jobs: number; due_timers: number; dead_letters: number }>(
        `SELECT (SELECT count(*) FROM jobs WHERE status = 'pending') AS pending_jobs,
                (SELECT count(*) FROM timers WHERE fired_at IS NULL AND due_at <= $1) AS due_timers,
                (SELECT count(*) FROM jobs WHERE status = 'dead') AS dead_letters`,
        [now],
      );
      return { pendingJobs: row!.pending_jobs, dueTimers: row!.due_timers, deadLetters: row!.dead_letters };
    });
  }
}

/** The filter as a WHERE clause with numbered parameters; the text depends only on which fields are set. */
function whereClause(filter: AlertFilter): { sql: string; params: (string | number)[] } {
  const conditions: string[] = [];
  const params: (string | number)[] = [];
  const add = (condition: string, value: string | number) => {
    params.push(value);
    conditions.push(condition.replace('?', `$${params.length}`));
  };
  if (filter.status !== undefined) add('status = ?', filter.status);
  if (filter.severity !== undefined) add('severity = ?', filter.severity);
  if (filter.startTime !== undefined) add('starts_at >= ?', filter.startTime);
  if (filter.endTime !== undefined) add('starts_at < ?', filter.endTime);
  return { sql: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '', params };
}
