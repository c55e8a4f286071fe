import type { OutputLabels } from './types.ts';

/**
 * The distinct strings, in the order first seen: `[...new Set(xs)]`, without the Set for the short lists (none to
 * three labels) nearly every expression makes, one or more per node analysed.
 */
function uniq(xs: Iterable<string>): string[] {
  if (!Array.isArray(xs) || xs.length > 8) return [...new Set(xs)];
  // Nearly always distinct already: a copy at its length (a list grown by push keeps room for 17, and analyses keep it).
  if (distinctShort(xs)) return xs.slice();
  const out: string[] = [];
  for (const x of xs as readonly string[]) if (!out.includes(x)) out.push(x);
  return out;
}

function distinctShort(xs: readonly string[]): boolean {
  for (let i = 1; i < xs.length; i++) for (let j = 0; j < i; j++) if (xs[i] === xs[j]) return false;
  return true;
}

/** The series of a selector: whatever labels the metric has. */
export function inherited(): OutputLabels {
  return { exact: false, labels: [], removed: [] };
}

export function exactly(labels: Iterable<string>): OutputLabels {
  return { exact: true, labels: uniq(labels), removed: [] };
}

/** Membership in a list: includes() for a short one, a Set for a long one (a hostile `without (…)` of thousands). */
function memberOf(list: readonly string[]): (x: string) => boolean {
  if (list.length > 8) {
    const set = new Set(list);
    return (x) => set.has(x);
  }
  return (x) => list.includes(x);
}

export function withoutLabels(o: OutputLabels, drop: readonly string[]): OutputLabels {
  const gone = memberOf(drop);
  return {
    exact: o.exact,
    labels: o.labels.filter((l) => !gone(l)),
    removed: o.exact ? [] : uniq([...o.removed, ...drop]),
  };
}

export function withLabels(o: OutputLabels, add: readonly string[]): OutputLabels {
  const added = memberOf(add);
  return {
    exact: o.exact,
    labels: uniq([...o.labels, ...add]),
    removed: o.removed.filter((l) => !added(l)),
  };
}

/**
 * Series that come from either side (`or`). Two exact sides stay exact; otherwise a label counts as removed
 * only when both sides remove it, since a series from the other side may still carry it.
 */
export function union(a: OutputLabels, b: OutputLabels): OutputLabels {
  const labels = uniq([...a.labels, ...b.labels]);
  if (a.exact && b.exact) return { exact: true, labels, removed: [] };
  const removedA = a.exact ? null : new Set(a.removed);
  const removedB = b.exact ? null : new Set(b.removed);
  // An exact side brings no underlying-metric labels back, so only the other side's removals matter.
  const removed = uniq([...(removedA ?? []), ...(removedB ?? [])]).filter(
    (l) => (removedA === null || removedA.has(l)) && (removedB === null || removedB.has(l)) && !labels.includes(l),
  );
  return { exact: false, labels, removed };
}
