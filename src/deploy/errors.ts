/** A deploy problem the user can act on: what failed, where, and what to do. Never a stack trace. */
export class DeployError extends Error {
  constructor(
    message: string,
    /** What to do about it: every deploy error has one. */
    readonly hint: string,
    /** Stable id, like the compiler's check ids: deploy/unreachable, deploy/preflight, deploy/verify, … */
    readonly code: string,
  ) {
    super(message);
  }
}
