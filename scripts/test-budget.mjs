// The time budgets of the two parts of `npm test` on the project's 2-core machine (the plan: unit tests < 5 min,
// integration tests < 10 min), and the line each part prints.
export const BUDGETS_MS = { unit: 5 * 60_000, integration: 10 * 60_000 };

/** 161_000 → "2m 41s", 300_000 → "5m", 8_400 → "8s". */
export function formatDuration(ms) {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const rest = seconds % 60;
  return rest === 0 ? `${seconds / 60}m` : `${Math.floor(seconds / 60)}m ${rest}s`;
}

/** "unit tests: 2m 41s (budget 5m)", with "over budget" when it is. */
export function budgetLine(part, elapsedMs) {
  const budget = BUDGETS_MS[part];
  return `${part} tests: ${formatDuration(elapsedMs)} (budget ${formatDuration(budget)})${elapsedMs > budget ? ': OVER BUDGET' : ''}`;
}
