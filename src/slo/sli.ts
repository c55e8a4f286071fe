import type { SLOsSpec } from '../spec/types.gen.ts';
import { substituteWindow, placeholderSpans } from './placeholder.ts';

export type SloSpec = SLOsSpec['slos'][number];
export type SliSpec = SloSpec['sli'];
type Field = readonly (string | number)[];

/** Part of a generated query: text Vigil wrote, or a slice of a field the user wrote (offsets into that string). */
export interface Piece {
  text: string;
  from?: { field: Field; start: number; end: number };
}

/** A query assembled from pieces, with the field it is reported at when no piece is more precise. */
export interface ComposedQuery {
  field: Field;
  pieces: Piece[];
}

export const composedText = (q: ComposedQuery): string => q.pieces.map((p) => p.text).join('');

const own = (text: string): Piece => ({ text });
const slice = (field: Field, whole: string, start = 0, end = whole.length): Piece => ({ text: whole.slice(start, end), from: { field, start, end } });

/** The error ratio of the SLI over a window: bad events / all events (a ratio in [0, 1]). */
export function errorRatioQuery(sli: SliSpec, window: string): string {
  if (sli.events) return `(${substituteWindow(sli.events.errorQuery.trim(), window)})\n/\n(${substituteWindow(sli.events.totalQuery.trim(), window)})`;
  const [good, total] = sli.ratio ? [sli.ratio.good.trim(), sli.ratio.total.trim()] : latencySelectors(sli.latency!);
  return `1 - (\n  sum(rate(${good}[${window}]))\n  /\n  sum(rate(${total}[${window}]))\n)`;
}

/** Good and total series selectors of a latency SLI: the bucket at `le`, and the histogram's count. */
function latencySelectors(latency: NonNullable<SliSpec['latency']>): [string, string] {
  const inner = selectorInner(latency.selector ?? '{}').text;
  const count = latency.bucket.replace(/_bucket$/, '_count');
  return [`${latency.bucket}{${inner ? `${inner},` : ''}le="${latency.le}"}`, inner ? `${count}{${inner}}` : count];
}

/** The matchers inside `{…}` and where they start in the written selector. */
function selectorInner(selector: string): { text: string; start: number } {
  const open = selector.indexOf('{');
  const close = selector.lastIndexOf('}');
  const raw = selector.slice(open + 1, close);
  const start = open + 1 + (raw.length - raw.trimStart().length);
  return { text: raw.trim(), start };
}

/**
 * The user's queries as checks read them, one per written field, with the range at `window`: every PromQL check
 * then reports at the field (and inside it) instead of at generated text.
 */
export function checkedQueries(sli: SliSpec, window: string): ComposedQuery[] {
  if (sli.events) {
    return (['errorQuery', 'totalQuery'] as const).map((key) => {
      const field = ['sli', 'events', key];
      const query = sli.events![key];
      const pieces: Piece[] = [];
      let last = 0;
      for (const span of placeholderSpans(query)) {
        pieces.push(slice(field, query, last, span.start), { text: window, from: { field, start: span.start, end: span.end } });
        last = span.end;
      }
      pieces.push(slice(field, query, last));
      return { field, pieces };
    });
  }
  if (sli.ratio) {
    return (['good', 'total'] as const).map((key) => {
      const field = ['sli', 'ratio', key];
      return { field, pieces: [own('sum(rate('), slice(field, sli.ratio![key]), own(`[${window}]))`)] };
    });
  }
  const latency = sli.latency!;
  const bucketField = ['sli', 'latency', 'bucket'];
  const selectorField = ['sli', 'latency', 'selector'];
  const count = latency.bucket.replace(/_bucket$/, '_count');
  const inner = latency.selector === undefined ? undefined : selectorInner(latency.selector);
  const matchers = (extra: string): Piece[] => {
    const written = inner?.text ? [slice(selectorField, latency.selector!, inner.start, inner.start + inner.text.length)] : [];
    return [own('{'), ...written, own(`${written.length && extra ? ',' : ''}${extra}}`)];
  };
  return [
    { field: bucketField, pieces: [own('sum(rate('), slice(bucketField, latency.bucket), ...matchers(`le="${latency.le}"`), own(`[${window}]))`)] },
    // The histogram's count has the bucket's labels (but le): the written matchers are checked once, on the bucket.
    { field: bucketField, pieces: [own('sum(rate('), { text: count, from: { field: bucketField, start: 0, end: latency.bucket.length } }, own(`[${window}]))`)] },
  ];
}
