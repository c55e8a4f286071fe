/**
 * A token bucket per robot, set under the provider's limit: a robot that gets more than its messages a minute is
 * throttled by the provider for minutes and loses what it is sent meanwhile, so the relay holds back instead (what does
 * not fit becomes a digest, never a dropped message). The bucket's state lives in the store (a row per target), so
 * relay replicas on one store share it; this module is the arithmetic both backends apply inside their transaction.
 */

/** A bucket as the store keeps it. */
export interface BucketState {
  tokens: number;
  /** ms: when `tokens` was counted. */
  at: number;
}

export interface BucketStep {
  state: BucketState;
  granted: number;
  /** ms: when the bucket holds a whole token again. */
  nextAt: number;
}

/** The bucket refilled up to `now` (a new one starts full); a clock behind the last count refills nothing. */
export function refill(state: BucketState | undefined, perMinute: number, now: number): BucketState {
  if (!state) return { tokens: perMinute, at: now };
  const elapsed = Math.max(0, now - state.at);
  return { tokens: Math.min(perMinute, state.tokens + (elapsed * perMinute) / 60_000), at: Math.max(state.at, now) };
}

/** Takes up to `want` whole tokens. */
export function take(state: BucketState | undefined, perMinute: number, want: number, now: number): BucketStep {
  const full = refill(state, perMinute, now);
  const granted = Math.max(0, Math.min(want, Math.floor(full.tokens)));
  const after = { tokens: full.tokens - granted, at: full.at };
  return { state: after, granted, nextAt: nextTokenAt(after, perMinute, now) };
}

/** Empties the bucket: the provider throttled anyway. */
export function drain(state: BucketState | undefined, perMinute: number, now: number): BucketState {
  return { tokens: 0, at: refill(state, perMinute, now).at };
}

function nextTokenAt(state: BucketState, perMinute: number, now: number): number {
  return state.tokens >= 1 ? now : state.at + Math.ceil(((1 - state.tokens) * 60_000) / perMinute);
}
