/**
 * Definitions of at least this much text make a command's work large enough for V8's optimising compiler to pay for
 * itself (issue #12 §3): below it, a cold `vigil validate` or `vigil build` on two cores runs faster without it
 * (bin/vigil.js starts them so), above it faster with it — even at ≈ 1 MB (a 2,000-alert project), 30 ms slower
 * without it at 1.4 MB (docs/benchmarks.md).
 */
export const LARGE_WORK_CHARS = 1 << 20;

/** Tells the command line that this run's definitions are `chars` long: at LARGE_WORK_CHARS, it optimises again. */
export function definitionsRead(chars: number): void {
  if (chars < LARGE_WORK_CHARS) return;
  const largeWork = (globalThis as Record<symbol, unknown>)[Symbol.for('vigil.large-work')];
  if (typeof largeWork === 'function') largeWork();
}
