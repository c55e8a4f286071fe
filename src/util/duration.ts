/**
 * Prometheus durations as prometheus/common model.ParseDuration reads them (Prometheus 2.42, Alertmanager 0.25, their
 * YAML and PromQL alike): units in decreasing order, each at most once (`1h30m`, never `30m1h` or `1m1m`), and a total
 * that fits Go's time.Duration, int64 nanoseconds (just over 292 years).
 */
const DURATION = /^(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?$/;
const UNIT_MS = [31_536_000_000n, 604_800_000n, 86_400_000n, 3_600_000n, 60_000n, 1000n, 1n];
const MAX_NANOSECONDS = 2n ** 63n - 1n;

/** Milliseconds in a Prometheus duration (`1h30m`); NaN when it is not one Prometheus accepts. */
export function parseDuration(text: string): number {
  const ms = durationMs(text);
  return typeof ms === 'bigint' ? Number(ms) : NaN;
}

/**
 * Why Prometheus rejects `text` as a duration, in its own words, or undefined when it accepts it. Only durations with
 * a unit count here: Prometheus also reads a bare `0`, which Vigil's schemas do not allow.
 */
export function durationProblem(text: string): string | undefined {
  const ms = durationMs(text);
  if (ms === 'invalid') return text === '' ? 'empty duration string' : `not a valid duration string: ${JSON.stringify(text)}`;
  if (ms === 'overflow') return 'duration out of range';
  return undefined;
}

// A project writes the same few durations thousands of times (`5m`, `1h`): each is read once. Bounded, so that a
// file of distinct durations cannot grow it without limit.
const READ = new Map<string, bigint | 'invalid' | 'overflow'>();
const READ_LIMIT = 4096;

function durationMs(text: string): bigint | 'invalid' | 'overflow' {
  let ms = READ.get(text);
  if (ms === undefined) {
    ms = readDurationMs(text);
    if (typeof text === 'string' && READ.size < READ_LIMIT) READ.set(text, ms);
  }
  return ms;
}

function readDurationMs(text: string): bigint | 'invalid' | 'overflow' {
  const m = typeof text === 'string' && text !== '' ? DURATION.exec(text) : null;
  if (!m) return 'invalid';
  let total = 0n;
  for (let i = 0; i < UNIT_MS.length; i++) {
    const n = m[i + 1];
    if (n !== undefined) total += BigInt(n) * UNIT_MS[i]!;
  }
  return total * 1_000_000n > MAX_NANOSECONDS ? 'overflow' : total;
}
