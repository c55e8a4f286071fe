/**
 * A RelayStore that times each of its calls (wall time from call to settled promise), to see which store operation
 * the relay's latency is made of. better-sqlite3 works synchronously inside the call, so for SQLite the time is also
 * time the relay's event loop was blocked.
 */
import type { RelayStore } from '../../src/relay/types.ts';

export interface CallTimes {
  /** Per method name: the duration of every call, ms. */
  readonly byMethod: ReadonlyMap<string, number[]>;
  reset(): void;
}

export function timedStore(store: RelayStore): { store: RelayStore; times: CallTimes } {
  const byMethod = new Map<string, number[]>();
  const record = (name: string, ms: number) => {
    const list = byMethod.get(name);
    if (list) list.push(ms);
    else byMethod.set(name, [ms]);
  };
  const timed = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => {
        const started = performance.now();
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (result instanceof Promise) return result.finally(() => record(property, performance.now() - started));
        record(property, performance.now() - started);
        return result;
      };
    },
  });
  return { store: timed, times: { byMethod, reset: () => byMethod.clear() } };
}
