import type { Span } from '../diagnostics.ts';
import type { SourceFile } from './definition.ts';

/** `# vigil-disable-next-line metric/naming, alert/name-style: upstream names` (YAML) or `// …` (TypeScript). */
export interface DisableComment {
  file: string;
  /** 1-based line the comment silences: the next line that is not itself a disable comment. */
  targetLine: number;
  ids: string[];
  reason: string;
  span: Span;
  /** Why the comment is not valid (it then silences nothing). */
  problem?: string;
}

export const DISABLE_DIRECTIVE = 'vigil-disable-next-line';

const COMMENT = /^[ \t]*(?:#|\/\/)[ \t]*(vigil-disable[\w-]*)(.*)$/;

/**
 * The disable comments of a file. A comment line only: a `#` inside a YAML string or block scalar that happens to
 * start a line is read too, and then reported unused, never silently applied to something else.
 */
export function readDisableComments(source: SourceFile): DisableComment[] {
  if (!source.text.includes('vigil-disable')) return [];
  const out: DisableComment[] = [];
  const lines = source.text.split('\n');
  let offset = 0;
  const pending: DisableComment[] = [];
  lines.forEach((line, i) => {
    const m = COMMENT.exec(line.replace(/\r$/, ''));
    if (m) {
      const start = offset + line.indexOf(m[1]!);
      const span = { file: source.file, start, end: offset + line.replace(/\r$/, '').length };
      const comment: DisableComment = { file: source.file, targetLine: 0, ids: [], reason: '', span };
      if (m[1] !== DISABLE_DIRECTIVE) comment.problem = `unknown directive "${m[1]}"; the directive is ${DISABLE_DIRECTIVE}`;
      else {
        const rest = m[2]!;
        const colon = rest.indexOf(':');
        comment.ids = (colon === -1 ? rest : rest.slice(0, colon)).split(/[\s,]+/).filter(Boolean);
        comment.reason = colon === -1 ? '' : rest.slice(colon + 1).trim();
        if (comment.ids.length === 0) comment.problem = 'names no check id';
        else if (comment.reason === '') comment.problem = 'gives no reason: write the reason after a colon';
      }
      pending.push(comment);
      out.push(comment);
    } else {
      for (const c of pending) c.targetLine = i + 1;
      pending.length = 0;
    }
    offset += line.length + 1;
  });
  for (const c of pending) c.targetLine = lines.length + 1;
  return out;
}
