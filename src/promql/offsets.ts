/** A replacement of source[start, end) by `text`. */
export interface Replacement {
  start: number;
  end: number;
  text: string;
}

/**
 * Maps offsets in a rewritten text back to the text it was produced from. One class for every map, the identity
 * included, and every property `start` and `end` read is read on every call, the identity's too (its only segment is
 * the end marker): the analysis calls them for every node, and a path the identity never took (a second kind of map,
 * a property read only inside a replaced part) threw the optimised analyser away at the first Grafana query and had
 * it compiled again (issue #12 §3).
 */
export class OffsetMap {
  /**
   * @param segments the replaced parts, in order, then END
   * @param inner a map applied first (a text rewritten twice), or undefined
   */
  constructor(
    private readonly segments: readonly Segment[],
    private readonly inner: OffsetMap | undefined = undefined,
  ) {}

  /** The source offset for a range starting at `pos` in the rewritten text. */
  start(pos: number): number {
    const p = this.inner === undefined ? pos : this.inner.start(pos);
    const segments = this.segments;
    let before = BEFORE_ALL;
    for (let i = 0; ; i++) {
      const s = segments[i]!;
      const { genStart, genEnd, srcStart } = s;
      const from = p >= genStart;
      const below = p < genEnd;
      if (from && below) return srcStart;
      if (genEnd <= p) before = s;
      else return p - before.genEnd + before.srcEnd;
    }
  }

  /** The source offset for a range ending at `pos` in the rewritten text. */
  end(pos: number): number {
    const p = this.inner === undefined ? pos : this.inner.end(pos);
    const segments = this.segments;
    let before = BEFORE_ALL;
    for (let i = 0; ; i++) {
      const s = segments[i]!;
      const { genStart, genEnd, srcEnd } = s;
      const after = p > genStart;
      const upTo = p <= genEnd;
      if (after && upTo) return srcEnd;
      if (genEnd <= p) before = s;
      else return p - before.genEnd + before.srcEnd;
    }
  }

  /** This map after `inner` (which maps C to this map's B): a map from C to A. */
  after(inner: OffsetMap): OffsetMap {
    if (inner === IDENTITY_MAP) return this;
    if (this === IDENTITY_MAP) return inner;
    return new OffsetMap(this.segments, this.inner === undefined ? inner : this.inner.after(inner));
  }
}

interface Segment {
  srcStart: number;
  srcEnd: number;
  genStart: number;
  genEnd: number;
}

/**
 * The last segment of every map: after any offset a text can have (a small integer, as every other segment's fields,
 * so that all segments share one hidden class), it ends each walk through the segments.
 */
const FAR = 0x3fffffff;
const END: Segment = { srcStart: FAR, srcEnd: FAR, genStart: FAR, genEnd: FAR };
/** Before the first segment nothing is shifted. */
const BEFORE_ALL: Segment = { srcStart: 0, srcEnd: 0, genStart: 0, genEnd: 0 };

export const IDENTITY_MAP = new OffsetMap([END]);

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
  segments.push(END);
  return { text, map: new OffsetMap(segments) };
}

/** `outer` maps text B to A, `inner` maps C to B: the result maps C to A. */
export function composeMaps(outer: OffsetMap, inner: OffsetMap): OffsetMap {
  return outer.after(inner);
}
