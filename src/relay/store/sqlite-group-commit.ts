import type { Database } from 'better-sqlite3';

/**
 * One commit (one fsync) for the writes that arrive in one turn of the event loop: each still runs in a transaction of
 * its own (a savepoint, so one that throws undoes only itself and rejects only its caller), and every caller's promise
 * settles only once the shared commit is on disk. With `synchronous = FULL` the fsync is most of an ingest's cost and
 * blocks the event loop; under a burst, the notifications that queued up meanwhile share the next one.
 */
export class GroupCommit {
  private pending: { work: () => unknown; resolve: (value: unknown) => void; reject: (e: unknown) => void }[] = [];

  constructor(private readonly db: Database) {}

  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => this.flush());
      this.pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  private flush(): void {
    const batch = this.pending.splice(0);
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.db
        .transaction(() => {
          for (const item of batch) {
            try {
              // Nested inside the outer transaction, better-sqlite3 makes this a savepoint.
              outcomes.push({ ok: true, value: this.db.transaction(item.work)() });
            } catch (error) {
              outcomes.push({ ok: false, error });
            }
          }
        })
        .immediate();
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing of the batch is stored.
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }
}
