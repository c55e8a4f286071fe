import { hasErrors, type Diagnostic } from '../diagnostics.ts';
import type { SourceFile } from '../load/definition.ts';
import type { LoadResult } from '../load/index.ts';
import { allAlerts, type Model } from '../model/types.ts';
import { formatGithub } from '../report/github.ts';
import { toJsonDiagnostics } from '../report/json.ts';
import { formatText } from '../report/text.ts';
import { styleFor, type CliIO } from './io.ts';

/** Diagnostics and sources with file names the user can open from the working directory. */
export function forDisplay(loaded: LoadResult, diagnostics: readonly Diagnostic[]): { diagnostics: Diagnostic[]; sources: SourceFile[] } {
  const names = loaded.displayNames;
  const name = (file: string) => names?.get(file) ?? file;
  return {
    sources: loaded.sources.map((s) => ({ file: name(s.file), text: s.text })),
    diagnostics: diagnostics.map((d) => ({
      ...d,
      ...(d.span ? { span: { file: name(d.span.file), start: d.span.start, end: d.span.end } } : {}),
      ...(d.related ? { related: d.related.map((r) => ({ ...r, span: { file: name(r.span.file), start: r.span.start, end: r.span.end } })) } : {}),
    })),
  };
}

export function printDiagnostics(io: CliIO, format: 'text' | 'json' | 'github', loaded: LoadResult, all: readonly Diagnostic[]): void {
  const { diagnostics, sources } = forDisplay(loaded, all);
  if (format === 'github') (io.annotate ?? io.out)(formatGithub(diagnostics, sources));
  else if (format === 'text') io.err(formatText(diagnostics, sources, styleFor(io)));
}

export function countSummary(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  return `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
}

/** `ok` is false when there are errors, or when the caller says the run failed for another reason (stale output). */
export function jsonReport(extra: Record<string, unknown>, loaded: LoadResult, all: readonly Diagnostic[], passed = true): string {
  const { diagnostics, sources } = forDisplay(loaded, all);
  return JSON.stringify({ ok: passed && !hasErrors(diagnostics), ...extra, diagnostics: toJsonDiagnostics(diagnostics, sources) }, null, 2) + '\n';
}

/**
 * The alerts of the model, and how many more are written in AlertRules definitions the model could not take (they
 * have errors): "7 alerts" for a project of 12 would read as if 5 were lost.
 */
export function alertCount(loaded: LoadResult, model: Model): { counted: number; notCounted: number; text: string } {
  const alerts = allAlerts(model);
  const modelled = new Set(alerts.map((a) => a.origin.def));
  let notCounted = 0;
  for (const def of loaded.definitions) {
    const value = def.value as { kind?: unknown; alerts?: unknown } | null;
    if (value === null || typeof value !== 'object' || value.kind !== 'AlertRules' || modelled.has(def)) continue;
    if (Array.isArray(value.alerts)) notCounted += value.alerts.length;
  }
  const counted = alerts.length;
  const text = `${counted} alert${counted === 1 ? '' : 's'}${notCounted ? ` (${notCounted} more in definitions with errors, not counted)` : ''}`;
  return { counted, notCounted, text };
}
