/** Offsets of the `nth` occurrence of `fragment` in `expr`; throws when absent so a typo cannot pass silently. */
export function at(expr: string, fragment: string, nth = 0): { start: number; end: number } {
  let from = -1;
  for (let i = 0; i <= nth; i++) {
    from = expr.indexOf(fragment, from + 1);
    if (from < 0) throw new Error(`fragment ${JSON.stringify(fragment)} (#${nth}) not in ${JSON.stringify(expr)}`);
  }
  return { start: from, end: from + fragment.length };
}
