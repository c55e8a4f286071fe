/**
 * A token bucket per robot, set under the provider's limit: a robot that gets more than its messages a minute is
 * throttled by the provider for minutes and loses what it is sent meanwhile, so the relay holds back instead (what does
 * not fit becomes a digest, never a dropped message).
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute: (key: string) => number | undefined,
  ) {}

  /** Tokens available for `key` now (Infinity for a channel without a rate limit). */
  available(key: string, now: number): number {
    const rate = this.perMinute(key);
    if (rate === undefined) return Infinity;
    const b = this.refill(key, rate, now);
    return Math.floor(b.tokens);
  }

  take(key: string, now: number, count = 1): void {
    const rate = this.perMinute(key);
    if (rate === undefined) return;
    const b = this.refill(key, rate, now);
    b.tokens -= count;
  }

  /** When the next token for `key` is there (ms). */
  nextAt(key: string, now: number): number {
    const rate = this.perMinute(key);
    if (rate === undefined) return now;
    const b = this.refill(key, rate, now);
    return b.tokens >= 1 ? now : now + Math.ceil(((1 - b.tokens) * 60_000) / rate);
  }

  /** Empties the bucket (the provider said "too fast" anyway): nothing more until it refills. */
  drain(key: string, now: number): void {
    const rate = this.perMinute(key);
    if (rate === undefined) return;
    this.refill(key, rate, now).tokens = 0;
  }

  private refill(key: string, rate: number, now: number) {
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: rate, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(rate, b.tokens + ((now - b.at) * rate) / 60_000);
    b.at = now;
    return b;
  }
}
