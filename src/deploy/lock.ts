import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DeployError } from './errors.ts';
import { removeOnExit } from './exit-cleanup.ts';

/** A lock older than this is taken to belong to a deploy that died without cleaning up. */
const STALE_MS = 30 * 60_000;

export interface DeployLock {
  path: string;
  release(): Promise<void>;
}

interface Holder {
  pid: number;
  host: string;
  environment: string;
  started: string;
}

/**
 * One deploy at a time per environment: a file created with O_EXCL beside the targets' files (in the first
 * Prometheus rules directory), so two runners that write the same directories also see the same lock. A lock whose
 * process is gone (same host) or that is older than 30 minutes is taken over.
 */
export async function acquireLock(dir: string, environment: string): Promise<DeployLock> {
  const file = path.join(dir, `.vigil-deploy-${environment}.lock`);
  await mkdir(dir, { recursive: true }).catch(() => undefined);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o644);
      const holder: Holder = { pid: process.pid, host: os.hostname(), environment, started: new Date().toISOString() };
      await handle.writeFile(JSON.stringify(holder) + '\n');
      await handle.close();
      // Also removed if the process exits abruptly (a third signal during a rollback); a SIGKILL leaves it, and the
      // next deploy on this host takes it over because its pid is gone.
      const forget = removeOnExit(file);
      return {
        path: file,
        release: async () => {
          await rm(file, { force: true });
          forget();
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new DeployError(`cannot create the deploy lock ${file}: ${(e as Error).message}`, 'the deploying user needs write access to the rules directory', 'deploy/lock');
      const holder = await readHolder(file);
      if (attempt === 0 && (await isStale(file, holder))) {
        await rm(file, { force: true });
        continue;
      }
      const who = holder ? `pid ${holder.pid} on ${holder.host}, started ${holder.started}` : 'an unknown process';
      throw new DeployError(`another deploy of environment "${environment}" is running (${who})`, `wait for it to finish; if it died, remove ${file}`, 'deploy/lock');
    }
  }
  throw new DeployError(`could not take the deploy lock ${file}`, `remove ${file} if no deploy is running`, 'deploy/lock');
}

async function readHolder(file: string): Promise<Holder | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

async function isStale(file: string, holder: Holder | undefined): Promise<boolean> {
  try {
    const { mtimeMs } = await stat(file);
    if (Date.now() - mtimeMs > STALE_MS) return true;
  } catch {
    return true;
  }
  if (!holder || holder.host !== os.hostname()) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
