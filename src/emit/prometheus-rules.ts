import { createHash } from 'node:crypto';
import { ruleFilePath } from '../build/paths.ts';
import type { AlertLevel, AlertModel, Model, RuleGroupModel } from '../model/types.ts';
import { goTemplateText } from './alertmanager-templates.ts';
import { GENERATED_HEADER, goYaml, sortedRecord, type Artifact } from './artifact.ts';
import { ruleLabels } from '../model/level-labels.ts';
import { severityRank } from '../model/severity-rank.ts';

export interface RuleGroupBody {
  /** The rule file's base name, `<group>.yml`. */
  file: string;
  group: RuleGroupModel;
  /** The group exactly as written to the file: name, options as given, rules (alert/record, expr, for, labels, annotations). */
  body: { name: string; interval?: string; limit?: number; query_offset?: string; rules: Record<string, unknown>[] };
}

/** The rule groups as Prometheus will load them; the emitter writes them, deploy compares them with the live server. */
export function ruleGroupBodies(model: Model): RuleGroupBody[] {
  return [...model.groups]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((group) => {
      const rules = group.type === 'alerting' ? group.alerts.filter((a) => a.enabled).flatMap((a) => alertingRules(model, a)) : recordingRules(group);
      // Options only as written: without `interval` Prometheus evaluates at the global evaluation_interval (the Project's).
      const options = { ...(group.interval ? { interval: group.interval } : {}), ...(group.limit !== undefined ? { limit: group.limit } : {}), ...(group.queryOffset ? { query_offset: group.queryOffset } : {}) };
      return { file: ruleFileName(group.name), group, body: { name: group.name, ...options, rules } };
    });
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

/** One Prometheus rule file per group: `prometheus/rules/<group>.yml`. */
export function emitPrometheusRules(model: Model): Artifact[] {
  return ruleGroupBodies(model).map((group) => {
    const document = { groups: [group.body] };
    // The document rides along as data, so deploy compares it with the live server without parsing YAML.
    return { path: ruleFilePath(group.file), content: goYaml(document, [GENERATED_HEADER, `Source: ${group.group.origin.def.file}`]), sources: [group.group.origin.def.file], data: document };
  });
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

/** Levels are emitted most severe first, so rule files read like the severity ladder. */
function alertingRules(model: Model, alert: AlertModel): Record<string, unknown>[] {
  const levels = severityRank(model).sortLevels(alert.levels);
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
