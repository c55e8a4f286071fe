/** The one problem type every stage reports. Tests assert on `code` and the span's line:col. */
export type Severity = 'error' | 'warning';

/** A range of a source file, as offsets into its text; turned into line:col only when printed. */
export interface Span {
  file: string;
  start: number;
  end: number;
}

export interface Diagnostic {
  /** Stable check id, e.g. `promql/syntax`. */
  code: string;
  severity: Severity;
  message: string;
  span?: Span;
  hint?: string;
  related?: { span: Span; message: string }[];
  /** The span holds a secret's text: reporters never print it (a CI log is read by more people than the diff). */
  conceal?: true;
}

export interface LineCol {
  line: number;
  col: number;
}

/**
 * The offsets where each line of a text starts, so that an offset becomes line:col by binary search: reporting
 * thousands of problems in one large file costs O(problems × log lines), not O(problems × file size).
 */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  /** 1-based line and column of an offset. Columns count UTF-16 code units, as editors do. */
  at(offset: number): LineCol {
    const end = Math.min(Math.max(offset, 0), this.text.length);
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= end) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: end - this.starts[lo]! + 1 };
  }

  /** The offsets of the line holding `offset`, without its line break. */
  lineAround(offset: number): { start: number; end: number } {
    const { line } = this.at(offset);
    const start = this.starts[line - 1]!;
    const end = line < this.starts.length ? this.starts[line]! - 1 : this.text.length;
    return { start, end };
  }
}

// The last few texts asked about: callers resolve many offsets of the same few files in a row.
const recentIndexes: LineIndex[] = [];

/** The line index of a text, built once for the texts resolved most recently. */
export function lineIndexOf(text: string): LineIndex {
  for (const index of recentIndexes) if (index.text === text) return index;
  const index = new LineIndex(text);
  recentIndexes.unshift(index);
  if (recentIndexes.length > 8) recentIndexes.pop();
  return index;
}

/** 1-based line and column of an offset. Columns count UTF-16 code units, as editors do. */
export function lineColAt(text: string, offset: number): LineCol {
  return lineIndexOf(text).at(offset);
}

/** Each problem once: two checks (or two compiles of one definition) can report the same thing at the same place. */
export function dedupeDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const key = `${d.code}|${d.span?.file}|${d.span?.start}|${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** By file and position; problems without a position (project-wide ones) come last. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  if (!a.span !== !b.span) return a.span ? -1 : 1;
  const fa = a.span?.file ?? '';
  const fb = b.span?.file ?? '';
  if (fa !== fb) return fa < fb ? -1 : 1;
  const sa = a.span?.start ?? -1;
  const sb = b.span?.start ?? -1;
  if (sa !== sb) return sa - sb;
  if (a.code !== b.code) return a.code < b.code ? -1 : 1;
  return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
