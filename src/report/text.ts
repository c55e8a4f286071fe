import { lineColAt, type Diagnostic } from '../diagnostics.ts';
import type { SourceFile } from '../load/definition.ts';

export interface Style {
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export const plainStyle: Style = { red: (s) => s, yellow: (s) => s, cyan: (s) => s, dim: (s) => s, bold: (s) => s };

export const ansiStyle: Style = {
  red: (s) => `\x1b[31m${s}\x1b[39m`,
  yellow: (s) => `\x1b[33m${s}\x1b[39m`,
  cyan: (s) => `\x1b[36m${s}\x1b[39m`,
  dim: (s) => `\x1b[2m${s}\x1b[22m`,
  bold: (s) => `\x1b[1m${s}\x1b[22m`,
};

/** `file:line:col: error[code]: message`, the source line with a caret under the span, then the hint. */
export function formatText(diagnostics: readonly Diagnostic[], sources: readonly SourceFile[], style: Style = plainStyle): string {
  const texts = new Map(sources.map((s) => [s.file, s.text]));
  const out: string[] = [];
  for (const d of diagnostics) {
    const sev = d.severity === 'error' ? style.red(style.bold('error')) : style.yellow(style.bold('warning'));
    const text = d.span ? texts.get(d.span.file) : undefined;
    let where = d.span?.file ?? '';
    if (d.span && text !== undefined) {
      const { line, col } = lineColAt(text, d.span.start);
      where = `${d.span.file}:${line}:${col}`;
    }
    out.push(`${where ? style.bold(where) + ': ' : ''}${sev}[${style.cyan(d.code)}]: ${d.message}`);
    if (d.span && text !== undefined) out.push(...caret(text, d.span.start, d.span.end, style));
    if (d.hint) out.push(`  ${style.dim('hint:')} ${d.hint}`);
    for (const r of d.related ?? []) {
      const rt = texts.get(r.span.file);
      const pos = rt !== undefined ? lineColAt(rt, r.span.start) : undefined;
      out.push(`  ${style.dim('note:')} ${r.message} (${r.span.file}${pos ? `:${pos.line}:${pos.col}` : ''})`);
    }
  }
  return out.length ? out.join('\n') + '\n' : '';
}

function caret(text: string, start: number, end: number, style: Style): string[] {
  const { line, col } = lineColAt(text, start);
  const lineStart = start - (col - 1);
  let lineEnd = text.indexOf('\n', lineStart);
  if (lineEnd === -1) lineEnd = text.length;
  const source = text.slice(lineStart, lineEnd).replace(/\t/g, ' ');
  const width = Math.max(1, Math.min(end, lineEnd) - start);
  const gutter = String(line).length;
  return [
    `  ${style.dim(`${line} |`)} ${source}`,
    `  ${style.dim(`${' '.repeat(gutter)} |`)} ${' '.repeat(col - 1)}${style.red('^'.repeat(width))}`,
  ];
}
