import { afterEach, describe, expect, it } from 'vitest';
import { parseRelayConfig } from './config.ts';
import { secretReader } from './secrets.ts';
import { openSqliteStore } from './store/sqlite.ts';
import { ESCALATION, idOf, MINUTE, notification, T0 } from './store/store-contract.ts';
import type { AlertRecord, RelayStore } from './types.ts';
import { reopenJobs, Worker } from './worker.ts';

const config = parseRelayConfig(
  [
    'receivers:',
    '  oncall-dingtalk: { dingtalk: { webhook: { env: DINGTALK_WEBHOOK } } }',
    '  oncall-sms: { sms: { to: ["+8613800000000"] } }',
    'escalation:',
    '  critical: [{ after: 10m, receivers: [oncall-sms] }, { after: 30m, receivers: [oncall-sms] }]',
    'confirmExpiry: { critical: 30m }',
  ].join('\n'),
);

let store: RelayStore;
afterEach(() => store.close());

/** A worker whose clock is `clock.now`; nothing it sends gets anywhere (every fetch fails, no secret is set). */
function workerAt(clock: { now: number }): Worker {
  const fetch = async () => {
    throw new Error('offline');
  };
  return new Worker(store, () => ({ config, secrets: secretReader({}), fetch }), { owner: 'w', leaseMs: MINUTE, retryDelaysMs: [MINUTE], language: 'en', timeZone: 'UTC', batch: 10, now: () => clock.now });
}

describe('worker: a confirmation that expires', () => {
  it('opens the alert again, notifies its receiver, and starts the escalation over from the reopening', async () => {
    store = openSqliteStore(':memory:');
    await store.ingest(notification([{ fingerprint: 'a', escalation: ESCALATION }]));
    const expiresAt = T0 + 2 * MINUTE + 30 * MINUTE;
    await store.confirm(idOf('a'), 'alice', '', T0 + 2 * MINUTE, expiresAt);
    const clock = { now: expiresAt };
    const worker = workerAt(clock);

    await worker.round();
    expect((await store.getAlert(idOf('a')))?.status).toBe('open');
    const notices = (await store.events(idOf('a'))).filter((e) => e.at === expiresAt && e.type !== 'reopened').map((e) => [e.type, e.detail.receiver, e.detail.kind]);
    // The reopening's notice went to the receiver that first recorded the alert (and failed here: no secret).
    expect(notices).toContainEqual(['notify_failed', 'oncall-dingtalk', 'firing']);

    clock.now = expiresAt + 10 * MINUTE - 1;
    expect((await worker.round()).escalated).toBe(0);
    clock.now = expiresAt + 10 * MINUTE;
    expect((await worker.round()).escalated).toBe(1);
    // The second step counts from the reopening too, not from the alert's start (long past).
    clock.now = expiresAt + 30 * MINUTE - 1;
    expect((await worker.round()).escalated).toBe(0);
    clock.now = expiresAt + 30 * MINUTE;
    expect((await worker.round()).escalated).toBe(1);
  });
});

describe('worker: the last escalation step repeats', () => {
  it('notifies the last tier again every `repeat` while the alert stays open, and stops once it is confirmed', async () => {
    store = openSqliteStore(':memory:');
    const repeating = parseRelayConfig(
      ['receivers:', '  oncall-sms: { sms: { to: ["+8613800000000"] } }', 'escalation:', '  critical: [{ after: 10m, receivers: [oncall-sms], repeat: 20m }]'].join('\n'),
    );
    const steps = repeating.escalation.get('critical')!;
    expect(steps).toEqual([{ afterMs: 10 * MINUTE, receivers: ['oncall-sms'], repeatMs: 20 * MINUTE }]);
    await store.ingest(notification([{ fingerprint: 'r', escalation: steps }]));
    const clock = { now: T0 + 10 * MINUTE };
    const fetch = async () => {
      throw new Error('offline');
    };
    const worker = new Worker(store, () => ({ config: repeating, secrets: secretReader({}), fetch }), { owner: 'w', leaseMs: MINUTE, retryDelaysMs: [], language: 'en', timeZone: 'UTC', batch: 10, now: () => clock.now });
    expect((await worker.round()).escalated).toBe(1);
    clock.now += 20 * MINUTE - 1;
    expect((await worker.round()).escalated).toBe(0);
    clock.now += 1;
    expect((await worker.round()).escalated).toBe(1);
    clock.now += 20 * MINUTE;
    expect((await worker.round()).escalated).toBe(1);
    await store.confirm(idOf('r'), 'alice', '', clock.now);
    clock.now += 20 * MINUTE;
    expect((await worker.round()).escalated).toBe(0);
    expect((await store.events(idOf('r'))).filter((e) => e.type === 'escalated')).toHaveLength(3);
  });

  it('refuses a repeat that is not a duration above zero', () => {
    expect(() => parseRelayConfig('escalation:\n  critical: [{ after: 10m, receivers: [a], repeat: 0s }]\n')).toThrow('escalation.critical[0].repeat: must be a duration longer than 0');
  });
});

