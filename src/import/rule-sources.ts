/**
 * Reading the rule files a team already runs: plain Prometheus rule files (`groups:`), prometheus-operator
 * `PrometheusRule` manifests, Kubernetes `List`s of them and ConfigMaps holding rule files, one YAML document or
 * several. Pure: text in, groups out, every problem a diagnostic at its file:line:col.
 */
import { isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node, type YAMLMap } from 'yaml';
import { setOwn } from '../util/own.ts';
import type { Diagnostic } from '../diagnostics.ts';

/** Where a value was in its input file (offsets). */
export interface At {
  file: string;
  start: number;
  end: number;
}

export interface RawRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  keepFiringFor?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  at: At;
  exprAt: At;
}

export interface RawGroup {
  name: string;
  interval?: string;
  limit?: number;
  queryOffset?: string;
  rules: RawRule[];
  at: At;
  /** `file` or `file (PrometheusRule namespace/name)`: how the report names where a group came from. */
  from: string;
}

const RULE_KEYS = new Set(['alert', 'record', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']);
const GROUP_KEYS = new Set(['name', 'interval', 'limit', 'query_offset', 'rules']);

class ImportProblem extends Error {
  constructor(
    message: string,
    readonly at: At,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The rule groups of one input file, or the problems that keep it from being read (then no group at all). */
export function readRuleSource(file: string, text: string): { groups: RawGroup[]; diagnostics: Diagnostic[] } {
  const whole: At = { file, start: 0, end: Math.min(text.length, 1) };
  let documents: Document.Parsed[];
  try {
    documents = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false }) as Document.Parsed[];
  } catch (e) {
    return { groups: [], diagnostics: [problem('import/yaml', `not YAML: ${(e as Error).message}`, whole)] };
  }
  if (!Array.isArray(documents)) documents = [documents];
  const diagnostics: Diagnostic[] = [];
  for (const doc of documents) {
    for (const error of doc.errors) {
      diagnostics.push(problem('import/yaml', error.message.split('\n')[0]!, { file, start: error.pos[0], end: error.pos[1] }));
    }
  }
  if (diagnostics.length > 0) return { groups: [], diagnostics };
  const groups: RawGroup[] = [];
  try {
    for (const doc of documents) {
      if (doc.contents === null) continue;
      groups.push(...documentGroups(doc.contents, file, text));
    }
  } catch (e) {
    if (!(e instanceof ImportProblem)) throw e;
    return { groups: [], diagnostics: [problem('import/rules', e.message, e.at, e.hint)] };
  }
  if (groups.length === 0) diagnostics.push(problem('import/rules', 'no rule group in this file', whole, 'a rule file has `groups:`; a PrometheusRule has `spec.groups`'));
  return { groups, diagnostics };
}

function problem(code: string, message: string, span: At, hint?: string): Diagnostic {
  return { code, severity: 'error', message, span, ...(hint ? { hint } : {}) };
}

const atOf = (node: Node | null | undefined, file: string): At => ({ file, start: node?.range?.[0] ?? 0, end: node?.range?.[1] ?? 0 });

function documentGroups(root: Node, file: string, text: string): RawGroup[] {
  if (!isMap(root)) throw new ImportProblem('expected a rule file (a mapping with `groups:`), a PrometheusRule, a List or a ConfigMap', atOf(root, file));
  const kind = scalarText(root.get('kind', true));
  if (kind === 'List') {
    const items = root.get('items', true);
    if (!isSeq(items)) throw new ImportProblem('a List needs `items:`', atOf(root, file));
    return items.items.flatMap((item) => documentGroups(item as Node, file, text));
  }
  if (kind === 'PrometheusRule') {
    const spec = root.get('spec', true);
    const meta = root.get('metadata', true);
    const name = isMap(meta) ? [scalarText(meta.get('namespace', true)), scalarText(meta.get('name', true))].filter(Boolean).join('/') : '';
    if (!isMap(spec)) throw new ImportProblem('a PrometheusRule needs `spec.groups`', atOf(root, file));
    return groupsOf(spec, file, name ? `${file} (PrometheusRule ${name})` : file);
  }
  if (kind === 'ConfigMap') {
    const data = root.get('data', true);
    if (!isMap(data)) throw new ImportProblem('a ConfigMap needs `data:`', atOf(root, file));
    const out: RawGroup[] = [];
    for (const pair of data.items) {
      const key = scalarText(pair.key as Node);
      const value = pair.value as Node;
      if (!isScalar(value) || typeof value.value !== 'string' || !/\.ya?ml$/.test(key ?? '')) continue;
      // The rule file is a string inside the ConfigMap: its own positions are offsets into that string.
      const inner = readRuleSource(`${file} (ConfigMap data ${key})`, value.value);
      if (inner.diagnostics.some((d) => d.severity === 'error')) throw new ImportProblem(`ConfigMap data ${key}: ${inner.diagnostics[0]!.message}`, atOf(value, file));
      out.push(...inner.groups);
    }
    return out;
  }
  if (kind !== undefined) throw new ImportProblem(`a ${kind} holds no Prometheus rules`, atOf(root.get('kind', true) as Node, file), 'import rule files, PrometheusRule manifests, Lists of them, or ConfigMaps holding rule files');
  return groupsOf(root, file, file);
}

function groupsOf(parent: YAMLMap, file: string, from: string): RawGroup[] {
  const groups = parent.get('groups', true);
  if (!isSeq(groups)) throw new ImportProblem('expected `groups:` (a list of rule groups)', atOf(groups ?? parent, file));
  return groups.items.map((g) => group(g as Node, file, from));
}

function group(node: Node, file: string, from: string): RawGroup {
  if (!isMap(node)) throw new ImportProblem('a rule group is a mapping with `name` and `rules`', atOf(node, file));
  unknownKeys(node, GROUP_KEYS, file, 'rule group');
  const name = requiredText(node, 'name', file);
  const rules = node.get('rules', true);
  if (!isSeq(rules)) throw new ImportProblem(`group ${name}: expected \`rules:\` (a list)`, atOf(rules ?? node, file));
  const limit = node.get('limit', true);
  const g: RawGroup = { name, rules: rules.items.map((r) => rule(r as Node, file, name)), at: atOf(node, file), from };
  const interval = optionalText(node, 'interval', file);
  if (interval !== undefined) g.interval = interval;
  const queryOffset = optionalText(node, 'query_offset', file);
  if (queryOffset !== undefined) g.queryOffset = queryOffset;
  if (limit !== undefined) {
    if (!isScalar(limit) || typeof limit.value !== 'number' || !Number.isInteger(limit.value) || limit.value < 0) throw new ImportProblem(`group ${name}: limit must be a whole number`, atOf(limit, file));
    g.limit = limit.value;
  }
  return g;
}

function rule(node: Node, file: string, groupName: string): RawRule {
  if (!isMap(node)) throw new ImportProblem(`group ${groupName}: a rule is a mapping with \`alert\` or \`record\` and \`expr\``, atOf(node, file));
  unknownKeys(node, RULE_KEYS, file, 'rule');
  const alert = optionalText(node, 'alert', file);
  const record = optionalText(node, 'record', file);
  if ((alert === undefined) === (record === undefined)) throw new ImportProblem(`group ${groupName}: a rule has exactly one of \`alert\` and \`record\``, atOf(node, file));
  const exprNode = node.get('expr', true);
  if (exprNode === undefined || !isScalar(exprNode) || (typeof exprNode.value !== 'string' && typeof exprNode.value !== 'number')) {
    throw new ImportProblem(`group ${groupName}, ${alert ?? record}: expected \`expr:\` (PromQL text)`, atOf(exprNode ?? node, file));
  }
  const r: RawRule = {
    ...(alert !== undefined ? { alert } : { record: record! }),
    expr: String(exprNode.value),
    labels: stringMap(node, 'labels', file),
    annotations: stringMap(node, 'annotations', file),
    at: atOf(node, file),
    exprAt: atOf(exprNode, file),
  };
  const forValue = optionalText(node, 'for', file);
  if (forValue !== undefined) r.for = forValue;
  const keep = optionalText(node, 'keep_firing_for', file);
  if (keep !== undefined) r.keepFiringFor = keep;
  return r;
}

function unknownKeys(node: YAMLMap, known: Set<string>, file: string, what: string): void {
  for (const pair of node.items) {
    const key = scalarText(pair.key as Node);
    if (key === undefined || !known.has(key)) throw new ImportProblem(`unknown ${what} field ${JSON.stringify(key ?? '')}`, atOf(pair.key as Node, file), `a ${what} has ${[...known].join(', ')}`);
  }
}

function scalarText(node: unknown): string | undefined {
  return isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number' || typeof node.value === 'boolean') ? String(node.value) : undefined;
}

function requiredText(node: YAMLMap, key: string, file: string): string {
  const value = optionalText(node, key, file);
  if (value === undefined || value === '') throw new ImportProblem(`expected \`${key}:\``, atOf(node, file));
  return value;
}

function optionalText(node: YAMLMap, key: string, file: string): string | undefined {
  const value = node.get(key, true) as Node | undefined;
  if (value === undefined || (isScalar(value) && value.value === null)) return undefined;
  const text = scalarText(value);
  if (text === undefined) throw new ImportProblem(`\`${key}\` must be a single value`, atOf(value, file));
  return text;
}

function stringMap(node: YAMLMap, key: string, file: string): Record<string, string> {
  const value = node.get(key, true) as Node | undefined;
  if (value === undefined || (isScalar(value) && value.value === null)) return {};
  if (!isMap(value)) throw new ImportProblem(`\`${key}\` must be a mapping of names to values`, atOf(value, file));
  const out: Record<string, string> = {};
  for (const pair of value.items) {
    const name = scalarText(pair.key as Node);
    const text = scalarText(pair.value as Node);
    if (name === undefined || text === undefined) throw new ImportProblem(`\`${key}\`: every entry is a name and a text value`, atOf((pair.value ?? pair.key) as Node, file));
    setOwn(out, name, text);
  }
  return out;
}
