import type { OutputLabels } from './types.ts';

const uniq = (xs: Iterable<string>) => [...new Set(xs)];

/** The series of a selector: whatever labels the metric has. */
export function inherited(): OutputLabels {
  return { exact: false, labels: [], removed: [] };
}

export function exactly(labels: Iterable<string>): OutputLabels {
  return { exact: true, labels: uniq(labels), removed: [] };
}

export function withoutLabels(o: OutputLabels, drop: readonly string[]): OutputLabels {
  const gone = new Set(drop);
  return {
    exact: o.exact,
    labels: o.labels.filter((l) => !gone.has(l)),
    removed: o.exact ? [] : uniq([...o.removed, ...drop]),
  };
}

export function withLabels(o: OutputLabels, add: readonly string[]): OutputLabels {
  const added = new Set(add);
  return {
    exact: o.exact,
    labels: uniq([...o.labels, ...add]),
    removed: o.removed.filter((l) => !added.has(l)),
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
