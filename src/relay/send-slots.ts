/**
 * At most `max` sends in flight per target, across every claim: a target's messages claimed a moment apart queue
 * here instead of adding up past its limit. A target's entry is dropped once idle, so the map stays the size of the
 * targets being sent to.
 */
export class SendSlots {
  private readonly targets = new Map<string, { active: number; waiting: (() => void)[] }>();

  constructor(private readonly max: number) {}

  async run<T>(target: string, work: () => Promise<T>): Promise<T> {
    let slot = this.targets.get(target);
    if (!slot) {
      slot = { active: 0, waiting: [] };
      this.targets.set(target, slot);
    }
    if (slot.active < this.max) slot.active++;
    // A finishing send hands its place over without giving it up, so a newcomer cannot overtake the queue.
    else await new Promise<void>((resolve) => slot!.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = slot.waiting.shift();
      if (next) next();
      else if (--slot.active === 0) this.targets.delete(target);
    }
  }
}
