/** Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/**
 * The candidate closest to `word`, if it is close enough to be a plausible typo. A candidate that contains the word or
 * is contained in it (`warn` → `warning`, `lead` → `ml-lead`) wins over a merely similar one.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const list = [...candidates];
  const lowerWord = word.toLowerCase();
  if (lowerWord.length >= 3) {
    // Containment counts only between names of similar length: `for` is not a hint for `information`.
    const containing = list.filter((c) => {
      const lc = c.toLowerCase();
      if (lc === lowerWord) return false;
      const [short, long] = lc.length < lowerWord.length ? [lc, lowerWord] : [lowerWord, lc];
      return short.length >= 3 && short.length * 2 >= long.length && long.includes(short);
    });
    if (containing.length > 0) return containing.sort((a, b) => Math.abs(a.length - word.length) - Math.abs(b.length - word.length) || (a < b ? -1 : 1))[0];
  }
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = word.toLowerCase();
  for (const c of list) {
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.ceil(word.length / 3)) ? best : undefined;
}
