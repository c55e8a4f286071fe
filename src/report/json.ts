import { LineIndex, type Diagnostic } from '../diagnostics.ts';
import type { SourceFile } from '../load/definition.ts';

export interface JsonDiagnostic {
  code: string;
  severity: string;
  message: string;
  file?: string;
  line?: number;
  col?: number;
  endLine?: number;
  endCol?: number;
  hint?: string;
}

export function toJsonDiagnostics(diagnostics: readonly Diagnostic[], sources: readonly SourceFile[]): JsonDiagnostic[] {
  const texts = new Map(sources.map((s) => [s.file, s.text]));
  const indexes = new Map<string, LineIndex>();
  const indexOf = (file: string, text: string) => indexes.get(file) ?? indexes.set(file, new LineIndex(text)).get(file)!;
  return diagnostics.map((d) => {
    const out: JsonDiagnostic = { code: d.code, severity: d.severity, message: d.message };
    if (d.span) {
      out.file = d.span.file;
      const text = texts.get(d.span.file);
      if (text !== undefined) {
        const index = indexOf(d.span.file, text);
        const s = index.at(d.span.start);
        const e = index.at(d.span.end);
        Object.assign(out, { line: s.line, col: s.col, endLine: e.line, endCol: e.col });
      }
    }
    if (d.hint) out.hint = d.hint;
    return out;
  });
}
