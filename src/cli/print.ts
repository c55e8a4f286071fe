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

export function jsonReport(extra: Record<string, unknown>, diagnostics: readonly Diagnostic[], sources: readonly SourceFile[]): string {
  return JSON.stringify({ ok: !hasErrors(diagnostics), ...extra, diagnostics: toJsonDiagnostics(diagnostics, sources) }, null, 2) + '\n';
}
