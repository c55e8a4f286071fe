/**
 * Definitions of at least this much text make a command's work large enough for V8 to optimise as early as it
 * would by default (issue #12 §3): below it, a cold `vigil validate` or `vigil build` on two cores runs faster when
 * V8 waits for four times its interrupt budget before optimising a function (bin/vigil.js starts them so); from
 * ≈ 1 MB (a 2,000-alert project) the two are even, and above it V8's own budget wins (docs/benchmarks.md).
 */
export const LARGE_WORK_CHARS = 1 << 20;

/** Tells the command line that this run's definitions are `chars` long: at LARGE_WORK_CHARS, V8's budget again. */
export function definitionsRead(chars: number): void {
  if (chars < LARGE_WORK_CHARS) return;
  const largeWork = (globalThis as Record<symbol, unknown>)[Symbol.for('vigil.large-work')];
  if (typeof largeWork === 'function') largeWork();
}
