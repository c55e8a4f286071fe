/**
 * File names come from whoever writes the repository and are copied into diagnostics, generated comments and
 * manifests, so a name with a line break could forge lines there (`x\ngroups:\n- name: injected\n#.yaml`). Names are
 * checked before a file is read; the ones refused are printed escaped.
 */
import { isUtf8 } from 'node:buffer';

/** C0 controls, DEL, C1 controls, line/paragraph separators, and the bidirectional overrides that reorder text. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/u;
const UNSAFE_GLOBAL = new RegExp(UNSAFE.source, 'gu');

/** Why a path segment cannot name a definition, or undefined when it can. `raw` is the name's bytes as stored. */
export function fileNameProblem(raw: Buffer): string | undefined {
  if (!isUtf8(raw)) return 'is not valid UTF-8';
  const name = raw.toString('utf8');
  const bad = UNSAFE.exec(name);
  if (bad) return `contains the control or formatting character U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return undefined;
}

/** A name made safe to print on one line: unsafe characters as `\n`, `\u202e`, invalid bytes as `\xff`. */
export function printableName(raw: Buffer | string): string {
  const text = typeof raw === 'string' ? raw : decodeKeepingBytes(raw);
  return text.replace(UNSAFE_GLOBAL, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return named[c] ?? `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`;
  });
}

/** UTF-8 text where every byte that is not part of a valid sequence is written `\xNN`. */
function decodeKeepingBytes(raw: Buffer): string {
  if (isUtf8(raw)) return raw.toString('utf8');
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const len = validSequenceLength(raw, i);
    if (len === 0) {
      out += `\\x${raw[i]!.toString(16).padStart(2, '0')}`;
      i++;
    } else {
      out += raw.subarray(i, i + len).toString('utf8');
      i += len;
    }
  }
  return out;
}

/** Offset of the first byte that does not start a valid UTF-8 sequence; -1 when all of `bytes` is valid UTF-8. */
export function firstInvalidUtf8(bytes: Buffer): number {
  if (isUtf8(bytes)) return -1;
  let i = 0;
  while (i < bytes.length) {
    const len = validSequenceLength(bytes, i);
    if (len === 0) return i;
    i += len;
  }
  return -1;
}

/** Length of the well-formed UTF-8 sequence at `i` (Unicode table 3-7), or 0 when there is none. */
function validSequenceLength(b: Buffer, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}
