/**
 * The round trip of `vigil import rules --verify`: the rule files Vigil builds from the imported definitions, compared
 * with the rule files that went in. The same alerts (name, expression up to whitespace and redundant parentheses,
 * `for`, `keep_firing_for`, labels, annotations, group), the same recording rules in the same order, the same group
 * options; of a group mixing both kinds, the build's order (recording rules first) is no difference: import notes
 * where it changes what a rule reads. A folded alert's `threshold` annotation is Vigil's addition by design, reported apart.
 */
import { parse } from 'yaml';
import { promqlShape } from '../promql/shape.ts';
import { parseDuration } from '../util/duration.ts';
import type { ImportedGroup } from './fold.ts';
import type { RawGroup, RawRule } from './rule-sources.ts';

export interface RoundTrip {
  differences: string[];
  /** Changes the import makes on purpose (a folded alert's `threshold` annotation). */
  byDesign: string[];
  compared: { alertRules: number; recordingRules: number; groups: number };
}

interface BuiltRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  keep_firing_for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface BuiltGroup {
  name: string;
  interval?: string;
  limit?: number;
  query_offset?: string;
  rules: BuiltRule[];
}

/** `files`: the built `prometheus/rules/*.yml`, by path. */
export function verifyRules(imported: readonly ImportedGroup[], files: ReadonlyMap<string, string>): RoundTrip {
  const built = new Map<string, BuiltGroup>();
  for (const text of files.values()) for (const g of ((parse(text) as { groups?: BuiltGroup[] })?.groups ?? [])) built.set(g.name, g);
  const trip: RoundTrip = { differences: [], byDesign: [], compared: { alertRules: 0, recordingRules: 0, groups: 0 } };
  for (const g of imported) {
    const source = g.source;
    const alerts = source.rules.filter((r) => r.alert !== undefined);
    const records = source.rules.filter((r) => r.record !== undefined);
    const alertGroup = g.alertRules ? (g.alertRules.group as string) : undefined;
    const recordGroup = g.recordingRules ? (g.recordingRules.group as string) : undefined;
    // Membership: each built group the input's rules went to holds those rules and no others, of either kind.
    for (const name of new Set([alertGroup, recordGroup].filter((n): n is string => n !== undefined))) {
      trip.compared.groups++;
      const b = built.get(name);
      const where = name === source.name ? `group ${name}` : `group ${source.name} (built as ${name})`;
      if (!b) {
        trip.differences.push(`${where}: not in the build`);
        continue;
      }
      if (name !== source.name) trip.differences.push(`group ${source.name}: its ${name === alertGroup ? 'alerting' : 'recording'} rules are in group ${name}`);
      compareOptions(where, source, b, trip);
      compareAlerts(where, name === alertGroup ? alerts : [], b.rules.filter((r) => r.alert !== undefined), trip);
      compareRecords(where, name === recordGroup ? records : [], b.rules.filter((r) => r.record !== undefined), trip);
    }
  }
  return trip;
}

function compareOptions(where: string, source: RawGroup, built: BuiltGroup, trip: RoundTrip): void {
  const durations = (a?: string, b?: string) => (a === undefined || b === undefined ? a === b : parseDuration(a) === parseDuration(b));
  if (!durations(source.interval, built.interval)) trip.differences.push(`${where}: interval ${source.interval ?? '(none)'} became ${built.interval ?? '(none)'}`);
  if (source.limit !== built.limit && !(source.limit === 0 && built.limit === undefined)) trip.differences.push(`${where}: limit ${source.limit ?? '(none)'} became ${built.limit ?? '(none)'}`);
  if (!durations(source.queryOffset, built.query_offset)) trip.differences.push(`${where}: query_offset ${source.queryOffset ?? '(none)'} became ${built.query_offset ?? '(none)'}`);
}

