import { createHash } from 'node:crypto';
import { ruleFilePath } from '../build/paths.ts';
import { withContentBytes, withLazyContent } from '../build/manifest.ts';
import type { AlertLevel, AlertModel, Model, RecordingRuleModel, RuleGroupModel } from '../model/types.ts';
import { goTemplateText } from './alertmanager-templates.ts';
import { GENERATED_HEADER, goYaml, sortedRecord, type Artifact } from './artifact.ts';
import { setOwn } from '../util/own.ts';
import { carriesSeverityLabel, ruleLabels } from '../model/level-labels.ts';
import { plainInside, yamlComment, yamlKey, yamlScalar } from './yaml-writer.ts';
import { severityRank, type SeverityRank } from '../model/severity-rank.ts';
import type { FileScopes } from '../compile-scopes.ts';
import { sortDistinctStrings } from '../util/sort-strings.ts';

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
 * `data: false` (vigil build): no file carries its document either, and none is built.
 */
export function emitPrometheusRules(model: Model, scopes?: FileScopes, options: { data?: boolean } = {}): Artifact[] {
  return sortedGroups(model).map((members) => {
    const file = ruleFileName(members[0]!.name);
    const sources = [...new Set(members.map((m) => m.origin.def.file))];
    const header = [GENERATED_HEADER, `Source: ${sources.join(', ')}`];
    if (scopes?.memoised && sources.length === 1) {
      const made = scopes.memoText(sources[0]!, `rule file ${file}`, () => ({ content: ruleFileText(model, members, header) }));
      return withLazyContent({ path: ruleFilePath(file), sources }, made.sha256, made.text);
    }
    // Kept as its UTF-8 bytes (those of its sha256 and its write), its text made again only if read: 200 texts of
    // 50 KB, live until the write, were copied by the scavenges of the rest of the build (twice, on their way to the
    // old space).
    const artifact = withContentBytes({ path: ruleFilePath(file), sources: [...sources].sort() }, Buffer.from(ruleFileText(model, members, header), 'utf8'));
    if (options.data === false) return artifact;
    // The document rides along as data, so deploy compares it with the live server without parsing YAML.
    return Object.assign(artifact, { data: { groups: [groupBody(model, members)] } });
  });
}

/**
 * A rule file's text, written straight from the model: exactly goYaml({ groups: [groupBody(model, members)] }, header)
 * (prometheus-rules.test.ts compares the two), without first building the document — for the 10,000-alert project,
 * 20,000 rule objects with their label and annotation records, sorted copies and entry arrays. What an alert's levels
 * share (its name, expression, labels and annotations) is written once per alert.
 */
export function ruleFileText(model: Model, members: readonly RuleGroupModel[], header: readonly string[]): string {
  const group = members[0]!;
  let text = '';
  for (const line of header) text += `${yamlComment(line)}\n`;
  text += `groups:\n  - name: ${yamlScalar(group.name, GROUP)}\n`;
  // Options only as written (see groupBody).
  if (group.interval) text += `${GROUP}interval: ${yamlScalar(group.interval, GROUP)}\n`;
  if (group.limit !== undefined) text += `${GROUP}limit: ${yamlScalar(group.limit, GROUP)}\n`;
  if (group.queryOffset) text += `${GROUP}query_offset: ${yamlScalar(group.queryOffset, GROUP)}\n`;
  // Each rule's (each alert's) text a string of its own, joined once: one rope of the whole file would keep its
  // pieces alive until the file is read, and be flattened then.
  const rules: string[] = [];
  for (const m of members) if (m.type === 'recording') for (const r of m.rules) if (r.enabled) rules.push(writeRecordingRule(r, ''));
  if (members.some((m) => m.type === 'alerting')) {
    const rank = rankOf(model);
    const lines = new RuleLines();
    for (const m of members) if (m.type === 'alerting') for (const a of m.alerts) if (a.enabled) rules.push(writeAlertingRules(model, a, rank, lines, ''));
  }
  if (rules.length === 0) return `${text}${GROUP}rules: []\n`;
  rules.unshift(`${text}${GROUP}rules:\n`);
  return rules.join('');
}

