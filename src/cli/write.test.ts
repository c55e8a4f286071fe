import { chmod, cp, mkdir, mkdtemp, readFile, rename, rm, stat, truncate, unlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Artifact } from '../emit/artifact.ts';
import type { OutputRecord, OutputRecords } from '../cache/index.ts';
import { compareArtifacts, writeArtifacts } from './write.ts';
import { buildManifest } from '../build/manifest.ts';
import { MANIFEST_PATH } from '../build/paths.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'vigil-write-test-'));
  dirs.push(d);
  return d;
}

/** An in-memory records store that counts what it records (a file is recorded only after it was read). */
class CountingRecords implements OutputRecords {
  readonly map = new Map<string, OutputRecord>();
  recorded = 0;
  get(key: string) {
    return this.map.get(key);
  }
  set(key: string, record: OutputRecord) {
    this.recorded++;
    this.map.set(key, record);
  }
}

/**
 * Gives the files modification times in whole milliseconds (so a test can put one back exactly, as `touch -r` would),
 * then waits past the racy margin (50 ms on a file system with sub-second times): the files can be recorded then.
 */
async function settle(dir: string, artifacts: readonly Artifact[]): Promise<void> {
  const when = new Date(Math.floor(Date.now() / 1000) * 1000 - 5000 + 321);
  await Promise.all(artifacts.map((a) => utimes(path.join(dir, a.path), when, when).catch(() => undefined)));
  await new Promise((r) => setTimeout(r, 80));
}

function randomText(random: () => number, length: number): string {
  let s = '';
  while (s.length < length) s += 'abcdefghij\n—é'[Math.floor(random() * 13)];
  return s;
}

