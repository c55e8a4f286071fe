/**
 * Reading the alertmanager.yml a team already runs: the file itself, or a Kubernetes Secret holding it
 * (`stringData` or base64 `data`, key `alertmanager.yaml` or `alertmanager.yml`). Pure: text in, the parsed
 * configuration out with a way to locate any of its values in the input file, or located diagnostics.
 */
import { isMap, isScalar, parseAllDocuments, Scalar, type Document, type Node } from 'yaml';
import type { Diagnostic } from '../diagnostics.ts';
import type { At } from './rule-sources.ts';

export type ConfigPath = readonly (string | number)[];

export interface AlertmanagerSource {
  file: string;
  /** How the report names the input: the file, or the file and the Secret it was read from. */
  from: string;
  config: Record<string, unknown>;
  /** Where the value at `path` of the configuration is in the input file (the nearest enclosing value that exists). */
  at(path: ConfigPath): At;
}

const SECRET_KEYS = ['alertmanager.yaml', 'alertmanager.yml'];

export function readAlertmanagerSource(file: string, text: string): { source?: AlertmanagerSource; diagnostics: Diagnostic[] } {
  const outer = parseOne(file, text, (start, end) => ({ file, start, end }));
  if ('diagnostics' in outer) return outer;
  const root = outer.doc.contents as Node | null;
  const whole: At = { file, start: 0, end: Math.min(text.length, 1) };
  if (!isMap(root)) return fail('expected an Alertmanager configuration (a mapping with `route:` and `receivers:`) or a Secret holding one', root ? span(file, root) : whole);
  const kindNode = root.get('kind', true) as Node | undefined;
  const kind = isScalar(kindNode) ? String(kindNode.value) : undefined;
  if (kind === undefined) return located(file, file, outer.doc, (start, end) => ({ file, start, end }));
  if (kind !== 'Secret') return fail(`a ${kind} holds no Alertmanager configuration`, span(file, kindNode!), 'import alertmanager.yml, or the Kubernetes Secret holding it (alertmanager.yaml in data or stringData)');

  const meta = root.get('metadata', true);
  const name = isMap(meta) ? [meta.get('namespace'), meta.get('name')].filter((v) => typeof v === 'string').join('/') : '';
  for (const section of ['stringData', 'data'] as const) {
    const holder = root.get(section, true);
    if (!isMap(holder)) continue;
    for (const key of SECRET_KEYS) {
      const value = holder.get(key, true) as Node | undefined;
      if (value === undefined) continue;
      const from = `${file} (Secret ${name ? `${name} ` : ''}${section}.${key})`;
      if (!isScalar(value) || typeof value.value !== 'string') return fail(`${section}.${key} must be text`, span(file, value));
      const valueAt = (): At => span(file, value);
      if (section === 'data') {
        const encoded = value.value.replace(/\s+/g, '');
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return fail(`data.${key} is not base64`, valueAt(), 'Kubernetes Secret data values are base64; put plain text under stringData');
        const inner = Buffer.from(encoded, 'base64').toString('utf8');
        // The decoded text has no place of its own in the file: every position is the value's.
        const decoded = parseOne(file, inner, () => valueAt());
        return located(file, from, 'diagnostics' in decoded ? decoded : decoded.doc, () => valueAt());
      }
      const toOuter = blockScalarMapping(text, value);
      const innerParsed = parseOne(file, value.value, (s, e) => (toOuter ? { file, start: toOuter(s), end: toOuter(e) } : valueAt()));
      if ('diagnostics' in innerParsed) return innerParsed;
      return located(file, from, innerParsed.doc, (s, e) => (toOuter ? { file, start: toOuter(s), end: toOuter(e) } : valueAt()));
    }
  }
  return fail('this Secret holds no alertmanager.yaml', span(file, kindNode!), `a Secret for Alertmanager has ${SECRET_KEYS.join(' or ')} under data (base64) or stringData`);

}

function fail(message: string, at: At, hint?: string): { diagnostics: Diagnostic[] } {
  return { diagnostics: [problem(message, at, hint)] };
}

export function problem(message: string, at: At, hint?: string): Diagnostic {
  return { code: 'import/alertmanager', severity: 'error', message, span: at, ...(hint ? { hint } : {}) };
}

const span = (file: string, node: Node): At => ({ file, start: node.range?.[0] ?? 0, end: node.range?.[1] ?? 0 });

function parseOne(file: string, text: string, map: (start: number, end: number) => At): { doc: Document.Parsed } | { diagnostics: Diagnostic[] } {
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false, merge: true }) as Document.Parsed[];
  } catch (e) {
    return { diagnostics: [problem(`not YAML: ${(e as Error).message}`, map(0, 1))] };
  }
  if (!Array.isArray(docs)) docs = [docs];
  const errors = docs.flatMap((d) => d.errors.map((e) => problem(e.message.split('\n')[0]!, map(e.pos[0], e.pos[1]))));
  if (errors.length) return { diagnostics: errors };
  const nonEmpty = docs.filter((d) => d.contents !== null);
  if (nonEmpty.length !== 1) return { diagnostics: [problem(nonEmpty.length === 0 ? 'the file is empty' : 'expected one YAML document, found several', map(0, 1), 'import one alertmanager.yml at a time')] };
  return { doc: nonEmpty[0]! };
}

function located(file: string, from: string, doc: Document.Parsed | { diagnostics: Diagnostic[] }, map: (start: number, end: number) => At): { source?: AlertmanagerSource; diagnostics: Diagnostic[] } {
  if ('diagnostics' in doc) return doc;
  const root = doc.contents as Node;
  if (!isMap(root)) return fail('expected an Alertmanager configuration: a mapping with `route:` and `receivers:`', map(root.range?.[0] ?? 0, root.range?.[1] ?? 1));
  const config = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  const at = (path: ConfigPath): At => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as Node | undefined;
      if (node && node.range) return map(node.range[0], node.range[1]);
    }
    return map(0, 1);
  };
  return { source: { file, from, config, at }, diagnostics: [] };
}

/**
 * For a literal or folded block scalar (`alertmanager.yaml: |-`), a function from offsets in its value to offsets in the
 * file: line n of the value is line n of the block, shifted by the block's indentation. Undefined for other styles,
 * whose positions are then the value's.
 */
function blockScalarMapping(text: string, node: Scalar): ((offset: number) => number) | undefined {
  if (node.type !== Scalar.BLOCK_LITERAL || !node.range) return undefined;
  const value = String(node.value);
  const headerEnd = text.indexOf('\n', node.range[0]);
  if (headerEnd < 0) return undefined;
  const lineStarts: number[] = [];
  let indent = -1;
  for (let pos = headerEnd + 1; pos < node.range[1] && pos < text.length; ) {
    const end = text.indexOf('\n', pos);
    const line = text.slice(pos, end < 0 ? text.length : end);
    if (indent < 0 && line.trim() !== '') indent = line.length - line.trimStart().length;
    lineStarts.push(pos);
    if (end < 0) break;
    pos = end + 1;
  }
  if (indent < 0) return undefined;
  const valueLineStarts = [0];
  for (let i = 0; i < value.length; i++) if (value[i] === '\n') valueLineStarts.push(i + 1);
  return (offset) => {
    let line = 0;
    while (line + 1 < valueLineStarts.length && valueLineStarts[line + 1]! <= offset) line++;
    const outerLine = lineStarts[line];
    return outerLine === undefined ? node.range![0] : outerLine + indent + (offset - valueLineStarts[line]!);
  };
}
