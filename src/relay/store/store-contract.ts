/**
 * What every RelayStore backend must do, as one suite: sqlite.test.ts and postgres.test.ts run it against their store,
 * so one list of behaviours proves both. Backend-specific tests (files, processes, raw schema) stay in those files.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { alertId } from '../alert-id.ts';
import type { EscalationStep, IngestInput, RelayStore } from '../types.ts';

export const MINUTE = 60_000;
export const T0 = Date.UTC(2025, 0, 1, 8, 0, 0);
export const WINDOW = 5 * MINUTE;
export const ESCALATION: EscalationStep[] = [
  { afterMs: 10 * MINUTE, receivers: ['oncall-sms'] },
  { afterMs: 30 * MINUTE, receivers: ['managers'] },
];

export interface AlertSpec {
  fingerprint: string;
  status?: 'firing' | 'resolved';
  startsAt?: number;
  endsAt?: number;
  severity?: string;
  escalation?: EscalationStep[];
}

export function incoming(spec: AlertSpec): IngestInput['alerts'][number] {
  const startsAt = spec.startsAt ?? T0;
  const severity = spec.severity ?? 'critical';
  return {
    id: alertId(spec.fingerprint, startsAt),
    fingerprint: spec.fingerprint,
    status: spec.status ?? 'firing',
    startsAt,
    ...(spec.endsAt !== undefined ? { endsAt: spec.endsAt } : {}),
    alertname: `Alert_${spec.fingerprint}`,
    severity,
    labels: { alertname: `Alert_${spec.fingerprint}`, severity, instance: `host-${spec.fingerprint}` },
    annotations: { summary: `summary of ${spec.fingerprint}` },
    generatorURL: 'http://prometheus:9090/graph',
    escalation: spec.escalation ?? [],
  };
}

export function notification(alerts: AlertSpec[], overrides: Partial<Omit<IngestInput, 'alerts'>> = {}): IngestInput {
  return {
    receiver: 'oncall-dingtalk',
    channel: 'dingtalk',
    groupKey: '{}:{alertname="X"}',
    receivedAt: T0 + MINUTE,
    dedupeWindowMs: WINDOW,
    sendResolved: true,
    alerts: alerts.map(incoming),
    ...overrides,
  };
}

export const idOf = (fingerprint: string, startsAt = T0) => alertId(fingerprint, startsAt);

export interface StoreFixture {
  /** A migrated store on storage of its own (an empty file, an empty schema). */
  store: RelayStore;
  /** Another store on the same storage: a second relay replica or process. */
  reopen(): Promise<RelayStore>;
  /** Removes the storage; the stores are closed before. */
  cleanup(): Promise<void>;
}

