import { hasErrors, type Diagnostic } from '../diagnostics.ts';
import type { SourceFile } from '../load/definition.ts';
import { formatGithub } from '../report/github.ts';
import { toJsonDiagnostics } from '../report/json.ts';
import { formatText } from '../report/text.ts';
import { styleFor, type CliIO } from './io.ts';

export function printDiagnostics(io: CliIO, format: 'text' | 'json' | 'github', diagnostics: readonly Diagnostic[], sources: readonly SourceFile[]): void {
  if (format === 'github') io.out(formatGithub(diagnostics, sources));
  else if (format === 'text') io.err(formatText(diagnostics, sources, styleFor(io)));
}

export function countSummary(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  return `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
}

/** `ok` is false when there are errors, or when the caller says the run failed for another reason (stale output). */
export function jsonReport(extra: Record<string, unknown>, diagnostics: readonly Diagnostic[], sources: readonly SourceFile[], passed = true): string {
  return JSON.stringify({ ok: passed && !hasErrors(diagnostics), ...extra, diagnostics: toJsonDiagnostics(diagnostics, sources) }, null, 2) + '\n';
}
