import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes through a temporary file in the same directory and a rename, so a reader — a person, CI, or a service
 * reloading at that moment — sees the old file or the new one, never half of one.
 */
export async function writeFileAtomic(target: string, content: string | Uint8Array, mode?: number, options?: { folderMade?: boolean }): Promise<void> {
  const dir = path.dirname(target);
  const temp = path.join(dir, `.${path.basename(target)}.vigil-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    // `folderMade`: the caller made the folder (one mkdir per folder, not per file).
    if (!options?.folderMade) await mkdir(dir, { recursive: true });
    await writeFile(temp, content, mode === undefined ? undefined : { mode });
    // writeFile's mode is filtered by the umask; a secret file must end up exactly 0600.
    if (mode !== undefined) await chmod(temp, mode);
    await rename(temp, target);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}

const LEFTOVER = /^\..+\.vigil-(\d+)-[0-9a-f]{8}$/;

/**
 * Removes the temporary files of writeFileAtomic that a killed process left in `dir` (SIGKILL runs no cleanup): those
 * whose writer is no longer alive on this machine. A live writer's file is left alone: it is mid-write. Such a file
 * may hold a secret, so it must not outlive the deploy that wrote it. Returns the names removed.
 */
export async function sweepAtomicLeftovers(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = LEFTOVER.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    await rm(path.join(dir, name), { force: true });
    removed.push(name);
  }
  return removed.sort();
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
