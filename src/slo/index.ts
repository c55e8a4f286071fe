export { expandSlo, selectorOf, sloDashboardRef, burnRatesOf, burnSeverities, defaultAlertName, errorRatioRecord, CURRENT_WINDOW } from './expand.ts';
export type { SloAlert, SloAlertLevel, SloContext, SloExpansion, SloRecording } from './expand.ts';
export { workbookBurnRates, budgetSpentPercent, type BurnRate, type BurnSeverity } from './burn-rates.ts';
export { checkedQueries, composedText, errorRatioQuery, type ComposedQuery, type Piece, type SloSpec, type SliSpec } from './sli.ts';
export { placeholderSpans, substituteWindow } from './placeholder.ts';
export { windowName, distinctWindows } from './windows.ts';
export { sloDashboardSpec } from './dashboard.ts';
