// Writing a sample's pieces straight into a chunk's bytes: for histograms, building each series' text as a string
// and encoding it cost more (and made more garbage) than everything else a scrape does.
import { escapeLabelValue, formatValue, type LabelSet } from './format.ts';

/** The most characters formatValue gives (`-1.7976931348623157e+308`), with one to spare. */
export const MAX_VALUE_BYTES = 25;

/** Copies `source` into `into` at `offset`; returns the offset after it. */
export function putBytes(source: Uint8Array, into: Uint8Array, offset: number): number {
  const length = source.length;
  // A loop for the shortest pieces; beyond a few bytes the native copy is faster despite its call.
  if (length <= 8) {
    for (let i = 0; i < length; i++) into[offset + i] = source[i];
  } else {
    into.set(source, offset);
  }
  return offset + length;
}

/** Writes formatValue(value) (ASCII) into `into` at `offset`; returns the offset after it. */
export function putValue(value: number, into: Uint8Array, offset: number): number {
  // Whole numbers below 10^15 (counts, most sums) print as their digits; -0 prints as 0, as in formatValue.
  if (value >= 0 && value < 1e15 && Math.floor(value) === value) return putWholeNumber(value, into, offset);
  const text = formatValue(value);
  for (let i = 0; i < text.length; i++) into[offset + i] = text.charCodeAt(i);
  return offset + text.length;
}

/**
 * The digits of a whole number in [0, 10^15) into `into` at `offset`; returns the offset after them. Self-contained
 * (no import, no other function): the format worker's code is made from its source text.
 */
export function putWholeNumber(value: number, into: Uint8Array, offset: number): number {
  let digits = 1;
  for (let power = 10; power <= value; power *= 10) digits++;
  let rest = value;
  for (let at = offset + digits - 1; at >= offset; at--) {
    const tenth = Math.floor(rest / 10);
    into[at] = 48 + (rest - tenth * 10);
    rest = tenth;
  }
  return offset + digits;
}

/** An upper bound of the bytes putOwnLabels writes for `labels`. */
export function ownLabelsMaxBytes(labels: LabelSet): number {
  let units = 1;
  for (const name in labels) {
    if (!Object.hasOwn(labels, name)) continue;
    const value = labels[name];
    // name="value", the value's units doubled at most by escapes; 3 bytes of UTF-8 at most a UTF-16 unit.
    units += name.length + 4 + 2 * (typeof value === 'string' ? value.length : `${value}`.length);
  }
  return 3 * units;
}

/**
 * The exact bytes putOwnLabels writes for `labels` (formatOwnLabels' UTF-8 length), without building the text: the
 * cached exposition sizes a histogram series' bytes by it, then writes them with putOwnLabels — the same functions as
 * the streamed scrape, which preparing thereby compiles before a first scrape needs them.
 */
export function ownLabelsBytes(labels: LabelSet): number {
  let bytes = 0;
  for (const name in labels) {
    if (!Object.hasOwn(labels, name)) continue;
    const value = labels[name];
    // `{` or `,`, name, `="`, value, `"`.
    bytes += 4 + textBytes(name) + (typeof value === 'string' ? labelValueBytes(value) : textBytes(`${value}`));
  }
  return bytes === 0 ? 0 : bytes + 1;
}

/** Bytes putText writes. */
function textBytes(text: string): number {
  const length = text.length;
  for (let i = 0; i < length; i++) if (text.charCodeAt(i) >= 0x80) return Buffer.byteLength(text, 'utf8');
  return length;
}

/** Bytes putLabelValue writes. */
function labelValueBytes(value: string): number {
  const length = value.length;
  for (let i = 0; i < length; i++) {
    const unit = value.charCodeAt(i);
    if (unit >= 0x80 || unit === 0x5c || unit === 0x22 || unit === 0x0a) return Buffer.byteLength(escapeLabelValue(value), 'utf8');
  }
  return length;
}

/**
 * Writes formatOwnLabels(labels) — `{…}` of a sample whose labels are all its own, '' without any — as UTF-8 into
 * room of ownLabelsMaxBytes(labels); returns the offset after it. The text is never built: a string a series made
 * garbage, and encoding it a call into the runtime.
 */
export function putOwnLabels(labels: LabelSet, into: Buffer, offset: number): number {
  let at = offset;
  for (const name in labels) {
    if (!Object.hasOwn(labels, name)) continue;
    into[at] = at === offset ? 0x7b : 0x2c;
    at = putText(name, into, at + 1);
    into[at] = 0x3d;
    into[at + 1] = 0x22;
    const value = labels[name];
    at = typeof value === 'string' ? putLabelValue(value, into, at + 2) : putText(`${value}`, into, at + 2);
    into[at++] = 0x22;
  }
  if (at > offset) into[at++] = 0x7d;
  return at;
}

/** `text` as UTF-8: ASCII byte by byte (label names, a few characters each), the rest by Buffer. */
function putText(text: string, into: Buffer, offset: number): number {
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x80) return offset + into.write(text, offset, 'utf8');
    into[offset + i] = unit;
  }
  return offset + length;
}

/** A string label value escaped, as UTF-8: like putText, the same pass finding what needs an escape (rare). */
function putLabelValue(value: string, into: Buffer, offset: number): number {
  const length = value.length;
  for (let i = 0; i < length; i++) {
    const unit = value.charCodeAt(i);
    // Not ASCII, or a backslash, double quote or newline.
    if (unit >= 0x80 || unit === 0x5c || unit === 0x22 || unit === 0x0a) return offset + into.write(escapeLabelValue(value), offset, 'utf8');
    into[offset + i] = unit;
  }
  return offset + length;
}
