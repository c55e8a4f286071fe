import os from 'node:os';
import { styleFor, type CliIO } from './io.ts';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export interface Interruption {
  /** Aborted, with the signal's name as its reason, by the first SIGINT or SIGTERM. */
  signal: AbortSignal;
  /** 128 + the first signal's number (130 for SIGINT, 143 for SIGTERM), as a shell reports a command it stopped. */
  exitCode(): number | undefined;
  /** Puts the default handling back (the process ends on the next signal again). */
  dispose(): void;
}

/**
 * What SIGINT and SIGTERM do while a deploy runs (CI cancels a job with SIGINT or SIGTERM, then SIGKILL after a grace
 * period). The first asks the deploy to stop and roll back. The second does not interrupt the rollback: a half
 * rolled-back environment is worse than a few more seconds. A third stops the process at once — the user's explicit
 * choice, like a SIGKILL: targets may stay on the new build (the next deploy converges), while the lock and the
 * pre-flight's staged files are still removed on the way out.
 */
export function interruptible(io: CliIO, exit: (code: number) => void = (code) => process.exit(code)): Interruption {
  const controller = new AbortController();
  const style = styleFor(io);
  let first: NodeJS.Signals | undefined;
  let count = 0;
  const codeOf = (s: NodeJS.Signals) => 128 + os.constants.signals[s];
  const handler = (received: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      first = received;
      io.err(`\n  ${style.yellow(`${received} received`)}: stopping the deploy — no further target is started, and every target it changed is rolled back\n`);
      controller.abort(received);
    } else if (count === 2) {
      io.err(`  ${style.yellow(`${received} received again`)}: rolling back, please wait (one more signal stops at once and may leave targets on the new build)\n`);
    } else {
      io.err(`  ${style.red(`${received} received a third time`)}: stopped at once; targets being rolled back may be left on the new build — run \`vigil plan\` to see the state, and the deploy again to converge\n`);
      exit(codeOf(first!));
    }
  };
  for (const s of SIGNALS) process.on(s, handler);
  return {
    signal: controller.signal,
    exitCode: () => (first ? codeOf(first) : undefined),
    dispose: () => {
      for (const s of SIGNALS) process.off(s, handler);
    },
  };
}