/** Where the rule file's parts are written: the group's keys, a rule's dash and keys, a rule's labels and annotations. */
const GROUP = '    ';
const RULE_ITEM = '      - ';
const RULE = '        ';
const RULE_MAP = '          ';

function writeRecordingRule(r: RecordingRuleModel, text: string): string {
  text += `${RULE_ITEM}record: ${yamlScalar(r.record, RULE)}\n${RULE}expr: ${yamlScalar(normaliseExpr(r.expr), RULE)}\n`;
  const keys = Object.keys(r.labels);
  if (keys.length === 0) return text;
  text += `${RULE}labels:\n`;
  for (const key of recordOrder(keys)) text += mapLine(key, r.labels[key]);
  return text;
}

/** One line of a rule's labels or annotations, with its line break. */
function mapLine(key: string, value: unknown): string {
  return `${RULE_MAP}${yamlKey(key)}: ${yamlScalar(value, RULE_MAP)}\n`;
}

/**
 * Label and annotation lines that many rules repeat (`severity: critical`, `team: payments`, a summary every alert of
 * a file shares, `threshold: '> 0.9'`), made once per file.
 */
class RuleLines {
  private readonly labels = new Map<string, Map<string, string>>();
  private readonly annotations = new Map<string, Map<unknown, string>>();
  label(key: string, value: string): string {
    let ofKey = this.labels.get(key);
    if (!ofKey) this.labels.set(key, (ofKey = new Map()));
    let line = ofKey.get(value);
    if (line === undefined) ofKey.set(value, (line = mapLine(key, goTemplateText(value))));
    return line;
  }
  annotation(key: string, value: unknown): string {
    let ofKey = this.annotations.get(key);
    if (!ofKey) this.annotations.set(key, (ofKey = new Map()));
    let line = ofKey.get(value);
    if (line === undefined) ofKey.set(value, (line = mapLine(key, value)));
    return line;
  }
}

/** An alert's rules, one per level, most severe first (see alertingRules, which builds the same as data). */
function writeAlertingRules(model: Model, alert: AlertModel, rank: SeverityRank, lines: RuleLines, text: string): string {
  const alertLine = `${RULE_ITEM}alert: ${yamlScalar(alert.name, RULE)}\n`;
  let alertExpr: string | undefined;
  let alertExprInside: boolean | undefined;
  // Labels: the alert's, in the order they are written, with the level's severity put in its place; a level with
  // labels of its own (rules:) has its record made as ruleLabels makes it.
  const labelKeys = recordOrder(keysWithout(alert.labels, 'severity'));
  const severityAt = insertionPoint(labelKeys, 'severity');
  let labelsBefore = '';
  let labelsAfter = '';
  for (let i = 0; i < labelKeys.length; i++) {
    const line = lines.label(labelKeys[i]!, alert.labels[labelKeys[i]!]!);
    if (i < severityAt) labelsBefore += line;
    else labelsAfter += line;
  }
  // Annotations: the alert-wide ones written once; a level's threshold put in its place.
  const wide = alertWideAnnotations(model, alert);
  const wideThreshold = Object.prototype.hasOwnProperty.call(wide, 'threshold') ? wide.threshold : undefined;
  const annotationKeys = recordOrder(keysWithout(wide, 'threshold'));
  const thresholdAt = insertionPoint(annotationKeys, 'threshold');
  let annotationsBefore = '';
  let annotationsAfter = '';
  for (let i = 0; i < annotationKeys.length; i++) {
    const line = lines.annotation(annotationKeys[i]!, wide[annotationKeys[i]!]);
    if (i < thresholdAt) annotationsBefore += line;
    else annotationsAfter += line;
  }
  const hasLabels = labelKeys.length > 0;
  const hasAnnotations = annotationKeys.length > 0;
  for (const level of rank.sortLevels(alert.levels)) {
    text += alertLine;
    const threshold = levelThreshold(level);
    if (level.expr != null) text += exprLine(normaliseExpr(level.expr), undefined, threshold);
    else {
      alertExpr ??= normaliseExpr(alert.expr);
      if (threshold !== undefined) alertExprInside ??= plainInside(alertExpr);
      text += exprLine(alertExpr, alertExprInside, threshold);
    }
    if (level.for) text += `${RULE}for: ${yamlScalar(level.for, RULE)}\n`;
    if (level.keepFiringFor) text += `${RULE}keep_firing_for: ${yamlScalar(level.keepFiringFor, RULE)}\n`;
    if (level.labels) {
      const labels = ruleLabels(alert, level);
      const keys = Object.keys(labels);
      if (keys.length) text += `${RULE}labels:\n`;
      for (const key of recordOrder(keys)) text += lines.label(key, labels[key]!);
    } else {
      const severity = carriesSeverityLabel(level);
      if (severity) text += `${RULE}labels:\n${labelsBefore}${lines.label('severity', level.severity)}${labelsAfter}`;
      else if (hasLabels) text += `${RULE}labels:\n${labelsBefore}${labelsAfter}`;
    }
    if (level.annotations && Object.keys(level.annotations).length) {
      const annotations = alertAnnotations(model, alert, level);
      text += `${RULE}annotations:\n`;
      for (const key of Object.keys(annotations)) text += mapLine(key, annotations[key]);
    } else {
      const shown = threshold ?? wideThreshold;
      if (shown !== undefined) text += `${RULE}annotations:\n${annotationsBefore}${lines.annotation('threshold', shown)}${annotationsAfter}`;
      else if (hasAnnotations) text += `${RULE}annotations:\n${annotationsBefore}${annotationsAfter}`;
    }
  }
  return text;
}

