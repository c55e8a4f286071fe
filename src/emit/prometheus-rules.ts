import { createHash } from 'node:crypto';
import { ruleFilePath } from '../build/paths.ts';
import { withLazyContent } from '../build/manifest.ts';
import type { AlertLevel, AlertModel, Model, RuleGroupModel } from '../model/types.ts';
import { goTemplateText } from './alertmanager-templates.ts';
import { GENERATED_HEADER, goYaml, sortedRecord, type Artifact } from './artifact.ts';
import { ruleLabels } from '../model/level-labels.ts';
import { severityRank, type SeverityRank } from '../model/severity-rank.ts';
import type { FileScopes } from '../compile-scopes.ts';

export interface RuleGroupBody {
  /** The rule file's base name, `<group>.yml`. */
  file: string;
  /** The first definition of the group (its AlertRules when an AlertRules and a RecordingRules share the name). */
  group: RuleGroupModel;
  /** Every definition written into this group: one, or an AlertRules and a RecordingRules of one name. */
  members: RuleGroupModel[];
  /** The group exactly as written to the file: name, options as given, rules (alert/record, expr, for, labels, annotations). */
  body: { name: string; interval?: string; limit?: number; query_offset?: string; rules: Record<string, unknown>[] };
}

/** The rule groups as Prometheus will load them; the emitter writes them, deploy compares them with the live server. */
export function ruleGroupBodies(model: Model): RuleGroupBody[] {
  return sortedGroups(model).map((members) => ({ file: ruleFileName(members[0]!.name), group: members[0]!, members, body: groupBody(model, members) }));
}

function sortedGroups(model: Model): RuleGroupModel[][] {
  return sharedGroups(model.groups).sort((a, b) => (a[0]!.name < b[0]!.name ? -1 : a[0]!.name > b[0]!.name ? 1 : 0));
}

function groupBody(model: Model, members: RuleGroupModel[]): RuleGroupBody['body'] {
  const group = members[0]!;
  // Recording rules first: the alerts of the group then read the records of the same evaluation.
  const records = members.filter((m) => m.type === 'recording').flatMap(recordingRules);
  const alerts = members.filter((m) => m.type === 'alerting').flatMap((m) => m.alerts.filter((a) => a.enabled).flatMap((a) => alertingRules(model, a)));
  // Options only as written: without `interval` Prometheus evaluates at the global evaluation_interval (the Project's).
  // Members of one group agree on them (rule/duplicate reports those that do not).
  const options = { ...(group.interval ? { interval: group.interval } : {}), ...(group.limit !== undefined ? { limit: group.limit } : {}), ...(group.queryOffset ? { query_offset: group.queryOffset } : {}) };
  return { name: group.name, ...options, rules: [...records, ...alerts] };
}

/**
 * The definitions that make one Prometheus group: an AlertRules and a RecordingRules of one name are one group, as in
 * a Prometheus rule file; any other repeat of a name stays apart (rule/duplicate reports it).
 */
export function sharedGroups(groups: readonly RuleGroupModel[]): RuleGroupModel[][] {
  const out: RuleGroupModel[][] = [];
  const open = new Map<string, RuleGroupModel[]>();
  for (const g of groups) {
    const partner = open.get(g.name);
    if (partner && partner.length === 1 && partner[0]!.type !== g.type) {
      // The AlertRules leads: its origin names the group, as before a RecordingRules joined it.
      if (g.type === 'alerting') partner.unshift(g);
      else partner.push(g);
      continue;
    }
    const members = [g];
    out.push(members);
    if (!open.has(g.name)) open.set(g.name, members);
  }
  return out;
}

/** The rule file a group is written to; checks use it to find names that collide on the file system. */
export function ruleFileName(group: string): string {
  if (SAFE_FILE_NAME.test(group)) return `${group}.yml`;
  // Any other name Prometheus accepts ("cluster health", "./example.rules"): its safe characters, and a digest of the
  // whole name so that two names made alike by the replacement never share a file.
  const safe = group.replace(/[^a-zA-Z0-9_.-]+/g, '-').replace(/^[^a-zA-Z0-9]+/, '').slice(0, 80) || 'group';
  return `${safe}-${createHash('sha256').update(group, 'utf8').digest('hex').slice(0, 8)}.yml`;
}

const SAFE_FILE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * One Prometheus rule file per group: `prometheus/rules/<group>.yml`. With `scopes`, a group defined in one file is
 * written from the text an earlier compile made of the same file and project-wide facts (a group reads its own
 * definition, the severities and the Project); such a file carries no data (build/read.ts parses it when asked).
 */
