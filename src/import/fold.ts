/**
 * Rule groups as Vigil definitions: one AlertRules and one RecordingRules definition per group (of the group's name:
 * they build into one group again, recording rules first), an alert whose
 * severities differ only in the threshold folded into one alert with `thresholds`, every other alert kept exactly as
 * it was (one rule per severity: `rules:`). Pure; what needed a decision is said in the notes.
 */
import { promqlShape, type ComparisonShape } from '../promql/shape.ts';
import type { At, RawGroup, RawRule } from './rule-sources.ts';

export type NoteKind = 'folded' | 'kept' | 'inferred' | 'review';

export interface ImportNote {
  kind: NoteKind;
  message: string;
  at?: At;
}

export interface ImportedGroup {
  /** The group's name in Vigil (the input's, unless it was not a valid Vigil group name). */
  name: string;
  source: RawGroup;
  /** The AlertRules definition (apiVersion and kind first), when the group has alerts. */
  alertRules?: Record<string, unknown>;
  recordingRules?: Record<string, unknown>;
}

/**
 * Severity written when an alert has no `severity` label: every level of Vigil has a severity, and this one says
 * `label: false` in the imported Severities, so the built rule still carries no severity label.
 */
export const MISSING_SEVERITY = 'none';

export interface FoldedRules {
  groups: ImportedGroup[];
  severities: string[];
  /** The severity of the alerts that had no `severity` label (its level says `label: false`); absent when all had one. */
  unlabelled?: string;
  notes: ImportNote[];
}

export function foldGroups(groups: readonly RawGroup[]): FoldedRules {
  const notes: ImportNote[] = [];
  const severities = new Set<string>();
  const missing = missingSeverityName(groups);
  const used = new Set<string>();
  const out = groups.map((g) => {
    const name = vigilGroupName(g, used, notes);
    const imported: ImportedGroup = { name, source: g };
    const alerts = g.rules.filter((r) => r.alert !== undefined);
    const records = g.rules.filter((r) => r.record !== undefined);
    const options = { ...(g.interval !== undefined ? { interval: g.interval } : {}), ...(g.limit !== undefined ? { limit: g.limit } : {}), ...(g.queryOffset !== undefined ? { queryOffset: g.queryOffset } : {}) };
    if (alerts.length > 0) {
      imported.alertRules = { apiVersion: 'vigil/v1', kind: 'AlertRules', group: name, ...options, alerts: byName(alerts).map((rules) => alertDefinition(rules, missing, severities, notes)) };
    }
    if (records.length > 0) {
      // One name for both: Vigil builds them into one Prometheus group again, recording rules first.
      const reordered = reorderedReads(g.rules);
      if (reordered.length) {
        notes.push({ kind: 'review', message: `group ${g.name}: the build evaluates its recording rules before its alerts, so ${reordered.join('; ')} in the same evaluation instead of the previous one`, at: g.at });
      }
      imported.recordingRules = { apiVersion: 'vigil/v1', kind: 'RecordingRules', group: name, ...options, rules: records.map(recordingRule) };
    }
    return imported;
  });
  const unlabelled = groups.some((g) => g.rules.some((r) => r.alert !== undefined && r.labels.severity === undefined));
  return { groups: out, severities: [...severities], ...(unlabelled ? { unlabelled: missing } : {}), notes };
}

/**
 * What moving a mixed group's recording rules before its alerts changes: an alert that read a record written later in
 * the group (the previous evaluation's value) now reads this evaluation's, and so does a record written after an
 * alert that reads ALERTS / ALERTS_FOR_STATE.
 */
function reorderedReads(rules: readonly RawRule[]): string[] {
  const found: string[] = [];
  rules.forEach((r, j) => {
    if (r.record === undefined) return;
    const earlierAlerts = rules.slice(0, j).filter((a) => a.alert !== undefined);
    const readers = [...new Set(earlierAlerts.filter((a) => readsName(a.expr, r.record!)).map((a) => a.alert!))];
    if (readers.length) found.push(`alert ${readers.join(', ')} read${readers.length === 1 ? 's' : ''} ${r.record}`);
    if (earlierAlerts.length && (readsName(r.expr, 'ALERTS') || readsName(r.expr, 'ALERTS_FOR_STATE'))) found.push(`${r.record} reads the alerts' state`);
  });
  return found;
}

