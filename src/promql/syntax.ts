import type { SyntaxNode, Tree } from '@lezer/common';
import type { OffsetMap } from './offsets.ts';
import { checkBrackets, type Token } from './scanner.ts';
import type { PromqlProblem } from './types.ts';
import { durationProblem } from '../util/duration.ts';

/** The rewritten text that was parsed and the way back to the original: what the analysis of its tree reads. */
export interface ParsedText {
  original: string;
  text: string;
  map: OffsetMap;
  grafana: boolean;
}

/** A ParsedText and its tokens, which the syntax problems are told from. */
export interface Source extends ParsedText {
  /** Tokens of `text` without comments. */
  tokens: Token[];
}

const BRACKET_NAMES: Record<string, string> = { '(': 'parenthesis', '[': 'bracket', '{': 'brace' };
const CLOSE_OF: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const OPEN_OF: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const AGGREGATORS = new Set(['avg', 'bottomk', 'count', 'count_values', 'group', 'max', 'min', 'quantile', 'stddev', 'stdvar', 'sum', 'topk']);
const MATCH_OPS = new Set(['=', '!=', '=~', '!~']);
const DURATION_RUN = /^(?:[0-9]+(?:ms|[smhdwy])){2,}$/;

/**
 * Syntax problems, in original offsets. Lezer marks where it recovered but gives no message, and tends to
 * report a missing bracket at the end of input, so bracket balance and unterminated strings come from the
 * token stream and the lezer errors they explain are dropped.
 */
export function syntaxProblems(tree: Tree, src: Source, errors: { from: number; to: number }[] = errorNodes(tree)): PromqlProblem[] {
  const { text, tokens } = src;
  const orig = (t: { start: number; end: number }) => ({ start: src.map.start(t.start), end: src.map.end(t.end) });
  const origText = (t: { start: number; end: number }) => {
    const r = orig(t);
    return src.original.slice(r.start, r.end);
  };
  const problem = (t: { start: number; end: number }, message: string, hint: string): PromqlProblem => ({
    code: 'promql/syntax',
    message,
    ...orig(t),
    hint,
  });

  if (tokens.length === 0) {
    return [{ code: 'promql/syntax', message: 'empty expression', start: 0, end: src.original.length, hint: 'write a PromQL expression, e.g. up{job="api"}' }];
  }

  const problems: PromqlProblem[] = [];
  const unterminated = tokens.find((t) => t.kind === 'string' && !t.terminated);
  if (unterminated) {
    const quote = text[unterminated.start]!;
    problems.push(problem(unterminated, 'unterminated string literal', `add the closing ${quote}`));
  }
  const unmatchedClosers = new Set<number>();
  let unclosed = false;
  for (const b of checkBrackets(text, tokens)) {
    if (b.kind === 'unmatched') {
      unmatchedClosers.add(b.token.start);
      problems.push(problem(b.token, `unexpected token '${b.char}'`, `there is no '${OPEN_OF[b.char]}' for it to close; remove it or add the missing '${OPEN_OF[b.char]}'`));
    } else {
      unclosed = true;
      // The string swallowed the rest of the line, closing bracket included.
      if (unterminated && b.token.start < unterminated.start) continue;
      problems.push(problem(b.token, `unclosed ${BRACKET_NAMES[b.char]}`, `add the matching '${CLOSE_OF[b.char]}'`));
    }
  }

  for (const err of mergedErrors(errors, tokens)) {
    // The offending token is the one at (or first after) the place lezer gave up.
    const idx = firstTokenEndingAfter(tokens, err.from);
    if (idx < 0) {
      if (unclosed || unterminated) continue;
      const last = tokens[tokens.length - 1]!;
      const end = orig(last).end;
      problems.push({ code: 'promql/syntax', message: 'unexpected end of input', start: end - 1, end, hint: endHint(origText(last).toLowerCase(), last) });
      continue;
    }
    const tok = tokens[idx]!;
    if (unmatchedClosers.has(tok.start)) continue;
    if (unterminated && tok.start >= unterminated.start) continue;
    const prev = tokens[idx - 1];
    const word = origText(tok);
    const grouping = misplacedGrouping(tree, src, idx);
    if (grouping) {
      problems.push({ code: 'promql/type', ...orig(grouping.range), message: grouping.message, hint: grouping.hint });
      continue;
    }
    const shown = word.length > 24 ? `${word.slice(0, 24)}…` : word;
    if (DURATION_RUN.test(word) && durationProblem(word)?.startsWith('not a valid')) {
      // `30m1h`, `1m1m`: a run of durations Prometheus refuses to read as one.
      problems.push(problem(tok, `not a valid duration string: "${shown}"`, 'write the units from the largest to the smallest, each once: 1h30m, 2d12h'));
      continue;
    }
    const message = tok.kind === 'other' ? `unexpected character '${shown}'` : `unexpected token '${shown}'`;
    problems.push(problem(tok, message, tokenHint(tree, src, tok, prev, word)));
  }

  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.start}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Where lezer recovered: its error nodes (outermost), in tree order. */
