import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { requirePackage } from '../util/packages.ts';
import type { Document, Node, Scalar } from 'yaml';
import type * as YamlLibrary from 'yaml';
import type { Diagnostic, Span } from '../diagnostics.ts';
import type { Definition, Path } from './definition.ts';
import { LIMITS } from './limits.ts';
import { readPlainYaml } from './plain-yaml.ts';

let yamlLibrary: typeof YamlLibrary | undefined;

/**
 * The `yaml` library (node positions, and every syntax error of a broken file), loaded at its first use: evaluating
 * it costs ≈ 35 ms of CPU, and a clean run of `validate` or `build` never asks for a position.
 */
function yaml(): typeof YamlLibrary {
  return (yamlLibrary ??= requirePackage<typeof YamlLibrary>('yaml'));
}

export interface YamlLoadResult {
  definitions: Definition[];
  diagnostics: Diagnostic[];
}

/**
 * Reads every `---` document of a YAML file; never throws. A clean file is read by plain-yaml.ts (the plain YAML
 * definition files are written in; it gives js-yaml's values or declines) or else js-yaml, both several times faster
 * than the `yaml` library; node positions come from the `yaml` library only when something asks for one (a problem to report), and
 * files with syntax errors go straight to it so that every error is reported with its position.
 */
export function loadYaml(file: string, text: string): YamlLoadResult {
  return readYaml(file, text).result;
}

/**
 * loadYaml through the cache of parsed documents (keyed by the text's sha256): only a file that loaded without a
 * problem is kept, and a kept file's values give the same definitions a fresh parse gives.
 */
export function loadYamlCached(file: string, text: string, cache: { get(key: string): unknown[] | undefined; set(key: string, values: unknown[]): void }, key: string): YamlLoadResult {
  const cached = cache.get(key);
  // Kept only when every document passed the size limits (oversize is a function of the value): not counted again.
  if (cached) return definitionsOf(file, text, cached, { withinLimits: true });
  const { result, values } = readYaml(file, text);
  if (values && result.diagnostics.length === 0) cache.set(key, values);
  return result;
}

function readYaml(file: string, text: string): { result: YamlLoadResult; values?: unknown[] } {
  const result = (r: YamlLoadResult) => ({ result: r });
  let values: unknown[] | undefined;
  let failure: unknown;
  let plain = false;
  try {
    // The plain YAML of definition files is read by a faster reader that gives js-yaml's values or declines.
    values = readPlainYaml(text);
    plain = values !== undefined;
    values ??= loadAll(text, { schema: CORE_SCHEMA });
  } catch (e) {
    failure = e;
  }
  if (values === undefined) {
    if (text.length > LIMITS.fullSyntaxReportBytes || flowDepthExceeds(text, LIMITS.depth)) return result(firstSyntaxError(file, text, failure));
    try {
      return result(loadYamlWithPositions(file, text));
    } catch {
      return result(firstSyntaxError(file, text, failure));
    }
  }
  const present = values.filter((value) => value !== null && value !== undefined);
  if (present.length > LIMITS.documents) {
    const at = documentStarts(text)[LIMITS.documents] ?? 0;
    return result({ definitions: [], diagnostics: [limitDiagnostic(file, at, `the file holds ${present.length} documents, more than the ${LIMITS.documents} Vigil reads in one file`, 'split the documents over several files')] });
  }
  return { result: definitionsOf(file, text, values, { withinLimits: plain && withinLimitsByLength(text) }), values };
}

/**
 * Whether every document the plain reader read from `text` is within the size limits without counting its values
 * (oversize): that reader takes no aliases, so each value starts at a character of its own (a key, a `-`, a flow item)
 * and a text of at most `collectionItems` characters holds no more values in all, let alone in one collection or one
 * document; and it reads no deeper than 64 levels (plain-yaml.test.ts checks both over its random documents).
 */
function withinLimitsByLength(text: string): boolean {
  return text.length <= LIMITS.collectionItems && LIMITS.collectionItems <= LIMITS.documentValues && LIMITS.depth >= 65;
}

