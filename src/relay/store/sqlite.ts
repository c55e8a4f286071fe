import Database from 'better-sqlite3';
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
import { ingestNotification } from './sqlite-ingest.ts';
import { alertFromRow, eventFromRow, jobFromRow, timerFromRow, type AlertRow, type EventRow, type JobRow, type TimerRow } from './sqlite-rows.ts';
import { migrateSqlite } from './sqlite-schema.ts';
import { drain, take } from '../throttle.ts';
import { finishJob } from './sqlite-finish.ts';
import { GroupCommit } from './sqlite-group-commit.ts';
import { addEvent, addJob, addTimer, deletePendingTimers, readAlert, readBucket, reopenAlert, statementCache, writeBucket, type Sql } from './sqlite-sql.ts';
import { truncateUtf8 } from './truncate.ts';

/** How long a writer waits for another connection's transaction (another relay process on the same file). */
const BUSY_TIMEOUT_MS = 5_000;
/** Rejected bodies are kept for diagnosis, not archived: 64 KiB says what arrived. */
const REJECTED_BODY_MAX_BYTES = 64 * 1024;

/** The embedded store: one SQLite file (or `:memory:`), WAL, every method one transaction. */
export function openSqliteStore(path: string): RelayStore {
  const db = new Database(path);
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  // FULL, not WAL's usual NORMAL: a notification answered 2xx must survive a power cut, or Alertmanager won't resend it.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  migrateSqlite(db);
  return new SqliteRelayStore(db);
}

class SqliteRelayStore implements RelayStore {
  private readonly sql: Sql;
  private readonly ingests: GroupCommit;

  constructor(private readonly db: Database.Database) {
    this.sql = statementCache(db);
    this.ingests = new GroupCommit(db);
  }

  /** Runs `work` as one IMMEDIATE transaction: it takes the write lock up front, so it never fails half-way to upgrade. */
  private write<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  private read<T>(work: () => T): T {
    return this.db.transaction(work).deferred();
  }

  async migrate(): Promise<void> {
    migrateSqlite(this.db);
  }

  close(): Promise<void>;
  close(alertId: string, user: string, reason: string, now: number): Promise<CloseOutcome>;
  async close(alertId?: string, user?: string, reason?: string, now?: number): Promise<void | CloseOutcome> {
    // RelayStore names both the store's shutdown and an alert's close `close`: the arguments tell them apart.
    if (alertId === undefined) {
      this.db.close();
      return;
    }
    return this.closeAlert(alertId, user ?? '', reason ?? '', now ?? Date.now());
  }

  async ingest(input: IngestInput): Promise<IngestResult> {
    return this.ingests.run(() => ingestNotification(this.sql, input));
  }

  async recordRejected(at: number, receiver: string, channel: string, reason: string, body: string): Promise<void> {
    this.write(() => {
      this.sql('INSERT INTO rejected (at, receiver, channel, reason, body, body_bytes) VALUES (?, ?, ?, ?, ?, ?)').run(
        at,
        receiver,
        channel,
        reason,
        truncateUtf8(body, REJECTED_BODY_MAX_BYTES),
        Buffer.byteLength(body),
      );
    });
  }

