import type { Span } from '../diagnostics.ts';
import type { ExpressionModel } from '../model/types.ts';
import type { Located, SelectorFact } from '../promql/index.ts';
import { COUNTER_RANGE_FUNCTIONS } from '../promql/index.ts';
import type { CheckContext } from './check.ts';

interface FoundSelector {
  expression: ExpressionModel;
  selector: SelectorFact;
  span: (at: Located) => Span;
}

// Five checks walk every selector of every expression (tens of thousands in a large project): listed once per compile
// and list of expressions (the model's, or one definition file's).
const selectorLists = new WeakMap<CheckContext, WeakMap<readonly ExpressionModel[], FoundSelector[]>>();
const counterLists = new WeakMap<CheckContext, WeakMap<readonly ExpressionModel[], ReturnType<typeof listCounterFunctions>>>();

function listsOf<T>(lists: WeakMap<CheckContext, WeakMap<readonly ExpressionModel[], T>>, ctx: CheckContext): WeakMap<readonly ExpressionModel[], T> {
  let of = lists.get(ctx);
  if (!of) lists.set(ctx, (of = new WeakMap()));
  return of;
}

/** Each selector of each parsed expression, with where to report inside it (shared by the semantic promql/ checks). */
export function selectorsOf(ctx: CheckContext, expressions: readonly ExpressionModel[] = ctx.model.expressions): readonly FoundSelector[] {
  const lists = listsOf(selectorLists, ctx);
  let list = lists.get(expressions);
  if (!list) {
    list = [];
    for (const expression of expressions) {
      const facts = ctx.analyze(expression).facts;
      if (!facts) continue;
      const span = (at: Located) => expression.origin.def.locateInString(expression.origin.path, at.start, at.end);
      for (const selector of facts.selectors) list.push({ expression, selector, span });
    }
    lists.set(expressions, list);
  }
  return list;
}

/** The catalogue entry of a metric name, when it is a catalogued metric (not external, not a recording rule). */
export function catalogued(ctx: CheckContext, name: string | undefined) {
  const origin = name === undefined ? undefined : ctx.catalog.resolve(name);
  return origin?.kind === 'catalog' ? origin : undefined;
}

/** rate(), irate() or increase() over a range of a catalogued metric: what the counter-function checks judge. */
export function counterFunctionsOnCatalogued(ctx: CheckContext, expressions: readonly ExpressionModel[] = ctx.model.expressions) {
  const lists = listsOf(counterLists, ctx);
  let list = lists.get(expressions);
  if (!list) lists.set(expressions, (list = listCounterFunctions(ctx, expressions)));
  return list;
}

function listCounterFunctions(ctx: CheckContext, expressions: readonly ExpressionModel[]) {
  const list = [];
  for (const found of selectorsOf(ctx, expressions)) {
    const fn = found.selector.call?.name;
    if (!fn || !COUNTER_RANGE_FUNCTIONS.has(fn) || !found.selector.range) continue;
    const origin = catalogued(ctx, found.selector.metric);
    // A literal, not a spread of `found`: one object per counter selector of a large project.
    if (origin) list.push({ expression: found.expression, selector: found.selector, span: found.span, fn, range: found.selector.range, origin });
  }
  return list;
}
