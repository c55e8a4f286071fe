import type { JobFinish, RelayStore } from './types.ts';

/**
 * Records the outcomes of sends in as few transactions as the store allows (a group commit): the outcomes that arrive
 * while one batch is being written go into the next, so many sends answering at once cost one commit, not one each.
 * Each caller still learns its own job's result (false: the lease was lost).
 */
export class OutcomeBatch {
  private pending: { finish: JobFinish; resolve: (ended: boolean) => void; reject: (e: unknown) => void }[] = [];
  private writing = false;

  constructor(
    private readonly store: RelayStore,
    private readonly owner: string,
    private readonly now: () => number,
  ) {}

  record(finish: JobFinish): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ finish, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        // After the current turn of the event loop: the sends that answered in it (a synchronous store would
        // otherwise commit each before the next is even looked at) join the first batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      try {
        const ended = await this.store.finishJobs(batch.map((b) => b.finish), this.owner, this.now());
        batch.forEach((b, i) => b.resolve(ended[i]!));
      } catch (e) {
        for (const b of batch) b.reject(e);
      }
    }
    this.writing = false;
  }
}
