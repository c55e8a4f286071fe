/**
 * A small YAML writer for the files Go programs read (Prometheus rule files, alertmanager.yml). Generic YAML
 * libraries are an order of magnitude slower on 20,000 rules, and this one can be exactly as strict as needed:
 * a string is written plain only when YAML 1.1 (Go's yaml.v2) and YAML 1.2 both read it back as that same string;
 * otherwise it is a block literal (multi-line text) or double-quoted.
 */

const YAML11_SPECIAL = new RegExp(
  [
    '^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$',
    '^(?:~|null|Null|NULL)$',
    '^[-+]?(?:\\.inf|\\.Inf|\\.INF)$|^(?:\\.nan|\\.NaN|\\.NAN)$',
    // Numbers in every YAML 1.1 form: decimal with underscores, 0x, 0o, 0b, sexagesimal, floats, exponents.
    '^[-+]?(?:[0-9][0-9_]*)?(?:\\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?$',
    '^[-+]?0[xX][0-9a-fA-F_]+$|^[-+]?0[oO]?[0-7_]+$|^[-+]?0b[01_]+$',
    '^[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+(?:\\.[0-9_]*)?$',
    // Timestamps (2001-12-14, 2001-12-14t21:59:43.10-05:00).
    '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?$',
    '^=$|^<<$',
  ].join('|'),
);

/**
 * What YAML may not carry raw (outside its printable set, or a byte-order mark that Go's reader treats specially),
 * and UTF-16 halves without their pair, which no YAML can carry at all.
 */
