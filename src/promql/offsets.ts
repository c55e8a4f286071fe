import { objectArray } from '../util/object-array.ts';

/** A replacement of source[start, end) by `text`. */
export interface Replacement {
  start: number;
  end: number;
  text: string;
}

/**
 * Maps offsets in a rewritten text back to the text it was produced from. One class for every map, the identity
 * included: the analysis calls `start` and `end` for every node, and a second kind of map (a closure per rewritten
 * text, as before) made each of those calls, optimised on the identity's function, deoptimise at the first Grafana
 * query (issue #12 §3).
 */
export class OffsetMap {
  /**
   * @param segments the replaced parts, in order (none: the identity)
   * @param inner a map applied first (a text rewritten twice), or undefined
   */
  constructor(
    private readonly segments: readonly Segment[],
    private readonly inner: OffsetMap | undefined = undefined,
  ) {}

  /** The source offset for a range starting at `pos` in the rewritten text. */
  start(pos: number): number {
    const p = this.inner === undefined ? pos : this.inner.start(pos);
    let before: Segment | undefined;
    for (const s of this.segments) {
      if (p >= s.genStart && p < s.genEnd) return s.srcStart;
      if (s.genEnd <= p) before = s;
      else break;
    }
    return shift(p, before);
  }

  /** The source offset for a range ending at `pos` in the rewritten text. */
  end(pos: number): number {
    const p = this.inner === undefined ? pos : this.inner.end(pos);
    let before: Segment | undefined;
    for (const s of this.segments) {
      if (p > s.genStart && p <= s.genEnd) return s.srcEnd;
      if (s.genEnd <= p) before = s;
      else break;
    }
    return shift(p, before);
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

const shift = (pos: number, before: Segment | undefined) => (before ? pos - before.genEnd + before.srcEnd : pos);

// Its empty list of the same array kind as every other map's (see objectArray): one shape where `start` and `end` read it.
export const IDENTITY_MAP = new OffsetMap(objectArray<Segment>());

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
  return { text, map: segments.length === 0 ? IDENTITY_MAP : new OffsetMap(segments) };
}

/** `outer` maps text B to A, `inner` maps C to B: the result maps C to A. */
export function composeMaps(outer: OffsetMap, inner: OffsetMap): OffsetMap {
  return outer.after(inner);
}
