import type { Diagnostic, Severity, Span } from '../diagnostics.ts';
import type { ModelAnalyses } from '../model/analyses.ts';
import type { ExpressionModel } from '../model/types.ts';
import type { FileItems } from '../compile-scopes.ts';
import type { Namespace } from '../model/broken.ts';
import type { KindName } from '../spec/kinds.ts';

export interface Report {
  message: string;
  span?: Span;
  hint?: string;
  /** Defaults to the check's severity. */
  severity?: Severity;
  related?: Diagnostic['related'];
  /** Defaults to the check's id; a check may report under a narrower id of its family (promql/type). */
  code?: string;
  /**
   * The report says `name` is not declared: it is dropped when a definition that failed to load or match its schema
   * may declare it (the model holds only valid definitions), so a broken file causes no false "not defined".
   */
  dangling?: { namespace: Namespace; name: string };
  /** The conclusion rests on what this expression's metrics are: dropped when one of them may be in a broken definition. */
  uses?: ExpressionModel;
  /** The span holds a secret's text: no report shows it (see Diagnostic.conceal). */
  conceal?: true;
}

export interface CheckContext extends ModelAnalyses {
  report(problem: Report): void;
  /** The time for the one time-dependent check (silence/expired); undefined: the clock. Tests fix it. */
  now?: Date;
}

/** One check = one stable id, one module, one doc line. Checks read the model and report; they never throw for user input. */
export interface Check {
  id: string;
  description: string;
  severity: Severity;
  /**
   * Kinds the check reads as a whole (the Project's policies, the Routes tree): while a definition of one of them
   * fails to load or match its schema, the check is skipped and the `skipped` warning names the kind. Checks of
   * single definitions and references need no entry here: they run on every valid definition and mark their
   * "not defined" reports with `dangling`.
   */
  dependsOn?: readonly KindName[];
  /** Reports only in `vigil validate --live`, never in a compile: a compile cannot tell whether its disable comments are used. */
  live?: true;
  run(ctx: CheckContext): void;
  /**
   * The part of the check over one definition file's documents, alerts, dashboards and expressions, run for every
   * file after run(). It may read project-wide facts (catalogue, severities, receivers, routes, the Project) but no
   * other file's items: its reports are then reused while the file and those facts are unchanged (see
   * compile-scopes.ts). run() does the rest of the check.
   */
  perFile?(ctx: CheckContext, file: FileItems): void;
  /** What perFile reads of other files' items, when anything: a description of it and those files (see FileScopes.memo). */
  perFileReads?(ctx: CheckContext, file: FileItems): { part: string; files: string[] };
  /**
   * perFile reads nothing but `file.documents` (each document's kind, value and positions) and calls nothing of the
   * context but `report`, never with `dangling` or `uses`: its reports are a function of those definitions alone, and
   * an environment's compile whose file holds the very same definitions (none of its overrides lands there) takes
   * them from the compile before it (test/checks/environment-reuse.test.ts proves the declaration).
   */
  perFileReadsDocumentsOnly?: true;
}
