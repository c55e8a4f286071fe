/**
 * Alertmanager's three ways of writing a route's (or an inhibit rule's) matchers — `match`, `match_re` and `matchers` —
 * as Vigil's matcher strings, in the order Alertmanager keeps them once loaded. `match_re` values are regexes
 * Alertmanager anchors itself, as it anchors `=~` matchers: `label=~"value"` means the same.
 */
import { parseMatcher, type SimpleMatcher } from '../model/matchers.ts';
import { formatMatcher, sortMatchers } from '../routing/matchers.ts';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export interface MatcherProblem {
  /** The key under the node where the problem is (`match`, `match_re`, `matchers`) and the entry in it. */
  path: (string | number)[];
  message: string;
  hint?: string;
}

/**
 * The matchers of one node: `<prefix>match`, `<prefix>match_re`, `<prefix>matchers` (prefix `source_`/`target_` for
 * inhibit rules). Every matcher is parsed as Alertmanager would, so an invalid one is a problem here, not at build.
 */
export function matchersOf(node: Record<string, unknown>, prefix = ''): { matchers: SimpleMatcher[]; problems: MatcherProblem[] } {
  const matchers: SimpleMatcher[] = [];
  const problems: MatcherProblem[] = [];
  for (const [key, op] of [
    [`${prefix}match`, '='],
    [`${prefix}match_re`, '=~'],
  ] as const) {
    const map = node[key];
    if (map === undefined || map === null) continue;
    if (typeof map !== 'object' || Array.isArray(map)) {
      problems.push({ path: [key], message: `\`${key}\` must be a mapping of label names to ${op === '=' ? 'values' : 'regexes'}` });
      continue;
    }
    for (const [label, raw] of Object.entries(map as Record<string, unknown>)) {
      if (!LABEL_NAME.test(label)) {
        problems.push({ path: [key, label], message: `${JSON.stringify(label)} is not a label name` });
        continue;
      }
      if (typeof raw === 'object' && raw !== null) {
        problems.push({ path: [key, label], message: `\`${key}.${label}\` must be a single value` });
        continue;
      }
      const checked = parseMatcher(formatMatcher({ label, op, value: raw === null ? '' : String(raw) }));
      if ('error' in checked) problems.push({ path: [key, label], message: checked.error, ...(checked.hint ? { hint: checked.hint } : {}) });
      else matchers.push(checked);
    }
  }
  const list = node[`${prefix}matchers`];
  if (list !== undefined && list !== null) {
    if (!Array.isArray(list)) problems.push({ path: [`${prefix}matchers`], message: `\`${prefix}matchers\` must be a list of matcher strings` });
    else
      list.forEach((text, i) => {
        const path = [`${prefix}matchers`, i];
        if (typeof text !== 'string') return problems.push({ path, message: 'a matcher is a string such as severity="critical"' });
        for (const part of splitMatchers(text)) {
          const parsed = parseMatcher(part);
          if ('error' in parsed) problems.push({ path, message: parsed.error, ...(parsed.hint ? { hint: parsed.hint } : {}) });
          else matchers.push(parsed);
        }
      });
  }
  return { matchers: sortMatchers(matchers), problems };
}

/** Vigil's matcher strings, normalised (`label="value"`) and in Alertmanager's order. */
export const matcherStrings = (matchers: readonly SimpleMatcher[]): string[] => sortMatchers(matchers).map(formatMatcher);

/** Alertmanager 0.25's `labels.ParseMatchers`: one string may hold `{a="1", b=~"2"}`; commas outside quotes split. */
function splitMatchers(text: string): string[] {
  let s = text.trim();
  if (s.startsWith('{')) s = s.slice(1);
  if (s.endsWith('}')) s = s.slice(0, -1);
  const parts: string[] = [];
  let part = '';
  let quoted = false;
  let escaped = false;
  for (const c of s) {
    if (c === ',' && !quoted) {
      parts.push(part);
      part = '';
      continue;
    }
    if (c === '"' && !escaped) quoted = !quoted;
    escaped = c === '\\' ? !escaped : false;
    part += c;
  }
  if (part.trim() !== '') parts.push(part);
  return parts.map((p) => p.trim());
}
