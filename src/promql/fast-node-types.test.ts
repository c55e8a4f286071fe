import { describe, expect, it } from 'vitest';
import { fastNodeType, grammarCall } from './fast-node-types.ts';
import { AGGREGATIONS, FUNCTIONS, LATER_FUNCTIONS } from './functions.ts';
import { fastParse } from './fast-parse.ts';
import { isExprNode, type Node } from './ast.ts';
import { promqlParser } from './lezer.ts';

describe('the fast parser node types', () => {
  it("agree with the grammar's type of the same name on the Expr group, and are no error", () => {
    const grammar = promqlParser().nodeSet.types.filter((t) => t.name !== '' && !t.isError && !t.isTop);
    expect(grammar.length).toBeGreaterThan(100);
    for (const t of grammar) {
      const fast = fastNodeType(t.name);
      expect({ name: fast.name, expr: fast.is('Expr'), error: fast.isError }).toEqual({ name: t.name, expr: t.is('Expr'), error: false });
    }
  });

  it('are one object per name, with ids apart from the grammar\'s', () => {
    expect(fastNodeType('VectorSelector')).toBe(fastNodeType('VectorSelector'));
    const grammarIds = new Set(promqlParser().nodeSet.types.map((t) => t.id));
    for (const name of ['VectorSelector', 'BinaryExpr', 'LabelName']) expect(grammarIds.has(fastNodeType(name).id)).toBe(false);
  });

  it('are what isExprNode reads of a parsed tree, as it reads the grammar\'s', () => {
    const text = 'sum by (job) (rate(http_requests_total{code=~"5.."}[5m])) / 2 > bool -1';
    const fastTree = fastParse(text);
    expect(fastTree).toBeDefined();
    const exprs = (root: Node) => {
      const names: string[] = [];
      const walk = (n: Node) => {
        if (isExprNode(n)) names.push(`${n.name} ${n.from}-${n.to}`);
        for (let c = n.firstChild; c; c = c.nextSibling) walk(c);
      };
      walk(root);
      return names;
    };
    const lezer = promqlParser().parse(text).topNode as unknown as Node;
    expect(exprs(fastTree!.topNode)).toEqual(exprs(lezer));
  });
});

describe('grammarCall', () => {
  it("gives what the grammar parses `name(x)` into, for every function and aggregation of Prometheus 2.42", () => {
    for (const name of [...FUNCTIONS.keys(), ...AGGREGATIONS.keys()]) {
      const call = promqlParser().parse(`${name}(x)`).topNode.firstChild;
      const inner = call?.firstChild?.firstChild;
      const grammar = call && inner && (call.name === 'FunctionCall' || call.name === 'AggregateExpr') ? { node: call.name, inner: inner.name } : undefined;
      expect({ name, shape: grammarCall(name) }).toEqual({ name, shape: grammar });
    }
  });

  it('knows no other name', () => {
    for (const name of ['rate_', 'foo', 'Rate', 'sum_by', 'constructor', ...LATER_FUNCTIONS.keys()]) expect(grammarCall(name)).toBeUndefined();
  });
});
