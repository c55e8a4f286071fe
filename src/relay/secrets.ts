import { readFile } from 'node:fs/promises';
import type { SecretRef } from './config.ts';

/** Reads secrets as the build references them; a value is read once per (re)load and never logged. */
export interface SecretReader {
  read(ref: SecretRef, what: string): Promise<string>;
}

export class MissingSecret extends Error {}

export function secretReader(env: NodeJS.ProcessEnv = process.env): SecretReader {
  return {
    async read(ref, what) {
      if (ref.env !== undefined) {
        const value = env[ref.env];
        if (value === undefined || value === '') throw new MissingSecret(`${what}: environment variable $${ref.env} is not set`);
        return value;
      }
      try {
        // A trailing newline is how editors and `echo` write a secret file; it is never part of the secret.
        return (await readFile(ref.file!, 'utf8')).replace(/\r?\n$/, '');
      } catch (e) {
        throw new MissingSecret(`${what}: cannot read ${ref.file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    },
  };
}
