import type { Span } from '../diagnostics.ts';
import type { CheckContext } from './check.ts';

/** One occurrence of a name that must be unique; `key` (default: the name) is what makes two the same. */
export interface Occurrence {
  name: string;
  key?: string;
  /** Computed only for repeats and the first of each. */
  span: () => Span;
  /** The definition file it is in, for a hint that names where the first one is. */
  file?: string;
}

export interface RepeatWords<T extends Occurrence> {
  message: (repeat: T) => string;
  hint: (repeat: T, first: T) => string;
  /** Defaults to the check's severity. */
  severity?: 'warning';
}

/** Reports every repeat of a name after its first occurrence, at the repeat, pointing back at the first. */
export function reportRepeats<T extends Occurrence>(ctx: CheckContext, items: Iterable<T>, words: RepeatWords<T>): void {
  const first = new Map<string, T>();
  for (const item of items) {
    const key = item.key ?? item.name;
    const earlier = first.get(key);
    if (!earlier) {
      first.set(key, item);
      continue;
    }
    ctx.report({
      message: words.message(item),
      span: item.span(),
      hint: words.hint(item, earlier),
      related: [{ span: earlier.span(), message: 'first defined here' }],
      ...(words.severity ? { severity: words.severity } : {}),
    });
  }
}
