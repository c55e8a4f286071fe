import { LineIndex, type Diagnostic } from '../diagnostics.ts';
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

/** Source lines longer than this are shown as a window around the problem, so the report grows with the problems. */
const MAX_SHOWN = 160;

/** `file:line:col: error[code]: message`, the source line with a caret under the span, then the hint. */
export function formatText(diagnostics: readonly Diagnostic[], sources: readonly SourceFile[], style: Style = plainStyle): string {
  const texts = new Map(sources.map((s) => [s.file, s.text]));
  const indexes = new Map<string, LineIndex | undefined>();
  const indexOf = (file: string): LineIndex | undefined => {
    if (!indexes.has(file)) {
      const text = texts.get(file);
      indexes.set(file, text === undefined ? undefined : new LineIndex(text));
    }
    return indexes.get(file);
  };
  // Every excerpt masks every concealed span of its file, whichever problem it is printed for.
  const concealed = new Map<string, { start: number; end: number }[]>();
  for (const d of diagnostics) if (d.conceal && d.span) (concealed.get(d.span.file) ?? concealed.set(d.span.file, []).get(d.span.file)!).push(d.span);
  const out: string[] = [];
  for (const d of diagnostics) {
    const sev = d.severity === 'error' ? style.red(style.bold('error')) : style.yellow(style.bold('warning'));
    const index = d.span ? indexOf(d.span.file) : undefined;
    let where = d.span?.file ?? '';
    if (d.span && index) {
      const { line, col } = index.at(d.span.start);
      where = `${d.span.file}:${line}:${col}`;
    }
    out.push(`${where ? style.bold(where) + ': ' : ''}${sev}[${style.cyan(d.code)}]: ${d.message}`);
    if (d.span && index) out.push(...caret(index, d.span.start, d.span.end, style, concealed.get(d.span.file)));
    if (d.hint) out.push(`  ${style.dim('hint:')} ${d.hint}`);
    for (const r of d.related ?? []) {
      const pos = indexOf(r.span.file)?.at(r.span.start);
      out.push(`  ${style.dim('note:')} ${r.message} (${r.span.file}${pos ? `:${pos.line}:${pos.col}` : ''})`);
    }
  }
  return out.length ? out.join('\n') + '\n' : '';
}

function caret(index: LineIndex, start: number, end: number, style: Style, concealed: readonly { start: number; end: number }[] = []): string[] {
  const { text } = index;
  const { line } = index.at(start);
  const bounds = index.lineAround(start);
  const at = Math.min(Math.max(start, bounds.start), bounds.end);
  const stop = Math.max(Math.min(end, bounds.end), at + 1);
  // A window of the line that holds the start of the span; "…" marks what was cut.
  let from = bounds.start;
  let to = bounds.end;
  if (to - from > MAX_SHOWN) {
    from = Math.max(bounds.start, at - MAX_SHOWN / 4);
    to = Math.min(bounds.end, from + MAX_SHOWN);
  }
  const before = from > bounds.start ? '…' : '';
  const after = to < bounds.end ? '…' : '';
  const source = before + masked(text, from, to, concealed).replace(/\t/g, ' ') + after;
  const width = Math.max(1, Math.min(stop, to) - at);
  const gutter = String(line).length;
  return [
    `  ${style.dim(`${line} |`)} ${source}`,
    `  ${style.dim(`${' '.repeat(gutter)} |`)} ${' '.repeat(before.length + at - from)}${style.red('^'.repeat(width))}`,
  ];
}

/** text[from, to) with each character inside a concealed span replaced by `*` (same width: the caret still lines up). */
function masked(text: string, from: number, to: number, concealed: readonly { start: number; end: number }[]): string {
  let shown = text.slice(from, to);
  for (const span of concealed) {
    const a = Math.max(span.start, from);
    const b = Math.min(span.end, to);
    if (a < b) shown = shown.slice(0, a - from) + '*'.repeat(b - a) + shown.slice(b - from);
  }
  return shown;
}
