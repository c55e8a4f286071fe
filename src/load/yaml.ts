import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { isMap, isScalar, parseAllDocuments, Scalar, type Document, type Node } from 'yaml';
import type { Diagnostic, Span } from '../diagnostics.ts';
import type { Definition, Path } from './definition.ts';

export interface YamlLoadResult {
  definitions: Definition[];
  diagnostics: Diagnostic[];
}

/**
 * Reads every `---` document of a YAML file; never throws. A clean file is read with js-yaml, which is several times
 * faster; node positions come from the `yaml` library only when something asks for one (a problem to report), and
 * files with syntax errors go straight to it so that every error is reported with its position.
 */
export function loadYaml(file: string, text: string): YamlLoadResult {
  let values: unknown[] | undefined;
  try {
    values = loadAll(text, { schema: CORE_SCHEMA });
  } catch {
    values = undefined;
  }
  if (values === undefined) return loadYamlWithPositions(file, text);
  let documents: Document.Parsed[] | undefined;
  const parsedDocument = (index: number): Document.Parsed | undefined => {
    documents ??= parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true, strict: true }) as Document.Parsed[];
    return Array.isArray(documents) ? documents.filter((d) => d.contents !== null && !(isScalar(d.contents) && d.contents.value === null))[index] : undefined;
  };
  const definitions = values
    .filter((value) => value !== null && value !== undefined)
    .map((value, index) => lazyDefinition(file, text, index, value, () => parsedDocument(index)));
  return { definitions, diagnostics: [] };
}

/** The slow path: the `yaml` library collects every syntax error with its position. */
function loadYamlWithPositions(file: string, text: string): YamlLoadResult {
  const definitions: Definition[] = [];
  const diagnostics: Diagnostic[] = [];
  const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true, strict: true });
  const list = Array.isArray(docs) ? docs : [];
  let index = 0;
  for (const doc of list) {
    for (const err of doc.errors) {
      diagnostics.push({
        code: 'yaml/syntax',
        severity: 'error',
        message: yamlMessage(err.message),
        span: { file, start: err.pos[0], end: Math.max(err.pos[1], err.pos[0] + 1) },
        hint: yamlHint(err.code),
      });
    }
    if (doc.errors.length > 0 || doc.contents === null) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      diagnostics.push({
        code: 'yaml/syntax',
        severity: 'error',
        message: (e as Error).message,
        span: { file, start: doc.contents.range?.[0] ?? 0, end: doc.contents.range?.[1] ?? 0 },
      });
      continue;
    }
    definitions.push(lazyDefinition(file, text, index++, value, () => doc));
  }
  if (diagnostics.length === 0 && definitions.length === 0 && text.trim() !== '' && list.length === 0) {
    diagnostics.push({ code: 'yaml/syntax', severity: 'error', message: 'cannot read this file as YAML', span: { file, start: 0, end: 1 } });
  }
  return { definitions, diagnostics };
}

function yamlMessage(message: string): string {
  return message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
}

function yamlHint(code: string): string | undefined {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'each key may appear once in a mapping; remove or rename the repeated key';
    case 'TAB_AS_INDENT':
      return 'indent YAML with spaces, not tabs';
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
      return 'check the indentation and quoting of this line; quote strings that contain ": " or start with {, [, *, &, !, |, >, %, @';
    default:
      return undefined;
  }
}

function lazyDefinition(file: string, text: string, index: number, value: unknown, document: () => Document.Parsed | undefined): Definition {
  const offsetMaps = new WeakMap<Scalar, number[]>();
  const nodeAt = (path: Path): Node | undefined => {
    const doc = document();
    if (!doc) return undefined;
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : (doc.getIn(path.slice(0, n), true) as Node | undefined);
      if (node && (node as Node).range) return node as Node;
    }
    return undefined;
  };
  const spanOf = (node: Node | undefined): Span => {
    const range = node?.range;
    if (!range) return { file, start: 0, end: 0 };
    // For block scalars and collections, range[1] runs to the next token; trim trailing whitespace for display.
    let end = range[1];
    while (end > range[0] && /\s/.test(text[end - 1] ?? '')) end--;
    return { file, start: range[0], end: Math.max(end, range[0] + 1) };
  };
  return {
    file,
    index,
    origin: 'yaml',
    value,
    locate: (path) => spanOf(nodeAt(path)),
    locateKey: (path) => {
      if (path.length === 0) return spanOf(nodeAt(path));
      const parent = document()?.getIn(path.slice(0, -1), true);
      const last = path[path.length - 1];
      if (isMap(parent)) {
        for (const pair of parent.items) {
          const key = pair.key;
          if (isScalar(key) && String(key.value) === String(last) && key.range) return spanOf(key);
        }
      }
      return spanOf(nodeAt(path));
    },
    locateInString: (path, start, end) => {
      const node = document()?.getIn(path, true);
      if (!isScalar(node) || !node.range || typeof node.value !== 'string') return spanOf(nodeAt(path));
      // Built once per scalar: thousands of problems in one string must not each rebuild it (issue #8 §7).
      let map = offsetMaps.get(node);
      if (!map) offsetMaps.set(node, (map = scalarOffsetMap(text, node)));
      const clamp = (i: number) => map[Math.min(Math.max(i, 0), map.length - 1)]!;
      const s = clamp(start);
      return { file, start: s, end: Math.max(clamp(end), s + 1) };
    },
  };
}

/**
 * For each character index of a scalar's value, the offset in the file where it was written (plus one entry for the
 * end). Lets a PromQL error at column 12 of an `expr: |` block point at the right place in the YAML file.
 */
export function scalarOffsetMap(text: string, node: Scalar): number[] {
  const value = String(node.value);
  const [start, valueEnd] = node.range!;
  const map: number[] = [];
  switch (node.type) {
    case Scalar.QUOTE_SINGLE: {
      let p = start + 1;
      for (let i = 0; i < value.length; i++) {
        map.push(p);
        p += text[p] === "'" && text[p + 1] === "'" ? 2 : 1;
      }
      map.push(p);
      return map;
    }
    case Scalar.QUOTE_DOUBLE: {
      let p = start + 1;
      for (let i = 0; i < value.length; i++) {
        map.push(p);
        if (text[p] === '\\') {
          const c = text[p + 1];
          p += c === 'x' ? 4 : c === 'u' ? 6 : c === 'U' ? 10 : 2;
        } else p += 1;
      }
      map.push(p);
      return map;
    }
    case Scalar.BLOCK_LITERAL:
    case Scalar.BLOCK_FOLDED: {
      const bodyStart = text.indexOf('\n', start) + 1;
      const lines: { offset: number; content: string }[] = [];
      let p = bodyStart;
      while (p < valueEnd && p > 0) {
        const nl = text.indexOf('\n', p);
        const lineEnd = nl === -1 || nl > valueEnd ? valueEnd : nl;
        lines.push({ offset: p, content: text.slice(p, lineEnd) });
        if (nl === -1 || nl >= valueEnd) break;
        p = nl + 1;
      }
      const indent = Math.min(
        ...lines.filter((l) => l.content.trim() !== '').map((l) => l.content.length - l.content.trimStart().length),
      );
      for (const line of lines) {
        const contentStart = line.offset + Math.min(indent, line.content.length);
        const len = Math.max(line.content.length - indent, 0);
        for (let c = 0; c < len; c++) map.push(contentStart + c);
        map.push(contentStart + len); // the line break (or the folding space)
      }
      while (map.length < value.length + 1) map.push(valueEnd);
      return map;
    }
    default: {
      for (let i = 0; i <= value.length; i++) map.push(start + i);
      return map;
    }
  }
}
