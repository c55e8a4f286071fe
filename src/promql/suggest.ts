/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

const commonPrefix = (a: string, b: string) => {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
};

/** The candidate a typo most plausibly meant, if any is close enough; ties go to the longer shared prefix. */
export function closestName(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  // Short names are all within two edits of each other, so they only get one.
  const limit = lower.length <= 4 ? 1 : Math.max(2, Math.floor(lower.length / 3));
  let best: string | undefined;
  let bestScore: [number, number] = [Infinity, 0];
  for (const c of candidates) {
    const score: [number, number] = [editDistance(lower, c), commonPrefix(lower, c)];
    if (score[0] < bestScore[0] || (score[0] === bestScore[0] && score[1] > bestScore[1])) {
      best = c;
      bestScore = score;
    }
  }
  return bestScore[0] <= limit ? best : undefined;
}
