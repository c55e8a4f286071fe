import { applyReplacements, type OffsetMap, type Replacement } from './offsets.ts';
import { scan, type Token } from './scanner.ts';

/** What a template variable is replaced with, depending on where it stands. */
export const PLACEHOLDER = {
  duration: '5m',
  number: '1',
  // Must lex both as a metric name and as a label name, and be no keyword or function.
  identifier: 'grafana_var',
} as const;

/** Grafana's built-in variables that expand to durations (`1m`) rather than numbers. */
const DURATION_VARIABLES = new Set(['__rate_interval', '__interval', '__range', '__auto']);

const GROUPING_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

type Context = 'group' | 'paren' | 'range' | 'matchers';

/** The variable's name: `$x`, `${x}`, `${x:csv}`, `[[x]]` and `[[x:csv]]` are all `x`. */
export function templateVariableName(token: string): string {
  const m = /^(?:\$\{([^}:]*)|\$([A-Za-z0-9_]+)|\[\[([^\]:]*))/.exec(token);
  return m?.[1] ?? m?.[2] ?? m?.[3] ?? token;
}

const isWordish = (t: Token) => t.kind === 'template' || t.kind === 'ident' || t.kind === 'number';

/**
 * Replaces Grafana template variables by text that parses as PromQL, keeping a map back to the original offsets.
 * Variables inside string literals are kept: they are part of a label value or regex.
 */
export function substituteGrafanaVariables(expr: string): { text: string; map: OffsetMap } {
  const tokens = scan(expr, true);
  const replacements: Replacement[] = [];
  const stack: Context[] = [];
  let prev: Token | undefined;

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'comment') continue;
    const ch = expr[t.start];
    if (t.kind === 'punct') {
      if (ch === '(') {
        const word = prev?.kind === 'ident' ? expr.slice(prev.start, prev.end).toLowerCase() : '';
        stack.push(GROUPING_KEYWORDS.has(word) ? 'group' : 'paren');
      } else if (ch === '[') stack.push('range');
      else if (ch === '{') stack.push('matchers');
      else if (ch === ')' || ch === ']' || ch === '}') stack.pop();
      prev = t;
      continue;
    }
    if (!isWordish(t)) {
      prev = t;
      continue;
    }
    // A variable glued to other name characters (`${env}_requests_total`) forms one word with them.
    let j = i;
    while (j + 1 < tokens.length && isWordish(tokens[j + 1]!) && tokens[j + 1]!.start === tokens[j]!.end) j++;
    const run = tokens.slice(i, j + 1);
    const last = run[run.length - 1]!;
    if (run.some((r) => r.kind === 'template')) {
      const next = tokens.slice(j + 1).find((x) => x.kind !== 'comment');
      const afterOffset = prev?.kind === 'ident' && expr.slice(prev.start, prev.end).toLowerCase() === 'offset';
      replacements.push({
        start: t.start,
        end: last.end,
        text: PLACEHOLDER[placeholderKind(expr, run, stack[stack.length - 1], afterOffset, next)],
      });
    }
    prev = last;
    i = j;
  }
  return applyReplacements(expr, replacements);
}

function placeholderKind(
  expr: string,
  run: Token[],
  context: Context | undefined,
  afterOffset: boolean,
  next: Token | undefined,
): keyof typeof PLACEHOLDER {
  if (context === 'group' || context === 'matchers') return 'identifier';
  const inDuration = context === 'range' || afterOffset;
  if (run.length > 1) {
    if (run[0]!.kind === 'number') return inDuration ? 'duration' : 'number';
    return 'identifier';
  }
  const name = templateVariableName(expr.slice(run[0]!.start, run[0]!.end));
  if (DURATION_VARIABLES.has(name) || inDuration) return 'duration';
  const nextChar = next ? expr[next.start] : undefined;
  if (nextChar === '{' || nextChar === '[') return 'identifier';
  return 'number';
}
