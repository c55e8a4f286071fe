import { spawnSync } from 'node:child_process';
import { closeSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CacheStore } from './store.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'vigil-cache-test-'));
  dirs.push(d);
  return d;
}

async function reopened<T>(dir: string, sparse = false): Promise<CacheStore<T>> {
  const store = new CacheStore<T>(dir, 'ns', { sparse });
  await store.open();
  return store;
}

describe('CacheStore', () => {
  it('gives back, in the next run, exactly the values YAML can produce (non-finite numbers, -0, shared objects)', async () => {
    const dir = await tempDir();
    const shared = { a: 1 };
    const value = { inf: Infinity, nan: NaN, negZero: -0, list: [shared, shared], text: 'x' };
    const first = await reopened<typeof value>(dir);
    first.set('k', value);
    await first.flush();
    const got = (await reopened<typeof value>(dir)).get('k')!;
    expect(got.inf).toBe(Infinity);
    expect(Number.isNaN(got.nan)).toBe(true);
    expect(Object.is(got.negZero, -0)).toBe(true);
    expect(got.list[0]).toBe(got.list[1]);
  });

  it('hands out copies: changing a value after set or get does not change the cache', async () => {
    const store = await reopened<{ n: number }>(await tempDir());
    const value = { n: 1 };
    store.set('k', value);
    value.n = 2;
    store.get('k')!.n = 3;
    expect(store.get('k')).toEqual({ n: 1 });
  });

  it('never gives a wrong value from a damaged or truncated file, and a run that rewrites it keeps only what it used', async () => {
    const dir = await tempDir();
    const first = await reopened<string>(dir);
    const values = { a: 'A', b: 'B'.repeat(40), 'c\0key': 'C' };
    for (const [k, v] of Object.entries(values)) first.set(k, v);
    await first.flush();
    expect((await readdir(path.join(dir, 'ns'))).sort()).toEqual(['base.bin', 'delta.bin']);
    const file = path.join(dir, 'ns', 'base.bin');
    const bytes = await readFile(file);
    // Records read from the whole file, and one by one (sparse): the same answers.
    const readAll = async () => {
      const [whole, sparse] = [await reopened<string>(dir), await reopened<string>(dir, true)];
      const got = Object.keys(values).map((k) => whole.get(k));
      expect(Object.keys(values).map((k) => sparse.get(k))).toEqual(got);
      return got;
    };
    expect(await readAll()).toEqual(Object.values(values));
    // Every byte flipped in turn, and the file cut at every length: each entry is its value or none, never another.
    for (let i = 0; i < bytes.length; i++) {
      const flipped = Buffer.from(bytes);
      flipped[i]! ^= 0x20;
      await writeFile(file, flipped);
      const got = await readAll();
      got.forEach((v, j) => expect(v === undefined || v === Object.values(values)[j], `byte ${i}`).toBe(true));
      expect(got.some((v) => v === undefined), `byte ${i}`).toBe(true);
    }
    for (let length = 0; length < bytes.length; length++) {
      await writeFile(file, bytes.subarray(0, length));
      expect(await readAll(), `${length} bytes`).toEqual([undefined, undefined, undefined]);
    }
    await writeFile(file, 'not a cache');
    const again = await reopened<string>(dir);
    expect(again.get('a')).toBeUndefined();
    again.set('d', 'D');
    await again.flush();
    const next = await reopened<string>(dir);
    expect([next.get('a'), next.get('d')]).toEqual([undefined, 'D']);
  });

  it('writes a small addition to a large cache as a delta, and reads both back', async () => {
    const dir = await tempDir();
    const first = await reopened<number>(dir);
    for (let i = 0; i < 100; i++) first.set(`k${i}`, i);
    await first.flush();
    const base = await readFile(path.join(dir, 'ns', 'base.bin'));
    const second = await reopened<number>(dir);
    for (let i = 0; i < 100; i++) second.get(`k${i}`);
    second.set('k100', 100);
    await second.flush();
    expect((await readFile(path.join(dir, 'ns', 'base.bin'))).equals(base)).toBe(true);
    expect((await readFile(path.join(dir, 'ns', 'delta.bin'))).length).toBeLessThan(base.length / 10);
    const third = await reopened<number>(dir);
    expect([third.get('k0'), third.get('k99'), third.get('k100')]).toEqual([0, 99, 100]);
  });

  // A file is written in groups of 1024 parts (its header, then its records): sizes around a group's edge, each entry
  // read back whole from a store that reads every record from the file (sparse) and from one that reads the file once.
  it.each([1022, 1023, 1024, 2047, 2048, 3000])('writes and reads back %i entries of different sizes', async (count) => {
    const dir = await tempDir();
    const value = (i: number) => `${i}:${'v'.repeat(i % 97)}`;
    const first = await reopened<string>(dir);
    for (let i = 0; i < count; i++) first.set(`k${i}`, value(i));
    await first.flush();
    for (const sparse of [true, false]) {
      const next = await reopened<string>(dir, sparse);
      expect(next.size).toBe(count);
      const wrong = Array.from({ length: count }, (_, i) => i).filter((i) => next.get(`k${i}`) !== value(i));
      expect(wrong).toEqual([]);
    }
  });

  it("removes the temporary files a killed run left when it writes the store, and keeps a live writer's", async () => {
    const dir = await tempDir();
    const folder = path.join(dir, 'ns');
    await mkdir(folder, { recursive: true });
    // No process can have this pid (above Linux's PID_MAX_LIMIT and macOS's limit): its writer is gone.
    const gone = `.base.bin.vigil-4194305-0a1b2c3d`;
    const goneScratch = `.scratch.bin.vigil-4194305-0e0e0e0e`;
    const live = `.delta.bin.vigil-${process.pid}-0badf00d`;
    for (const name of [gone, goneScratch, live, 'unrelated.txt']) await writeFile(path.join(folder, name), 'x'.repeat(1000));
    const store = await reopened<string>(dir);
    store.set('k', 'v');
    await store.flush();
    expect((await readdir(folder)).sort()).toEqual([live, 'base.bin', 'delta.bin', 'unrelated.txt'].sort());
    expect((await reopened<string>(dir)).get('k')).toBe('v');
  });

  // What a run sets waits for the flush in a scratch file, not in memory (a build filling an empty cache sets ≈ 50 MB).
  it('keeps what a run sets in a scratch file until the flush, which writes it into the store and removes the file', async () => {
    const dir = await tempDir();
    const folder = path.join(dir, 'ns');
    const scratchFiles = async () => (await readdir(folder).catch(() => [] as string[])).filter((n) => n.startsWith('.scratch.bin.vigil-'));
    const store = await reopened<string>(dir);
    // 3,000 values of ≈ 1 kB: three megabytes, so most of them are in the file before the flush.
    const value = (i: number, run: string) => `${run}${i}:${'v'.repeat(1000 + (i % 13))}`;
    for (let i = 0; i < 3000; i++) store.set(`k${i}`, value(i, 'first'));
    const [scratch] = await scratchFiles();
    expect(scratch).toMatch(new RegExp(`^\\.scratch\\.bin\\.vigil-${process.pid}-[0-9a-f]{8}$`));
    expect((await stat(path.join(folder, scratch!))).size).toBeGreaterThan(2_000_000);
    // Read back before the flush: from the file and from what is not written yet alike.
    expect([store.get('k0'), store.get('k2999')]).toEqual([value(0, 'first'), value(2999, 'first')]);
    // Set again: the first records stay in the scratch file unused, and only the last value is kept.
    for (let i = 0; i < 3000; i += 2) store.set(`k${i}`, value(i, 'second'));
    await store.flush();
    expect(await scratchFiles()).toEqual([]);
    const wanted = (i: number) => value(i, i % 2 === 0 ? 'second' : 'first');
    // The same store after its flush, and the next run's, sparse or not.
    for (const next of [store, await reopened<string>(dir), await reopened<string>(dir, true)]) {
      const wrong = Array.from({ length: 3000 }, (_, i) => i).filter((i) => next.get(`k${i}`) !== wanted(i));
      expect(wrong).toEqual([]);
    }
  });

  // A command that stops on an error does not flush: its scratch file goes as the process exits, however it exits.
  it.each(['end of the script', 'process.exit(2)', 'an uncaught error'])('removes its scratch file when the process exits without a flush: %s', async (how) => {
    const dir = await tempDir();
    const store = path.resolve('src/cache/store.ts');
    const ending = how === 'process.exit(2)' ? 'process.exit(2);' : how === 'an uncaught error' ? "throw new Error('stop');" : '';
    const script = `import { readdirSync } from 'node:fs';
      const { CacheStore } = await import(${JSON.stringify(store)});
      const s = new CacheStore(${JSON.stringify(dir)}, 'ns');
      await s.open();
      for (let i = 0; i < 2000; i++) s.set('k' + i, 'v'.repeat(1000));
      console.log(readdirSync(${JSON.stringify(path.join(dir, 'ns'))}).join(','));
      ${ending}`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stdout.trim()).toMatch(/^\.scratch\.bin\.vigil-\d+-[0-9a-f]{8}$/);
    expect(run.status).toBe(how === 'end of the script' ? 0 : how === 'process.exit(2)' ? 2 : 1);
    expect(await readdir(path.join(dir, 'ns'))).toEqual([]);
  });

  // A full disk or a file removed from under the run: what is set later stays in memory, nothing fails, nothing is wrong.
  it('goes on in memory when its scratch file can no longer be written, and never gives a wrong value', async () => {
    const dir = await tempDir();
    const store = await reopened<string>(dir);
    const value = (i: number) => `${i}:${'v'.repeat(2000)}`;
    for (let i = 0; i < 1000; i++) store.set(`k${i}`, value(i));
    // The scratch file's descriptor closed behind the store's back: its next write fails (EBADF).
    closeSync((store as unknown as { scratch: { fd: number } }).scratch.fd);
    for (let i = 1000; i < 2000; i++) store.set(`k${i}`, value(i));
    const gotBefore = Array.from({ length: 2000 }, (_, i) => store.get(`k${i}`));
    gotBefore.forEach((v, i) => expect(v === undefined || v === value(i), `k${i}`).toBe(true));
    expect(gotBefore.slice(1500).every((v, i) => v === value(1500 + i))).toBe(true);
    await expect(store.flush()).resolves.toBeUndefined();
    expect((await readdir(path.join(dir, 'ns'))).filter((n) => n.startsWith('.scratch'))).toEqual([]);
    for (const next of [store, await reopened<string>(dir)]) {
      const got = Array.from({ length: 2000 }, (_, i) => next.get(`k${i}`));
      got.forEach((v, i) => expect(v === undefined || v === value(i), `k${i}`).toBe(true));
    }
  });

  it('writes values larger than what it reads of the scratch file at a time, between small ones', async () => {
    const dir = await tempDir();
    const sizes = [10, 3 << 20, 10, 1 << 20, (1 << 20) - 60, 10, 2 << 20];
    const first = await reopened<string>(dir);
    sizes.forEach((size, i) => first.set(`k${i}`, String.fromCharCode(97 + i).repeat(size)));
    await first.flush();
    const next = await reopened<string>(dir, true);
    expect(sizes.map((_, i) => next.get(`k${i}`)?.length)).toEqual(sizes);
    expect(sizes.every((_, i) => next.get(`k${i}`)![0] === String.fromCharCode(97 + i))).toBe(true);
  });

  it('prunes entries a run did not use when it compacts the cache', async () => {
    const dir = await tempDir();
    const first = await reopened<string>(dir);
    first.set('old', 'O');
    await first.flush();
    const second = await reopened<string>(dir);
    second.set('new', 'N');
    await second.flush();
    const third = await reopened<string>(dir);
    expect([third.get('old'), third.get('new')]).toEqual([undefined, 'N']);
  });

  it('keepLater keeps its keys through a compaction when the run writes, and a run that adds nothing asks for none', async () => {
    const dir = await tempDir();
    const first = await reopened<number>(dir);
    for (let i = 0; i < 10; i++) first.set(`k${i}`, i);
    await first.flush();
    // Nothing added: the keys are never asked for.
    const quiet = await reopened<number>(dir);
    let asked = 0;
    quiet.keepLater(() => {
      asked++;
      return [];
    });
    await quiet.flush();
    expect(asked).toBe(0);
    // One added, five kept by keepLater (one of them unknown), none read: a compaction keeps exactly those five.
    const second = await reopened<number>(dir);
    second.keepLater(() => ['k0', 'k1', 'k2', 'unknown']);
    second.keepLater(() => ['k3', 'k4']);
    second.set('k10', 10);
    await second.flush();
    const third = await reopened<number>(dir);
    expect(Array.from({ length: 11 }, (_, i) => third.get(`k${i}`))).toEqual([0, 1, 2, 3, 4, undefined, undefined, undefined, undefined, undefined, 10]);
    expect(third.get('unknown')).toBeUndefined();
    // Without keepLater the same run prunes all but what it set (the test fails if keepLater's keys are not kept).
    const fourth = await reopened<number>(dir);
    fourth.set('k11', 11);
    await fourth.flush();
    const fifth = await reopened<number>(dir);
    expect([fifth.get('k0'), fifth.get('k11')]).toEqual([undefined, 11]);
  });

  it('works where nothing can be written (a file in the way): nothing is kept, nothing fails', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'file'), 'x');
    const store = await reopened<string>(path.join(dir, 'file', 'cache'));
    store.set('k', 'v');
    await expect(store.flush()).resolves.toBeUndefined();
    expect(store.get('k')).toBe('v');
    expect((await reopened<string>(path.join(dir, 'file', 'cache'))).get('k')).toBeUndefined();
  });

  it('a lazy store reads its files only when an entry is read, and a flush adds to the delta without rewriting the base', async () => {
    const dir = await tempDir();
    const lazy = async () => {
      const store = new CacheStore<string>(dir, 'ns', { lazy: true });
      await store.open();
      return store;
    };
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
    const first = await lazy();
    for (const k of keys) first.set(k, `v${k}`);
    await first.flush();
    const baseFile = path.join(dir, 'ns', 'base.bin');
    const base = await readFile(baseFile);
    // Each later run keeps every entry (as a build keeps the texts of unchanged files), reads none and replaces one.
    for (let run = 0; run < 5; run++) {
      const store = await lazy();
      for (const k of keys) expect(store.keep(k)).toBe(true);
      store.set(`k${run}`, `w${run}`);
      await store.flush();
      expect((await readFile(baseFile)).equals(base), `run ${run}`).toBe(true);
    }
    const later = await lazy();
    expect(keys.map((k) => later.get(k))).toEqual(keys.map((k, i) => (i < 5 ? `w${i}` : `v${k}`)));
    // Opening read nothing: a base removed after the store opened is not there for its first get.
    const unread = await lazy();
    await rm(baseFile);
    expect([unread.get('k0'), unread.get('k10')]).toEqual(['w0', undefined]);
  });

  it('a lazy store never gives a value other than the last one set, and keeps what each run used, over random runs', async () => {
    const dir = await tempDir();
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const latest = new Map<string, string>();
    for (let run = 0; run < 40; run++) {
      const store = new CacheStore<string>(dir, 'ns', { lazy: true });
      await store.open();
      const used: string[] = [];
      for (let op = 0; op < 12; op++) {
        const key = `k${Math.floor(next() * 30)}`;
        const what = next();
        if (what < 0.4) {
          const value = `${key}@${run}.${op}`;
          store.set(key, value);
          latest.set(key, value);
          used.push(key);
        } else if (what < 0.7) {
          if (store.keep(key)) used.push(key);
        } else {
          const got = store.get(key);
          expect(got === undefined || got === latest.get(key), `run ${run}: ${key}`).toBe(true);
          if (got !== undefined) used.push(key);
        }
      }
      await store.flush();
      const check = new CacheStore<string>(dir, 'ns');
      await check.open();
      for (const key of used) if (latest.has(key) && check.get(key) !== undefined) expect(check.get(key)).toBe(latest.get(key));
      // What a run set is there for the next, compaction or not.
      const setThisRun = new Set(used.filter((k) => latest.get(k)?.includes(`@${run}.`)));
      for (const key of setThisRun) expect(check.get(key), `run ${run}: ${key}`).toBe(latest.get(key));
    }
  });
});