describe('reopenJobs: who hears that a confirmation expired', () => {
  const reopening = parseRelayConfig(
    [
      'receivers:',
      '  oncall-dingtalk: { dingtalk: { webhook: { env: DINGTALK_WEBHOOK } } }',
      '  oncall-sms: { sms: { to: ["+8613800000000"] } }',
      '  managers: { email: { to: [managers@example.com] }, dingtalk: { webhook: { env: MANAGERS_WEBHOOK } } }',
      'escalation:',
      '  critical: [{ after: 10m, receivers: [managers, oncall-sms, managers] }, { after: 30m, receivers: [oncall-dingtalk] }]',
      '  warning: [{ after: 10m, receivers: [mail-only] }]',
    ].join('\n'),
  );
  const alert = (receiver: string, severity: string) => ({ id: 'a1', receiver, severity }) as AlertRecord;
  const told = (receiver: string, severity: string) => reopenJobs(alert(receiver, severity), reopening, T0).map((j) => `${j.receiver}/${j.channel}`);

  it.each([
    ['its own receiver, on each of its relay channels', 'managers', 'critical', ['managers/dingtalk', 'managers/email']],
    ['the first escalation step (each receiver once) when its own receiver has only Alertmanager channels', 'mail-only', 'critical', ['managers/dingtalk', 'managers/email', 'oncall-sms/sms']],
    ['nobody when the first step has no relay channel either', 'mail-only', 'warning', []],
    ['nobody when its severity has no escalation', 'mail-only', 'info', []],
  ])('tells %s', (_what, receiver, severity, want) => {
    expect(told(receiver, severity)).toEqual(want);
  });

  it('makes firing notices about the alert, due now, grouped as its reopening', () => {
    expect(reopenJobs(alert('mail-only', 'critical'), reopening, T0)[0]).toEqual({ channel: 'dingtalk', receiver: 'managers', alertIds: ['a1'], kind: 'firing', groupKey: 'reopened:a1', dueAt: T0 });
  });

  it('the worker sends the reopened notice of a receiver without relay channels to the first escalation step', async () => {
    store = openSqliteStore(':memory:');
    await store.ingest(notification([{ fingerprint: 'm', escalation: ESCALATION }], { receiver: 'mail-only', channel: 'dingtalk' }));
    const expiresAt = T0 + 2 * MINUTE + 30 * MINUTE;
    await store.confirm(idOf('m'), 'alice', '', T0 + 2 * MINUTE, expiresAt);
    await store.claimJobs(T0 + 2 * MINUTE, 'elsewhere', 60 * MINUTE, 10); // the first notice is not this test's
    await workerAt({ now: expiresAt }).round();
    expect((await store.getAlert(idOf('m')))?.status).toBe('open');
    const notices = (await store.events(idOf('m'))).filter((e) => e.at === expiresAt && e.type !== 'reopened').map((e) => [e.detail.receiver, e.detail.kind]);
    // config's critical escalation starts with oncall-sms (which fails here: no SMS provider), not with mail-only.
    expect(notices).toEqual([['oncall-sms', 'firing']]);
  });
});