export function describeRelayStore(name: string, open: () => Promise<StoreFixture>): void {
  describe(`RelayStore contract: ${name}`, () => {
    let fixtures: StoreFixture[] = [];
    let opened: RelayStore[] = [];

    /** A new store on new storage, closed and removed after the test. */
    const fresh = async (): Promise<RelayStore> => {
      const fixture = await open();
      fixtures.push(fixture);
      opened.push(fixture.store);
      return fixture.store;
    };
    /** A second store on the storage of the latest fresh() one. */
    const another = async (): Promise<RelayStore> => {
      const store = await fixtures.at(-1)!.reopen();
      opened.push(store);
      return store;
    };

    afterEach(async () => {
      for (const store of opened.reverse()) await store.close().catch(() => undefined);
      for (const fixture of fixtures) await fixture.cleanup();
      opened = [];
      fixtures = [];
    });

    describe('ingest', () => {
      it('records a new group: open records, a received event each, one job, a timer at startsAt + the first step', async () => {
        const store = await fresh();
        const result = await store.ingest(notification([{ fingerprint: 'a', escalation: ESCALATION }, { fingerprint: 'b', startsAt: T0 - MINUTE }]));

        expect(result.alerts.map((a) => [a.id, a.status, a.receiver])).toEqual([
          [idOf('a'), 'open', 'oncall-dingtalk'],
          [idOf('b', T0 - MINUTE), 'open', 'oncall-dingtalk'],
        ]);
        expect(result.alerts[0]).toMatchObject({ labels: { instance: 'host-a' }, annotations: { summary: 'summary of a' }, createdAt: T0 + MINUTE });
        expect(result.job).toMatchObject({ channel: 'dingtalk', receiver: 'oncall-dingtalk', kind: 'firing', alertIds: [idOf('a'), idOf('b', T0 - MINUTE)], dueAt: T0 + MINUTE, status: 'pending', attempts: 0 });
        const events = await store.events(idOf('a'));
        expect(events.map((e) => [e.type, e.detail])).toEqual([['received', { receiver: 'oncall-dingtalk', channel: 'dingtalk', groupKey: '{}:{alertname="X"}' }]]);

        expect(await store.claimTimers(T0 + 10 * MINUTE - 1, 'r1', MINUTE, 10)).toEqual([]);
        const timers = await store.claimTimers(T0 + 10 * MINUTE, 'r1', MINUTE, 10);
        expect(timers).toEqual([{ id: expect.any(Number), alertId: idOf('a'), step: 0, dueAt: T0 + 10 * MINUTE }]);
      });

      it('sets a first step that is already past due at the time of receipt', async () => {
        const store = await fresh();
        const receivedAt = T0 + 20 * MINUTE;
        await store.ingest(notification([{ fingerprint: 'late', escalation: ESCALATION }], { receivedAt }));
        expect(await store.claimTimers(receivedAt, 'r1', MINUTE, 10)).toMatchObject([{ step: 0, dueAt: receivedAt }]);
      });

      it('deduplicates the same payload within the window, and notices again after it', async () => {
        const store = await fresh();
        const first = await store.ingest(notification([{ fingerprint: 'a' }]));
        expect(first.job).toBeDefined();

        const again = await store.ingest(notification([{ fingerprint: 'a' }], { receivedAt: T0 + MINUTE + 1_000 }));
        expect(again.job).toBeUndefined();
        expect((await store.events(idOf('a'))).filter((e) => e.type === 'received')).toHaveLength(1);

        const later = await store.ingest(notification([{ fingerprint: 'a' }], { receivedAt: T0 + MINUTE + WINDOW }));
        expect(later.job?.alertIds).toEqual([idOf('a')]);
        expect((await store.events(idOf('a'))).filter((e) => e.type === 'received')).toHaveLength(1);
      });

      it('puts only the alerts not noticed recently into the job of a grown group', async () => {
        const store = await fresh();
        await store.ingest(notification([{ fingerprint: 'a' }]));
        const grown = await store.ingest(notification([{ fingerprint: 'a' }, { fingerprint: 'b' }], { receivedAt: T0 + 2 * MINUTE }));
        expect(grown.job?.alertIds).toEqual([idOf('b')]);
        expect(grown.alerts.map((a) => a.id)).toEqual([idOf('a'), idOf('b')]);
      });

      it('gives a second receiver its own job and its own received event', async () => {
        const store = await fresh();
        await store.ingest(notification([{ fingerprint: 'a' }]));
        const sms = await store.ingest(notification([{ fingerprint: 'a' }], { receiver: 'oncall-sms', channel: 'sms', receivedAt: T0 + MINUTE + 500 }));
        expect(sms.job).toMatchObject({ receiver: 'oncall-sms', channel: 'sms', alertIds: [idOf('a')] });
        expect(sms.alerts[0]!.receiver).toBe('oncall-dingtalk');
        const received = (await store.events(idOf('a'))).filter((e) => e.type === 'received').map((e) => e.detail.receiver);
        expect(received).toEqual(['oncall-dingtalk', 'oncall-sms']);
      });

      it('resolves an open alert: status, endsAt, event, its timer gone, and a resolved job when the channel wants one', async () => {
        const store = await fresh();
        await store.ingest(notification([{ fingerprint: 'a', escalation: ESCALATION }]));
        const resolved = await store.ingest(notification([{ fingerprint: 'a', status: 'resolved', endsAt: T0 + 3 * MINUTE }], { receivedAt: T0 + 4 * MINUTE }));

        expect(resolved.alerts[0]).toMatchObject({ status: 'resolved', endsAt: T0 + 3 * MINUTE });
        expect(resolved.job).toMatchObject({ kind: 'resolved', alertIds: [idOf('a')] });
        expect((await store.events(idOf('a'))).map((e) => e.type)).toEqual(['received', 'resolved']);
        expect(await store.claimTimers(T0 + 60 * MINUTE, 'r1', MINUTE, 10)).toEqual([]);
        expect((await store.gauges(T0 + 60 * MINUTE)).dueTimers).toBe(0);
      });

      it('enqueues no resolved notice when the channel does not send resolved', async () => {
        const store = await fresh();
        await store.ingest(notification([{ fingerprint: 'a' }]));
        const resolved = await store.ingest(notification([{ fingerprint: 'a', status: 'resolved' }], { receivedAt: T0 + 4 * MINUTE, sendResolved: false }));
        expect(resolved.alerts[0]).toMatchObject({ status: 'resolved', endsAt: T0 + 4 * MINUTE });
        expect(resolved.job).toBeUndefined();
      });

      it('marks a group with one firing alert as a firing notice', async () => {
        const store = await fresh();
        await store.ingest(notification([{ fingerprint: 'a' }]));
        const mixed = await store.ingest(notification([{ fingerprint: 'a', status: 'resolved' }, { fingerprint: 'b' }], { receivedAt: T0 + 2 * MINUTE }));
        expect(mixed.job).toMatchObject({ kind: 'firing', alertIds: [idOf('a'), idOf('b')] });
      });

      it('records a resolved alert never seen firing as history', async () => {
        const store = await fresh();
        const result = await store.ingest(notification([{ fingerprint: 'ghost', status: 'resolved', endsAt: T0 + 30_000, escalation: ESCALATION }]));
        expect(result.alerts[0]).toMatchObject({ status: 'resolved', endsAt: T0 + 30_000 });
        expect((await store.events(idOf('ghost'))).map((e) => e.type)).toEqual(['resolved']);
        expect((await store.gauges(T0 + 60 * MINUTE)).dueTimers).toBe(0);
      });

      it('sends no repeat for a confirmed alert re-sent firing', async () => {
        const store = await fresh();
        await store.ingest(notification([{ fingerprint: 'a' }]));
        await store.confirm(idOf('a'), 'alice', 'looking', T0 + 2 * MINUTE);
        const resent = await store.ingest(notification([{ fingerprint: 'a' }], { receivedAt: T0 + 2 * MINUTE + WINDOW }));
        expect(resent.job).toBeUndefined();
        expect(resent.alerts[0]!.status).toBe('confirmed');
      });

      it('keeps a closed alert closed when Prometheus resolves it later', async () => {
        const store = await fresh();
        await store.ingest(notification([{ fingerprint: 'a' }]));
        await store.close(idOf('a'), 'bob', 'known maintenance', T0 + 2 * MINUTE);
        const resolved = await store.ingest(notification([{ fingerprint: 'a', status: 'resolved', endsAt: T0 + 9 * MINUTE }], { receivedAt: T0 + 10 * MINUTE }));
        expect(resolved.alerts[0]).toMatchObject({ status: 'closed', endsAt: T0 + 2 * MINUTE, closedBy: 'bob', closeReason: 'known maintenance' });
        expect(resolved.job).toBeUndefined();
        expect((await store.events(idOf('a'))).map((e) => e.type)).toEqual(['received', 'closed']);
      });

      it('updates labels and annotations of a re-sent alert', async () => {
        const store = await fresh();
        await store.ingest(notification([{ fingerprint: 'a' }]));
        const input = notification([{ fingerprint: 'a' }], { receivedAt: T0 + 2 * MINUTE });
        input.alerts[0]!.annotations = { summary: 'now worse' };
        const result = await store.ingest(input);
        expect(result.alerts[0]).toMatchObject({ annotations: { summary: 'now worse' }, updatedAt: T0 + 2 * MINUTE, createdAt: T0 + MINUTE });
      });
    });


    describe('confirm and close', () => {
      it('confirms an open alert once, stops its escalation, and refuses unknown or ended alerts', async () => {
        const store = await fresh();
        await store.ingest(notification([{ fingerprint: 'a', escalation: ESCALATION }]));
        const confirmed = await store.confirm(idOf('a'), 'alice', 'on it', T0 + 2 * MINUTE);
        expect(confirmed).toMatchObject({ ok: true, alert: { status: 'confirmed', confirmedBy: 'alice', confirmedAt: T0 + 2 * MINUTE, confirmComment: 'on it' } });
        expect((await store.gauges(T0 + 60 * MINUTE)).dueTimers).toBe(0);
        expect(await store.confirm(idOf('a'), 'carol', '', T0 + 3 * MINUTE)).toMatchObject({ ok: false, reason: 'not_open', alert: { confirmedBy: 'alice' } });
        expect(await store.confirm('nope', 'carol', '', T0)).toEqual({ ok: false, reason: 'not_found' });
      });

      it('closes an open or confirmed alert and refuses an ended one', async () => {
        const store = await fresh();
        await store.ingest(notification([{ fingerprint: 'a' }, { fingerprint: 'b' }]));
        await store.confirm(idOf('b'), 'alice', '', T0 + 2 * MINUTE);
        expect(await store.close(idOf('a'), 'bob', 'noise', T0 + 3 * MINUTE)).toMatchObject({ ok: true, alert: { status: 'closed', endsAt: T0 + 3 * MINUTE, closedAt: T0 + 3 * MINUTE } });
        expect(await store.close(idOf('b'), 'bob', 'fixed', T0 + 3 * MINUTE)).toMatchObject({ ok: true, alert: { status: 'closed', confirmedBy: 'alice' } });
        expect(await store.close(idOf('a'), 'bob', 'again', T0 + 4 * MINUTE)).toMatchObject({ ok: false, reason: 'already_ended', alert: { closeReason: 'noise' } });
        expect(await store.close('nope', 'bob', '', T0)).toEqual({ ok: false, reason: 'not_found' });
      });

      it('remembers the silence a close created', async () => {
        const store = await fresh();
        await store.ingest(notification([{ fingerprint: 'a' }]));
        await store.setSilence(idOf('a'), 'silence-123');
        expect((await store.getAlert(idOf('a')))?.silenceId).toBe('silence-123');
      });
    });


    describe('jobs', () => {
      async function storeWithJobs(store: RelayStore, count: number): Promise<number[]> {
        const ids: number[] = [];
        for (let i = 0; i < count; i++) ids.push((await store.ingest(notification([{ fingerprint: `job-${i}` }], { receivedAt: T0 + i })))!.job!.id);
        return ids;
      }

      it('gives two owners claiming at once disjoint jobs, each in due order', async () => {
        const one = await fresh();
        const two = await another();
        const ids = await storeWithJobs(one, 6);

        const [a, b] = await Promise.all([one.claimJobs(T0 + MINUTE, 'r1', MINUTE, 4), two.claimJobs(T0 + MINUTE, 'r2', MINUTE, 4)]);
        const claimed = [...a, ...b].map((j) => j.id);
        expect(new Set(claimed).size).toBe(claimed.length);
        expect([...claimed].sort((x, y) => x - y)).toEqual(ids);
        // Which owner gets which job depends on who locks first (PostgreSQL skips rows the other holds): only the
        // limit and the order within each claim are fixed.
        for (const jobs of [a, b]) {
          expect(jobs.length).toBeLessThanOrEqual(4);
          expect(jobs.map((j) => j.id)).toEqual(jobs.map((j) => j.id).sort((x, y) => x - y));
        }
        expect(await one.claimJobs(T0 + MINUTE, 'r3', MINUTE, 10)).toEqual([]);
      });

      it('claims the oldest due jobs first, up to the limit', async () => {
        const store = await fresh();
        const ids = await storeWithJobs(store, 6);
        expect((await store.claimJobs(T0 + MINUTE, 'r1', MINUTE, 4)).map((j) => j.id)).toEqual(ids.slice(0, 4));
        expect((await store.claimJobs(T0 + MINUTE, 'r2', MINUTE, 4)).map((j) => j.id)).toEqual(ids.slice(4));
      });

      it('does not claim a job before it is due', async () => {
        const store = await fresh();
        await store.ingest(notification([{ fingerprint: 'a' }], { receivedAt: T0 + MINUTE }));
        expect(await store.claimJobs(T0 + MINUTE - 1, 'r1', MINUTE, 10)).toEqual([]);
      });

      it('lets another owner claim a job whose lease expired, and refuses the first owner then', async () => {
        const store = await fresh();
        const [id] = await storeWithJobs(store, 1);
        expect((await store.claimJobs(T0, 'r1', 30_000, 10)).map((j) => j.id)).toEqual([id]);
        expect(await store.claimJobs(T0 + 29_999, 'r2', 30_000, 10)).toEqual([]);
        expect((await store.claimJobs(T0 + 30_000, 'r2', 30_000, 10)).map((j) => j.id)).toEqual([id]);

        expect(await store.finishJob(id!, 'r1', { ok: true, detail: {} }, T0 + 31_000)).toBe(false);
        expect(await store.finishJob(id!, 'r2', { ok: true, detail: { latencyMs: 12 } }, T0 + 31_000)).toBe(true);
        expect(await store.finishJob(id!, 'r2', { ok: true, detail: {} }, T0 + 32_000)).toBe(false);
        const notified = (await store.events(idOf('job-0'))).filter((e) => e.type === 'notified');
        expect(notified).toMatchObject([{ at: T0 + 31_000, detail: { latencyMs: 12, channel: 'dingtalk', receiver: 'oncall-dingtalk' } }]);
        expect(await store.gauges(T0 + MINUTE)).toEqual({ pendingJobs: 0, dueTimers: 0, deadLetters: 0 });
      });

      it('a job held back by the relay’s own rate limit is deferred without spending an attempt', async () => {
        const store = await fresh();
        const [id] = await storeWithJobs(store, 1);
        await store.claimJobs(T0, 'r1', MINUTE, 10);
        expect(await store.finishJob(id!, 'r1', { ok: false, error: 'held back', detail: {}, retryAt: T0 + 3_000, throttled: true, held: true }, T0)).toBe(true);
        expect(await store.claimJobs(T0 + 2_999, 'r1', MINUTE, 10)).toEqual([]);
        const [again] = await store.claimJobs(T0 + 3_000, 'r1', MINUTE, 10);
        expect(again).toMatchObject({ id, attempts: 0, status: 'pending' });
        expect((await store.events(idOf('job-0'))).map((e) => e.type)).toContain('throttled');
      });

      it('retries a failed job at retryAt, then dead-letters it', async () => {
        const store = await fresh();
        const [id] = await storeWithJobs(store, 1);
        await store.claimJobs(T0, 'r1', MINUTE, 10);
        expect(await store.finishJob(id!, 'r1', { ok: false, error: 'errcode 130101', detail: {}, retryAt: T0 + 10_000, throttled: true }, T0 + 1_000)).toBe(true);
        expect(await store.claimJobs(T0 + 9_999, 'r1', MINUTE, 10)).toEqual([]);
        const [retry] = await store.claimJobs(T0 + 10_000, 'r1', MINUTE, 10);
        expect(retry).toMatchObject({ id, attempts: 1, lastError: 'errcode 130101', status: 'pending' });
        expect(await store.finishJob(id!, 'r1', { ok: false, error: 'timeout', detail: {}, retryAt: T0 + 20_000 }, T0 + 11_000)).toBe(true);
        await store.claimJobs(T0 + 20_000, 'r1', MINUTE, 10);
        expect(await store.finishJob(id!, 'r1', { ok: false, error: 'HTTP 400', detail: { status: 400 } }, T0 + 21_000)).toBe(true);

        expect(await store.deadLetters(10)).toMatchObject([{ id, status: 'dead', attempts: 3, lastError: 'HTTP 400' }]);
        expect(await store.claimJobs(T0 + 10 * MINUTE, 'r1', MINUTE, 10)).toEqual([]);
        expect(await store.gauges(T0 + 10 * MINUTE)).toEqual({ pendingJobs: 0, dueTimers: 0, deadLetters: 1 });
        const history = (await store.events(idOf('job-0'))).map((e) => [e.type, e.detail.error]);
        expect(history).toEqual([
          ['received', undefined],
          ['throttled', 'errcode 130101'],
          ['notify_failed', 'timeout'],
          ['dead_lettered', 'HTTP 400'],
        ]);
      });

      it('lists dead letters newest first', async () => {
        const store = await fresh();
        const [first, second] = await storeWithJobs(store, 2);
        await store.claimJobs(T0 + 10, 'r1', MINUTE, 10);
        await store.finishJob(second!, 'r1', { ok: false, error: 'x', detail: {} }, T0 + 1_000);
        await store.finishJob(first!, 'r1', { ok: false, error: 'y', detail: {} }, T0 + 2_000);
        expect((await store.deadLetters(10)).map((j) => j.id)).toEqual([first, second]);
        expect((await store.deadLetters(1)).map((j) => j.id)).toEqual([first]);
      });

      it('finishes several jobs in one call: each its own outcome and events, and false for a job whose lease was lost', async () => {
        const store = await fresh();
        const [sent, retried, dead, lost] = await storeWithJobs(store, 4);
        await store.claimJobs(T0 + 10, 'r1', MINUTE, 10);
        expect(await store.finishJob(lost!, 'r1', { ok: true, detail: {} }, T0 + 500)).toBe(true);
        const results = await store.finishJobs(
          [
            { id: sent!, outcome: { ok: true, detail: { latencyMs: 7 } } },
            { id: retried!, outcome: { ok: false, error: 'timeout', detail: {}, retryAt: T0 + 5_000 } },
            { id: dead!, outcome: { ok: false, error: 'HTTP 400', detail: {} } },
            { id: lost!, outcome: { ok: true, detail: {} } },
          ],
          'r1',
          T0 + 1_000,
        );
        expect(results).toEqual([true, true, true, false]);
        expect(await store.finishJobs([], 'r1', T0 + 1_000)).toEqual([]);
        const last = async (fingerprint: string) => (await store.events(idOf(fingerprint))).at(-1);
        expect(await last('job-0')).toMatchObject({ type: 'notified', at: T0 + 1_000, detail: { jobId: sent, attempt: 1, latencyMs: 7 } });
        expect(await last('job-1')).toMatchObject({ type: 'notify_failed', detail: { jobId: retried, error: 'timeout', retryAt: T0 + 5_000 } });
        expect(await last('job-2')).toMatchObject({ type: 'dead_lettered', detail: { jobId: dead, error: 'HTTP 400' } });
        expect((await store.events(idOf('job-3'))).filter((e) => e.type === 'notified')).toHaveLength(1);
        expect((await store.claimJobs(T0 + 5_000, 'r2', MINUTE, 10)).map((j) => [j.id, j.attempts])).toEqual([[retried, 1]]);
        expect((await store.deadLetters(10)).map((j) => j.id)).toEqual([dead]);
      });

      it('queues a dead letter’s fallback notices with it, with a fallback event on each alert', async () => {
        const store = await fresh();
        const id = (await store.ingest(notification([{ fingerprint: 'a' }, { fingerprint: 'b' }])))!.job!.id;
        await store.claimJobs(T0 + MINUTE, 'r1', MINUTE, 10);
        const fallback = { channel: 'sms', receiver: 'oncall-sms', alertIds: [idOf('a'), idOf('b')], kind: 'firing' as const, groupKey: `fallback:${id}`, dueAt: T0 + 2 * MINUTE };
        expect(await store.finishJob(id, 'r1', { ok: false, error: 'errcode 310000', detail: {}, fallback: [fallback] }, T0 + 2 * MINUTE)).toBe(true);
        const [queued, ...more] = await store.claimJobs(T0 + 2 * MINUTE, 'r1', MINUTE, 10);
        expect(more).toEqual([]);
        expect(queued).toMatchObject({ channel: 'sms', receiver: 'oncall-sms', alertIds: [idOf('a'), idOf('b')], kind: 'firing', attempts: 0 });
        for (const fingerprint of ['a', 'b']) {
          const history = (await store.events(idOf(fingerprint))).map((e) => [e.type, e.detail.receiver, e.detail.fallbackJobId]);
          expect(history.slice(-2)).toEqual([
            ['dead_lettered', 'oncall-dingtalk', undefined],
            ['fallback', 'oncall-sms', queued!.id],
          ]);
        }
      });
    });


    describe('rate buckets', () => {
      it('starts full, grants no more than it holds, refills at its rate, and says when the next token comes', async () => {
        const store = await fresh();
        expect(await store.takeTokens('dingtalk/a', 20, 15, T0)).toEqual({ granted: 15, nextAt: T0 });
        expect(await store.takeTokens('dingtalk/a', 20, 10, T0)).toEqual({ granted: 5, nextAt: T0 + 3_000 });
        expect(await store.takeTokens('dingtalk/a', 20, 1, T0 + 2_999)).toEqual({ granted: 0, nextAt: T0 + 3_000 });
        expect((await store.takeTokens('dingtalk/a', 20, 5, T0 + 6_000)).granted).toBe(2);
        // Another target has its own bucket.
        expect((await store.takeTokens('dingtalk/b', 20, 30, T0)).granted).toBe(20);
      });

      it('is empty after a drain until it refills', async () => {
        const store = await fresh();
        await store.takeTokens('wecom/a', 20, 1, T0);
        await store.drainTokens('wecom/a', 20, T0 + 1_000);
        expect(await store.takeTokens('wecom/a', 20, 1, T0 + 3_999)).toEqual({ granted: 0, nextAt: T0 + 4_000 });
        expect((await store.takeTokens('wecom/a', 20, 1, T0 + 4_000)).granted).toBe(1);
      });

      it('is one bucket for two stores on the same storage: taking at once, together they never exceed the rate', async () => {
        const one = await fresh();
        const two = await another();
        const takes = Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).takeTokens('dingtalk/shared', 18, 1, T0 + i));
        const granted = (await Promise.all(takes)).reduce((n, t) => n + t.granted, 0);
        // 18 at the start, plus what 39 ms of refill add: not a whole token.
        expect(granted).toBe(18);
        expect((await one.takeTokens('dingtalk/shared', 18, 5, T0 + 2 * MINUTE)).granted).toBe(5);
        expect((await two.takeTokens('dingtalk/shared', 18, 20, T0 + 2 * MINUTE)).granted).toBe(13);
      });
    });

    describe('escalation timers', () => {
      const escalationJob = (alert: string, receiver: string, step: number) => ({ channel: 'sms', receiver, alertIds: [alert], kind: 'escalation' as const, groupKey: `escalation:${alert}:${step}`, dueAt: T0 + 10 * MINUTE });

      it('fires a claimed step: its jobs, an escalated event, the next step, and never twice', async () => {
        const store = await fresh();
        await store.ingest(notification([{ fingerprint: 'a', escalation: ESCALATION }]));
        const now = T0 + 10 * MINUTE;
        const [timer] = await store.claimTimers(now, 'r1', MINUTE, 10);
        expect(await store.claimTimers(now, 'r2', MINUTE, 10)).toEqual([]);
        expect(await store.fireTimer(timer!.id, 'r2', now, [escalationJob(idOf('a'), 'oncall-sms', 0)])).toBe(false);

        expect(await store.fireTimer(timer!.id, 'r1', now, [escalationJob(idOf('a'), 'oncall-sms', 0)], { step: 1, dueAt: T0 + 30 * MINUTE })).toBe(true);
        expect(await store.fireTimer(timer!.id, 'r1', now, [escalationJob(idOf('a'), 'oncall-sms', 0)])).toBe(false);

        const jobs = await store.claimJobs(now, 'r1', MINUTE, 10);
        expect(jobs.filter((j) => j.kind === 'escalation')).toMatchObject([{ receiver: 'oncall-sms', alertIds: [idOf('a')] }]);
        expect((await store.events(idOf('a'))).filter((e) => e.type === 'escalated').map((e) => e.detail)).toEqual([{ step: 0, receivers: ['oncall-sms'] }]);
        expect(await store.claimTimers(T0 + 30 * MINUTE - 1, 'r1', MINUTE, 10)).toEqual([]);
        expect(await store.claimTimers(T0 + 30 * MINUTE, 'r1', MINUTE, 10)).toMatchObject([{ alertId: idOf('a'), step: 1, dueAt: T0 + 30 * MINUTE }]);
      });

      it('does nothing when the alert was confirmed after the claim', async () => {
        const store = await fresh();
        await store.ingest(notification([{ fingerprint: 'a', escalation: ESCALATION }]));
        const now = T0 + 10 * MINUTE;
        const [timer] = await store.claimTimers(now, 'r1', MINUTE, 10);
        await store.confirm(idOf('a'), 'alice', '', now);
        const pendingBefore = (await store.gauges(now)).pendingJobs;

        expect(await store.fireTimer(timer!.id, 'r1', now, [escalationJob(idOf('a'), 'oncall-sms', 0)], { step: 1, dueAt: T0 + 30 * MINUTE })).toBe(false);
        expect((await store.gauges(T0 + 60 * MINUTE)).pendingJobs).toBe(pendingBefore);
        expect(await store.claimTimers(T0 + 60 * MINUTE, 'r1', MINUTE, 10)).toEqual([]);
        expect((await store.events(idOf('a'))).map((e) => e.type)).not.toContain('escalated');
      });
    });

    describe('confirmation expiry', () => {
      const reopenJob = (alert: string, now: number) => ({ channel: 'dingtalk', receiver: 'oncall-dingtalk', alertIds: [alert], kind: 'firing' as const, groupKey: `reopened:${alert}`, dueAt: now });
      const expiresAt = T0 + 32 * MINUTE;

      it('sets the expiry timer (step -1) with a confirmation that expires, and none without', async () => {
        const store = await fresh();
        await store.ingest(notification([{ fingerprint: 'a', escalation: ESCALATION }, { fingerprint: 'b', escalation: ESCALATION }]));
        await store.confirm(idOf('a'), 'alice', 'on it', T0 + 2 * MINUTE, expiresAt);
        await store.confirm(idOf('b'), 'alice', 'on it', T0 + 2 * MINUTE);
        expect(await store.claimTimers(expiresAt - 1, 'r1', MINUTE, 10)).toEqual([]);
        expect(await store.claimTimers(T0 + 600 * MINUTE, 'r1', MINUTE, 10)).toEqual([{ id: expect.any(Number), alertId: idOf('a'), step: -1, dueAt: expiresAt }]);
      });

      it('opens a still confirmed alert again: record, reopened event, the new notice, the escalation from its first step', async () => {
        const store = await fresh();
        await store.ingest(notification([{ fingerprint: 'a', escalation: ESCALATION }]));
        await store.confirm(idOf('a'), 'alice', 'on it', T0 + 2 * MINUTE, expiresAt);
        const [first] = await store.claimJobs(T0 + MINUTE, 'r0', MINUTE, 10);
        await store.finishJob(first!.id, 'r0', { ok: true, detail: {} }, T0 + MINUTE);
        const [timer] = await store.claimTimers(expiresAt, 'r1', MINUTE, 10);

        expect(await store.fireTimer(timer!.id, 'r1', expiresAt, [reopenJob(idOf('a'), expiresAt)], { step: 0, dueAt: expiresAt + 10 * MINUTE })).toBe(true);
        expect(await store.fireTimer(timer!.id, 'r1', expiresAt, [reopenJob(idOf('a'), expiresAt)])).toBe(false);

        const alert = await store.getAlert(idOf('a'));
        expect(alert).toMatchObject({ status: 'open', updatedAt: expiresAt });
        expect(alert).not.toHaveProperty('confirmedBy');
        expect(alert).not.toHaveProperty('confirmedAt');
        const events = (await store.events(idOf('a'))).map((e) => [e.type, e.at, e.detail]);
        expect(events.slice(-2)).toEqual([
          ['confirmed', T0 + 2 * MINUTE, { user: 'alice', comment: 'on it' }],
          ['reopened', expiresAt, { reason: 'confirmation expired' }],
        ]);
        expect(await store.claimJobs(expiresAt, 'r2', MINUTE, 10)).toMatchObject([{ kind: 'firing', receiver: 'oncall-dingtalk', alertIds: [idOf('a')], groupKey: `reopened:${idOf('a')}` }]);
        expect(await store.claimTimers(expiresAt + 10 * MINUTE - 1, 'r1', MINUTE, 10)).toEqual([]);
        expect(await store.claimTimers(expiresAt + 10 * MINUTE, 'r1', MINUTE, 10)).toMatchObject([{ alertId: idOf('a'), step: 0, dueAt: expiresAt + 10 * MINUTE }]);
      });

      it('can be confirmed again once reopened, with a new expiry and no escalation left over', async () => {
        const store = await fresh();
        await store.ingest(notification([{ fingerprint: 'a', escalation: ESCALATION }]));
        await store.confirm(idOf('a'), 'alice', '', T0 + 2 * MINUTE, expiresAt);
        const [timer] = await store.claimTimers(expiresAt, 'r1', MINUTE, 10);
        await store.fireTimer(timer!.id, 'r1', expiresAt, [], { step: 0, dueAt: expiresAt + 10 * MINUTE });

        const again = T0 + 35 * MINUTE;
        expect(await store.confirm(idOf('a'), 'bob', 'still on it', again, again + 30 * MINUTE)).toMatchObject({ ok: true, alert: { status: 'confirmed', confirmedBy: 'bob', confirmedAt: again } });
        expect(await store.claimTimers(T0 + 600 * MINUTE, 'r1', MINUTE, 10)).toMatchObject([{ step: -1, dueAt: again + 30 * MINUTE }]);
        expect((await store.events(idOf('a'))).map((e) => e.type)).toEqual(['received', 'confirmed', 'reopened', 'confirmed']);
      });

      it('does nothing when the alert was closed or resolved after the claim', async () => {
        const store = await fresh();
        await store.ingest(notification([{ fingerprint: 'a' }, { fingerprint: 'b' }]));
        await store.confirm(idOf('a'), 'alice', '', T0 + 2 * MINUTE, expiresAt);
        await store.confirm(idOf('b'), 'alice', '', T0 + 2 * MINUTE, expiresAt);
        const timers = await store.claimTimers(expiresAt, 'r1', MINUTE, 10);
        expect(timers).toHaveLength(2);
        await store.close(idOf('a'), 'bob', 'fixed', expiresAt);
        await store.ingest(notification([{ fingerprint: 'b', status: 'resolved', endsAt: expiresAt }], { receivedAt: expiresAt }));
        const pendingBefore = (await store.gauges(expiresAt)).pendingJobs;

        for (const timer of timers) expect(await store.fireTimer(timer.id, 'r1', expiresAt, [reopenJob(timer.alertId, expiresAt)], { step: 0, dueAt: expiresAt + 10 * MINUTE })).toBe(false);
        expect((await store.gauges(expiresAt)).pendingJobs).toBe(pendingBefore);
        expect(await store.claimTimers(T0 + 600 * MINUTE, 'r2', MINUTE, 10)).toEqual([]);
        expect((await store.getAlert(idOf('a')))?.status).toBe('closed');
        expect((await store.getAlert(idOf('b')))?.status).toBe('resolved');
        for (const id of [idOf('a'), idOf('b')]) expect((await store.events(id)).map((e) => e.type)).not.toContain('reopened');
      });

      it('ends the expiry timer when the confirmed alert is closed or resolves', async () => {
        const store = await fresh();
        await store.ingest(notification([{ fingerprint: 'a' }, { fingerprint: 'b' }]));
        await store.confirm(idOf('a'), 'alice', '', T0 + 2 * MINUTE, expiresAt);
        await store.confirm(idOf('b'), 'alice', '', T0 + 2 * MINUTE, expiresAt);
        await store.close(idOf('a'), 'bob', 'fixed', T0 + 3 * MINUTE);
        await store.ingest(notification([{ fingerprint: 'b', status: 'resolved', endsAt: T0 + 3 * MINUTE }], { receivedAt: T0 + 4 * MINUTE }));
        expect((await store.gauges(T0 + 600 * MINUTE)).dueTimers).toBe(0);
        expect(await store.claimTimers(T0 + 600 * MINUTE, 'r1', MINUTE, 10)).toEqual([]);
      });
    });

    describe('migration', () => {
      it('migrates idempotently: migrate() twice and another store on the same storage keep the data', async () => {
        const store = await fresh();
        await store.ingest(notification([{ fingerprint: 'a' }]));
        await store.migrate();
        await store.migrate();
        const second = await another();
        expect((await second.getAlert(idOf('a')))?.status).toBe('open');
      });
    });

    describe('history queries', () => {
      /** Five alerts, one per minute from T0: a warning resolved, a critical confirmed then resolved, one closed, two open. */
      async function history(store: RelayStore): Promise<void> {
        const at = (minute: number) => T0 + minute * MINUTE;
        await store.ingest(
          notification(
            [
              { fingerprint: 'w1', startsAt: at(0), severity: 'warning' },
              { fingerprint: 'c1', startsAt: at(1) },
              { fingerprint: 'c2', startsAt: at(2) },
              { fingerprint: 'w2', startsAt: at(3), severity: 'warning' },
              { fingerprint: 'c3', startsAt: at(4) },
            ],
            { receivedAt: at(5) },
          ),
        );
        await store.ingest(notification([{ fingerprint: 'w1', startsAt: at(0), severity: 'warning', status: 'resolved', endsAt: at(10) }], { receivedAt: at(10) }));
        await store.confirm(idOf('c1', at(1)), 'alice', '', at(3));
        await store.ingest(notification([{ fingerprint: 'c1', startsAt: at(1), status: 'resolved', endsAt: at(21) }], { receivedAt: at(21) }));
        await store.close(idOf('c2', at(2)), 'bob', 'noise', at(32));
      }

      it('filters by status, severity and start time, newest first, with paging and the filtered total', async () => {
        const store = await fresh();
        await history(store);
        const all = await store.listAlerts({}, 10, 0);
        expect(all.total).toBe(5);
        expect(all.alerts.map((a) => a.fingerprint)).toEqual(['c3', 'w2', 'c2', 'c1', 'w1']);

        const page = await store.listAlerts({}, 2, 2);
        expect(page).toMatchObject({ total: 5 });
        expect(page.alerts.map((a) => a.fingerprint)).toEqual(['c2', 'c1']);

        expect((await store.listAlerts({ severity: 'critical', status: 'open' }, 10, 0)).alerts.map((a) => a.fingerprint)).toEqual(['c3']);
        const window = await store.listAlerts({ startTime: T0 + MINUTE, endTime: T0 + 3 * MINUTE }, 10, 0);
        expect(window.alerts.map((a) => a.fingerprint)).toEqual(['c2', 'c1']);
        expect((await store.listAlerts({ status: 'open' }, 1, 0)).total).toBe(2);
      });

      it('computes totals, sorted groups and mean times to confirm and to resolve', async () => {
        const store = await fresh();
        await history(store);
        expect(await store.statistics({}, 'severity')).toEqual({
          total: 5,
          groups: { critical: 3, warning: 2 },
          meanTimeToConfirmSeconds: 120,
          // w1: 10 min, c1: 20 min, c2 (closed): 30 min
          meanTimeToResolveSeconds: 1_200,
        });
        expect((await store.statistics({}, 'status')).groups).toEqual({ closed: 1, open: 2, resolved: 2 });
        expect(Object.keys((await store.statistics({}, 'status')).groups)).toEqual(['closed', 'open', 'resolved']);
        expect(await store.statistics({ severity: 'warning', status: 'open' }, 'status')).toEqual({ total: 1, groups: { open: 1 }, meanTimeToConfirmSeconds: null, meanTimeToResolveSeconds: null });
      });

      it('returns alerts by id in the order asked, skipping unknown ids', async () => {
        const store = await fresh();
        await history(store);
        const alerts = await store.getAlerts([idOf('c3', T0 + 4 * MINUTE), 'unknown', idOf('w1')]);
        expect(alerts.map((a) => a.fingerprint)).toEqual(['c3', 'w1']);
      });
    });


    describe('volume', () => {
      it('holds 10,000 alerts after 2,000 payloads of 5', async () => {
        const store = await fresh();
        const started = performance.now();
        for (let p = 0; p < 2_000; p++) {
          const alerts = Array.from({ length: 5 }, (_, i) => ({ fingerprint: `fp-${p}-${i}`, escalation: ESCALATION }));
          await store.ingest(notification(alerts, { groupKey: `group-${p}`, receivedAt: T0 + MINUTE + p }));
        }
        const elapsed = performance.now() - started;
        const { total } = await store.listAlerts({}, 1, 0);
        expect(total).toBe(10_000);
        expect((await store.gauges(T0 + MINUTE)).pendingJobs).toBe(2_000);
        console.info(`${name} ingest: 2,000 payloads of 5 alerts in ${elapsed.toFixed(0)} ms (${(elapsed / 2_000).toFixed(2)} ms each)`);
      });

      it('records one payload of 100 alerts whole', async () => {
        const store = await fresh();
        const alerts = Array.from({ length: 100 }, (_, i) => ({ fingerprint: `big-${i}`, escalation: ESCALATION }));
        const started = performance.now();
        const result = await store.ingest(notification(alerts));
        const elapsed = performance.now() - started;
        expect(result.alerts.map((a) => a.fingerprint)).toEqual(alerts.map((a) => a.fingerprint));
        expect(result.job?.alertIds).toHaveLength(100);
        expect(await store.gauges(T0 + 10 * MINUTE)).toEqual({ pendingJobs: 1, dueTimers: 100, deadLetters: 0 });
        console.info(`${name} ingest: one payload of 100 alerts in ${elapsed.toFixed(1)} ms`);
      });
    });
  });
}