/**
 * A rule's `expr:` line: `expr` (normalised) with the level's comparison (`threshold`, as levelThreshold writes it)
 * applied as withThreshold applies it, written as yamlScalar writes that. `inside`: plainInside(expr), when known.
 * A one-line expression that plainInside allows, compared with a number, is plain YAML as it stands — it starts with
 * `(` and ends with the number, and neither joint can make `: `, ` #` or a lone UTF-16 half — so it is written without
 * testing the whole text again (prometheus-rule-text.test.ts compares the file with goYaml's).
 */
function exprLine(expr: string, inside: boolean | undefined, threshold: string | undefined): string {
  if (threshold === undefined) return `${RULE}expr: ${yamlScalar(expr, RULE)}\n`;
  const tail = `) ${threshold}`;
  if ((inside ?? plainInside(expr)) && plainInside(tail) && tail.trimEnd() === tail) return `${RULE}expr: (${expr}${tail}\n`;
  return `${RULE}expr: ${yamlScalar(withComparison(expr, threshold), RULE)}\n`;
}

/** An object's own keys but `without`. */
function keysWithout(record: object, without: string): string[] {
  const keys = Object.keys(record);
  const at = keys.indexOf(without);
  if (at >= 0) keys.splice(at, 1);
  return keys;
}

/**
 * The order a record made by sortedRecord enumerates these keys in: sorted, except that keys that are array indices
 * ("0", "12") come first in numeric order, as JavaScript enumerates any object's keys. Sorts `keys` in place.
 */
function recordOrder(keys: string[]): string[] {
  // A rule's few keys: often in order already (then nothing to do), else sorted in place without Array.prototype.sort's
  // work copy. Keys are an object's, so distinct.
  let ordered = true;
  for (let i = 0; i < keys.length; i++) {
    if (isArrayIndex(keys[i]!) || (i > 0 && keys[i - 1]! > keys[i]!)) {
      ordered = false;
      break;
    }
  }
  if (ordered) return keys;
  sortDistinctStrings(keys);
  if (!keys.some(isArrayIndex)) return keys;
  return [...keys.filter(isArrayIndex).sort((a, b) => Number(a) - Number(b)), ...keys.filter((k) => !isArrayIndex(k))];
}

