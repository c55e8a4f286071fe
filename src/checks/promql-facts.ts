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

// Five checks walk every selector of every expression (tens of thousands in a large project): listed once per compile.
const selectorLists = new WeakMap<CheckContext, FoundSelector[]>();
const counterLists = new WeakMap<CheckContext, ReturnType<typeof listCounterFunctions>>();

/** Each selector of each parsed expression, with where to report inside it (shared by the semantic promql/ checks). */
export function selectorsOf(ctx: CheckContext): readonly FoundSelector[] {
  let list = selectorLists.get(ctx);
  if (!list) {
    list = [];
    for (const expression of ctx.model.expressions) {
      const facts = ctx.analyze(expression).facts;
      if (!facts) continue;
      const span = (at: Located) => expression.origin.def.locateInString(expression.origin.path, at.start, at.end);
      for (const selector of facts.selectors) list.push({ expression, selector, span });
    }
    selectorLists.set(ctx, list);
  }
  return list;
}

/** The catalogue entry of a metric name, when it is a catalogued metric (not external, not a recording rule). */
export function catalogued(ctx: CheckContext, name: string | undefined) {
  const origin = name === undefined ? undefined : ctx.catalog.resolve(name);
  return origin?.kind === 'catalog' ? origin : undefined;
}

/** rate(), irate() or increase() over a range of a catalogued metric: what the counter-function checks judge. */
export function counterFunctionsOnCatalogued(ctx: CheckContext) {
  let list = counterLists.get(ctx);
  if (!list) counterLists.set(ctx, (list = listCounterFunctions(ctx)));
  return list;
}

function listCounterFunctions(ctx: CheckContext) {
  const list = [];
  for (const found of selectorsOf(ctx)) {
    const fn = found.selector.call?.name;
    if (!fn || !COUNTER_RANGE_FUNCTIONS.has(fn) || !found.selector.range) continue;
    const origin = catalogued(ctx, found.selector.metric);
    if (origin) list.push({ ...found, fn, range: found.selector.range, origin });
  }
  return list;
}
