import { parseDuration } from '../util/duration.ts';
import { budgetSpentPercent, roundFactor, workbookBurnRates, type BurnRate, type BurnSeverity } from './burn-rates.ts';
import { errorRatioQuery, type SloSpec } from './sli.ts';
import { distinctWindows, windowName } from './windows.ts';

type Field = readonly (string | number)[];

/** A recording rule an SLO compiles to; `field`: the part of the SLO it comes from (relative to the SLO). */
export interface SloRecording {
  record: string;
  expr: string;
  labels: Record<string, string>;
  field: Field;
}

export interface SloAlertLevel {
  burn: BurnSeverity;
  severity: string;
  expr: string;
  for?: string;
  annotations: Record<string, string>;
  burnRates: BurnRate[];
  field: Field;
}

export interface SloAlert {
  name: string;
  summary: string;
  description?: string;
  runbook?: string;
  dashboard?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  levels: SloAlertLevel[];
}

export interface SloExpansion {
  /** The labels that tell this SLO's series from every other's: `slo`, `service`, the group's and the SLO's own. */
  labels: Record<string, string>;
  /** Every window with an error-ratio series, shortest first; the period last. */
  windows: string[];
  burnRates: BurnRate[];
  recordings: SloRecording[];
  alert?: SloAlert;
}

export interface SloContext {
  /** Labels of the SLOs definition (`labels:` beside `group:`). */
  groupLabels?: Record<string, string>;
  /** Severity names, most severe first: the default page and ticket levels. */
  severities: readonly string[];
}

/** The window of the current burn rate, and the base of the period's error ratio. */
export const CURRENT_WINDOW = '5m';

export const errorRatioRecord = (window: string): string => `slo:sli_error:ratio_rate${windowName(window)}`;

/**
 * An SLO as plain recording rules and one alert with a level per burn severity (page, ticket). Pure: the model
 * mapper turns the result into rule groups, and the dashboard and test generators can read the same.
 */
export function expandSlo(slo: SloSpec, context: SloContext): SloExpansion {
  const labels = { ...(context.groupLabels ?? {}), ...(slo.labels ?? {}), slo: slo.name, service: slo.service };
  const burnRates = burnRatesOf(slo);
  const alertWindows = burnRates.flatMap((b) => [b.long, b.short]);
  const windows = distinctWindows([CURRENT_WINDOW, ...alertWindows]);
  const period = windowName(slo.window);
  const periodWritten = windows.some((w) => parseDuration(w) === parseDuration(slo.window));
  const selector = selectorOf({ slo: slo.name, service: slo.service });
  const objective = roundFactor(slo.objective / 100);
  const budget = roundFactor(1 - objective);
  const recordings: SloRecording[] = windows.map((w) => ({ record: errorRatioRecord(w), expr: errorRatioQuery(slo.sli, w), labels, field: ['sli'] }));
  if (!periodWritten) {
    // The period's ratio as the mean of the 5m ratio over it (Sloth's "optimized" period SLI): a 30d rate() over raw
    // counters would read a month of samples at every evaluation.
    const current = `${errorRatioRecord(CURRENT_WINDOW)}${selector}`;
    recordings.push({ record: errorRatioRecord(period), expr: `sum_over_time(${current}[${period}])\n/\ncount_over_time(${current}[${period}])`, labels, field: ['window'] });
  }
  const perSlo = (record: string) => `${record}${selector}`;
  recordings.push(
    { record: 'slo:objective:ratio', expr: `vector(${objective})`, labels, field: ['objective'] },
    { record: 'slo:error_budget:ratio', expr: `vector(${budget})`, labels, field: ['objective'] },
    { record: 'slo:time_period:days', expr: `vector(${roundFactor(parseDuration(slo.window) / 86_400_000)})`, labels, field: ['window'] },
    { record: 'slo:current_burn_rate:ratio', expr: `${perSlo(errorRatioRecord(CURRENT_WINDOW))}\n/ on (slo, service) group_left\n${perSlo('slo:error_budget:ratio')}`, labels, field: ['sli'] },
    { record: 'slo:period_burn_rate:ratio', expr: `${perSlo(errorRatioRecord(period))}\n/ on (slo, service) group_left\n${perSlo('slo:error_budget:ratio')}`, labels, field: ['window'] },
    { record: 'slo:period_error_budget_remaining:ratio', expr: `1 - ${perSlo('slo:period_burn_rate:ratio')}`, labels, field: ['window'] },
  );
  return { labels, windows: periodWritten ? windows : [...windows, period], burnRates, recordings, alert: alertOf(slo, context, burnRates, selector, budget) };
}

