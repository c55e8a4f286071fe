import { lineColAt, type Diagnostic, type Span } from '../diagnostics.ts';
import { readDisableComments, type DisableComment } from '../load/disable-comments.ts';
import type { SourceFile } from '../load/definition.ts';
import { keySpanOf, type ProjectModel } from '../model/types.ts';
import { closest } from '../util/closest.ts';
import type { Check } from './check.ts';
import { STAGE_CHECKS } from './stage-checks.ts';

export type CheckLevel = 'error' | 'warning' | 'off';

/** A problem a check module reported, with the module's id (its code may be a narrower id of the family). */
export interface CheckReport {
  diagnostic: Diagnostic;
  checkId: string;
}

/**
 * Ids a project may configure and a definition may silence: those of the check modules. Loading and schema errors are
 * not among them (a definition that does not load cannot be compiled, whatever the project says), nor the secret
 * checks, which keep credentials out of generated files that are committed and shipped (issue #8).
 */
export function configurableIds(checks: readonly Check[]): Map<string, 'yes' | 'locked'> {
  const ids = new Map<string, 'yes' | 'locked'>();
  const family = new Set(checks.map((c) => c.id));
  for (const id of [...family, ...STAGE_CHECKS.filter((s) => s.reportedBy && family.has(s.reportedBy)).map((s) => s.id)]) ids.set(id, LOCKED.test(id) ? 'locked' : 'yes');
  return ids;
}

const LOCKED = /^secret\//;

/** Why `id` cannot be configured, or undefined when it can; with a "did you mean" for a typo. */
function idProblem(id: string, ids: Map<string, 'yes' | 'locked'>): { message: string; hint: string } | undefined {
  const state = ids.get(id);
  if (state === 'yes') return undefined;
  if (state === 'locked') return { message: `${id} cannot be turned off or lowered: a secret in a definition would be written to the generated files`, hint: 'reference the secret as { env: NAME } or { file: /path } instead' };
  if (STAGE_CHECKS.some((s) => s.id === id)) return { message: `${id} is reported while loading or validating the definitions and cannot be configured or disabled`, hint: 'fix the definition: Vigil cannot compile what does not load or match its schema' };
  const guess = closest(id, [...ids.keys()]);
  return { message: `unknown check id "${id}"`, hint: guess ? `did you mean ${guess}? \`vigil checks\` lists the ids` : '`vigil checks` lists the ids' };
}

/** Problems of the Project's `policies.checks`: each id must exist and be configurable. */
export function policyProblems(project: ProjectModel | undefined, checks: readonly Check[]): Diagnostic[] {
  const levels = project?.policies.checks ?? {};
  const ids = configurableIds(checks);
  const out: Diagnostic[] = [];
  for (const id of Object.keys(levels)) {
    const problem = idProblem(id, ids);
    if (!problem) continue;
    out.push({ code: 'policy/checks', severity: 'error', message: `policies.checks: ${problem.message}`, hint: problem.hint, ...(project?.origin ? { span: keySpanOf(project.origin, 'policies', 'checks', id) } : {}) });
  }
  return out;
}

/**
 * Applies the project's severities and the definitions' disable comments to what the check modules reported.
 * Returns what remains, plus the problems of the comments themselves (invalid ones, and `disable/unused` for those
 * that silenced nothing).
 */
export function applyCheckConfig(
  reports: readonly CheckReport[],
  project: ProjectModel | undefined,
  sources: readonly SourceFile[],
  checks: readonly Check[],
  { liveRan = false }: { liveRan?: boolean } = {},
): Diagnostic[] {
  const live = new Set(checks.filter((c) => c.live).map((c) => c.id));
  const levels: Record<string, CheckLevel> = project?.policies.checks ?? {};
  const ids = configurableIds(checks);
  const comments = new Map<string, DisableComment[]>();
  const out: Diagnostic[] = [];
  for (const source of sources) {
    const list = readDisableComments(source);
    if (list.length === 0) continue;
    const valid: DisableComment[] = [];
    for (const c of list) {
      const problem = c.problem ? { message: `this disable comment ${c.problem}`, hint: `write # ${'vigil-disable-next-line'} <check id>: <why>` } : c.ids.map((id) => idProblem(id, ids)).find(Boolean);
      if (problem) out.push({ code: 'disable/invalid', severity: 'error', message: problem.message, hint: problem.hint, span: c.span });
      else valid.push(c);
    }
    if (valid.length) comments.set(source.file, valid);
  }
  const texts = new Map(sources.map((s) => [s.file, s.text]));
  const used = new Set<DisableComment>();
  for (const { diagnostic, checkId } of reports) {
    const level = levels[diagnostic.code] ?? levels[checkId];
    if (level === 'off' && !LOCKED.test(checkId)) continue;
    const silencer = diagnostic.span ? silencing(comments.get(diagnostic.span.file), diagnostic, checkId, texts.get(diagnostic.span.file) ?? '') : undefined;
    if (silencer) {
      used.add(silencer);
      continue;
    }
    out.push(level && level !== 'off' && !LOCKED.test(checkId) ? { ...diagnostic, severity: level } : diagnostic);
  }
  for (const list of comments.values()) {
    for (const c of list) {
      if (used.has(c)) continue;
      // A comment that only silences live checks is judged where they ran (validate --live), never by a compile.
      if (!liveRan && liveOnly(c, live)) continue;
      out.push({ code: 'disable/unused', severity: 'warning', message: `this comment disables ${c.ids.join(', ')} on the next line, but no such problem is reported there`, hint: 'remove the comment, or move it to the line before the reported position', span: c.span });
    }
  }
  return out;
}

/** Whether every check a comment names reports only in validate --live. */
export function liveOnly(comment: DisableComment, live: ReadonlySet<string>): boolean {
  return comment.ids.length > 0 && comment.ids.every((id) => live.has(id));
}

function silencing(list: DisableComment[] | undefined, d: Diagnostic, checkId: string, text: string): DisableComment | undefined {
  if (!list) return undefined;
  const line = lineColAt(text, (d.span as Span).start).line;
  return list.find((c) => c.targetLine === line && (c.ids.includes(d.code) || c.ids.includes(checkId)));
}

/** Across several compiles of one project (the shared tree and each environment), a comment is unused only if no compile used it. */
export function unusedInEvery(results: readonly { diagnostics: readonly Diagnostic[] }[]): (d: Diagnostic) => boolean {
  const key = (d: Diagnostic) => `${d.span?.file}|${d.span?.start}`;
  const counts = new Map<string, number>();
  for (const r of results) for (const k of new Set(r.diagnostics.filter((d) => d.code === 'disable/unused').map(key))) counts.set(k, (counts.get(k) ?? 0) + 1);
  return (d) => d.code !== 'disable/unused' || counts.get(key(d)) === results.length;
}
