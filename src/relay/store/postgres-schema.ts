import type { PoolClient } from 'pg';

/** One step of the PostgreSQL schema. Applied once, in order, and recorded in `schema_migrations`; never edited once shipped. */
export interface PostgresMigration {
  version: number;
  name: string;
  sql: string;
}

/** The SQLite schema's tables and columns, in PostgreSQL's types: times as bigint ms, JSON as jsonb. */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'alerts, events, jobs, sent notices, escalation timers, rejected payloads',
    sql: `
      CREATE TABLE alerts (
        id text PRIMARY KEY,
        fingerprint text NOT NULL,
        starts_at bigint NOT NULL,
        ends_at bigint,
        status text NOT NULL CHECK (status IN ('open', 'confirmed', 'resolved', 'closed')),
        alertname text NOT NULL,
        severity text NOT NULL,
        labels jsonb NOT NULL,
        annotations jsonb NOT NULL,
        generator_url text NOT NULL,
        receiver text NOT NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        confirmed_by text,
        confirmed_at bigint,
        confirm_comment text,
        closed_by text,
        closed_at bigint,
        close_reason text,
        silence_id text,
        UNIQUE (fingerprint, starts_at)
      );
      CREATE INDEX alerts_by_start ON alerts (starts_at, id);
      CREATE INDEX alerts_by_status ON alerts (status, starts_at);

      CREATE TABLE events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        alert_id text NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
        at bigint NOT NULL,
        type text NOT NULL,
        detail jsonb NOT NULL
      );
      CREATE INDEX events_by_alert ON events (alert_id, at, id);

      CREATE TABLE jobs (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        channel text NOT NULL,
        receiver text NOT NULL,
        alert_ids jsonb NOT NULL,
        kind text NOT NULL CHECK (kind IN ('firing', 'resolved', 'escalation')),
        group_key text NOT NULL,
        due_at bigint NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'dead')),
        last_error text,
        created_at bigint NOT NULL,
        finished_at bigint,
        lease_owner text,
        lease_until bigint
      );
      CREATE INDEX jobs_by_status_due ON jobs (status, due_at);

      CREATE TABLE sent (
        alert_id text NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
        receiver text NOT NULL,
        channel text NOT NULL,
        kind text NOT NULL,
        at bigint NOT NULL,
        PRIMARY KEY (alert_id, receiver, channel, kind)
      );

      CREATE TABLE timers (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        alert_id text NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
        step integer NOT NULL,
        due_at bigint NOT NULL,
        lease_owner text,
        lease_until bigint,
        fired_at bigint,
        outcome text CHECK (outcome IN ('fired', 'cancelled'))
      );
      CREATE INDEX timers_by_due ON timers (due_at) WHERE fired_at IS NULL;
      CREATE INDEX timers_by_alert ON timers (alert_id);

      CREATE TABLE rejected (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at bigint NOT NULL,
        receiver text NOT NULL,
        channel text NOT NULL,
        reason text NOT NULL,
        body text NOT NULL,
        body_bytes integer NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'rate buckets per target, shared by the relay replicas',
    sql: `
      CREATE TABLE buckets (
        target text PRIMARY KEY,
        tokens double precision NOT NULL,
        updated_at bigint NOT NULL
      );
    `,
  },
];

/**
 * Brings `schema` up to the newest migration, inside the caller's transaction. Replicas starting at once queue on a
 * transaction-scoped advisory lock named after the schema, so the first migrates and the others find nothing to do.
 * The client's search_path must already name `schema`.
 */
export async function migratePostgres(client: PoolClient, schema: string, migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vigil relay schema ${schema}`]);
  const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  // Only when missing: CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege on the database.
  if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
  await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)');
  const applied = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
  const newest = Math.max(0, ...migrations.map((m) => m.version));
  const unknown = [...applied].filter((v) => v > newest);
  if (unknown.length > 0) {
    // An older relay must not write into a schema it does not understand (e.g. after a rollback of the relay).
    throw new Error(`the relay store has schema version ${Math.max(...unknown)}, newer than this relay knows (${newest}): run the newer relay, or point it at another schema`);
  }
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue;
    await client.query(migration.sql);
    await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.name, Date.now()]);
  }
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
