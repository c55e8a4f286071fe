import type { Check } from './check.ts';

/** Parses and type-checks every PromQL expression: rules, recording rules and dashboard queries. */
export const promqlSyntaxCheck: Check = {
  id: 'promql/syntax',
  description: 'PromQL parses and type-checks (syntax, unknown functions, argument types and counts).',
  severity: 'error',
  run() {},
  // Each expression on its own, with nothing else: per file.
  perFile(ctx, file) {
    for (const expression of file.expressions) {
      for (const problem of ctx.analyze(expression).problems) {
        ctx.report({
          code: problem.code,
          message: `${expression.owner}: ${problem.message}`,
          span: expression.origin.def.locateInString(expression.origin.path, problem.start, problem.end),
          hint: problem.hint,
        });
      }
    }
  },
};
