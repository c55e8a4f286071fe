import path from 'node:path';
import type { Diagnostic, Span } from '../diagnostics.ts';
import type { Definition, Path, SourceFile } from './definition.ts';
import { loadYaml } from './yaml.ts';

/** The key of a YAML Dashboard that names (or embeds) Grafana's own dashboard JSON. */
const JSON_KEY = 'json';

/** A referenced file's text, or why it cannot be read (positioned in that text). */
export type ReadJsonFile = (file: string) => Promise<{ text: string; problem?: { code: string; message: string; hint: string; offset: number } }>;

/**
 * A YAML Dashboard may name a Grafana dashboard JSON file (`json: ./node.json`, relative to the definition). The file
 * becomes a source of its own: the definition's value holds the parsed JSON, and every path under `json` locates into
 * that file (file:line:col of the JSON), so the checks report a problem where it is written. A file that cannot be read
 * or parsed is reported and its definition dropped, so nothing later reports the same problem again.
 */
export async function attachDashboardJsonFiles(
  loaded: { definitions: Definition[]; diagnostics: Diagnostic[]; sources: SourceFile[] },
  read: ReadJsonFile,
): Promise<void> {
  const kept: Definition[] = [];
  for (const def of loaded.definitions) {
    const reference = referencedFile(def);
    if (reference === undefined) {
      kept.push(def);
      continue;
    }
    const problem = (message: string, hint: string, span: Span = def.locate([JSON_KEY]), code = 'load/json') => loaded.diagnostics.push({ code, severity: 'error', message, hint, span });
    const file = path.posix.normalize(path.posix.join(path.posix.dirname(def.file), reference));
    const root = def.file.split('/')[0]!;
    if (path.posix.isAbsolute(reference) || !file.startsWith(`${root}/`)) {
      problem(`json: ${JSON.stringify(reference)} is outside the definitions directory`, 'keep the dashboard JSON under the definitions directory and name it relative to this definition, such as ./node.json');
      continue;
    }
    const content = await read(file);
    if (content.problem) {
      problem(`json: ${JSON.stringify(reference)} ${content.problem.message}`, content.problem.hint, undefined, content.problem.code);
      continue;
    }
    if (!loaded.sources.some((s) => s.file === file)) loaded.sources.push({ file, text: content.text });
    const parsed = parseJson(file, content.text);
    if ('error' in parsed) {
      loaded.diagnostics.push(parsed.error);
      continue;
    }
    if (parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
      problem(`json: ${JSON.stringify(reference)} holds ${Array.isArray(parsed.value) ? 'a list' : `a ${typeof parsed.value}`}, not a dashboard`, 'the file must hold one dashboard: a JSON object with title and panels', { file, start: 0, end: 1 });
      continue;
    }
    kept.push(withJsonFile(def, file, parsed.value, content.text));
  }
  loaded.definitions.splice(0, loaded.definitions.length, ...kept);
}

function referencedFile(def: Definition): string | undefined {
  const v = def.value as { kind?: unknown; json?: unknown } | null;
  return def.origin === 'yaml' && v !== null && typeof v === 'object' && v.kind === 'Dashboard' && typeof v.json === 'string' && v.json.endsWith('.json') ? v.json : undefined;
}

/** JSON.parse's value (JSON's own rules, not YAML's), or a syntax error at the place it is in the text. */
export function parseJson(file: string, text: string): { value: unknown } | { error: Diagnostic } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (e) {
    // Node names the offset for some errors only: the scanner finds it for all.
    const at = Math.max(0, jsonErrorOffset(text));
    const reason = (e as Error).message.replace(/ in JSON at position \d+[\s\S]*$/, '').replace(/, (?:\.\.\.)?"[\s\S]*$/, '');
    return {
      error: {
        code: 'load/json',
        severity: 'error',
        message: `invalid JSON: ${reason}`,
        hint: 'fix the JSON syntax (a missing comma or quote, or a trailing comma, is the usual cause)',
        span: { file, start: Math.min(at, Math.max(0, text.length - 1)), end: Math.min(at + 1, text.length) },
      },
    };
  }
}

/** The offset of the first character that makes `text` invalid JSON (its length when it ends too early), or -1. */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw new JsonErrorAt(i);
  };
  const space = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const string = () => {
    i++;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') return void i++;
      if (c < ' ') fail();
      i += c === '\\' ? 2 : 1;
    }
    fail();
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '"') return string();
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      space();
      if (text[i] === close) return void i++;
      for (;;) {
        if (c === '{') {
          space();
          if (text[i] !== '"') fail();
          string();
          space();
          if (text[i] !== ':') fail();
          i++;
        }
        value();
        space();
        if (text[i] === ',') i++;
        else if (text[i] === close) return void i++;
        else fail();
      }
    }
    const literal = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 64));
    if (!literal) fail();
    i += literal![0].length;
  };
  try {
    value();
    space();
    if (i < text.length) fail();
    return -1;
  } catch (e) {
    if (e instanceof JsonErrorAt) return e.offset;
    if (e instanceof RangeError) return 0; // nested too deeply to scan: the start of the file
    throw e;
  }
}

class JsonErrorAt {
  constructor(readonly offset: number) {}
}

/** The definition with the parsed JSON in place of the file name, locating paths under `json` in the JSON file. */
export function withJsonFile(def: Definition, file: string, value: unknown, text: string): Definition {
  // JSON is YAML: the YAML reader finds the position of any path in it, parsed only when a problem is reported.
  let located: Definition | undefined | null = null;
  const json = () => (located === null ? (located = loadYaml(file, text).definitions[0]) : located);
  const inJson = (p: Path) => p[0] === JSON_KEY && p.length > 1;
  const start: Span = { file, start: 0, end: 1 };
  return {
    ...def,
    value: { ...(def.value as object), [JSON_KEY]: value },
    fileAt: (p) => (inJson(p) ? file : (def.fileAt?.(p) ?? def.file)),
    locate: (p) => (inJson(p) ? (json()?.locate(p.slice(1)) ?? start) : def.locate(p)),
    locateKey: (p) => (inJson(p) ? (json()?.locateKey(p.slice(1)) ?? start) : def.locateKey(p)),
    locateInString: (p, s, e) => (inJson(p) ? (json()?.locateInString(p.slice(1), s, e) ?? start) : def.locateInString(p, s, e)),
  };
}