export function errorNodes(tree: Tree): { from: number; to: number }[] {
  const errors: { from: number; to: number }[] = [];
  tree.iterate({
    enter: (n) => {
      if (!n.type.isError) return true;
      errors.push({ from: n.from, to: n.to });
      return false;
    },
  });
  return errors;
}

/** Error nodes, with runs separated only by whitespace merged: lezer often reports one mistake twice. */
function mergedErrors(found: readonly { from: number; to: number }[], tokens: readonly Token[]): { from: number; to: number }[] {
  const errors = found.slice().sort((a, b) => a.from - b.from);
  const merged: { from: number; to: number }[] = [];
  for (const e of errors) {
    const last = merged[merged.length - 1];
    const between = firstTokenStartingAt(tokens, last?.to ?? 0);
    if (last && !(between < tokens.length && tokens[between]!.start < e.from)) {
      last.to = Math.max(last.to, e.to);
      continue;
    }
    merged.push({ ...e });
  }
  return merged;
}

/** Index of the first token that ends after `offset` (tokens are in order), or -1. */
function firstTokenEndingAfter(tokens: readonly Token[], offset: number): number {
  const i = firstIndex(tokens, (t) => t.end > offset);
  return i < tokens.length ? i : -1;
}

/** Index of the first token that starts at or after `offset`, or tokens.length. */
function firstTokenStartingAt(tokens: readonly Token[], offset: number): number {
  return firstIndex(tokens, (t) => t.start >= offset);
}

