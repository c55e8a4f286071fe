import { createRequire } from 'node:module';
import type * as LezerPromql from '@prometheus-io/lezer-promql';

let promql: typeof LezerPromql | undefined;

/**
 * The PromQL grammar (lezer), loaded at its first use: evaluating the package and @lezer/lr costs ≈ 10 ms of CPU, and
 * a build through the incremental cache whose changed files hold no new expression parses none.
 */
export function promqlParser(): typeof LezerPromql.parser {
  return (promql ??= createRequire(import.meta.url)('@prometheus-io/lezer-promql') as typeof LezerPromql).parser;
}