function seeded(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

type Mutation = (file: string) => Promise<void>;

/** Same size, other bytes (an empty file gets one byte). */
async function flipFirstByte(file: string): Promise<void> {
  const bytes = await readFile(file);
  if (bytes.length === 0) return writeFile(file, 'x');
  bytes[0] = bytes[0] === 0x78 ? 0x79 : 0x78;
  await writeFile(file, bytes);
}

/** Changes made to an output file behind the build's back; each must be seen exactly as a full read would see it. */
const MUTATIONS: Record<string, Mutation> = {
  deleted: (f) => unlink(f),
  'edited, same size': (f) => flipFirstByte(f),
  'edited, other size': async (f) => writeFile(f, (await readFile(f, 'utf8')) + 'more\n'),
  truncated: (f) => truncate(f, 0),
  'truncated by a byte': async (f) => truncate(f, Math.max(0, (await stat(f)).size - 1)),
  'mode changed': (f) => chmod(f, 0o600),
  'edited, same size, modification time put back': async (f) => {
    const before = await stat(f, { bigint: true });
    await flipFirstByte(f);
    const back = new Date(Number(before.mtimeNs / 1_000_000n));
    await utimes(f, back, back);
    // Exactly, for a file whose time settle() set (one the build just wrote has nanoseconds utimes cannot give).
    if (before.mtimeNs % 1_000_000n === 0n) expect((await stat(f, { bigint: true })).mtimeNs).toBe(before.mtimeNs);
  },
  'replaced by a copy of itself (new inode)': async (f) => {
    await cp(f, `${f}.copy`);
    await rename(`${f}.copy`, f);
  },
  'rewritten with the same bytes': async (f) => writeFile(f, await readFile(f)),
};

describe('writeArtifacts with output records', () => {
  it('reads back no file whose stat and content hash are recorded, and records only files it read', async () => {
    const out = await tempDir();
    const artifacts: Artifact[] = Array.from({ length: 8 }, (_, i) => ({ path: `d${i % 3}/f${i}.yml`, content: `file ${i}\n`, sources: [] }));
    const records = new CountingRecords();
    expect((await writeArtifacts(out, artifacts, records)).written).toHaveLength(8);
    // Just written: not read, so not recorded.
    expect(records.recorded).toBe(0);
    // Read at once: too recent to tell a later change of the same tick from it, so still not recorded.
    expect((await writeArtifacts(out, artifacts, records)).unchanged).toHaveLength(8);
    expect(records.recorded).toBe(0);
    await settle(out, artifacts);
    expect((await writeArtifacts(out, artifacts, records)).unchanged).toHaveLength(8);
    expect(records.recorded).toBe(8);
    // Recorded: nothing is read (a read file would be recorded again).
    expect((await writeArtifacts(out, artifacts, records)).unchanged).toHaveLength(8);
    expect(records.recorded).toBe(8);
    // New content for one file: its record's hash differs, so it is read, then written.
    const changed = artifacts.map((a, i) => (i === 5 ? { ...a, content: 'file 5, changed\n' } : a));
    const summary = await writeArtifacts(out, changed, records);
    expect(summary.written).toEqual(['d2/f5.yml']);
    expect(await readFile(path.join(out, 'd2/f5.yml'), 'utf8')).toBe('file 5, changed\n');
  });

  for (const [name, mutate] of Object.entries(MUTATIONS)) {
    it(`sees an output file ${name} behind its back, exactly as a build that reads every file`, async () => {
      await sameAsFullRead(1, [name]);
    });
  }

  it('agrees with a build that reads every file over random builds and random changes on disk', async () => {
    // Each round: the same new build written to two copies of a tree, one with records (made old enough to be
    // trusted), one without; the same random changes to both; then the next build: same summary, same files.
    await sameAsFullRead(16, Object.keys(MUTATIONS), seeded(12));
  });
});

async function sameAsFullRead(rounds: number, mutations: string[], random = seeded(7)): Promise<void> {
  const [recorded, reference] = [await tempDir(), await tempDir()];
  const records = new CountingRecords();
  const paths = Array.from({ length: 12 }, (_, i) => `${['prometheus/rules', 'docs', 'grafana'][i % 3]}/file-${i}.txt`);
  let artifacts: Artifact[] = paths.map((p) => ({ path: p, content: randomText(random, 20 + Math.floor(random() * 200)), sources: [] }));
  for (const dir of [recorded, reference]) await writeArtifacts(dir, artifacts, dir === recorded ? records : undefined);
  await settle(recorded, artifacts);
  // Recorded now: every file is old enough.
  await writeArtifacts(recorded, artifacts, records);
  for (let round = 0; round < rounds; round++) {
    const touched = mutations.length === 1 ? [Math.floor(random() * paths.length)] : paths.map((_, i) => i).filter(() => random() < 0.3);
    for (const i of touched) {
      const kind = mutations[Math.floor(random() * mutations.length)]!;
      for (const dir of [recorded, reference]) await MUTATIONS[kind]!(path.join(dir, paths[i]!));
    }
    // The next build changes some files itself, too (not when one change is tested alone).
    if (mutations.length > 1) artifacts = artifacts.map((a) => (random() < 0.2 ? { ...a, content: randomText(random, 20 + Math.floor(random() * 200)) } : a));
    const [withRecords, without] = [await writeArtifacts(recorded, artifacts, records), await writeArtifacts(reference, artifacts)];
    expect(withRecords, `round ${round}`).toEqual(without);
    for (const a of artifacts) expect(await readFile(path.join(recorded, a.path), 'utf8'), `${a.path}, round ${round}`).toBe(a.content);
    // Let what was written age, and be recorded, before the next round's changes.
    if (round % 4 === 3 || mutations.length === 1) {
      await settle(recorded, artifacts);
      await writeArtifacts(recorded, artifacts, records);
    }
  }
}

describe('writing the output directory, a few files at a time', () => {
  const artifact = (p: string, content: string): Artifact => ({ path: p, content, sources: [] });

  it('compares each file by its bytes: unchanged, changed, missing; none left out', async () => {
    const dir = await tempDir();
    // More files than are read or written at a time, of sizes around and above a read's buffer.
    const artifacts = Array.from({ length: 60 }, (_, i) => artifact(`rules/f${String(i).padStart(2, '0')}.yaml`, `# ${i} é ✓\n${'x'.repeat(i * 4000)}\n`));
    await mkdir(path.join(dir, 'rules'), { recursive: true });
    for (const [i, a] of artifacts.entries()) {
      if (i % 3 === 0) continue; // missing
      await writeFile(path.join(dir, a.path), i % 3 === 1 ? a.content : `${a.content} `);
    }
    const stale = await compareArtifacts(dir, artifacts);
    expect(stale.missing).toEqual(artifacts.filter((_, i) => i % 3 === 0).map((a) => a.path));
    expect(stale.changed).toEqual(artifacts.filter((_, i) => i % 3 === 2).map((a) => a.path));

    const summary = await writeArtifacts(dir, artifacts);
    expect(summary.unchanged).toEqual(artifacts.filter((_, i) => i % 3 === 1).map((a) => a.path));
    expect(summary.written.sort()).toEqual(artifacts.filter((_, i) => i % 3 !== 1).map((a) => a.path));
    for (const a of artifacts) expect(await readFile(path.join(dir, a.path), 'utf8')).toBe(a.content);
    expect(await compareArtifacts(dir, artifacts)).toEqual({ changed: [], missing: [], extra: [], orphan: [], foreign: [] });
  });

  it('writes every file into a folder that is not there yet, then reads back, removes and leaves alone as before', async () => {
    for (const records of [undefined, new CountingRecords()]) {
      const dir = path.join(await tempDir(), 'new', 'out');
      const files = Array.from({ length: 40 }, (_, i) => artifact(`${i % 2 ? 'docs' : 'rules'}/f${String(i).padStart(2, '0')}.yaml`, `# ${i} é\n`));
      const withManifest = (list: Artifact[]) => [...list, buildManifest(list)];
      const first = await writeArtifacts(dir, withManifest(files), records);
      expect(first).toEqual({ written: withManifest(files).map((a) => a.path), unchanged: [], removed: [], foreign: [] });
      for (const a of withManifest(files)) expect(await readFile(path.join(dir, a.path), 'utf8')).toBe(a.content);
      // The folder is there now: a second build reads its files back, removes what it no longer makes, leaves another's.
      await writeFile(path.join(dir, 'docs', 'mine.md'), 'not generated\n');
      const second = await writeArtifacts(dir, withManifest(files.slice(1)), records);
      expect(second.written).toEqual([MANIFEST_PATH]);
      expect(second.unchanged).toEqual(files.slice(1).map((a) => a.path));
      expect(second.removed).toEqual([files[0]!.path]);
      expect(second.foreign).toEqual(['docs/mine.md']);
    }
  });

  it('rewrites a file whose bytes only decode to the same text (invalid UTF-8 read as U+FFFD), with records or without', async () => {
    for (const records of [undefined, new CountingRecords()]) {
      const dir = await tempDir();
      const wanted = artifact('docs/notes.md', 'before \uFFFD after\n');
      await mkdir(path.join(dir, 'docs'), { recursive: true });
      await writeFile(path.join(dir, wanted.path), Buffer.concat([Buffer.from('before '), Buffer.from([0xff]), Buffer.from(' after\n')]));
      expect((await readFile(path.join(dir, wanted.path), 'utf8')) === wanted.content).toBe(true);
      expect((await compareArtifacts(dir, [wanted])).changed).toEqual([wanted.path]);
      expect((await writeArtifacts(dir, [wanted], records)).written).toEqual([wanted.path]);
      expect(await readFile(path.join(dir, wanted.path))).toEqual(Buffer.from(wanted.content));
    }
  });
});
