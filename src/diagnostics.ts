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
}

export interface LineCol {
  line: number;
  col: number;
}

/** 1-based line and column of an offset. Columns count UTF-16 code units, as editors do. */
export function lineColAt(text: string, offset: number): LineCol {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: end - lineStart + 1 };
}

/** By file and position; problems without a position (project-wide ones) come last. */
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
