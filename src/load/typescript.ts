import { pathToFileURL } from 'node:url';
import type { Diagnostic, Span } from '../diagnostics.ts';
import type { Definition, Path } from './definition.ts';

export interface TsLoadResult {
  definitions: Definition[];
  diagnostics: Diagnostic[];
}

/**
 * Imports a TypeScript definition file and takes its default export (one definition or an array of them). The CLI
 * registers a TypeScript loader (tsx) before this runs; vitest transforms .ts imports by itself.
 */
export async function loadTypeScript(file: string, absolutePath: string, text: string): Promise<TsLoadResult> {
  let exported: unknown;
  try {
    exported = unwrapDefault(await importTypeScript(pathToFileURL(absolutePath).href));
  } catch (e) {
    return { definitions: [], diagnostics: [tsImportDiagnostic(file, text, e)] };
  }
  if (exported === undefined) {
    return {
      definitions: [],
      diagnostics: [
        {
          code: 'ts/load',
          severity: 'error',
          message: 'TypeScript definition has no default export',
          span: { file, start: 0, end: Math.min(text.length, 1) },
          hint: 'export the definition: `export default defineAlertRules({ ... })`',
        },
      ],
    };
  }
  const values = Array.isArray(exported) ? exported : [exported];
  return { definitions: values.map((value, index) => tsDefinition(file, text, index, value)), diagnostics: [] };
}

/**
 * Under the CLI, tsx's tsImport loads the file as an ES module whatever the user's package.json says (a CommonJS
 * project would otherwise hit require(esm) cycles); under vitest, vite already transforms TypeScript imports.
 */
async function importTypeScript(url: string): Promise<unknown> {
  if ('__vitest_worker__' in globalThis) return import(url);
  const { tsImport } = await import('tsx/esm/api');
  return tsImport(url, import.meta.url);
}

/** A module namespace's default export; CommonJS interop can nest it one level deeper (`{ default: { default } }`). */
function unwrapDefault(mod: unknown): unknown {
  let value = (mod as { default?: unknown } | undefined)?.default;
  if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 1 && 'default' in value) {
    value = (value as { default: unknown }).default;
  }
  return value;
}

function tsImportDiagnostic(file: string, text: string, e: unknown): Diagnostic {
  // eslint-disable-next-line no-control-regex
  const message = (e instanceof Error ? e.message : String(e)).replace(/\x1b\[[0-9;]*m/g, '');
  const located = locateTransformError(message);
  if (located) {
    const offset = offsetOfLineCol(text, located.line, located.col);
    return {
      code: 'ts/load',
      severity: 'error',
      message: located.message,
      span: { file, start: offset, end: offset + 1 },
      hint: 'fix the TypeScript syntax error',
    };
  }
  return {
    code: 'ts/load',
    severity: 'error',
    message: `cannot load TypeScript definition: ${message.split('\n')[0]}`,
    span: { file, start: 0, end: Math.min(text.length, 1) },
    hint: 'the file must run on its own: check its imports and any code it runs at load time',
  };
}

/** Syntax errors come from esbuild under the CLI (`path:line:col0: ERROR: msg`) and from oxc under vitest. */
function locateTransformError(message: string): { line: number; col: number; message: string } | undefined {
  const esbuild = /:(\d+):(\d+): ERROR: (.+)/.exec(message);
  if (esbuild) return { line: Number(esbuild[1]), col: Number(esbuild[2]) + 1, message: esbuild[3]!.trim() };
  const oxcPosition = /\[ [^\]]*?:(\d+):(\d+) \]/.exec(message);
  const oxcMessage = /\[[A-Z_]+\] (.+)/.exec(message);
  if (oxcPosition && oxcMessage) return { line: Number(oxcPosition[1]), col: Number(oxcPosition[2]), message: oxcMessage[1]!.trim() };
  return undefined;
}

function offsetOfLineCol(text: string, line: number, col: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', offset);
    if (nl === -1) return text.length;
    offset = nl + 1;
  }
  return Math.min(offset + col - 1, text.length);
}

const NAMING_KEYS = ['name', 'record', 'uid', 'title', 'group'];

/**
 * TypeScript objects carry no positions, so spans are found by searching the text for the keys and names along the
 * path: good enough to point a reviewer at the right line.
 */
function tsDefinition(file: string, text: string, index: number, value: unknown): Definition {
  const anchor = Math.max(0, text.search(/export\s+default/));
  const walk = (path: Path): { pos: number; value: unknown } => {
    let pos = anchor;
    let current: unknown = value;
    for (const segment of path) {
      if (current === null || typeof current !== 'object') break;
      const next = (current as Record<string | number, unknown>)[segment];
      if (typeof segment === 'number') {
        const naming = next && typeof next === 'object' ? namingValue(next as Record<string, unknown>) : undefined;
        if (naming !== undefined) {
          const found = findStringLiteral(text, naming, pos);
          if (found >= 0) pos = found;
        }
      } else {
        const found = text.slice(pos).search(new RegExp(`(^|[\\s{,'"])${escapeRegExp(segment)}['"]?\\s*:`));
        if (found >= 0) pos += found + (/[\s{,'"]/.test(text[pos + found] ?? '') ? 1 : 0);
      }
      current = next;
    }
    return { pos, value: current };
  };
  const spanAt = (pos: number, len: number): Span => ({ file, start: pos, end: Math.min(pos + Math.max(len, 1), text.length) });
  const valueSpan = (path: Path): Span => {
    const { pos, value: v } = walk(path);
    if (typeof v === 'string') {
      const lit = findStringLiteral(text, v, pos);
      if (lit >= 0) return spanAt(lit, v.length + 2);
    }
    const lineEnd = text.indexOf('\n', pos);
    return spanAt(pos, (lineEnd === -1 ? text.length : lineEnd) - pos);
  };
  return {
    file,
    index,
    origin: 'ts',
    value,
    locate: valueSpan,
    locateKey: (path) => {
      const { pos } = walk(path);
      const key = String(path[path.length - 1] ?? '');
      return spanAt(pos, key.length);
    },
    locateInString: (path, start, end) => {
      const { pos, value: v } = walk(path);
      if (typeof v === 'string') {
        const lit = findStringLiteral(text, v, pos);
        if (lit >= 0) return { file, start: lit + 1 + start, end: lit + 1 + Math.max(end, start + 1) };
      }
      return valueSpan(path);
    },
  };
}

function namingValue(obj: Record<string, unknown>): string | undefined {
  for (const key of NAMING_KEYS) if (typeof obj[key] === 'string') return obj[key] as string;
  return undefined;
}

function findStringLiteral(text: string, value: string, from: number): number {
  const firstLine = value.split('\n')[0]!;
  for (const quote of ["'", '"', '`']) {
    const at = text.indexOf(quote + firstLine, from);
    if (at >= 0) return at;
  }
  return -1;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
