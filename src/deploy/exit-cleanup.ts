import { rmSync } from 'node:fs';

const paths = new Set<string>();
let installed = false;

/**
 * Removes `file` (a deploy lock, a pre-flight folder holding secrets) if the process exits before the code that owns
 * it could: `process.exit` from a signal handler or an EPIPE skips every `finally`. Returns the function that
 * unregisters it once it was cleaned up normally. A SIGKILL runs nothing: the next start sweeps what it left.
 */
export function removeOnExit(file: string): () => void {
  if (!installed) {
    installed = true;
    process.on('exit', () => {
      for (const p of paths) {
        try {
          rmSync(p, { recursive: true, force: true });
        } catch {
          // exiting: nothing more can be done, and the next start sweeps it
        }
      }
    });
  }
  paths.add(file);
  return () => paths.delete(file);
}
