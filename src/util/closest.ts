/**
 * Levenshtein distance, for "did you mean" hints. With `max`, only distances up to `max` are exact; anything farther
 * returns `max + 1` as soon as it is certain (only the band |i - j| <= max can hold a value within it), so comparing a
 * name with a 30,000-name catalogue stays cheap.
 */
export function editDistance(a: string, b: string, max = Infinity): number {
  const beyond = max + 1;
  if (Math.abs(a.length - b.length) > max) return beyond;
  const prev = Array.from({ length: b.length + 1 }, (_, j) => (j <= max ? j : beyond));
  for (let i = 1; i <= a.length; i++) {
    const from = Math.max(1, i - max);
    const to = Math.min(b.length, i + max);
    let diag = prev[from - 1]!;
    prev[from - 1] = from === 1 ? Math.min(i, beyond) : beyond;
    let rowMin = prev[from - 1]!;
    for (let j = from; j <= to; j++) {
      const up = prev[j]!;
      const value = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev[j] = value;
      diag = up;
      if (value < rowMin) rowMin = value;
    }
    // A row's minimum never decreases further down.
    if (rowMin > max) return beyond;
  }
  return Math.min(prev[b.length]!, beyond);
}

/**
 * "Did you mean" for many unknown names against one list of candidates. Each guess compares a name with every
 * candidate, so only the first `limit` distinct names get one: thousands of unknown names against thousands of
 * candidates stay linear (issue #8 §7).
 */
export function limitedGuesses(candidates: Iterable<string>, limit = 50): (word: string) => string | undefined {
  const list = [...candidates];
  const guesses = new Map<string, string | undefined>();
  return (word) => {
    if (!guesses.has(word) && guesses.size < limit) guesses.set(word, closest(word, list));
    return guesses.get(word);
  };
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
  // The first candidate at the smallest distance within the limit: each comparison stops once it cannot beat the best.
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.ceil(word.length / 3)) + 1;
  const lower = word.toLowerCase();
  for (const c of list) {
    const d = editDistance(lower, c.toLowerCase(), bestDistance - 1);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}
