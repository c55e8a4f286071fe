import type { Database } from 'better-sqlite3';

/** One step of the SQLite schema. Applied once, in order, and recorded in `schema_migrations`; never edited once shipped. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'alerts, events, jobs, sent notices, escalation timers, rejected payloads',
    sql: `
      CREATE TABLE alerts (
        id TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        starts_at INTEGER NOT NULL,
        ends_at INTEGER,
        status TEXT NOT NULL CHECK (status IN ('open', 'confirmed', 'resolved', 'closed')),
        alertname TEXT NOT NULL,
        severity TEXT NOT NULL,
        labels TEXT NOT NULL,
        annotations TEXT NOT NULL,
        generator_url TEXT NOT NULL,
        receiver TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        confirmed_by TEXT,
        confirmed_at INTEGER,
        confirm_comment TEXT,
        closed_by TEXT,
        closed_at INTEGER,
        close_reason TEXT,
        silence_id TEXT,
        UNIQUE (fingerprint, starts_at)
      );
      CREATE INDEX alerts_by_start ON alerts (starts_at, id);
      CREATE INDEX alerts_by_status ON alerts (status, starts_at);

      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        alert_id TEXT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
        at INTEGER NOT NULL,
        type TEXT NOT NULL,
        detail TEXT NOT NULL
      );
      CREATE INDEX events_by_alert ON events (alert_id, at, id);

      CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        receiver TEXT NOT NULL,
        alert_ids TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('firing', 'resolved', 'escalation')),
        group_key TEXT NOT NULL,
        due_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'dead')),
        last_error TEXT,
        created_at INTEGER NOT NULL,
        finished_at INTEGER,
        lease_owner TEXT,
        lease_until INTEGER
      );
      CREATE INDEX jobs_by_status_due ON jobs (status, due_at);

      CREATE TABLE sent (
        alert_id TEXT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
        receiver TEXT NOT NULL,
        channel TEXT NOT NULL,
        kind TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (alert_id, receiver, channel, kind)
      ) WITHOUT ROWID;

      CREATE TABLE timers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        alert_id TEXT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        due_at INTEGER NOT NULL,
        lease_owner TEXT,
        lease_until INTEGER,
        fired_at INTEGER,
        outcome TEXT CHECK (outcome IN ('fired', 'cancelled'))
      );
      CREATE INDEX timers_by_due ON timers (due_at) WHERE fired_at IS NULL;
      CREATE INDEX timers_by_alert ON timers (alert_id);

      CREATE TABLE rejected (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        receiver TEXT NOT NULL,
        channel TEXT NOT NULL,
        reason TEXT NOT NULL,
        body TEXT NOT NULL,
        body_bytes INTEGER NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'rate buckets per target, shared by the relays on one store',
    sql: `
      CREATE TABLE buckets (
        target TEXT PRIMARY KEY,
        tokens REAL NOT NULL,
        updated_at INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
];

/**
 * Brings the schema up to the newest migration. Idempotent, and safe when several processes open one file at once:
 * the check and the steps run in one IMMEDIATE transaction, so the second process waits and then finds nothing to do.
 */
export function migrateSqlite(db: Database, migrations: readonly Migration[] = MIGRATIONS): void {
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
    const newest = Math.max(0, ...migrations.map((m) => m.version));
    const unknown = [...applied].filter((v) => v > newest);
    if (unknown.length > 0) {
      // An older relay must not write into a schema it does not understand (e.g. after a rollback of the relay).
      throw new Error(`the relay store has schema version ${Math.max(...unknown)}, newer than this relay knows (${newest}): run the newer relay, or point --store at another file`);
    }
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now());
    }
  }).immediate();
}
