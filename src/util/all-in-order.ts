/**
 * `Promise.all`, except that when several fail, the failure thrown is the first in the list's order, not the first in
 * time: it waits for every promise to settle. Reads that run side by side (each environment's build, each target's
 * state) then end a command with the same message every run, whichever answered first.
 */
export async function allInOrder<T extends readonly unknown[]>(promises: readonly [...{ [K in keyof T]: Promise<T[K]> }]): Promise<T> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