/** The definitions of a file js-yaml read as `values` (null documents skipped), positions looked up only when asked. */
function definitionsOf(file: string, text: string, values: unknown[], known: { withinLimits?: boolean } = {}): YamlLoadResult {
  let documents: Document.Parsed[] | undefined;
  const parsedDocument = (index: number): Document.Parsed | undefined => {
    try {
      documents ??= yaml().parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true, strict: true }) as Document.Parsed[];
    } catch {
      documents = []; // positions fall back to the start of the file
    }
    return Array.isArray(documents) ? documents.filter((d) => d.contents !== null && !(yaml().isScalar(d.contents) && d.contents.value === null))[index] : undefined;
  };
  const definitions: Definition[] = [];
  const diagnostics: Diagnostic[] = [];
  let starts: number[] | undefined;
  values.forEach((value, position) => {
    if (value === null || value === undefined) return;
    const index = definitions.length + diagnostics.length;
    const tooLarge = known.withinLimits ? undefined : oversize(value);
    if (tooLarge) {
      starts ??= documentStarts(text);
      diagnostics.push(limitDiagnostic(file, starts[position] ?? 0, `this document is too large to read: ${tooLarge}`, 'split it into several documents or files'));
      return;
    }
    definitions.push(lazyDefinition(file, text, index, value, () => parsedDocument(index)));
  });
  return { definitions, diagnostics };
}

/**
 * Whether `[`/`{` nest deeper than `limit`, counted without regard to quoting. Only asked of a file js-yaml already
 * rejected: the full error report would recurse that deep, and an overcount merely reports the first error alone.
 */
function flowDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return false;
}

function limitDiagnostic(file: string, at: number, message: string, hint: string): Diagnostic {
  return { code: 'load/limit', severity: 'error', message, hint, span: { file, start: at, end: at + 1 } };
}

/**
 * Why a parsed value is too large for the stages after loading, or undefined. Counts values as the stages will see
 * them, so a small file whose aliases expand to billions of values is caught as well; stops counting at the limit.
 */
