import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findPostgres, startPostgres, type RunningPostgres } from '../../../test/helpers/postgres.ts';
import { serviceScope } from '../../../test/helpers/services.ts';
import type { NewJob, RelayStore } from '../types.ts';
import { openPostgresStore } from './postgres.ts';
import { POSTGRES_MIGRATIONS } from './postgres-schema.ts';
import { describeRelayStore, ESCALATION, idOf, MINUTE, notification, T0, WINDOW } from './store-contract.ts';

const found = findPostgres();
const missing = 'missing' in found ? found.missing : undefined;

describe.skipIf(missing !== undefined)(`PostgreSQL relay store${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const scope = serviceScope();
  let server: RunningPostgres;
  let admin: pg.Pool;
  let schemas = 0;
  let stores: RelayStore[] = [];

  beforeAll(async () => {
    server = await startPostgres(scope);
    admin = new pg.Pool({ connectionString: server.url, max: 2 });
    admin.on('error', () => undefined);
    scope.onCleanup(() => admin.end());
  }, 60_000);

  afterEach(async () => {
    for (const store of stores.reverse()) await store.close().catch(() => undefined);
    stores = [];
  });

  /** Every test on a schema of its own in the one database: as isolated as a new file, much cheaper than a database. */
  const newSchema = () => `relay_test_${++schemas}`;

  async function open(schema: string): Promise<RelayStore> {
    const store = await openPostgresStore(server.url, { schema });
    stores.push(store);
    return store;
  }

  describeRelayStore('PostgreSQL', async () => {
    const schema = newSchema();
    return {
      store: await openPostgresStore(server.url, { schema }),
      reopen: () => openPostgresStore(server.url, { schema }),
      cleanup: async () => {
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      },
    };
  });

  describe('replicas sharing one database', () => {
    const escalationJob = (alert: string): NewJob => ({ channel: 'sms', receiver: 'oncall-sms', alertIds: [alert], kind: 'escalation', groupKey: `escalation:${alert}:0`, dueAt: T0 + 10 * MINUTE });

    it('hands each due job to exactly one of two replicas claiming at once', async () => {
      const schema = newSchema();
      const [one, two] = [await open(schema), await open(schema)];
      for (let p = 0; p < 100; p++) await one.ingest(notification([{ fingerprint: `j-${p}-0` }, { fingerprint: `j-${p}-1` }], { groupKey: `g-${p}`, receivedAt: T0 + p }));

      const work = async (store: RelayStore, owner: string) => {
        const claimed: number[] = [];
        const finished: boolean[] = [];
        for (;;) {
          const jobs = await store.claimJobs(T0 + MINUTE, owner, MINUTE, 3);
          if (jobs.length === 0) return { claimed, finished };
          for (const job of jobs) {
            claimed.push(job.id);
            finished.push(await store.finishJob(job.id, owner, { ok: true, detail: {} }, T0 + MINUTE));
          }
        }
      };
      const [a, b] = await Promise.all([work(one, 'r1'), work(two, 'r2')]);

      expect(a.claimed.length).toBeGreaterThan(0);
      expect(b.claimed.length).toBeGreaterThan(0);
      const claimed = [...a.claimed, ...b.claimed];
      expect(new Set(claimed).size).toBe(100);
      expect(claimed).toHaveLength(100);
      expect([...a.finished, ...b.finished].every(Boolean)).toBe(true);
      expect(await one.gauges(T0 + MINUTE)).toEqual({ pendingJobs: 0, dueTimers: 0, deadLetters: 0 });
      const notified = await countEvents(schema, 'notified');
      expect(notified.size).toBe(200);
      expect([...notified.values()].every((n) => n === 1)).toBe(true);
    });

    it('fires each of 200 escalation timers exactly once across two replicas', async () => {
      const schema = newSchema();
      const [one, two] = [await open(schema), await open(schema)];
      for (let p = 0; p < 20; p++) {
        const alerts = Array.from({ length: 10 }, (_, i) => ({ fingerprint: `t-${p}-${i}`, escalation: ESCALATION }));
        await one.ingest(notification(alerts, { groupKey: `g-${p}` }));
      }
      const now = T0 + 10 * MINUTE;

      const work = async (store: RelayStore, owner: string) => {
        const claimed: number[] = [];
        let fired = 0;
        for (;;) {
          const timers = await store.claimTimers(now, owner, MINUTE, 4);
          if (timers.length === 0) return { claimed, fired };
          for (const timer of timers) {
            claimed.push(timer.id);
            if (await store.fireTimer(timer.id, owner, now, [escalationJob(timer.alertId)], { step: 1, dueAt: T0 + 30 * MINUTE })) fired++;
          }
        }
      };
      const [a, b] = await Promise.all([work(one, 'r1'), work(two, 'r2')]);

      expect(a.claimed.length).toBeGreaterThan(0);
      expect(b.claimed.length).toBeGreaterThan(0);
      const claimed = [...a.claimed, ...b.claimed];
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed).toHaveLength(200);
      expect(a.fired + b.fired).toBe(200);
      const escalated = await countEvents(schema, 'escalated');
      expect(escalated.size).toBe(200);
      expect([...escalated.values()].every((n) => n === 1)).toBe(true);
      // Each fired step enqueued one job and the next step, which is not due yet.
      expect(await one.gauges(now)).toMatchObject({ pendingJobs: 20 + 200, dueTimers: 0 });
      expect(await one.gauges(T0 + 30 * MINUTE)).toMatchObject({ dueTimers: 200 });
    });

    it('records one alert, one received event per receiver and channel and one job when two replicas ingest a new group at once', async () => {
      const schema = newSchema();
      const [one, two] = [await open(schema), await open(schema)];
      const groups = 25;
      const results = await Promise.all(
        Array.from({ length: groups }, async (_, g) => {
          const specs = Array.from({ length: 4 }, (_, i) => ({ fingerprint: `c-${g}-${i}`, escalation: ESCALATION }));
          // Two Alertmanager peers, the alerts in opposite orders: neither may wait on the other crosswise.
          return Promise.all([one.ingest(notification(specs, { groupKey: `g-${g}` })), two.ingest(notification([...specs].reverse(), { groupKey: `g-${g}` }))]);
        }),
      );

      for (const [a, b] of results) expect([a.job, b.job].filter(Boolean)).toHaveLength(1);
      expect(await one.listAlerts({}, 1, 0)).toMatchObject({ total: groups * 4 });
      expect(await one.gauges(T0 + 10 * MINUTE)).toMatchObject({ pendingJobs: groups, dueTimers: groups * 4 });
      const received = await countEvents(schema, 'received');
      expect(received.size).toBe(groups * 4);
      expect([...received.values()].every((n) => n === 1)).toBe(true);
      const first = await one.getAlert(idOf('c-0-0'));
      expect(first).toMatchObject({ status: 'open', createdAt: T0 + MINUTE });
    });

    it('enqueues one job when two replicas ingest a known group again at once (after the window, or for another receiver)', async () => {
      const schema = newSchema();
      const [one, two] = [await open(schema), await open(schema)];
      const groups = 25;
      const specsOf = (g: number) => Array.from({ length: 4 }, (_, i) => ({ fingerprint: `k-${g}-${i}` }));
      for (let g = 0; g < groups; g++) await one.ingest(notification(specsOf(g), { groupKey: `g-${g}` }));
      const bothAtOnce = (overrides: Parameters<typeof notification>[1]) =>
        Promise.all(
          Array.from({ length: groups }, (_, g) =>
            Promise.all([one.ingest(notification(specsOf(g), { groupKey: `g-${g}`, ...overrides })), two.ingest(notification([...specsOf(g)].reverse(), { groupKey: `g-${g}`, ...overrides }))]),
          ),
        );

      const repeated = await bothAtOnce({ receivedAt: T0 + MINUTE + WINDOW });
      for (const [a, b] of repeated) expect([a.job, b.job].filter(Boolean)).toHaveLength(1);
      const sms = await bothAtOnce({ receiver: 'oncall-sms', channel: 'sms', receivedAt: T0 + 2 * MINUTE });
      for (const [a, b] of sms) expect([a.job, b.job].filter(Boolean)).toHaveLength(1);

      expect(await one.gauges(T0 + 10 * MINUTE)).toMatchObject({ pendingJobs: 3 * groups });
      const received = await countEvents(schema, 'received');
      expect(received.size).toBe(groups * 4);
      expect([...received.values()].every((n) => n === 2)).toBe(true);
    });
  });

  describe('schema', () => {
    it('migrates once when two replicas start on a new schema at the same moment', async () => {
      const schema = newSchema();
      const both = await Promise.all([openPostgresStore(server.url, { schema }), openPostgresStore(server.url, { schema })]);
      stores.push(...both);
      await both[0]!.migrate();
      const { rows } = await admin.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
      expect(rows.map((r: { version: number }) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
      await both[1]!.ingest(notification([{ fingerprint: 'a' }]));
      expect((await both[0]!.getAlert(idOf('a')))?.status).toBe('open');
    });

    it('keeps times as bigint milliseconds and JSON as jsonb', async () => {
      const schema = newSchema();
      const store = await open(schema);
      await store.ingest(notification([{ fingerprint: 'a' }]));
      const { rows } = await admin.query(`SELECT starts_at::text AS starts_at, labels->>'instance' AS instance, pg_typeof(labels)::text AS type FROM ${schema}.alerts`);
      expect(rows).toEqual([{ starts_at: String(T0), instance: 'host-a', type: 'jsonb' }]);
    });

    it('refuses a schema whose version is newer than this relay knows', async () => {
      const schema = newSchema();
      await (await open(schema)).close();
      await admin.query(`INSERT INTO ${schema}.schema_migrations (version, name, applied_at) VALUES (999, 'from the future', 0)`);
      await expect(openPostgresStore(server.url, { schema })).rejects.toThrow(/schema version 999/);
    });

    it('refuses a schema name that is not a plain identifier', async () => {
      await expect(openPostgresStore(server.url, { schema: 'relay; DROP TABLE x' })).rejects.toThrow(/not a plain lower-case identifier/);
    });
  });

  describe('what PostgreSQL stores differently', () => {
    it('keeps a rejected payload truncated to 64 KiB on a character boundary', async () => {
      const schema = newSchema();
      const store = await open(schema);
      const body = 'x'.repeat(65_535) + '告警'.repeat(10);
      await store.recordRejected(T0, 'oncall-dingtalk', 'dingtalk', 'not JSON', body);
      const { rows } = await admin.query(`SELECT body, body_bytes FROM ${schema}.rejected`);
      expect(rows).toEqual([{ body: 'x'.repeat(65_535), body_bytes: Buffer.byteLength(body) }]);
    });

    it('records text and JSON holding U+0000 (which PostgreSQL refuses) with U+FFFD in its place', async () => {
      const store = await open(newSchema());
      const input = notification([{ fingerprint: 'a' }]);
      input.alerts[0]!.annotations = { summary: 'bad\0byte' };
      const { job } = await store.ingest(input);
      await store.claimJobs(T0 + MINUTE, 'r1', MINUTE, 10);
      expect(await store.finishJob(job!.id, 'r1', { ok: false, error: 'answer\0', detail: { body: '\0' }, retryAt: T0 + 2 * MINUTE }, T0 + MINUTE)).toBe(true);
      await store.recordRejected(T0, 'r', 'c', 'binary', '\0\0');
      expect((await store.getAlert(idOf('a')))?.annotations).toEqual({ summary: 'bad\uFFFDbyte' });
      expect((await store.events(idOf('a'))).at(-1)?.detail).toMatchObject({ error: 'answer\uFFFD', body: '\uFFFD' });
    });

    it('cancels a claimed step whose alert stopped being open by another path', async () => {
      const schema = newSchema();
      const store = await open(schema);
      await store.ingest(notification([{ fingerprint: 'a', escalation: ESCALATION }]));
      const now = T0 + 10 * MINUTE;
      const [timer] = await store.claimTimers(now, 'r1', MINUTE, 10);
      await admin.query(`UPDATE ${schema}.alerts SET status = 'confirmed' WHERE id = $1`, [idOf('a')]);
      expect(await store.fireTimer(timer!.id, 'r1', now, [{ channel: 'sms', receiver: 'x', alertIds: [idOf('a')], kind: 'escalation', groupKey: 'e', dueAt: now }])).toBe(false);
      expect(await store.gauges(T0 + 60 * MINUTE)).toMatchObject({ pendingJobs: 1, dueTimers: 0 });
    });

    it('keeps leased jobs and timers for the next relay after a restart', async () => {
      const schema = newSchema();
      const before = await openPostgresStore(server.url, { schema });
      const { job } = await before.ingest(notification([{ fingerprint: 'a', escalation: ESCALATION }]));
      await before.claimJobs(T0 + MINUTE, 'dead-relay', 30_000, 10);
      await before.close();

      const after = await open(schema);
      expect(await after.claimJobs(T0 + MINUTE + 29_999, 'new-relay', 30_000, 10)).toEqual([]);
      expect((await after.claimJobs(T0 + MINUTE + 30_000, 'new-relay', 30_000, 10)).map((j) => j.id)).toEqual([job!.id]);
      expect(await after.claimTimers(T0 + 10 * MINUTE, 'new-relay', 30_000, 10)).toMatchObject([{ alertId: idOf('a'), step: 0 }]);
    });
  });

  describe('connection', () => {
    it('refuses a wrong password or a malformed URL without showing the password or the URL', async () => {
      const wrong = server.url.replace(/:[0-9a-f]+@/, ':not-the-Secret-42@');
      const refusal = await openPostgresStore(wrong).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(refusal?.message).toMatch(/password authentication failed/);
      expect(`${refusal?.message}\n${refusal?.stack}`).not.toContain('not-the-Secret-42');

      const malformed = await openPostgresStore('postgres://u:Secret-43@[bad/db').then(
        () => undefined,
        (e: Error) => e,
      );
      expect(malformed?.message).toMatch(/not a URL/);
      expect(`${malformed?.message}\n${malformed?.stack}`).not.toContain('Secret-43');
    });

    // Last: it stops the server every other test shares.
    it('rejects (does not hang) while the server is down, and works again once it is back', async () => {
      const store = await open(newSchema());
      await store.ingest(notification([{ fingerprint: 'a' }]));
      await server.stop();
      try {
        const started = Date.now();
        await expect(store.getAlert(idOf('a'))).rejects.toThrow();
        await expect(store.ingest(notification([{ fingerprint: 'b' }]))).rejects.toThrow();
        expect(Date.now() - started).toBeLessThan(15_000);
      } finally {
        await server.start();
      }
      expect((await store.getAlert(idOf('a')))?.status).toBe('open');
      expect((await store.ingest(notification([{ fingerprint: 'b' }]))).job?.alertIds).toEqual([idOf('b')]);
    });
  });

  /** How many events of a type each alert has, read directly from the schema. */
  async function countEvents(schema: string, type: string): Promise<Map<string, number>> {
    const { rows } = await admin.query<{ alert_id: string; n: string }>(`SELECT alert_id, count(*) AS n FROM ${schema}.events WHERE type = $1 GROUP BY alert_id`, [type]);
    return new Map(rows.map((r) => [r.alert_id, Number(r.n)]));
  }
});
