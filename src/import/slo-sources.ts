/**
 * Reading SLO specs for `vigil import slo`: Sloth's `prometheus/v1` spec files, Sloth's Kubernetes
 * `PrometheusServiceLevel` (sloth.slok.dev/v1), Pyrra's `ServiceLevelObjective` (pyrra.dev/v1alpha1), Kubernetes
 * Lists of them, several YAML documents of these, and Sloth's generated rule files (read only as the reference of
 * --verify). Pure: text in, documents out, every problem a diagnostic at its file:line:col.
 */
import { isMap, isScalar, isSeq, parseAllDocuments, stringify, type Document, type Node, type YAMLMap } from 'yaml';
import type { Diagnostic } from '../diagnostics.ts';
import { yamlHint } from '../load/yaml.ts';

export interface At {
  file: string;
  start: number;
  end: number;
}

/** One SLO spec document, as plain data, with a way back to the positions of its fields. */
export interface SloDocument {
  source: 'sloth' | 'sloth-k8s' | 'pyrra';
  /** How the report names it: `file` or `file (PrometheusServiceLevel ns/name)`. */
  from: string;
  file: string;
  data: Record<string, unknown>;
  /** The position of the field at `path` (relative to `data`), or of the nearest parent that exists. */
  at(path: readonly (string | number)[]): At;
}

/** A rule file Sloth generated (groups whose rules carry sloth_* labels): what --verify compares the import with. */
export interface SlothGeneratedRules {
  file: string;
  /** The rule groups of one document, as a rule file of their own. */
  text: string;
  /** The `sloth_service` / `sloth_slo` pairs its rules record. */
  slos: { service: string; slo: string }[];
}

export interface SloSources {
  documents: SloDocument[];
  generated: SlothGeneratedRules[];
  diagnostics: Diagnostic[];
}

export const SLOTH_API = 'sloth.slok.dev/v1';
export const PYRRA_API = 'pyrra.dev/v1alpha1';
export const SLOTH_VERSION = 'prometheus/v1';

class SourceProblem extends Error {
  constructor(
    message: string,
    readonly at: At,
    readonly hint?: string,
  ) {
    super(message);
  }
}

const YAML_HINT = 'the file is read as YAML: fix the syntax at this place (a spec as Sloth or Pyrra documents it)';
const HINT = `import Sloth spec files (version: "${SLOTH_VERSION}"), Sloth PrometheusServiceLevel (${SLOTH_API}) or Pyrra ServiceLevelObjective (${PYRRA_API}) manifests`;

export function readSloSources(inputs: readonly { file: string; text: string }[]): SloSources {
  const out: SloSources = { documents: [], generated: [], diagnostics: [] };
  for (const input of inputs) {
    const read = readOne(input.file, input.text);
    out.diagnostics.push(...read.diagnostics);
    if (read.diagnostics.some((d) => d.severity === 'error')) continue;
    out.documents.push(...read.documents);
    out.generated.push(...read.generated);
  }
  return out;
}

function readOne(file: string, text: string): SloSources {
  const whole: At = { file, start: 0, end: Math.min(text.length, 1) };
  const documents = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false }) as Document.Parsed[] | Document.Parsed;
  const list = Array.isArray(documents) ? documents : [documents];
  const diagnostics: Diagnostic[] = [];
  for (const doc of list) for (const error of doc.errors) diagnostics.push(problem('import/yaml', error.message.split('\n')[0]!, { file, start: error.pos[0], end: error.pos[1] }, yamlHint(error.code) ?? YAML_HINT));
  if (diagnostics.length) return { documents: [], generated: [], diagnostics };
  const out: SloSources = { documents: [], generated: [], diagnostics: [] };
  try {
    for (const doc of list) if (doc.contents !== null) classify(doc.contents as Node, file, text, out);
  } catch (e) {
    if (!(e instanceof SourceProblem)) throw e;
    return { documents: [], generated: [], diagnostics: [problem('import/slo', e.message, e.at, e.hint)] };
  }
  if (out.documents.length === 0 && out.generated.length === 0) out.diagnostics.push(problem('import/slo', 'no SLO spec in this file', whole, HINT));
  return out;
}

function problem(code: string, message: string, span: At, hint?: string): Diagnostic {
  return { code, severity: 'error', message, span, ...(hint ? { hint } : {}) };
}

const atOf = (node: Node | null | undefined, file: string): At => ({ file, start: node?.range?.[0] ?? 0, end: node?.range?.[1] ?? 0 });

function scalarText(node: unknown): string | undefined {
  return isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number') ? String(node.value) : undefined;
}