const NON_PRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const NON_PRINTABLE_ALL = new RegExp(NON_PRINTABLE.source, 'g');
/** Line breaks for YAML 1.2 or Go's yaml.v2 (which, like libyaml, also breaks lines at NEL, LS and PS). */
const LINE_BREAK = /\r\n|[\n\r\u0085\u2028\u2029]/g;
/** Controls that make text display in another order than it is read (a comment could hide what follows). */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Characters that may not start a plain scalar (indicators), and sequences that end or alter one. */
const UNSAFE_START = /^[-?:,[\]{}#&*!|>'"%@`\s]/;
const UNSAFE_INSIDE = /: |:$| #|[\t\n\r\u0085\u2028\u2029]|[\u0000-\u001f\u007f]/;

export function isPlainSafe(s: string): boolean {
  return s !== '' && s.trim() === s && !UNSAFE_START.test(s) && !UNSAFE_INSIDE.test(s) && !NON_PRINTABLE.test(s) && !YAML11_SPECIAL.test(s);
}

/**
 * Whether `s` may stand inside a plain scalar, between characters that are neither `:`, space nor `#` nor a UTF-16
 * half: one line, no `: `, ` #`, trailing `:`, control or character YAML may not carry raw (isPlainSafe less the tests
 * of its edges and of the whole text).
 */
export function plainInside(s: string): boolean {
  return !UNSAFE_INSIDE.test(s) && !NON_PRINTABLE.test(s);
}

/** Single quotes read best (only ' needs doubling) but cannot carry line breaks or control characters. */
function quoted(s: string): string {
  if (/[\u0000-\u001f\u007f\u0085\u2028\u2029]/.test(s) || NON_PRINTABLE.test(s) || s.startsWith(' ') || s.endsWith(' ')) return doubleQuoted(s);
  return `'${s.replace(/'/g, "''")}'`;
}

const escapeCode = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Double-quoted: JSON's escapes are YAML's; the rest of what YAML may not carry raw is escaped too (a lone UTF-16 half, unrepresentable, becomes U+FFFD). */
export function doubleQuoted(s: string): string {
  return JSON.stringify(s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'))
    .replace(/[\u0085\u2028\u2029]/g, escapeCode)
    .replace(NON_PRINTABLE_ALL, escapeCode);
}

/**
 * One comment line (`# …`) that says `text` and nothing else: line breaks in any YAML reader's sense, controls, bidi
 * controls and what YAML cannot carry are written as `\uXXXX`, so no text (a definition's file name, a URL) can end
 * the comment and start YAML.
 */
export function yamlComment(text: string): string {
  return `# ${text.replace(LINE_BREAK, (b) => [...b].map(escapeCode).join('')).replace(NON_PRINTABLE_ALL, escapeCode).replace(BIDI, escapeCode)}`;
}

/** Multi-line text reads best as a block literal; only when its lines survive YAML's block rules unchanged. */
function canBeLiteral(s: string): boolean {
  if (!s.includes('\n') || s.endsWith('\n') || s.startsWith(' ') || s.startsWith('\n') || NON_PRINTABLE.test(s)) return false;
  return !/[\r\t\u0085\u2028\u2029\u0000-\u0008\u000b-\u001f\u007f]/.test(s) && !/ \n| $/.test(s);
}

/** A string that must be written double-quoted whatever it holds (e.g. a placeholder that deploy substitutes). */
export class DoubleQuoted {
  constructor(readonly value: string) {}
}

/**
 * Items of a list already written (by listItems, at the indent the list is written at): copied into the list as
 * they are. Lets an emitter keep the text of a part that did not change instead of writing it again.
 */
export class WrittenItems {
  constructor(
    readonly text: string,
    readonly count: number,
    readonly indent: string,
  ) {}
}

/** The lines `items` take as elements of a list written at `indent`. */
export function listItems(items: readonly unknown[], indent: string): WrittenItems {
  const out: string[] = [];
  writeNode(items, indent, out);
  return new WrittenItems(out.join('\n'), items.length, indent);
}

/**
 * A scalar as a mapping at `indent` writes its value (after `key: `), or a list at `indent` an item's: what toYaml
 * writes for it. For writers that make the lines of a known shape themselves (see prometheus-rules.ts).
 */
export function yamlScalar(value: unknown, indent: string): string {
  return emptyCollection(value) ?? scalar(value, indent);
}

function scalar(value: unknown, indent: string): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return stringScalar(value, indent);
  if (value instanceof DoubleQuoted) return doubleQuoted(value.value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return Number.isNaN(value) ? '.nan' : value > 0 ? '.inf' : '-.inf';
    return String(value);
  }
  return stringScalar(String(value), indent);
}

function stringScalar(s: string, indent: string): string {
  if (isPlainSafe(s)) return s;
  if (canBeLiteral(s)) return `|-\n${s.split('\n').map((line) => (line === '' ? '' : `${indent}  ${line}`)).join('\n')}`;
  return quoted(s);
}

/**
 * Keys as written: a document repeats a few names (alert, expr, labels, severity, …) thousands of times, so each is
 * tested once per process. Bounded, as a `--watch` process writes documents for hours.
 */
const keyTexts = new Map<string, string>();
const KEY_TEXTS_MAX = 4096;

/** A mapping key as toYaml writes it. */
export function yamlKey(key: string): string {
  let text = keyTexts.get(key);
  if (text === undefined) {
    text = isPlainSafe(key) ? key : quoted(key);
    if (keyTexts.size >= KEY_TEXTS_MAX) keyTexts.clear();
    keyTexts.set(key, text);
  }
  return text;
}

/** A non-empty list or mapping (written over lines of its own); strings, numbers, DoubleQuoted and `[]`/`{}` are not. */
function isCollection(v: unknown): v is Record<string, unknown> | unknown[] {
  if (v === null || typeof v !== 'object' || v instanceof DoubleQuoted) return false;
  return Array.isArray(v) ? v.length > 0 : hasOwnKey(v);
}

/** Whether an object has an own enumerable key (Object.keys(v).length > 0, without making the array). */
function hasOwnKey(v: object): boolean {
  for (const key in v) if (Object.prototype.hasOwnProperty.call(v, key)) return true;
  return false;
}

function emptyCollection(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  if (Array.isArray(v)) return v.length === 0 ? '[]' : undefined;
  return hasOwnKey(v) ? undefined : '{}';
}

function writeNode(value: unknown, indent: string, out: string[]): void {
  if (Array.isArray(value)) writeSequence(value, indent, out);
  else writeMapping(value as Record<string, unknown>, indent, indent, out);
}

function writeSequence(value: readonly unknown[], indent: string, out: string[]): void {
  const inner = `${indent}  `;
  const dash = `${indent}- `;
  for (const item of value) {
    if (item instanceof WrittenItems) {
      if (item.indent !== indent) throw new Error(`items written at indent ${item.indent.length} copied to indent ${indent.length}`);
      if (item.count > 0) out.push(item.text);
      continue;
    }
    if (isCollection(item) && !Array.isArray(item)) {
      // The first key of a mapping shares the dash's line.
      writeMapping(item, inner, dash, out);
    } else if (isCollection(item)) {
      out.push(`${indent}-`);
      writeSequence(item as unknown[], inner, out);
    } else {
      out.push(dash + (emptyCollection(item) ?? scalar(item, inner)));
    }
  }
}

/** A mapping's lines at `indent`; the first line written starts with `first` instead (a list item's dash). */
function writeMapping(value: Record<string, unknown>, indent: string, first: string, out: string[]): void {
  let prefix = first;
  for (const key of Object.keys(value)) {
    const v = value[key];
    if (v === undefined) continue;
    const k = yamlKey(key);
    if (isCollection(v)) {
      out.push(`${prefix}${k}:`);
      prefix = indent;
      writeNode(v, `${indent}  `, out);
    } else {
      out.push(`${prefix}${k}: ${emptyCollection(v) ?? scalar(v, indent)}`);
      prefix = indent;
    }
  }
}

/** YAML text for plain data (objects, arrays, strings, numbers, booleans, null), keys in insertion order. */
export function toYaml(value: unknown): string {
  const empty = emptyCollection(value);
  if (empty) return `${empty}\n`;
  if (!isCollection(value)) return `${scalar(value, '')}\n`;
  const out: string[] = [];
  writeNode(value, '', out);
  return out.join('\n') + '\n';
}
