import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepAtomicLeftovers, writeFileAtomic } from './atomic-write.ts';

/** A pid that was alive a moment ago and is not any more. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  const pid = child.pid!;
  await new Promise((r) => child.once('close', r));
  return pid;
}

describe('leftovers of atomic writes', () => {
  let dir: string;
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('removes what a dead writer left, keeps a live writer’s file and everything else', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-atomic-'));
    const dead = await deadPid();
    const files = {
      [`.alertmanager.yml.vigil-${dead}-0a1b2c3d`]: 'api_secret: "left by a SIGKILL"',
      [`.node.yml.vigil-${process.pid}-deadbeef`]: 'mid-write',
      'alertmanager.yml': 'kept',
      '.alertmanager.yml.vigil-notapid-0a1b2c3d': 'not ours',
      [`.x.yml.vigil-${dead}-0a1b2c3`]: 'seven hex digits: not ours',
    };
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
    expect(await sweepAtomicLeftovers(dir)).toEqual([`.alertmanager.yml.vigil-${dead}-0a1b2c3d`]);
    expect((await readdir(dir)).sort()).toEqual(Object.keys(files).filter((n) => !n.startsWith('.alertmanager.yml.vigil-' + dead)).sort());
  });

  it('finds nothing to sweep in a directory that does not exist', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-atomic-'));
    expect(await sweepAtomicLeftovers(path.join(dir, 'nowhere'))).toEqual([]);
  });

  it('writes the whole file under its name and leaves no temporary file', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-atomic-'));
    await writeFileAtomic(path.join(dir, 'a', 'b.yml'), 'content', 0o600);
    expect(await readFile(path.join(dir, 'a', 'b.yml'), 'utf8')).toBe('content');
    expect(await readdir(path.join(dir, 'a'))).toEqual(['b.yml']);
  });

  it('with folderMade, makes no folder: writes into the one made, fails (leaving nothing) where there is none', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-atomic-'));
    await writeFileAtomic(path.join(dir, 'b.yml'), Buffer.from('bytes 告警'), undefined, { folderMade: true });
    expect(await readFile(path.join(dir, 'b.yml'), 'utf8')).toBe('bytes 告警');
    await expect(writeFileAtomic(path.join(dir, 'missing', 'c.yml'), 'x', undefined, { folderMade: true })).rejects.toThrow(/ENOENT/);
    expect(await readdir(dir)).toEqual(['b.yml']);
  });
});