function isArrayIndex(key: string): boolean {
  const c = key.charCodeAt(0);
  return c >= 48 && c <= 57 && /^(?:0|[1-9][0-9]*)$/.test(key) && Number(key) < 2 ** 32 - 1;
}

/** Where `key` (not an array index, not among them) goes in keys in recordOrder. */
function insertionPoint(keys: readonly string[], key: string): number {
  let at = 0;
  while (at < keys.length && (isArrayIndex(keys[at]!) || keys[at]! < key)) at++;
  return at;
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

function rankOf(model: Model): SeverityRank {
  let rank = ranks.get(model);
  if (!rank) ranks.set(model, (rank = severityRank(model)));
  return rank;
}

/** Levels are emitted most severe first, so rule files read like the severity ladder. */
function alertingRules(model: Model, alert: AlertModel): Record<string, unknown>[] {
  const rank = rankOf(model);
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
  return withThreshold(normaliseExpr(level.expr ?? alert.expr), level);
}

/** A level's comparison applied to its (normalised) expression. */
function withThreshold(expr: string, level: AlertLevel): string {
  if (level.op === undefined || level.value === undefined) return expr;
  return withComparison(expr, `${level.op} ${formatNumber(level.value)}`);
}

/** `expr` with `comparison` (`> 0.9`) applied. */
function withComparison(expr: string, comparison: string): string {
  const operand = expr.includes('\n') ? `(\n  ${expr.replace(/\n/g, '\n  ')}\n)` : `(${expr})`;
  return `${operand} ${comparison}`;
}

export function alertAnnotations(model: Model, alert: AlertModel, level: AlertLevel): Record<string, string> {
  const annotations = alertWideAnnotations(model, alert);
  const threshold = levelThreshold(level);
  if (threshold !== undefined) annotations.threshold = threshold;
  if (level.annotations) for (const key of Object.keys(level.annotations)) setOwn(annotations, key, level.annotations[key]!);
  return sortedRecord(annotations);
}

/** The annotations every level of an alert carries (a level's threshold and own annotations go over them). */
function alertWideAnnotations(model: Model, alert: AlertModel): Record<string, string> {
  // Copied by Object.assign before the stores: V8 (Node 20) adds properties to a spread's clone slowly (see
  // withFixed in level-labels.ts); spread only when the annotations hold an own `__proto__`, which assign would set
  // as the prototype.
  const annotations: Record<string, string> = Object.hasOwn(alert.annotations, '__proto__') ? { ...alert.annotations } : Object.assign({}, alert.annotations);
  if (alert.summary !== undefined) annotations.summary = alert.summary;
  if (alert.description !== undefined) annotations.description = alert.description;
  if (alert.runbook !== undefined) annotations.runbook_url = alert.runbook;
  if (alert.dashboard !== undefined) annotations.dashboard_url = goTemplateText(dashboardUrl(model, alert.dashboard));
  return annotations;
}

function levelThreshold(level: AlertLevel): string | undefined {
  return level.value !== undefined && level.op !== undefined ? `${level.op} ${formatNumber(level.value)}` : undefined;
}

export function dashboardUrl(model: Model, uid: string): string {
  const base = (model.project?.grafana.url ?? '').replace(/\/+$/, '');
  return `${base}/d/${uid}`;
}

/** Trims the trailing newline a YAML block scalar leaves and any trailing spaces on lines. */
export function normaliseExpr(expr: string): string {
  // One line: only its edges to trim.
  if (!expr.includes('\n')) return expr.trim();
  return expr
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .trim();
}

export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  // Thresholds repeat (0.9, 0.95, …) over thousands of rules and catalogue rows: each is rounded once.
  let text = formattedNumbers.get(n);
  if (text === undefined) {
    if (formattedNumbers.size >= FORMATTED_NUMBERS_MAX) formattedNumbers.clear();
    formattedNumbers.set(n, (text = String(Number(n.toPrecision(15)))));
  }
  return text;
}

const formattedNumbers = new Map<number, string>();
const FORMATTED_NUMBERS_MAX = 4096;