function classify(root: Node, file: string, text: string, out: SloSources): void {
  if (!isMap(root)) throw new SourceProblem('expected a Sloth spec, a Sloth PrometheusServiceLevel or a Pyrra ServiceLevelObjective (a mapping)', atOf(root, file), HINT);
  const kind = scalarText(root.get('kind', true));
  const apiVersion = scalarText(root.get('apiVersion', true));
  const version = root.get('version', true) as Node | undefined;
  if (kind === 'List') {
    const items = root.get('items', true);
    if (!isSeq(items)) throw new SourceProblem('a List needs `items:`', atOf(root, file), 'put the Sloth or Pyrra manifests in a sequence under items:');
    for (const item of items.items) classify(item as Node, file, text, out);
    return;
  }
  if (kind === 'PrometheusServiceLevel' || apiVersion?.startsWith('sloth.slok.dev/')) {
    if (apiVersion !== SLOTH_API) throw new SourceProblem(`unknown Sloth API version ${JSON.stringify(apiVersion ?? '')}`, atOf((root.get('apiVersion', true) as Node) ?? root, file), `Vigil reads ${SLOTH_API}`);
    if (kind !== 'PrometheusServiceLevel') throw new SourceProblem(`a Sloth ${kind ?? 'manifest without kind'} holds no SLOs`, atOf((root.get('kind', true) as Node) ?? root, file), HINT);
    out.documents.push(specDocument('sloth-k8s', root, file, 'PrometheusServiceLevel'));
    return;
  }
  if (kind === 'ServiceLevelObjective' || apiVersion?.startsWith('pyrra.dev/')) {
    if (apiVersion !== PYRRA_API) throw new SourceProblem(`unknown Pyrra API version ${JSON.stringify(apiVersion ?? '')}`, atOf((root.get('apiVersion', true) as Node) ?? root, file), `Vigil reads ${PYRRA_API}`);
    if (kind !== 'ServiceLevelObjective') throw new SourceProblem(`a Pyrra ${kind ?? 'manifest without kind'} holds no SLO`, atOf((root.get('kind', true) as Node) ?? root, file), HINT);
    out.documents.push(specDocument('pyrra', root, file, 'ServiceLevelObjective'));
    return;
  }
  if (version !== undefined && kind === undefined) {
    const v = scalarText(version);
    if (v !== SLOTH_VERSION) throw new SourceProblem(`unknown Sloth spec version ${JSON.stringify(v ?? '')}`, atOf(version, file), `Vigil reads Sloth's version: "${SLOTH_VERSION}" specs`);
    out.documents.push(specDocument('sloth', root, file));
    return;
  }
  const rules = kind === 'PrometheusRule' ? root.get('spec', true) : kind === undefined ? root : undefined;
  if (isMap(rules) && isSeq(rules.get('groups', true))) {
    const slos = slothGeneratedSlos(rules.toJSON() as { groups?: { rules?: { labels?: Record<string, string> }[] }[] });
    if (slos.length === 0) throw new SourceProblem('a rule file, but not one Sloth generated (no sloth_service/sloth_slo labels)', atOf(root, file), 'rule files go to `vigil import rules`; `vigil import slo` reads SLO specs, and Sloth\'s generated rules beside them for --verify');
    // One document's groups on their own: promtool reads only the first document of a rule file.
    out.generated.push({ file, text: stringify({ groups: rules.toJSON().groups }), slos });
    return;
  }
  const what = kind ? `a ${kind}` : 'this document';
  throw new SourceProblem(`${what} is neither a Sloth spec nor a Pyrra ServiceLevelObjective`, atOf((root.get('kind', true) as Node) ?? root, file), HINT);
}

function specDocument(source: SloDocument['source'], root: YAMLMap, file: string, kind?: string): SloDocument {
  const meta = root.get('metadata', true);
  const name = isMap(meta) ? [scalarText(meta.get('namespace', true)), scalarText(meta.get('name', true))].filter(Boolean).join('/') : '';
  return {
    source,
    from: kind && name ? `${file} (${kind} ${name})` : file,
    file,
    data: root.toJSON() as Record<string, unknown>,
    at: (path) => {
      for (let n = path.length; n >= 0; n--) {
        const node = root.getIn(path.slice(0, n), true) as Node | undefined;
        if (node && typeof node === 'object' && 'range' in node) return atOf(node, file);
      }
      return atOf(root, file);
    },
  };
}

function slothGeneratedSlos(data: { groups?: { rules?: { labels?: Record<string, string> }[] }[] }): { service: string; slo: string }[] {
  const seen = new Map<string, { service: string; slo: string }>();
  for (const group of data.groups ?? []) {
    for (const rule of group?.rules ?? []) {
      const service = rule?.labels?.sloth_service;
      const slo = rule?.labels?.sloth_slo;
      if (typeof service === 'string' && typeof slo === 'string') seen.set(`${service}\u0000${slo}`, { service, slo });
    }
  }
  return [...seen.values()];
}
