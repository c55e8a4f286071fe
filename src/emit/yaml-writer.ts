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

/** Characters that may not start a plain scalar (indicators), and sequences that end or alter one. */
const UNSAFE_START = /^[-?:,[\]{}#&*!|>'"%@`\s]/;
const UNSAFE_INSIDE = /: |:$| #|[\t\n\r\u0085\u2028\u2029]|[\u0000-\u001f\u007f]/;

export function isPlainSafe(s: string): boolean {
  return s !== '' && s.trim() === s && !UNSAFE_START.test(s) && !UNSAFE_INSIDE.test(s) && !YAML11_SPECIAL.test(s);
}

/** Single quotes read best (only ' needs doubling) but cannot carry line breaks or control characters. */
function quoted(s: string): string {
  if (/[\u0000-\u001f\u007f\u0085\u2028\u2029]/.test(s) || s.startsWith(' ') || s.endsWith(' ')) return doubleQuoted(s);
  return `'${s.replace(/'/g, "''")}'`;
}

function doubleQuoted(s: string): string {
  return JSON.stringify(s).replace(/[\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Multi-line text reads best as a block literal; only when its lines survive YAML's block rules unchanged. */
function canBeLiteral(s: string): boolean {
  if (!s.includes('\n') || s.endsWith('\n') || s.startsWith(' ') || s.startsWith('\n')) return false;
  return !/[\r\t\u0085\u2028\u2029\u0000-\u0008\u000b-\u001f\u007f]/.test(s) && !/ \n| $/.test(s);
}

/** A string that must be written double-quoted whatever it holds (e.g. a placeholder that deploy substitutes). */
export class DoubleQuoted {
  constructor(readonly value: string) {}
}

function scalar(value: unknown, indent: string): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof DoubleQuoted) return doubleQuoted(value.value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return Number.isNaN(value) ? '.nan' : value > 0 ? '.inf' : '-.inf';
    return String(value);
  }
  const s = String(value);
  if (isPlainSafe(s)) return s;
  if (canBeLiteral(s)) return `|-\n${s.split('\n').map((line) => (line === '' ? '' : `${indent}  ${line}`)).join('\n')}`;
  return quoted(s);
}

function isCollection(v: unknown): v is Record<string, unknown> | unknown[] {
  if (v instanceof DoubleQuoted) return false;
  return v !== null && typeof v === 'object' && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);
}

function emptyCollection(v: unknown): string | undefined {
  if (Array.isArray(v) && v.length === 0) return '[]';
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) return '{}';
  return undefined;
}

function writeNode(value: unknown, indent: string, out: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isCollection(item) && !Array.isArray(item)) {
        const lines: string[] = [];
        writeNode(item, `${indent}  `, lines);
        // The first key of a mapping shares the dash's line.
        out.push(`${indent}- ${lines[0]!.slice(indent.length + 2)}`, ...lines.slice(1));
      } else if (isCollection(item)) {
        out.push(`${indent}-`);
        writeNode(item, `${indent}  `, out);
      } else {
        out.push(`${indent}- ${emptyCollection(item) ?? scalar(item, `${indent}  `)}`);
      }
    }
    return;
  }
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    const k = isPlainSafe(key) ? key : quoted(key);
    if (isCollection(v)) {
      out.push(`${indent}${k}:`);
      writeNode(v, `${indent}  `, out);
    } else {
      out.push(`${indent}${k}: ${emptyCollection(v) ?? scalar(v, indent)}`);
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
