import { DeployError } from './errors.ts';

/** A deploy stopped on request (SIGINT/SIGTERM: a cancelled CI job, Ctrl-C), not by a failure. */
export class DeployCancelled extends DeployError {
  constructor(
    /** The signal that asked for it, or what else did (an AbortSignal's reason). */
    readonly signalName: string,
    message: string,
  ) {
    super(message, 'run the deploy again to put this build into service; `vigil plan` shows what it would change', 'deploy/cancelled');
  }
}

export function cancellationName(signal: AbortSignal): string {
  return typeof signal.reason === 'string' ? signal.reason : 'a cancellation';
}

/** Throws DeployCancelled if the deploy was asked to stop; `state` says what that leaves (e.g. "nothing was changed"). */
export function throwIfCancelled(signal: AbortSignal | undefined, state: string): void {
  if (signal?.aborted) throw new DeployCancelled(cancellationName(signal), `${cancellationName(signal)} received: ${state}`);
}
