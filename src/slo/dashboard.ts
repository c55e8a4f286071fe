import type { DashboardSpec, Panel } from '../spec/types.gen.ts';
import type { BurnRate } from './burn-rates.ts';
import { CURRENT_WINDOW, errorRatioRecord, selectorOf, sloDashboardRef, type SloExpansion } from './expand.ts';
import type { SloSpec } from './sli.ts';
import { distinctWindows, windowName } from './windows.ts';

/** Burn-rate thresholds are coloured by the level they alert at, whatever its severity is called. */
const BURN_COLORS = { page: 'red', ticket: 'orange' } as const;

/**
 * The error-budget dashboard of an SLO, as a declarative Dashboard: the same emitter as written dashboards builds and
 * finishes it. Every query reads the series the SLO's recording rules write, selected by the SLO's identity labels.
 */
export function sloDashboardSpec(slo: SloSpec, expansion: SloExpansion): DashboardSpec | undefined {
  const ref = sloDashboardRef(slo);
  if (!ref) return undefined;
  const selector = selectorOf({ slo: slo.name, service: slo.service });
  const series = (record: string) => `${record}${selector}`;
  const period = windowName(slo.window);
  const remaining = series('slo:period_error_budget_remaining:ratio');
  const sli = `100 * (1 - ${series(errorRatioRecord(period))})`;
  const panels: Panel[] = [
    { title: 'Error budget remaining', type: 'stat', unit: 'percentunit', decimals: 2, width: 6, queries: [{ expr: remaining, legend: 'remaining' }], thresholds: [{ value: null, color: 'red' }, { value: 0, color: 'green' }] },
    { title: `Error budget remaining over ${period}`, type: 'timeseries', unit: 'percentunit', width: 18, queries: [{ expr: remaining, legend: 'remaining' }] },
    {
      title: `SLI over ${period} vs objective`,
      type: 'timeseries',
      unit: 'percent',
      decimals: 3,
      width: 12,
      queries: [
        { expr: sli, legend: 'SLI' },
        { expr: `100 * ${series('slo:objective:ratio')}`, legend: 'objective' },
      ],
    },
    {
      title: `Error ratio (${CURRENT_WINDOW})`,
      type: 'timeseries',
      unit: 'percentunit',
      width: 12,
      queries: [
        { expr: series(errorRatioRecord(CURRENT_WINDOW)), legend: `error ratio ${CURRENT_WINDOW}` },
        { expr: series('slo:error_budget:ratio'), legend: 'error budget' },
      ],
    },
    {
      title: 'Burn rates at the alert windows',
      type: 'timeseries',
      width: 24,
      description: 'How many times faster than the objective allows the error budget is spent; a level fires when both windows of one of its pairs exceed its factor.',
      queries: alertWindows(expansion.burnRates).map((w) => ({
        expr: `${series(errorRatioRecord(w))}\n/ on (slo, service) group_left\n${series('slo:error_budget:ratio')}`,
        legend: w,
      })) as Panel['queries'], // never empty: an SLO has at least one pair of windows
      thresholds: burnThresholds(expansion.burnRates),
    },
  ];
  return {
    apiVersion: 'vigil/v1',
    kind: 'Dashboard',
    uid: ref.uid,
    title: ref.title,
    ...(slo.description ? { description: slo.description } : {}),
    tags: ['slo'],
    time: { from: 'now-7d', to: 'now' },
    panels,
  };
}

/** The windows the burn-rate pairs read, shortest first, named as their recorded series. */
function alertWindows(burnRates: readonly BurnRate[]): string[] {
  return distinctWindows(burnRates.flatMap((b) => [b.short, b.long]));
}

/** Green below the lowest factor, then each factor in the colour of its level (page wins a factor both use). */
function burnThresholds(burnRates: readonly BurnRate[]): NonNullable<Panel['thresholds']> {
  const byFactor = new Map<number, BurnRate['severity']>();
  for (const b of burnRates) if (byFactor.get(b.factor) !== 'page') byFactor.set(b.factor, b.severity);
  const steps = [...byFactor.entries()].sort((a, b) => a[0] - b[0]).map(([value, severity]) => ({ value, color: BURN_COLORS[severity] }));
  return [{ value: null, color: 'green' }, ...steps];
}