  /**
   * A claim's lease need not survive a power cut: the relay that held it is gone then, and a job whose outcome was not
   * recorded is sent again after a restart whether its claim was kept or not. So a claim is committed without waiting
   * for the disk (the next FULL commit flushes it), which spares the event loop an fsync per claim.
   */
  private writeUnflushed<T>(work: () => T): T {
    this.db.pragma('synchronous = NORMAL');
    try {
      return this.write(work);
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  async claimJobs(now: number, owner: string, leaseMs: number, limit: number): Promise<DeliveryJob[]> {
    return this.writeUnflushed(() => {
      const rows = this.sql(
        `UPDATE jobs SET lease_owner = ?, lease_until = ?
         WHERE id IN (SELECT id FROM jobs WHERE status = 'pending' AND due_at <= ? AND (lease_until IS NULL OR lease_until <= ?) ORDER BY due_at, id LIMIT ?)
         RETURNING *`,
      ).all(owner, now + leaseMs, now, now, limit) as JobRow[];
      return rows.map(jobFromRow).sort((a, b) => a.dueAt - b.dueAt || a.id - b.id);
    });
  }

  async finishJob(id: number, owner: string, outcome: JobOutcome, now: number): Promise<boolean> {
    return (await this.finishJobs([{ id, outcome }], owner, now))[0]!;
  }

  async finishJobs(finishes: readonly JobFinish[], owner: string, now: number): Promise<boolean[]> {
    if (finishes.length === 0) return [];
    return this.write(() => finishes.map((f) => finishJob(this.sql, f.id, owner, f.outcome, now)));
  }

  async takeTokens(target: string, perMinute: number, want: number, now: number): Promise<BucketTake> {
    return this.write(() => {
      const step = take(readBucket(this.sql, target), perMinute, want, now);
      writeBucket(this.sql, target, step.state);
      return { granted: step.granted, nextAt: step.nextAt };
    });
  }

  async drainTokens(target: string, perMinute: number, now: number): Promise<void> {
    this.write(() => writeBucket(this.sql, target, drain(readBucket(this.sql, target), perMinute, now)));
  }

  async deadLetters(limit: number): Promise<DeliveryJob[]> {
    return this.read(() => (this.sql("SELECT * FROM jobs WHERE status = 'dead' ORDER BY finished_at DESC, id DESC LIMIT ?").all(limit) as JobRow[]).map(jobFromRow));
  }

  async claimTimers(now: number, owner: string, leaseMs: number, limit: number): Promise<EscalationTimer[]> {
    return this.writeUnflushed(() => {
      const rows = this.sql(
        `UPDATE timers SET lease_owner = ?, lease_until = ?
         WHERE id IN (SELECT id FROM timers WHERE fired_at IS NULL AND due_at <= ? AND (lease_until IS NULL OR lease_until <= ?) ORDER BY due_at, id LIMIT ?)
         RETURNING id, alert_id, step, due_at`,
      ).all(owner, now + leaseMs, now, now, limit) as TimerRow[];
      return rows.map(timerFromRow).sort((a, b) => a.dueAt - b.dueAt || a.id - b.id);
    });
  }

  async fireTimer(id: number, owner: string, now: number, jobs: NewJob[], next?: { step: number; dueAt: number }): Promise<boolean> {
    return this.write(() => {
      const timer = this.sql('SELECT id, alert_id, step, due_at FROM timers WHERE id = ? AND lease_owner = ? AND fired_at IS NULL').get(id, owner) as TimerRow | undefined;
      if (!timer) return false;
      const status = this.sql('SELECT status FROM alerts WHERE id = ?').pluck().get(timer.alert_id) as string | undefined;
      const expiry = timer.step === CONFIRMATION_EXPIRY_STEP;
      if (status !== (expiry ? 'confirmed' : 'open')) {
        this.sql("UPDATE timers SET fired_at = ?, outcome = 'cancelled' WHERE id = ?").run(now, id);
        return false;
      }
      for (const job of jobs) addJob(this.sql, job, now);
      if (expiry) reopenAlert(this.sql, timer.alert_id, now);
      else addEvent(this.sql, timer.alert_id, now, 'escalated', { step: timer.step, receivers: [...new Set(jobs.map((j) => j.receiver))] });
      this.sql("UPDATE timers SET fired_at = ?, outcome = 'fired' WHERE id = ?").run(now, id);
      if (next) addTimer(this.sql, timer.alert_id, next.step, next.dueAt);
      return true;
    });
  }

  async confirm(alertId: string, user: string, comment: string, now: number, expiresAt?: number): Promise<ConfirmOutcome> {
    return this.write(() => {
      const alert = readAlert(this.sql, alertId);
      if (!alert) return { ok: false, reason: 'not_found' };
      if (alert.status !== 'open') return { ok: false, reason: 'not_open', alert };
      this.sql("UPDATE alerts SET status = 'confirmed', confirmed_by = ?, confirmed_at = ?, confirm_comment = ?, updated_at = ? WHERE id = ?").run(user, now, comment, now, alertId);
      deletePendingTimers(this.sql, alertId);
      if (expiresAt !== undefined) addTimer(this.sql, alertId, CONFIRMATION_EXPIRY_STEP, expiresAt);
      addEvent(this.sql, alertId, now, 'confirmed', { user, comment });
      return { ok: true, alert: readAlert(this.sql, alertId)! };
    });
  }

  private closeAlert(alertId: string, user: string, reason: string, now: number): CloseOutcome {
    return this.write(() => {
      const alert = readAlert(this.sql, alertId);
      if (!alert) return { ok: false, reason: 'not_found' };
      if (alert.status !== 'open' && alert.status !== 'confirmed') return { ok: false, reason: 'already_ended', alert };
      this.sql("UPDATE alerts SET status = 'closed', closed_by = ?, closed_at = ?, close_reason = ?, ends_at = ?, updated_at = ? WHERE id = ?").run(user, now, reason, now, now, alertId);
      deletePendingTimers(this.sql, alertId);
      addEvent(this.sql, alertId, now, 'closed', { user, reason });
      return { ok: true, alert: readAlert(this.sql, alertId)! };
    });
  }

  async setSilence(alertId: string, silenceId: string): Promise<void> {
    this.write(() => {
      this.sql('UPDATE alerts SET silence_id = ? WHERE id = ?').run(silenceId, alertId);
    });
  }

  async getAlert(id: string): Promise<AlertRecord | undefined> {
    return this.read(() => readAlert(this.sql, id));
  }

  async getAlerts(ids: readonly string[]): Promise<AlertRecord[]> {
    return this.read(() => {
      const rows = this.sql('SELECT * FROM alerts WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(ids)) as AlertRow[];
      const byId = new Map(rows.map((r) => [r.id, alertFromRow(r)]));
      return [...new Set(ids)].flatMap((id) => byId.get(id) ?? []);
    });
  }

  async events(alertId: string): Promise<AlertEvent[]> {
    return this.read(() => (this.sql('SELECT * FROM events WHERE alert_id = ? ORDER BY at, id').all(alertId) as EventRow[]).map(eventFromRow));
  }

  async listAlerts(filter: AlertFilter, limit: number, offset: number): Promise<{ total: number; alerts: AlertRecord[] }> {
    const where = whereClause(filter);
    return this.read(() => {
      const total = this.sql(`SELECT count(*) FROM alerts ${where.sql}`).pluck().get(where.params) as number;
      const rows = this.sql(`SELECT * FROM alerts ${where.sql} ORDER BY starts_at DESC, id LIMIT @limit OFFSET @offset`).all({ ...where.params, limit, offset }) as AlertRow[];
      return { total, alerts: rows.map(alertFromRow) };
    });
  }

  async statistics(filter: AlertFilter, groupBy: 'severity' | 'status'): Promise<AlertStatistics> {
    const where = whereClause(filter);
    const column = groupBy === 'severity' ? 'severity' : 'status';
    return this.read(() => {
      const groups = this.sql(`SELECT ${column} AS key, count(*) AS n FROM alerts ${where.sql} GROUP BY ${column}`).all(where.params) as { key: string; n: number }[];
      const means = this.sql(
        `SELECT count(*) AS total,
                avg(confirmed_at - starts_at) / 1000.0 AS confirm,
                avg(CASE WHEN status IN ('resolved', 'closed') THEN ends_at - starts_at END) / 1000.0 AS resolve
         FROM alerts ${where.sql}`,
      ).get(where.params) as { total: number; confirm: number | null; resolve: number | null };
      groups.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      return {
        total: means.total,
        groups: Object.fromEntries(groups.map((g) => [g.key, g.n])),
        meanTimeToConfirmSeconds: means.confirm,
        meanTimeToResolveSeconds: means.resolve,
      };
    });
  }

  async gauges(now: number): Promise<{ pendingJobs: number; dueTimers: number; deadLetters: number }> {
    return this.read(() => ({
      pendingJobs: this.sql("SELECT count(*) FROM jobs WHERE status = 'pending'").pluck().get() as number,
      dueTimers: this.sql('SELECT count(*) FROM timers WHERE fired_at IS NULL AND due_at <= ?').pluck().get(now) as number,
      deadLetters: this.sql("SELECT count(*) FROM jobs WHERE status = 'dead'").pluck().get() as number,
    }));
  }
}

/** The filter as a WHERE clause with named parameters; the text depends only on which fields are set (so it caches). */
function whereClause(filter: AlertFilter): { sql: string; params: Record<string, string | number> } {
  const conditions: string[] = [];
  const params: Record<string, string | number> = {};
  if (filter.status !== undefined) {
    conditions.push('status = @status');
    params.status = filter.status;
  }
  if (filter.severity !== undefined) {
    conditions.push('severity = @severity');
    params.severity = filter.severity;
  }
  if (filter.startTime !== undefined) {
    conditions.push('starts_at >= @startTime');
    params.startTime = filter.startTime;
  }
  if (filter.endTime !== undefined) {
    conditions.push('starts_at < @endTime');
    params.endTime = filter.endTime;
  }
  return { sql: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '', params };
}
