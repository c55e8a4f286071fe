/**
 * --verify of `vigil import slo`, the part read from the build alone: for every imported SLO the built rules hold
 * what the source tool would generate from its spec — the objective and period, the error ratio over the source's
 * queries (or, for a latency SLI, over the same series), and each burn pair (windows and factor) at the level the
 * source alerts at. Expectations come from the source spec (slo-map.ts), never from Vigil's reading of the import.
 */
import { parse } from 'yaml';
import { splitSelector, type ExpectedBurn, type ExpectedSlo, type MappedDefinition } from './slo-map.ts';

export interface SloRoundTrip {
  compared: { slos: number; burnPairs: number };
  differences: string[];
}

interface BuiltRule {
  record?: string;
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
}

/** Sloth's burn pairs: the workbook's windows, factors as shares of a 30-day budget. */
export const SLOTH_BURNS: readonly ExpectedBurn[] = [
  { severity: 'page', long: '1h', short: '5m', factor: 14.4 },
  { severity: 'page', long: '6h', short: '30m', factor: 6 },
  { severity: 'ticket', long: '1d', short: '2h', factor: 3 },
  { severity: 'ticket', long: '3d', short: '6h', factor: 1 },
];

const squash = (expr: string) => expr.replace(/[\s()]/g, '');
const round = (x: number) => Number(x.toPrecision(12));

export function verifySlos(definitions: readonly MappedDefinition[], ruleFiles: ReadonlyMap<string, string>, severities: { page: string; ticket: string }): SloRoundTrip {
  const rules: BuiltRule[] = [];
  for (const text of ruleFiles.values()) {
    const doc = parse(text) as { groups?: { rules?: BuiltRule[] }[] } | null;
    for (const g of doc?.groups ?? []) rules.push(...(g.rules ?? []));
  }
  const differences: string[] = [];
  let burnPairs = 0;
  let slos = 0;
  for (const d of definitions) {
    for (const e of d.expected) {
      slos++;
      const where = `${d.from}: SLO ${e.name}`;
      const own = rules.filter((r) => r.labels?.slo === e.name && r.labels?.service === e.service);
      const recorded = (name: string) => own.find((r) => r.record === name);
      const vectorOf = (name: string) => Number(/^vector\((.*)\)$/.exec(recorded(name)?.expr.trim() ?? '')?.[1]);
      if (vectorOf('slo:objective:ratio') !== round(e.objective)) differences.push(`${where}: objective ${round(e.objective)} in the source, ${recorded('slo:objective:ratio')?.expr ?? 'no slo:objective:ratio'} in the build`);
      const days = parseWindowDays(e.window);
      if (vectorOf('slo:time_period:days') !== days) differences.push(`${where}: a ${e.window} period in the source, ${recorded('slo:time_period:days')?.expr ?? 'no slo:time_period:days'} in the build`);
      differences.push(...errorRatioDifferences(where, e, recorded('slo:sli_error:ratio_rate5m')?.expr));
      const burns = e.burnRates ?? (d.source === 'sloth' ? SLOTH_BURNS : []);
      const alerts = e.alert ? rules.filter((r) => r.alert !== undefined && r.alert === (e.alert!.name || r.alert) && r.expr.includes(`slo="${e.name}"`)) : [];
      if (!e.alert) {
        if (rules.some((r) => r.alert !== undefined && r.expr.includes(`slo="${e.name}"`))) differences.push(`${where}: the source has no alert, the build has one`);
        continue;
      }
      for (const level of ['page', 'ticket'] as const) {
        const severity = severities[level];
        const rule = alerts.find((r) => r.labels?.severity === severity);
        const want = e.alert[level] ? burns.filter((b) => b.severity === level) : [];
        if (want.length === 0) {
          if (rule) differences.push(`${where}: the source has no ${level} alert, the build alerts at ${severity}`);
          continue;
        }
        if (!rule) {
          differences.push(`${where}: no ${level} alert (severity ${severity}) in the build`);
          continue;
        }
        const budget = round(1 - e.objective);
        for (const b of want) {
          burnPairs++;
          const text = squash(rule.expr);
          const threshold = escape(`>${round(b.factor)}*${budget}`);
          const pair = [b.long, b.short].every((w) => new RegExp(`slo:sli_error:ratio_rate${w}\\{[^}]*\\}${threshold}(?![0-9.])`).test(text));
          if (!pair) differences.push(`${where}: the ${level} alert of the build has no ${b.factor}× burn over ${b.long} and ${b.short}`);
        }
      }
    }
  }
  return { compared: { slos, burnPairs }, differences };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function parseWindowDays(window: string): number {
  const m = /^(\d+)([dwh])$/.exec(window);
  if (!m) return NaN;
  return round(Number(m[1]) * (m[2] === 'w' ? 7 : m[2] === 'h' ? 1 / 24 : 1));
}

/** The build's 5m error ratio against the source's: the same text up to spacing and parentheses, or the same series. */
function errorRatioDifferences(where: string, e: ExpectedSlo, built: string | undefined): string[] {
  if (built === undefined) return [`${where}: no slo:sli_error:ratio_rate5m in the build`];
  if (e.errorRatio) return squash(e.errorRatio('5m')) === squash(built) ? [] : [`${where}: the 5m error ratio differs: the source's ${e.errorRatio('5m').replace(/\s+/g, ' ')}, the build's ${built.replace(/\s+/g, ' ')}`];
  const builtSelectors = new Set([...built.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*\{[^}]*\}/g)].map((m) => canonicalSelector(m[0])));
  const missing = e.selectors.filter((s) => !builtSelectors.has(canonicalSelector(s)));
  return missing.length ? [`${where}: the build's 5m error ratio does not read ${missing.join(', ')}`] : [];
}

function canonicalSelector(selector: string): string {
  const s = splitSelector(selector);
  return s ? `${s.name}{${[...s.matchers].sort().join(',')}}` : selector.replace(/\s+/g, '');
}
