import type * as LezerPromql from '@prometheus-io/lezer-promql';
import { requirePackage } from '../util/packages.ts';

let promql: typeof LezerPromql | undefined;

/**
 * The PromQL grammar (lezer), evaluated at its first use: ≈ 10 ms of CPU, and a build through the incremental cache
 * whose changed files hold no new expression parses none.
 */
export function promqlParser(): typeof LezerPromql.parser {
  return (promql ??= requirePackage<typeof LezerPromql>('@prometheus-io/lezer-promql')).parser;
}
