import type { SeverityModel } from './types.ts';

/** Where severities stand on the project's ladder (Severities), for everything that orders levels by severity. */
export interface SeverityRank {
  /** 0 is the most severe; undefined for a name Severities does not declare. */
  of(severity: string): number | undefined;
  declares(severity: string): boolean;
  /** Most severe first; undeclared names after every declared one and tied among themselves. */
  compare(a: string, b: string): number;
  /** A sorted copy, most severe first; levels that tie keep their written order. */
  sortLevels<L extends { severity: string }>(levels: readonly L[]): L[];
  /** The distinct declared severities among `severities`, most severe first. */
  ladder(severities: Iterable<string>): string[];
}

export function severityRank(model: { severities: readonly Pick<SeverityModel, 'name' | 'rank'>[] }): SeverityRank {
  const ranks = new Map(model.severities.map((s) => [s.name, s.rank]));
  // Explicit rather than a sentinel rank for undeclared names, so a ladder of any length stays ahead of them.
  const compare = (a: string, b: string): number => {
    const x = ranks.get(a);
    const y = ranks.get(b);
    if (x === undefined) return y === undefined ? 0 : 1;
    return y === undefined ? -1 : x - y;
  };
  return {
    of: (severity) => ranks.get(severity),
    declares: (severity) => ranks.has(severity),
    compare,
    sortLevels: (levels) => {
      // Levels are often written in order already (one or two of them): then a copy, without sorting.
      for (let i = 1; i < levels.length; i++) {
        if (compare(levels[i - 1]!.severity, levels[i]!.severity) <= 0) continue;
        // Two levels the wrong way round (`warning` written before `critical`, the common case): swapped, no sort.
        if (levels.length === 2) return [levels[1]!, levels[0]!];
        return [...levels].sort((a, b) => compare(a.severity, b.severity));
      }
      return levels.slice();
    },
    ladder: (severities) => {
      // Two declared severities (an alert's warning and critical levels, the common case): ordered without a Set or a sort.
      if (Array.isArray(severities) && severities.length === 2) {
        const [a, b] = severities as string[];
        if (a !== b && ranks.has(a!) && ranks.has(b!)) return compare(a!, b!) <= 0 ? [a!, b!] : [b!, a!];
      }
      return [...new Set(severities)].filter((s) => ranks.has(s)).sort(compare);
    },
  };
}