function oversize(root: unknown): string | undefined {
  // Each collection links to its parent; the dotted path is only made for the message.
  interface Pending { value: unknown; key: string | number; parent: Pending | undefined; depth: number }
  const pathOf = (p: Pending): string => {
    const keys: (string | number)[] = [];
    for (let n: Pending | undefined = p; n?.parent; n = n.parent) keys.push(n.key);
    return keys.reverse().reduce<string>((path, key) => (path ? `${path}.${key}` : String(key)), '');
  };
  const stack: Pending[] = [{ value: root, key: '', parent: undefined, depth: 0 }];
  let count = 0;
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { value, depth } = node;
    if (depth > LIMITS.depth) return `\`${pathOf(node).slice(0, 60)}…\` nests more than ${LIMITS.depth} levels deep`;
    if (count > LIMITS.documentValues) return `it holds more than ${LIMITS.documentValues} values (YAML aliases count each time they are used)`;
    if (value === null || typeof value !== 'object') continue;
    const list = Array.isArray(value);
    const keys: readonly (string | number)[] | undefined = list ? undefined : Object.keys(value);
    const size = list ? value.length : keys!.length;
    if (size > LIMITS.collectionItems) {
      const path = pathOf(node);
      return `${path ? `\`${path}\`` : 'its top level'} has ${size} ${list ? 'items' : 'keys'}, more than the ${LIMITS.collectionItems} Vigil reads in one ${list ? 'list' : 'mapping'}`;
    }
    for (let i = 0; i < size; i++) {
      const key = list ? i : keys![i]!;
      const child: unknown = (value as Record<string | number, unknown>)[key];
      if (child !== null && typeof child === 'object') stack.push({ value: child, key, parent: node, depth: depth + 1 });
    }
    count += size;
  }
  return undefined;
}

/** Offsets where each `---` document of `text` starts (the first one at 0 when it has no marker). */
function documentStarts(text: string): number[] {
  const starts: number[] = [];
  const marker = /^---(?=[ \t\r\n]|$)/gm;
  let m: RegExpExecArray | null;
  while ((m = marker.exec(text)) !== null) starts.push(m.index);
  const beforeFirst = text.slice(0, starts[0] ?? text.length);
  if (starts.length === 0 || beforeFirst.split('\n').some((line) => line.trim() !== '' && !line.trimStart().startsWith('#') && !line.startsWith('%'))) starts.unshift(0);
  return starts;
}

/** A broken file too large for the slow path, or one that defeats it: the first error js-yaml found, with its position. */
function firstSyntaxError(file: string, text: string, failure: unknown): YamlLoadResult {
  const mark = (failure as { mark?: { position?: number } } | undefined)?.mark;
  const reason = (failure as { reason?: string } | undefined)?.reason;
  const at = Math.min(Math.max(mark?.position ?? 0, 0), Math.max(text.length - 1, 0));
  const message = reason ?? (failure instanceof RangeError ? 'the YAML is nested too deeply to read' : 'cannot read this file as YAML');
  return {
    definitions: [],
    diagnostics: [
      {
        code: 'yaml/syntax',
        severity: 'error',
        message,
        span: { file, start: at, end: at + 1 },
        hint: text.length > LIMITS.fullSyntaxReportBytes ? `only the first error is reported for files over ${LIMITS.fullSyntaxReportBytes} bytes; fix it and run again` : undefined,
      },
    ],
  };
}

/** The slow path: the `yaml` library collects every syntax error with its position. */
function loadYamlWithPositions(file: string, text: string): YamlLoadResult {
  const definitions: Definition[] = [];
  const diagnostics: Diagnostic[] = [];
  const docs = yaml().parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true, strict: true });
  const list = Array.isArray(docs) ? docs : [];
  let index = 0;
  for (const doc of list) {
    for (const err of doc.errors) {
      if (diagnostics.length >= LIMITS.syntaxErrorsPerFile) break;
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
        message: e instanceof RangeError ? 'the YAML is nested too deeply to read' : (e as Error).message,
        span: { file, start: doc.contents.range?.[0] ?? 0, end: doc.contents.range?.[1] ?? 0 },
      });
      continue;
    }
    definitions.push(lazyDefinition(file, text, index++, value, () => doc));
  }
  const errorCount = list.reduce((n, doc) => n + doc.errors.length, 0);
  if (errorCount > diagnostics.length) {
    const last = diagnostics[diagnostics.length - 1]!;
    diagnostics.push({ code: 'yaml/syntax', severity: 'error', message: `${errorCount - diagnostics.length} more syntax errors in this file are not shown`, span: { ...last.span!, start: last.span!.end, end: last.span!.end + 1 }, hint: 'fix the errors above and run again' });
  }
  if (list.length > LIMITS.documents) {
    return { definitions: [], diagnostics: [...diagnostics, limitDiagnostic(file, list[LIMITS.documents]!.range[0], `the file holds ${list.length} documents, more than the ${LIMITS.documents} Vigil reads in one file`, 'split the documents over several files')] };
  }
  if (diagnostics.length === 0 && definitions.length === 0 && text.trim() !== '' && list.length === 0) {
    diagnostics.push({ code: 'yaml/syntax', severity: 'error', message: 'cannot read this file as YAML', span: { file, start: 0, end: 1 } });
  }
  return { definitions, diagnostics };
}

function yamlMessage(message: string): string {
  if (/Maximum call stack/i.test(message)) return 'the YAML is nested too deeply to read';
  return message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
}

export function yamlHint(code: string): string | undefined {
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
      if (yaml().isMap(parent)) {
        for (const pair of parent.items) {
          const key = pair.key;
          if (yaml().isScalar(key) && String(key.value) === String(last) && key.range) return spanOf(key);
        }
      }
      return spanOf(nodeAt(path));
    },
    locateInString: (path, start, end) => {
      const node = document()?.getIn(path, true);
      if (!yaml().isScalar(node) || !node.range || typeof node.value !== 'string') return spanOf(nodeAt(path));
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
    case 'QUOTE_SINGLE': {
      let p = start + 1;
      for (let i = 0; i < value.length; i++) {
        map.push(p);
        p += text[p] === "'" && text[p + 1] === "'" ? 2 : 1;
      }
      map.push(p);
      return map;
    }
    case 'QUOTE_DOUBLE': {
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
    case 'BLOCK_LITERAL':
    case 'BLOCK_FOLDED': {
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
