const UNITS: [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
];

/** A length of time for people: 8d, 4h30m, 90s → 1m30s (below a second: 0s). */
export function formatLength(ms: number): string {
  let rest = Math.max(0, Math.round(ms));
  let out = '';
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out || '0s';
}

/** A silence's window as its build and the docs write it. */
export const windowText = (startsAt: number, endsAt: number): string => `${new Date(startsAt).toISOString()} → ${new Date(endsAt).toISOString()}`;
