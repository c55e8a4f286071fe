// Writing a sample's pieces straight into a chunk's bytes: for histograms, building each series' text as a string
// and encoding it cost more (and made more garbage) than everything else a scrape does.
import { formatValue } from './format.ts';

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
  if (value >= 0 && value < 1e15 && Math.floor(value) === value) {
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
  const text = formatValue(value);
  for (let i = 0; i < text.length; i++) into[offset + i] = text.charCodeAt(i);
  return offset + text.length;
}
