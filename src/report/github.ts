import type { Diagnostic } from '../diagnostics.ts';
import type { SourceFile } from '../load/definition.ts';
import { toJsonDiagnostics } from './json.ts';

const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** GitHub Actions workflow commands: each problem becomes an annotation on the pull request's diff. */
export function formatGithub(diagnostics: readonly Diagnostic[], sources: readonly SourceFile[]): string {
  return toJsonDiagnostics(diagnostics, sources)
    .map((d) => {
      const props = [
        d.file ? `file=${escapeProperty(d.file)}` : '',
        d.line ? `line=${d.line}` : '',
        d.col ? `col=${d.col}` : '',
        d.endLine ? `endLine=${d.endLine}` : '',
        d.endCol && d.endLine === d.line ? `endColumn=${d.endCol}` : '',
        `title=${escapeProperty(d.code)}`,
      ].filter(Boolean);
      const message = d.hint ? `${d.message}\nhint: ${d.hint}` : d.message;
      return `::${d.severity === 'error' ? 'error' : 'warning'} ${props.join(',')}::${escapeData(message)}`;
    })
    .map((l) => l + '\n')
    .join('');
}
