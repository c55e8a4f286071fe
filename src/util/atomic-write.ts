import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes through a temporary file in the same directory and a rename, so a reader — a person, CI, or a service
 * reloading at that moment — sees the old file or the new one, never half of one.
 */
export async function writeFileAtomic(target: string, content: string, mode?: number): Promise<void> {
  const dir = path.dirname(target);
  const temp = path.join(dir, `.${path.basename(target)}.vigil-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(temp, content, mode === undefined ? undefined : { mode });
    // writeFile's mode is filtered by the umask; a secret file must end up exactly 0600.
    if (mode !== undefined) await chmod(temp, mode);
    await rename(temp, target);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}
