import type * as LezerCommon from '@lezer/common';
import { requirePackage } from '../util/packages.ts';
import { AGGREGATIONS, FUNCTIONS } from './functions.ts';

/**
 * The PromQL grammar's node types by name, as the hand-written parser (fast-parse.ts) gives them to its nodes: made
 * here with lezer's NodeType.define, not taken from the grammar, whose deserialisation (≈ 7 ms at its first use) is
 * then paid only by an expression the fast parser declines. Each has the grammar's name and its membership of the
 * `Expr` group (the only group the analysis asks about: isExprNode); ids start above the grammar's, so a cache by id
 * never takes one for the other. fast-node-types.test.ts compares every type with the grammar's.
 */
const EXPR_GROUP = new Set([
  'AggregateExpr',
  'AnchoredExpr',
  'BinaryExpr',
  'FunctionCall',
  'MatrixSelector',
  'NumberDurationLiteral',
  'OffsetExpr',
  'ParenExpr',
  'SmoothedExpr',
  'StepInvariantExpr',
  'StringLiteral',
  'SubqueryExpr',
  'UnaryExpr',
  'VectorSelector',
]);

/** Above every id of the grammar's node set (187 types in lezer-promql 0.315). */
const FIRST_ID = 10_000;

let made: Map<string, LezerCommon.NodeType> | undefined;

export function fastNodeType(name: string): LezerCommon.NodeType {
  made ??= new Map();
  let type = made.get(name);
  if (!type) {
    const { NodeType, NodeProp } = requirePackage<typeof LezerCommon>('@lezer/common');
    type = NodeType.define({ id: FIRST_ID + made.size, name, props: EXPR_GROUP.has(name) ? [[NodeProp.group, ['Expr']]] : [] });
    made.set(name, type);
  }
  return type;
}

/** Functions of Prometheus 2.42 that the grammar no longer knows as functions: lezer parses `holt_winters(x)` otherwise. */
const NOT_GRAMMAR_CALLS = new Set(['holt_winters']);

/**
 * What the grammar makes of `name(x)` for a function or aggregation of Prometheus 2.42: a FunctionCall or an
 * AggregateExpr whose identifier's only child is the name in PascalCase (`histogram_quantile` → HistogramQuantile).
 * Undefined for any other name, which the caller asks the grammar about. fast-node-types.test.ts compares every name
 * with the grammar's own parse.
 */
export function grammarCall(name: string): { node: 'FunctionCall' | 'AggregateExpr'; inner: string } | undefined {
  const node = FUNCTIONS.has(name) ? 'FunctionCall' : AGGREGATIONS.has(name) ? 'AggregateExpr' : undefined;
  if (!node || NOT_GRAMMAR_CALLS.has(name)) return undefined;
  let inner = '';
  for (const word of name.split('_')) inner += word.charAt(0).toUpperCase() + word.slice(1);
  return { node, inner };
}
