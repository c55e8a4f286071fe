import { parseDuration } from '../util/duration.ts';

export type BurnSeverity = 'page' | 'ticket';

/** One pair of windows of a multi-window, multi-burn-rate alert: both error ratios above factor × budget. */
export interface BurnRate {
  severity: BurnSeverity;
  long: string;
  short: string;
  factor: number;
  for?: string;
  /** Index in the SLO's `alert.burnRates`, when written there (absent for the defaults). */
  index?: number;
}

/**
 * The SRE workbook's recommended windows, as the share of the period's error budget each pair spends
 * (https://sre.google/workbook/alerting-on-slos/): the factor follows from the SLO's window, 14.4 / 6 / 3 / 1 for 30d
 * and 13.44 / 5.6 / 2.8 / 0.93 for 28d — as Sloth derives them.
 */
const WORKBOOK: readonly { severity: BurnSeverity; long: string; short: string; budgetPercent: number }[] = [
  { severity: 'page', long: '1h', short: '5m', budgetPercent: 2 },
  { severity: 'page', long: '6h', short: '30m', budgetPercent: 5 },
  { severity: 'ticket', long: '1d', short: '2h', budgetPercent: 10 },
  { severity: 'ticket', long: '3d', short: '6h', budgetPercent: 10 },
];

/** The default burn rates for an SLO period (a Prometheus duration). */
export function workbookBurnRates(window: string): BurnRate[] {
  const period = parseDuration(window);
  return WORKBOOK.map(({ severity, long, short, budgetPercent }) => ({
    severity,
    long,
    short,
    factor: roundFactor((budgetPercent / 100) * (period / parseDuration(long))),
  }));
}

/** Share of the period's error budget a burn spends over its long window, in percent. */
export function budgetSpentPercent(rate: BurnRate, window: string): number {
  return roundFactor((rate.factor * parseDuration(rate.long) * 100) / parseDuration(window));
}

// 12 significant digits hide binary noise (0.02 × 720 = 14.399999999999999) without changing a written value.
export const roundFactor = (x: number): number => Number(x.toPrecision(12));