/** Whether an expression names a metric (a whole name: `job:up:sum` is not read by `job:up:sum_rate`). */
function readsName(expr: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^a-zA-Z0-9_:])${escaped}($|[^a-zA-Z0-9_:])`).test(expr);
}

/** MISSING_SEVERITY, unless a rule's label already says so (kube-prometheus' Watchdog: `severity: none`): then a free name. */
function missingSeverityName(groups: readonly RawGroup[]): string {
  const taken = new Set(groups.flatMap((g) => g.rules.map((r) => r.labels.severity)));
  if (!taken.has(MISSING_SEVERITY)) return MISSING_SEVERITY;
  let candidate = 'unlabelled';
  for (let i = 2; taken.has(candidate); i++) candidate = `unlabelled_${i}`;
  return candidate;
}

/** The input's name; a second group of one name (Prometheus allows it in another file, Vigil not in one project) gets a suffix. */
function vigilGroupName(g: RawGroup, used: Set<string>, notes: ImportNote[]): string {
  const name = g.name;
  const unique = uniqueName(name, used);
  if (unique !== name) notes.push({ kind: 'review', message: `a second group named ${name} (${g.from}) is ${unique}`, at: g.at });
  return unique;
}

function uniqueName(name: string, used: Set<string>): string {
  let candidate = name;
  for (let i = 2; used.has(candidate); i++) candidate = `${name}-${i}`;
  used.add(candidate);
  return candidate;
}

/** The rules of each alert name, in the order the names first appear. */
function byName(rules: RawRule[]): RawRule[][] {
  const groups = new Map<string, RawRule[]>();
  for (const r of rules) groups.set(r.alert!, [...(groups.get(r.alert!) ?? []), r]);
  return [...groups.values()];
}

const withoutSeverity = (labels: Record<string, string>) => Object.fromEntries(Object.entries(labels).filter(([k]) => k !== 'severity'));
const same = (a: Record<string, string>, b: Record<string, string>) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
const sorted = (r: Record<string, string>) => Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

function alertDefinition(rules: RawRule[], missing: string, severities: Set<string>, notes: ImportNote[]): Record<string, unknown> {
  const name = rules[0]!.alert!;
  for (const r of rules) {
    if (r.labels.severity === undefined) notes.push({ kind: 'review', message: `alert ${name} has no severity label: imported at severity ${missing}, which adds no label (label: false); routes cannot select it by severity`, at: r.at });
    severities.add(r.labels.severity ?? missing);
  }
  const severityOf = (r: RawRule) => r.labels.severity ?? missing;
  const first = rules[0]!;
  if (rules.length === 1) {
    return { name, expr: first.expr, severity: severityOf(first), ...timing(first), ...annotationFields(first.annotations), ...labelsField(withoutSeverity(first.labels)) };
  }
  const folded = foldable(rules);
  if (folded) {
    notes.push({ kind: 'folded', message: `alert ${name}: ${rules.length} rules differing only in the threshold folded into thresholds (${rules.map(severityOf).join(', ')})`, at: first.at });
    const thresholds = Object.fromEntries(rules.map((r, i) => [severityOf(r), { op: folded[i]!.op, value: folded[i]!.value, ...timing(r) }]));
    return { name, expr: folded[0]!.lhs, thresholds, ...annotationFields(first.annotations), ...labelsField(withoutSeverity(first.labels)) };
  }
  notes.push({ kind: 'kept', message: `alert ${name}: ${rules.length} rules with different expressions or labels kept one by one (rules:)`, at: first.at });
  // What every rule shares stays on the alert; each rule keeps what is its own.
  const shared = sharedEntries(rules.map((r) => withoutSeverity(r.labels)));
  const sharedAnnotations = sharedEntries(rules.map((r) => r.annotations));
  return {
    name,
    ...annotationFields(sharedAnnotations),
    ...labelsField(shared),
    rules: rules.map((r) => ({
      severity: severityOf(r),
      expr: r.expr,
      ...timing(r),
      ...labelsField(difference(withoutSeverity(r.labels), shared)),
      ...(Object.keys(difference(r.annotations, sharedAnnotations)).length ? { annotations: sorted(difference(r.annotations, sharedAnnotations)) } : {}),
    })),
  };
}

/** Each rule's comparison when the rules differ only in threshold (op and value) and `for`: else undefined. */
function foldable(rules: RawRule[]): ComparisonShape[] | undefined {
  const severities = rules.map((r) => r.labels.severity);
  if (severities.some((s) => s === undefined) || new Set(severities).size !== rules.length) return undefined;
  const comparisons: ComparisonShape[] = [];
  let lhsShape: string | undefined;
  for (const r of rules) {
    const shape = promqlShape(r.expr)?.comparison;
    if (!shape) return undefined;
    const lhs = promqlShape(shape.lhs)?.canonical;
    if (lhs === undefined || (lhsShape !== undefined && lhs !== lhsShape)) return undefined;
    lhsShape = lhs;
    if (!same(withoutSeverity(r.labels), withoutSeverity(rules[0]!.labels)) || !same(r.annotations, rules[0]!.annotations)) return undefined;
    comparisons.push(shape);
  }
  // One direction for every level (threshold/order), or the fold would not say what the rules say.
  const upward = (op: string) => op === '>' || op === '>=';
  const downward = (op: string) => op === '<' || op === '<=';
  if (!(comparisons.every((c) => upward(c.op)) || comparisons.every((c) => downward(c.op)))) return undefined;
  // The written left operand of the first rule, trimmed of its outer parentheses when they enclose all of it.
  const lhs = stripOuterParens(comparisons[0]!.lhs);
  return comparisons.map((c) => ({ ...c, lhs }));
}

function stripOuterParens(text: string): string {
  const t = text.trim();
  if (!t.startsWith('(') || !t.endsWith(')')) return t;
  const inner = t.slice(1, -1);
  return promqlShape(inner)?.canonical === promqlShape(t)?.canonical ? inner.trim() : t;
}

function timing(r: RawRule): Record<string, string> {
  return { ...(r.for !== undefined ? { for: r.for } : {}), ...(r.keepFiringFor !== undefined ? { keepFiringFor: r.keepFiringFor } : {}) };
}

function labelsField(labels: Record<string, string>): Record<string, unknown> {
  return Object.keys(labels).length ? { labels: sorted(labels) } : {};
}

/** Vigil's fields for the annotations it names (summary, description, runbook), the rest as `annotations`. */
function annotationFields(annotations: Record<string, string>): Record<string, unknown> {
  const { summary, description, runbook_url: runbook, ...rest } = annotations;
  const out: Record<string, unknown> = {};
  if (summary !== undefined) out.summary = summary;
  if (description !== undefined) out.description = description;
  if (runbook !== undefined && /^https?:\/\//.test(runbook)) out.runbook = runbook;
  else if (runbook !== undefined) rest.runbook_url = runbook;
  if (Object.keys(rest).length) out.annotations = sorted(rest);
  return out;
}

function sharedEntries(records: Record<string, string>[]): Record<string, string> {
  const [first, ...others] = records;
  return Object.fromEntries(Object.entries(first ?? {}).filter(([k, v]) => others.every((o) => Object.hasOwn(o, k) && o[k] === v)));
}

function difference(record: Record<string, string>, shared: Record<string, string>): Record<string, string> {
  // The shared record's own names: a label may be named `constructor` too.
  return Object.fromEntries(Object.entries(record).filter(([k]) => !Object.hasOwn(shared, k)));
}

function recordingRule(r: RawRule): Record<string, unknown> {
  return { record: r.record, expr: r.expr, ...labelsField(r.labels) };
}
