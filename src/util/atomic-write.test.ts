import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepAtomicLeftovers, writeFileAtomic, writeFileAtomicSync } from './atomic-write.ts';

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

  it('writes in the calling thread too: folders made once, the whole file under its name, nothing left when it fails', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-atomic-'));
    const made = new Set<string>();
    writeFileAtomicSync(path.join(dir, 'a', 'b.yml'), 'content 告警', made);
    writeFileAtomicSync(path.join(dir, 'a', 'c.yml'), Buffer.from('bytes'), made);
    expect(made).toEqual(new Set([path.join(dir, 'a')]));
    expect(await readFile(path.join(dir, 'a', 'b.yml'), 'utf8')).toBe('content 告警');
    expect(await readFile(path.join(dir, 'a', 'c.yml'), 'utf8')).toBe('bytes');
    // A folder where the file should go: the rename fails, the temporary file is removed, the error is thrown.
    await writeFile(path.join(dir, 'a', 'x'), '');
    expect(() => writeFileAtomicSync(path.join(dir, 'a'), 'over a folder')).toThrow();
    expect((await readdir(dir)).sort()).toEqual(['a']);
    expect((await readdir(path.join(dir, 'a'))).sort()).toEqual(['b.yml', 'c.yml', 'x']);
  });
});