/** The written burn rates, or the workbook's for the SLO's window. */
export function burnRatesOf(slo: SloSpec): BurnRate[] {
  const written = slo.alert ? slo.alert.burnRates : undefined;
  if (!written) return workbookBurnRates(slo.window);
  return written.map((b, index) => ({ severity: b.severity, long: b.long, short: b.short, factor: b.factor, ...(b.for ? { for: b.for } : {}), index }));
}

/** The severity each burn level alerts at: written, or the most severe (page) and the next (ticket) level; false: none. */
export function burnSeverities(slo: SloSpec, severities: readonly string[]): Record<BurnSeverity, string | false> {
  const alert = slo.alert === false ? undefined : slo.alert;
  return {
    page: alert?.page ?? severities[0] ?? false,
    ticket: alert?.ticket ?? severities[1] ?? false,
  };
}

export function defaultAlertName(sloName: string): string {
  return `${sloName.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')}ErrorBudgetBurn`;
}

function alertOf(slo: SloSpec, context: SloContext, burnRates: BurnRate[], selector: string, budget: number): SloAlert | undefined {
  if (slo.alert === false) return undefined;
  const written = slo.alert ?? {};
  const chosen = burnSeverities(slo, context.severities);
  const levels: SloAlertLevel[] = [];
  for (const burn of ['page', 'ticket'] as const) {
    const severity = chosen[burn];
    const rates = burnRates.filter((b) => b.severity === burn);
    if (severity === false || rates.length === 0) continue;
    const expr = rates.map((b) => burnCondition(b, selector, budget)).join('\nor\n');
    const longestFor = rates.map((b) => b.for).filter((f): f is string => f !== undefined).sort((a, b) => parseDuration(b) - parseDuration(a))[0];
    levels.push({
      burn,
      severity,
      expr,
      ...(longestFor ? { for: longestFor } : {}),
      annotations: { burn_rate: burnText(rates, slo.window) },
      burnRates: rates,
      field: written.page !== undefined || written.ticket !== undefined ? ['alert', burn] : ['alert'],
    });
  }
  if (levels.length === 0) return undefined;
  return {
    name: written.name ?? defaultAlertName(slo.name),
    summary: written.summary ?? `SLO ${slo.name} of ${slo.service}: the error budget burns too fast`,
    ...(written.description ?? slo.description ? { description: written.description ?? slo.description } : {}),
    ...(written.runbook ? { runbook: written.runbook } : {}),
    ...(dashboardOf(slo) ? { dashboard: dashboardOf(slo) } : {}),
    labels: { ...(written.labels ?? {}) },
    annotations: { objective: `${slo.objective}% over ${slo.window}`, ...(written.annotations ?? {}) },
    levels,
  };
}

/** Where an SLO's error-budget dashboard lives, or undefined when the SLO says `dashboard: false`. */
export function sloDashboardRef(slo: SloSpec): { uid: string; title: string } | undefined {
  if (slo.dashboard === false) return undefined;
  return { uid: slo.dashboard?.uid ?? `slo-${slo.name}`, title: slo.dashboard?.title ?? `SLO ${slo.name}` };
}

/** The alert's dashboard link: the written one, else the SLO's own error-budget dashboard. */
function dashboardOf(slo: SloSpec): string | undefined {
  return (slo.alert ? slo.alert.dashboard : undefined) ?? sloDashboardRef(slo)?.uid;
}

/** Both windows above the burn threshold: the long one proves the burn is significant, the short one that it goes on. */
function burnCondition(b: BurnRate, selector: string, budget: number): string {
  const threshold = `(${b.factor} * ${budget})`;
  return `(\n  ${errorRatioRecord(b.long)}${selector} > ${threshold}\nand\n  ${errorRatioRecord(b.short)}${selector} > ${threshold}\n)`;
}

function burnText(rates: BurnRate[], window: string): string {
  return rates.map((b) => `${b.factor}× over ${b.long} and ${b.short} (${budgetSpentPercent(b, window)}% of the ${window} budget in ${b.long})`).join(', or ');
}

export function selectorOf(labels: Record<string, string>): string {
  return `{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
}
