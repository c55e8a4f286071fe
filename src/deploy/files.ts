import { readFile, readdir, rm } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { DeployError } from './errors.ts';

/** A file's content before a deploy touched it (null: it did not exist), to put it back on rollback. */
export interface FileSnapshot {
  path: string;
  before: string | null;
  mode?: number;
}

export async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new DeployError(`cannot read ${file}: ${(e as Error).message}`, 'the deploying user needs read and write access to the directories named in the Environment', 'deploy/files');
  }
}

export async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new DeployError(`cannot list ${dir}: ${(e as Error).message}`, 'the deploying user needs read access to the directories named in the Environment', 'deploy/files');
  }
}

/** The shared atomic write, with a message that names the file and what the deploying user needs. */
export async function writeAtomic(file: string, content: string, mode = 0o644): Promise<void> {
  try {
    await writeFileAtomic(file, content, mode);
  } catch (e) {
    throw new DeployError(`cannot write ${file}: ${(e as Error).message}`, 'the deploying user needs write access to the directories named in the Environment', 'deploy/files');
  }
}

export async function restore(snapshots: readonly FileSnapshot[]): Promise<string[]> {
  const failures: string[] = [];
  for (const s of [...snapshots].reverse()) {
    try {
      if (s.before === null) await rm(s.path, { force: true });
      else await writeAtomic(s.path, s.before, s.mode);
    } catch (e) {
      failures.push(`${s.path}: ${(e as Error).message}`);
    }
  }
  return failures;
}