export function emitPrometheusRules(model: Model, scopes?: FileScopes): Artifact[] {
  const bodies = scopes?.memoised ? ruleGroupShells(model) : ruleGroupBodies(model);
  return bodies.map((group) => {
    const sources = [...new Set(group.members.map((m) => m.origin.def.file))];
    const header = [GENERATED_HEADER, `Source: ${sources.join(', ')}`];
    if (scopes?.memoised && sources.length === 1) {
      const made = scopes.memoText(sources[0]!, `rule file ${group.file}`, () => ({ content: goYaml({ groups: [groupBody(model, group.members)] }, header) }));
      return withLazyContent({ path: ruleFilePath(group.file), sources }, made.sha256, made.text);
    }
    const document = { groups: [group.body ?? groupBody(model, group.members)] };
    // The document rides along as data, so deploy compares it with the live server without parsing YAML.
    return { path: ruleFilePath(group.file), content: goYaml(document, header), sources: [...sources].sort(), data: document };
  });
}

/** The groups in file order, their bodies not built yet. */
function ruleGroupShells(model: Model): (Omit<RuleGroupBody, 'body'> & { body?: RuleGroupBody['body'] })[] {
  return sortedGroups(model).map((members) => ({ file: ruleFileName(members[0]!.name), group: members[0]!, members }));
}

function recordingRules(group: RuleGroupModel): Record<string, unknown>[] {
  return group.rules
    .filter((r) => r.enabled)
    .map((r) => {
      const rule: Record<string, unknown> = { record: r.record, expr: normaliseExpr(r.expr) };
      if (Object.keys(r.labels).length) rule.labels = sortedRecord(r.labels);
      return rule;
    });
}

/** The model's severity ladder, made once per model rather than once per alert (a Map of the severities each time). */
const ranks = new WeakMap<Model, SeverityRank>();

/** Levels are emitted most severe first, so rule files read like the severity ladder. */
function alertingRules(model: Model, alert: AlertModel): Record<string, unknown>[] {
  let rank = ranks.get(model);
  if (!rank) ranks.set(model, (rank = severityRank(model)));
  const levels = rank.sortLevels(alert.levels);
  return levels.map((level) => {
    const rule: Record<string, unknown> = { alert: alert.name, expr: levelExpr(alert, level) };
    if (level.for) rule.for = level.for;
    if (level.keepFiringFor) rule.keep_firing_for = level.keepFiringFor;
    // Prometheus executes alerting-rule label values as templates; Vigil's labels are literal values (routing uses them).
    const labels = sortedRecord(ruleLabels(alert, level));
    if (Object.keys(labels).length) rule.labels = Object.fromEntries(Object.entries(labels).map(([name, value]) => [name, goTemplateText(value)]));
    const annotations = alertAnnotations(model, alert, level);
    if (Object.keys(annotations).length) rule.annotations = annotations;
    return rule;
  });
}

export function levelExpr(alert: AlertModel, level: AlertLevel): string {
  const expr = normaliseExpr(level.expr ?? alert.expr);
  if (level.op === undefined || level.value === undefined) return expr;
  const operand = expr.includes('\n') ? `(\n  ${expr.replace(/\n/g, '\n  ')}\n)` : `(${expr})`;
  return `${operand} ${level.op} ${formatNumber(level.value)}`;
}

export function alertAnnotations(model: Model, alert: AlertModel, level: AlertLevel): Record<string, string> {
  const annotations: Record<string, string> = { ...alert.annotations };
  if (alert.summary !== undefined) annotations.summary = alert.summary;
  if (alert.description !== undefined) annotations.description = alert.description;
  if (alert.runbook !== undefined) annotations.runbook_url = alert.runbook;
  if (alert.dashboard !== undefined) annotations.dashboard_url = goTemplateText(dashboardUrl(model, alert.dashboard));
  if (level.value !== undefined && level.op !== undefined) annotations.threshold = `${level.op} ${formatNumber(level.value)}`;
  Object.assign(annotations, level.annotations);
  return sortedRecord(annotations);
}

export function dashboardUrl(model: Model, uid: string): string {
  const base = (model.project?.grafana.url ?? '').replace(/\/+$/, '');
  return `${base}/d/${uid}`;
}

/** Trims the trailing newline a YAML block scalar leaves and any trailing spaces on lines. */
export function normaliseExpr(expr: string): string {
  return expr
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .trim();
}

export function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(15)));
}
