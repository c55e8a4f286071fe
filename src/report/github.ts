import type { Diagnostic } from '../diagnostics.ts';
import type { SourceFile } from '../load/definition.ts';
import { toJsonDiagnostics } from './json.ts';

const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** One GitHub Actions annotation (a workflow command line), with its properties and message escaped as GitHub reads them. */
export function annotation(kind: 'error' | 'warning', properties: Record<string, string | number | undefined>, message: string): string {
  const props = Object.entries(properties)
    .filter(([, v]) => v !== undefined && v !== '' && v !== 0)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? v : escapeProperty(v!)}`);
  return `::${kind} ${props.join(',')}::${escapeData(message)}\n`;
}

/** GitHub Actions workflow commands: each problem becomes an annotation on the pull request's diff. */
export function formatGithub(diagnostics: readonly Diagnostic[], sources: readonly SourceFile[]): string {
  return toJsonDiagnostics(diagnostics, sources)
    .map((d) =>
      annotation(
        d.severity === 'error' ? 'error' : 'warning',
        { file: d.file, line: d.line, col: d.col, endLine: d.endLine, endColumn: d.endCol && d.endLine === d.line ? d.endCol : undefined, title: d.code },
        d.hint ? `${d.message}\nhint: ${d.hint}` : d.message,
      ),
    )
    .join('');
}
