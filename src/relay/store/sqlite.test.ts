import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { RelayStore } from '../types.ts';
import { openSqliteStore } from './sqlite.ts';
import { MIGRATIONS } from './sqlite-schema.ts';
import { describeRelayStore, ESCALATION, idOf, MINUTE, notification, T0 } from './store-contract.ts';

let stores: RelayStore[] = [];
let dirs: string[] = [];

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-relay-store-'));
  dirs.push(dir);
  return join(dir, 'relay.db');
}

afterEach(async () => {
  for (const store of stores) await store.close().catch(() => undefined);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  stores = [];
  dirs = [];
});

// A file, not :memory:, so that a second store can open the same storage (two relay processes on one file).
describeRelayStore('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-relay-store-'));
  const file = join(dir, 'relay.db');
  return {
    store: openSqliteStore(file),
    reopen: async () => openSqliteStore(file),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('jobs across processes', () => {
  async function storeWithJobs(store: RelayStore, count: number): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) ids.push((await store.ingest(notification([{ fingerprint: `job-${i}` }], { receivedAt: T0 + i })))!.job!.id);
    return ids;
  }

  it('hands each job to exactly one of two relay processes working one file at once', async () => {
    const file = tempFile();
    const store = openSqliteStore(file);
    stores.push(store);
    const ids = await storeWithJobs(store, 150);
    const storeModule = new URL('./sqlite.ts', import.meta.url).pathname;
    // A relay round in another process: claim one job, finish it, until none is left.
    const relay = (owner: string) =>
      promisify(execFile)(process.execPath, [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { openSqliteStore } = await import(${JSON.stringify(storeModule)});
         const { existsSync, writeFileSync } = await import('node:fs');
         const store = openSqliteStore(${JSON.stringify(file)});
         // Both start claiming together, not one after the other's start-up.
         writeFileSync(${JSON.stringify(file)} + '.ready-${owner}', '');
         while (!['p1', 'p2'].every((o) => existsSync(${JSON.stringify(file)} + '.ready-' + o))) await new Promise((r) => setTimeout(r, 2));
         const claimed = [];
         let lost = 0;
         for (;;) {
           const [job] = await store.claimJobs(${T0 + MINUTE}, '${owner}', 60000, 1);
           if (!job) break;
           claimed.push(job.id);
           if (!(await store.finishJob(job.id, '${owner}', { ok: true, detail: {} }, ${T0 + MINUTE}))) lost++;
           // A relay sends between claims; without this pause one process can hold the lock and starve the other.
           await new Promise((r) => setTimeout(r, 1));
         }
         await store.close();
         console.log(JSON.stringify({ claimed, lost }));`,
      ]);
    const answers = (await Promise.all([relay('p1'), relay('p2')])).map((a) => JSON.parse(a.stdout) as { claimed: number[]; lost: number });
    const claimed = answers.flatMap((a) => a.claimed);
    expect([...claimed].sort((x, y) => x - y)).toEqual(ids);
    expect(answers.map((a) => a.lost)).toEqual([0, 0]);
    expect(await store.gauges(T0 + MINUTE)).toMatchObject({ pendingJobs: 0 });
    expect((await store.events(idOf('job-0'))).filter((e) => e.type === 'notified')).toHaveLength(1);
  });
});

describe('escalation timers', () => {
  const escalationJob = (alert: string, receiver: string, step: number) => ({ channel: 'sms', receiver, alertIds: [alert], kind: 'escalation' as const, groupKey: `escalation:${alert}:${step}`, dueAt: T0 + 10 * MINUTE });

  it('cancels a claimed step whose alert is no longer open, without jobs or a next step', async () => {
    const file = tempFile();
    const store = openSqliteStore(file);
    stores.push(store);
    await store.ingest(notification([{ fingerprint: 'a', escalation: ESCALATION }]));
    const now = T0 + 10 * MINUTE;
    const [timer] = await store.claimTimers(now, 'r1', MINUTE, 10);
    // Confirm, close and resolve delete the timer; a status changed by any other path must still stop the step.
    const raw = new Database(file);
    raw.prepare("UPDATE alerts SET status = 'confirmed' WHERE id = ?").run(idOf('a'));
    raw.close();
    const pendingBefore = (await store.gauges(now)).pendingJobs;

    expect(await store.fireTimer(timer!.id, 'r1', now, [escalationJob(idOf('a'), 'oncall-sms', 0)], { step: 1, dueAt: T0 + 30 * MINUTE })).toBe(false);
    expect(await store.gauges(T0 + 60 * MINUTE)).toMatchObject({ pendingJobs: pendingBefore, dueTimers: 0 });
    expect(await store.claimTimers(T0 + 2 * 60 * MINUTE, 'r2', MINUTE, 10)).toEqual([]);
  });
});

describe('durability', () => {
  it('keeps pending jobs and timers across a restart on the same file', async () => {
    const file = tempFile();
    const before = openSqliteStore(file);
    const { job } = await before.ingest(notification([{ fingerprint: 'a', escalation: ESCALATION }]));
    await before.claimJobs(T0 + MINUTE, 'dead-relay', 30_000, 10);
    await before.close();

    const after = openSqliteStore(file);
    stores.push(after);
    expect(await after.claimJobs(T0 + MINUTE + 29_999, 'new-relay', 30_000, 10)).toEqual([]);
    expect((await after.claimJobs(T0 + MINUTE + 30_000, 'new-relay', 30_000, 10)).map((j) => j.id)).toEqual([job!.id]);
    expect(await after.claimTimers(T0 + 10 * MINUTE, 'new-relay', 30_000, 10)).toMatchObject([{ alertId: idOf('a'), step: 0 }]);
    expect((await after.getAlert(idOf('a')))?.status).toBe('open');
  });

  it('migrates idempotently: migrate() twice and a second opening keep the data and apply nothing again', async () => {
    const file = tempFile();
    const store = openSqliteStore(file);
    stores.push(store);
    await store.ingest(notification([{ fingerprint: 'a' }]));
    await store.migrate();
    await store.migrate();
    const second = openSqliteStore(file);
    stores.push(second);
    expect((await second.getAlert(idOf('a')))?.status).toBe('open');

    const raw = new Database(file, { readonly: true });
    try {
      expect(raw.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(MIGRATIONS.map((m) => m.version));
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
    }
  });

  it('refuses a store whose schema is newer than this relay knows', async () => {
    const file = tempFile();
    await openSqliteStore(file).close();
    const raw = new Database(file);
    raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(999, 'from the future', 0);
    raw.close();
    expect(() => openSqliteStore(file)).toThrow(/schema version 999/);
  });

  it('keeps a rejected payload truncated to 64 KiB on a character boundary', async () => {
    const file = tempFile();
    const store = openSqliteStore(file);
    stores.push(store);
    const body = 'x'.repeat(65_535) + '告警'.repeat(10);
    await store.recordRejected(T0, 'oncall-dingtalk', 'dingtalk', 'not JSON', body);
    await store.recordRejected(T0, 'oncall-dingtalk', 'dingtalk', 'not JSON', '{');
    const raw = new Database(file, { readonly: true });
    try {
      const rows = raw.prepare('SELECT body, body_bytes, reason FROM rejected ORDER BY id').all() as { body: string; body_bytes: number; reason: string }[];
      expect(rows[0]!.body).toBe('x'.repeat(65_535));
      expect(rows[0]!.body_bytes).toBe(Buffer.byteLength(body));
      expect(rows[1]).toEqual({ body: '{', body_bytes: 1, reason: 'not JSON' });
    } finally {
      raw.close();
    }
  });
});

describe('statements shared by text', () => {
  it('a status read as one value (escalation) does not turn the ingest’s row read into a bare value', async () => {
    const store = openSqliteStore(':memory:');
    await store.migrate();
    const steps = [{ afterMs: 0, receivers: ['lead'] }];
    const post = (status: 'firing' | 'resolved', at: number) =>
      store.ingest({ receiver: 'oncall', channel: 'dingtalk', groupKey: 'g', receivedAt: at, dedupeWindowMs: 60_000, sendResolved: true, alerts: [{ id: 'a1', fingerprint: 'f', status, startsAt: 1_000, ...(status === 'resolved' ? { endsAt: at } : {}), alertname: 'A', severity: 'critical', labels: {}, annotations: {}, generatorURL: '', escalation: steps }] });
    await post('firing', 2_000);
    const [timer] = await store.claimTimers(3_000, 'me', 10_000, 10);
    expect(await store.fireTimer(timer!.id, 'me', 3_000, [])).toBe(true);
    const resolved = await post('resolved', 4_000);
    expect(resolved.alerts[0]!.status).toBe('resolved');
    expect(resolved.job?.kind).toBe('resolved');
    await store.close();
  });
});

describe('SQLite relay store: ingests of one event-loop turn share a commit', () => {
  it('stores each that succeeds and fails only the one that throws', async () => {
    const store = openSqliteStore(':memory:');
    try {
      const first = store.ingest(notification([{ fingerprint: 'a' }], { groupKey: 'a' }));
      const broken = notification([{ fingerprint: 'b' }], { groupKey: 'b' });
      // A value JSON cannot hold: this ingest throws inside the shared transaction.
      broken.alerts[0]!.labels = { big: 1n as unknown as string };
      const second = store.ingest(broken);
      const third = store.ingest(notification([{ fingerprint: 'c' }], { groupKey: 'c' }));
      await expect(second).rejects.toThrow(/BigInt/);
      expect((await first).job?.alertIds).toEqual([idOf('a')]);
      expect((await third).job?.alertIds).toEqual([idOf('c')]);
      expect(await store.getAlert(idOf('b'))).toBeUndefined();
      expect((await store.gauges(T0 + MINUTE)).pendingJobs).toBe(2);
    } finally {
      await store.close();
    }
  });
});
