import { promqlParser } from './lezer.ts';
import { applyReplacements, type OffsetMap, type Replacement } from './offsets.ts';
import { scan, significant, type Token } from './scanner.ts';

/**
 * Any name the grammar accepts as a function. The lezer grammar only knows a fixed list of function names,
 * so `holt_winters(x)` (removed in Prometheus 3) or a typo like `rat(x)` would be a syntax error;
 * Prometheus itself reports "unknown function". Such names are swapped for this one before parsing and the
 * analyzer reads the real name back from the original text.
 */
export const FUNCTION_PLACEHOLDER = 'abs';

/** Words that may legitimately precede `(` without being a function call. */
const NON_FUNCTION_KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'and',
  'or',
  'unless',
  'atan2',
  'start',
  'end',
  'fill',
  'fill_left',
  'fill_right',
  'smoothed',
  'anchored',
  'inf',
  'nan',
]);

const callableCache = new Map<string, boolean>();

/** Whether the grammar parses `name(x)` as a call (function or aggregation), asked of the parser itself. */
function grammarCallable(name: string): boolean {
  let known = callableCache.get(name);
  if (known === undefined) {
    let clean = true;
    promqlParser().parse(`${name}(x)`).iterate({
      enter: (n) => {
        if (n.type.isError) clean = false;
        return clean;
      },
    });
    known = clean;
    if (callableCache.size < 10_000) callableCache.set(name, known);
  }
  return known;
}

/** Rewrites calls of names the grammar does not know into calls of FUNCTION_PLACEHOLDER; `tokens`: the text's, without comments. */
export function rewriteUnknownCalls(text: string, tokens: readonly Token[] = significant(scan(text))): { text: string; map: OffsetMap } {
  const replacements: Replacement[] = [];
  const brackets: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const ch = text[t.start]!;
    if (t.kind === 'punct') {
      if (ch === '(' || ch === '[' || ch === '{') brackets.push(ch);
      else if (ch === ')' || ch === ']' || ch === '}') brackets.pop();
      continue;
    }
    if (t.kind !== 'ident') continue;
    const next = tokens[i + 1];
    if (!next || text[next.start] !== '(' || next.kind !== 'punct') continue;
    // Durations have their own function syntax (`[max_of(1m, 2m)]`), left for the analyzer to reject.
    const inner = brackets[brackets.length - 1];
    if (inner === '[' || inner === '{') continue;
    const before = tokens[i - 1];
    if (before && /^(offset|@)$/i.test(text.slice(before.start, before.end))) continue;
    const name = text.slice(t.start, t.end);
    if (NON_FUNCTION_KEYWORDS.has(name.toLowerCase()) || grammarCallable(name)) continue;
    replacements.push({ start: t.start, end: t.end, text: FUNCTION_PLACEHOLDER });
  }
  return applyReplacements(text, replacements);
}
