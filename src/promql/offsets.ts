/** A replacement of source[start, end) by `text`. */
export interface Replacement {
  start: number;
  end: number;
  text: string;
}

/** Maps offsets in a rewritten text back to the text it was produced from. */
export interface OffsetMap {
  /** The source offset for a range starting at `pos` in the rewritten text. */
  start(pos: number): number;
  /** The source offset for a range ending at `pos` in the rewritten text. */
  end(pos: number): number;
}

export const IDENTITY_MAP: OffsetMap = { start: (p) => p, end: (p) => p };

interface Segment {
  srcStart: number;
  srcEnd: number;
  genStart: number;
  genEnd: number;
}

/**
 * Applies non-overlapping replacements. A range touching a replaced part maps to the whole
 * replaced source text, so a problem on a substituted `5m` is reported on `$__rate_interval`.
 */
export function applyReplacements(source: string, replacements: readonly Replacement[]): { text: string; map: OffsetMap } {
  const sorted = [...replacements].sort((a, b) => a.start - b.start);
  const segments: Segment[] = [];
  let text = '';
  let last = 0;
  for (const r of sorted) {
    if (r.start < last) continue;
    text += source.slice(last, r.start);
    const genStart = text.length;
    text += r.text;
    segments.push({ srcStart: r.start, srcEnd: r.end, genStart, genEnd: text.length });
    last = r.end;
  }
  text += source.slice(last);
  if (segments.length === 0) return { text, map: IDENTITY_MAP };

  const shift = (pos: number, before: Segment | undefined) => (before ? pos - before.genEnd + before.srcEnd : pos);
  return {
    text,
    map: {
      start(pos) {
        let before: Segment | undefined;
        for (const s of segments) {
          if (pos >= s.genStart && pos < s.genEnd) return s.srcStart;
          if (s.genEnd <= pos) before = s;
          else break;
        }
        return shift(pos, before);
      },
      end(pos) {
        let before: Segment | undefined;
        for (const s of segments) {
          if (pos > s.genStart && pos <= s.genEnd) return s.srcEnd;
          if (s.genEnd <= pos) before = s;
          else break;
        }
        return shift(pos, before);
      },
    },
  };
}

/** `outer` maps text B to A, `inner` maps C to B: the result maps C to A. */
export function composeMaps(outer: OffsetMap, inner: OffsetMap): OffsetMap {
  if (outer === IDENTITY_MAP) return inner;
  if (inner === IDENTITY_MAP) return outer;
  return { start: (p) => outer.start(inner.start(p)), end: (p) => outer.end(inner.end(p)) };
}
