import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Fetch } from './channels/types.ts';
import { parseRelayConfig } from './config.ts';
import { secretReader } from './secrets.ts';
import { openSqliteStore } from './store/sqlite.ts';
import { MINUTE, notification, T0 } from './store/store-contract.ts';
import type { RelayStore } from './types.ts';
import { Worker } from './worker.ts';

const config = parseRelayConfig(
  [
    'relay: { sms: { provider: http, url: "http://gateway.test/send" } }',
    'receivers:',
    '  oncall-dingtalk: { dingtalk: { webhook: { env: DINGTALK_WEBHOOK } } }',
    '  oncall-sms: { sms: { to: ["+8613800000000"] } }',
  ].join('\n'),
);

/** A provider that answers only when told: `release()` lets every send so far through. */
function heldProvider() {
  const sends: string[] = [];
  let inFlight = 0;
  let most = 0;
  let waiting: (() => void)[] = [];
  const fetch: Fetch = async (url, init) => {
    sends.push(`${url} ${init.body}`);
    most = Math.max(most, ++inFlight);
    await new Promise<void>((resolve) => waiting.push(resolve));
    inFlight--;
    return { status: 200, text: async () => '{"errcode":0,"errmsg":"ok"}' };
  };
  const release = () => {
    const all = waiting;
    waiting = [];
    for (const go of all) go();
  };
  return { fetch, sends, release, most: () => most };
}

const stores: RelayStore[] = [];
let dir: string | undefined;
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

function workerOn(store: RelayStore, fetch: Fetch, owner = 'w', batch = 100): Worker {
  const secrets = secretReader({ DINGTALK_WEBHOOK: 'http://dingtalk.test/robot/send?access_token=t' });
  return new Worker(store, () => ({ config, secrets, fetch }), { owner, leaseMs: MINUTE, retryDelaysMs: [MINUTE], language: 'en', timeZone: 'UTC', batch, now: () => T0 + MINUTE });
}

const until = async (done: () => boolean) => {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(done()).toBe(true);
};

describe('worker: claiming while sends are in flight', () => {
  it('sends a notice stored mid-send at once, without waiting for the sends before it', async () => {
    const store = openSqliteStore(':memory:');
    stores.push(store);
    const provider = heldProvider();
    const worker = workerOn(store, provider.fetch);
    await store.ingest(notification([{ fingerprint: 'first' }], { receiver: 'oncall-sms', channel: 'sms' }));
    const first = await worker.pump();
    await until(() => provider.sends.length === 1);

    await store.ingest(notification([{ fingerprint: 'second' }], { receiver: 'oncall-sms', channel: 'sms' }));
    const second = await worker.pump();
    // The first send still hangs; the second is out anyway.
    await until(() => provider.sends.length === 2);
    expect(provider.sends[1]).toContain('second');
    provider.release();
    expect([await first.sends, await second.sends]).toEqual([1, 1]);
    expect((await store.gauges(T0 + MINUTE)).pendingJobs).toBe(0);
  });

  it('keeps at most 8 sends in flight to one target across claims, and delivers the rest as slots free', async () => {
    const store = openSqliteStore(':memory:');
    stores.push(store);
    const provider = heldProvider();
    const worker = workerOn(store, provider.fetch);
    const pumps = [];
    for (let i = 0; i < 12; i++) {
      await store.ingest(notification([{ fingerprint: `n${i}` }], { receiver: 'oncall-sms', channel: 'sms', receivedAt: T0 + i }));
      pumps.push(await worker.pump());
    }
    await until(() => provider.sends.length === 8);
    await new Promise((r) => setTimeout(r, 20));
    expect(provider.sends).toHaveLength(8);
    while (provider.sends.length < 12) {
      provider.release();
      await new Promise((r) => setTimeout(r, 5));
    }
    provider.release();
    expect((await Promise.all(pumps.map((p) => p.sends))).reduce((a, b) => a + b, 0)).toBe(12);
    expect(provider.most()).toBe(8);
  });

  it('records the outcomes of sends that answer together in one transaction each batch', async () => {
    const store = openSqliteStore(':memory:');
    stores.push(store);
    let calls = 0;
    const counted = Object.create(store) as RelayStore;
    counted.finishJobs = (finishes, owner, now) => {
      calls++;
      return store.finishJobs(finishes, owner, now);
    };
    const provider = heldProvider();
    const worker = workerOn(counted, provider.fetch);
    for (let i = 0; i < 6; i++) await store.ingest(notification([{ fingerprint: `b${i}` }], { receiver: 'oncall-sms', channel: 'sms', receivedAt: T0 + i }));
    const { sends } = await worker.pump();
    await until(() => provider.sends.length === 6);
    provider.release();
    expect(await sends).toBe(6);
    expect(calls).toBe(1);
  });
});

describe('worker: a robot’s rate bucket shared by two relays', () => {
  it('sends no more than the bucket holds across both, the rest as a digest, and holds back what comes after without spending an attempt', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-worker-bucket-'));
    const file = path.join(dir, 'relay.db');
    const one = openSqliteStore(file);
    const two = openSqliteStore(file);
    stores.push(one, two);
    const sent: string[] = [];
    const fetch: Fetch = async (url, init) => {
      sent.push(init.body);
      return { status: 200, text: async () => '{"errcode":0,"errmsg":"ok"}' };
    };
    // 30 separate groups for one robot, at one moment: the bucket (18 a minute) is all either relay may use.
    for (let i = 0; i < 30; i++) await one.ingest(notification([{ fingerprint: `r${i}` }], { groupKey: `g${i}`, receivedAt: T0 + i }));
    // Each relay claims half, as two replicas would: alone, each would think the robot's 18 tokens its own.
    const a = workerOn(one, fetch, 'relay-a', 15);
    const b = workerOn(two, fetch, 'relay-b', 15);
    const results = await Promise.all([a.round(), b.round()]);
    expect(sent).toHaveLength(18);
    // Every alert went out, alone or in the digest that took the last token.
    expect(results.reduce((n, r) => n + r.delivered, 0)).toBe(30);
    // Nothing is left for the robot this minute: the next claim finds the bucket empty and holds back.
    await one.ingest(notification([{ fingerprint: 'late' }], { groupKey: 'late', receivedAt: T0 + 40 }));
    expect((await a.round()).delivered).toBe(0);
    expect(sent).toHaveLength(18);
    const [held] = await one.claimJobs(T0 + 2 * MINUTE, 'check', MINUTE, 100);
    expect(held).toMatchObject({ attempts: 0, status: 'pending' });
  });
});
