import { seededRandom } from './seeded-random.ts';

/**
 * `count` seeded random mutations of PromQL texts: each takes one of `seeds` and makes one to three edits — a piece
 * inserted, one to three characters removed, a span replaced by the start of another seed, or a character replaced
 * by a piece. The same seed gives the same texts, so a failing case can be replayed.
 */
export function promqlMutations(seeds: readonly string[], pieces: readonly string[], count: number, seed: number): string[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    let s = pick(seeds);
    for (let m = 1 + Math.floor(rnd() * 3); m > 0; m--) {
      const at = Math.floor(rnd() * (s.length + 1));
      const r = rnd();
      if (r < 0.3) s = s.slice(0, at) + pick(pieces) + s.slice(at);
      else if (r < 0.55) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rnd() * 3));
      else if (r < 0.75) {
        const b = Math.floor(rnd() * (s.length + 1));
        s = s.slice(0, Math.min(at, b)) + pick(seeds).slice(0, 40) + s.slice(Math.max(at, b));
      } else s = s.slice(0, at) + pick(pieces) + s.slice(at + 1);
    }
    out.push(s);
  }
  return out;
}
