/** What a deploy would do to one object of one service. */
export interface Change {
  kind: 'add' | 'change' | 'remove';
  /** `rule training/GpuMemoryHigh[warning]`, `receiver oncall`, `dashboard training-overview`, … */
  object: string;
  detail?: string;
}

export interface TargetPlan {
  target: string;
  changes: Change[];
  /** Things worth knowing that are not changes (drift outside Vigil's files, a reload pending, …). */
  notes: string[];
}

/**
 * One running service of an environment behind the same small interface: plan reads what is live and says what
 * would change; apply writes and reloads; verify proves the service now serves the build; rollback puts back what
 * apply replaced. Adapters keep what they need between the steps (the plan's view of the live state, snapshots).
 */
export interface Target {
  name: string;
  plan(): Promise<TargetPlan>;
  apply(): Promise<void>;
  verify(): Promise<void>;
  /** Best effort; returns what could not be restored. */
  rollback(): Promise<string[]>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retries a check until it passes or the time is up (services apply a reload within moments, not instantly). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() >= deadline) throw e;
      await sleep(intervalMs);
    }
  }
}

/** Structural equality of JSON-like values, ignoring key order. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
