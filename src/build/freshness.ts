import type { ManifestInput } from './manifest.ts';

export interface StaleInputs {
  changed: string[];
  /** Recorded in the build, no longer among the definitions. */
  removed: string[];
  /** Among the definitions, not recorded in the build. */
  added: string[];
}

/** How the definition files now differ from those a build recorded; all empty when the build is theirs. */
export function staleInputs(recorded: readonly ManifestInput[], current: readonly ManifestInput[]): StaleInputs {
  const was = new Map(recorded.map((i) => [i.path, i.sha256]));
  const now = new Map(current.map((i) => [i.path, i.sha256]));
  const sorted = (xs: string[]) => xs.sort();
  return {
    changed: sorted([...now].filter(([p, h]) => was.has(p) && was.get(p) !== h).map(([p]) => p)),
    removed: sorted([...was.keys()].filter((p) => !now.has(p))),
    added: sorted([...now.keys()].filter((p) => !was.has(p))),
  };
}

export const isStale = (s: StaleInputs) => s.changed.length + s.removed.length + s.added.length > 0;