/** Binary search: the first index where `past` holds, for a predicate that is false and then true along the list. */
function firstIndex(tokens: readonly Token[], past: (t: Token) => boolean): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (past(tokens[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The first bracket opened more than `max` levels deep, or undefined. Checked before parsing: lezer's recovery on
 * such input is super-linear and its tree building recursive, so a hostile expression never reaches the parser.
 */
export function firstTooDeep(text: string, tokens: readonly Token[], max: number): Token | undefined {
  let depth = 0;
  for (const t of tokens) {
    if (t.kind !== 'punct') continue;
    const c = text[t.start];
    if (c === '(' || c === '[' || c === '{') {
      if (++depth > max) return t;
    } else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
  }
  return undefined;
}

function endHint(last: string, token: Token): string {
  if (last === ',') return "an argument is missing after ','";
  if (GROUPING.has(last)) return `'${last}' must be followed by a list of labels in parentheses, e.g. ${last} (job)`;
  if (last === 'offset') return "'offset' must be followed by a duration, e.g. offset 5m";
  if (last === '@') return "'@' must be followed by a Unix timestamp or start() / end()";
  if (last === 'bool') return "'bool' must be followed by the right-hand side of the comparison";
  if (AGGREGATORS.has(last)) return `'${last}' must be followed by its arguments, e.g. ${last}(x)`;
  if (token.kind === 'op' || /^(and|or|unless|atan2)$/.test(last)) return `'${last}' needs an expression on its right-hand side`;
  return 'the expression is incomplete';
}

const endsExpression = (t: Token, ch: string) =>
  t.kind === 'ident' || t.kind === 'number' || t.kind === 'string' || ch === ')' || ch === ']' || ch === '}';
const startsExpression = (t: Token, ch: string) =>
  t.kind === 'ident' || t.kind === 'number' || t.kind === 'string' || ch === '(' || ch === '{';

function tokenHint(tree: Tree, src: Source, tok: Token, prev: Token | undefined, word: string): string {
  const { text } = src;
  const lower = word.toLowerCase();
  if (!src.grafana && (word.startsWith('$') || word.startsWith('[['))) {
    return 'this looks like a Grafana template variable; analyse dashboard queries with the grafana option';
  }
  if (lower === 'by' || lower === 'without') {
    return `'${lower}' only applies to aggregations (sum, avg, max, …), e.g. sum ${lower} (job) (rate(x[5m]))`;
  }
  const prevText = prev ? text.slice(prev.start, prev.end) : '';
  if (insideMatchers(tree, tok.start)) {
    if (MATCH_OPS.has(prevText)) return 'label values must be quoted strings, e.g. job="api"';
    if (prev?.kind === 'string') return "separate label matchers with ','";
    return 'label matchers look like {job="api", code=~"5.."}';
  }
  if (word === '=') return "use '==' to compare values";
  const ch = text[tok.start]!;
  if (prev && endsExpression(prev, text[prev.start]!) && startsExpression(tok, ch)) {
    return "two expressions follow each other: an operator (+, and, …) or a ',' is missing between them";
  }
  if (tok.kind === 'op' && (!prev || prev.kind === 'op' || prevText === '(' || prevText === ',')) {
    return `an expression is missing before '${word}'`;
  }
  return 'check the PromQL syntax here';
}

function insideMatchers(tree: Tree, pos: number): boolean {
  for (let n: SyntaxNode | null = tree.resolveInner(pos, 1); n; n = n.parent) {
    if (n.name === 'LabelMatchers') return true;
    if (n.type.is('Expr') && n.name !== 'VectorSelector') return false;
  }
  return false;
}

/**
 * `rate(x[5m]) by (job)`: Prometheus only says "unexpected <by>"; the real mistake is grouping something
 * that is not an aggregation, so it gets its own message, covering `by (...)`.
 */
function misplacedGrouping(
  tree: Tree,
  src: Source,
  idx: number,
): { range: { start: number; end: number }; message: string; hint: string } | undefined {
  const { text, tokens } = src;
  const tok = tokens[idx]!;
  const prev = tokens[idx - 1];
  const keyword = text.slice(tok.start, tok.end).toLowerCase();
  if ((keyword !== 'by' && keyword !== 'without') || !prev) return undefined;
  // The largest expression ending right before the keyword; lezer may have glued the keyword onto a selector.
  let operand: SyntaxNode | null = null;
  for (let n: SyntaxNode | null = tree.resolve(prev.end, -1); n; n = n.parent) {
    if (n.to !== prev.end) {
      if (!operand && n.type.is('Expr')) operand = n;
      break;
    }
    if (n.type.is('Expr')) operand = n;
  }
  if (!operand || operand.name === 'AggregateExpr') return undefined;
  let end = tok.end;
  const open = tokens[idx + 1];
  if (open && text[open.start] === '(') {
    const close = tokens.slice(idx + 2).find((t) => text[t.start] === ')' || text[t.start] === '(');
    if (close && text[close.start] === ')') end = close.end;
  }
  const original = (from: number, to: number) => src.original.slice(src.map.start(from), src.map.end(to));
  const clause = end > tok.end ? original(tok.start, end) : `${keyword} (job)`;
  const operandEnd = Math.min(operand.to, prev.end);
  const what =
    operand.name === 'FunctionCall'
      ? `function "${original(operand.from, (operand.getChild('FunctionIdentifier') ?? operand).to)}"`
      : operand.name === 'VectorSelector' || operand.name === 'MatrixSelector'
        ? 'a selector'
        : 'an expression that is not an aggregation';
  return {
    range: { start: tok.start, end },
    message: `'${keyword}' is only allowed on aggregation operators (sum, avg, max, …), not on ${what}`,
    hint: `aggregate the result instead, e.g. sum ${clause} (${original(operand.from, operandEnd)})`,
  };
}