const canonical = (expr: string) => promqlShape(expr)?.canonical ?? expr.replace(/\s+/g, ' ').trim();
const duration = (d?: string) => (d === undefined ? '' : String(parseDuration(d)));
const record = (r?: Record<string, string>) =>
  Object.entries(r ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');

function ruleKey(r: { expr: string; for?: string; keepFiringFor?: string; keep_firing_for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }): string {
  return [canonical(r.expr), duration(r.for), duration(r.keepFiringFor ?? r.keep_firing_for), record(r.labels), record(r.annotations)].join('\u0000');
}

function describe(r: { alert?: string; record?: string; expr: string; labels?: Record<string, string> }): string {
  return `${r.alert ?? r.record} {${record(r.labels)}}: ${r.expr.replace(/\s+/g, ' ').trim()}`;
}

/** Alerts as a multiset per name: Prometheus does not care in which order a group lists them. */
function compareAlerts(where: string, input: RawRule[], built: BuiltRule[], trip: RoundTrip): void {
  trip.compared.alertRules += input.length;
  const remaining = [...built];
  for (const r of input) {
    const exact = remaining.findIndex((b) => b.alert === r.alert && ruleKey(b) === ruleKey(r));
    if (exact !== -1) {
      remaining.splice(exact, 1);
      continue;
    }
    // A folded level carries `threshold: <op> <value>`; with it set aside the rule must be the same.
    const folded = remaining.findIndex((b) => {
      if (b.alert !== r.alert || b.annotations?.threshold === undefined || r.annotations.threshold !== undefined) return false;
      const { threshold: _threshold, ...rest } = b.annotations;
      return ruleKey({ ...b, annotations: rest }) === ruleKey(r);
    });
    if (folded !== -1) {
      trip.byDesign.push(`${where}, alert ${r.alert} (${r.labels.severity ?? 'no severity'}): threshold annotation "${remaining[folded]!.annotations!.threshold}" added by folding`);
      remaining.splice(folded, 1);
      continue;
    }
    const candidate = remaining.find((b) => b.alert === r.alert && b.labels?.severity === r.labels.severity) ?? remaining.find((b) => b.alert === r.alert);
    trip.differences.push(candidate ? `${where}, alert ${r.alert}: ${ruleDifference(r, candidate)}` : `${where}: alert ${describe(r)} is not in the build`);
    if (candidate) remaining.splice(remaining.indexOf(candidate), 1);
  }
  for (const b of remaining) trip.differences.push(`${where}: the build has alert ${describe(b)}, which the input does not`);
}

function ruleDifference(r: RawRule, b: BuiltRule): string {
  const parts: string[] = [];
  if (canonical(r.expr) !== canonical(b.expr)) parts.push(`expr ${JSON.stringify(r.expr.trim())} became ${JSON.stringify(b.expr.trim())}`);
  if (duration(r.for) !== duration(b.for)) parts.push(`for ${r.for ?? '(none)'} became ${b.for ?? '(none)'}`);
  if (duration(r.keepFiringFor) !== duration(b.keep_firing_for)) parts.push(`keep_firing_for ${r.keepFiringFor ?? '(none)'} became ${b.keep_firing_for ?? '(none)'}`);
  if (record(r.labels) !== record(b.labels)) parts.push(`labels {${record(r.labels)}} became {${record(b.labels)}}`);
  if (record(r.annotations) !== record(b.annotations)) parts.push(`annotations {${record(r.annotations)}} became {${record(b.annotations)}}`);
  return parts.join('; ') || 'differs';
}

/** Recording rules in order: a later rule may read an earlier one's output within the same evaluation. */
function compareRecords(where: string, input: RawRule[], built: BuiltRule[], trip: RoundTrip): void {
  trip.compared.recordingRules += input.length;
  const n = Math.max(input.length, built.length);
  for (let i = 0; i < n; i++) {
    const r = input[i];
    const b = built[i];
    if (!r) trip.differences.push(`${where}: the build has recording rule ${describe(b!)}, which the input does not`);
    else if (!b) trip.differences.push(`${where}: recording rule ${describe(r)} is not in the build`);
    else if (r.record !== b.record || ruleKey(r) !== ruleKey(b)) trip.differences.push(`${where}, recording rule ${i + 1} (${r.record}): ${r.record !== b.record ? `became ${b.record}` : ruleDifference(r, b)}`);
  }
}
