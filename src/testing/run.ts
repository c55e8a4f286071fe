import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PROMETHEUS_RULES_DIR } from '../build/paths.ts';
import { compile, createCheckContext, newAnalysisCaches } from '../compile.ts';
import { hasErrors, type Diagnostic } from '../diagnostics.ts';
import type { Artifact } from '../emit/artifact.ts';
import type { LoadResult } from '../load/index.ts';
import { silenceReports, type SilenceReport } from '../silences/report.ts';
import { computeCoverage, type CoverageReport } from '../synth/coverage.ts';
import { synthesizeAlert } from '../synth/synthesize.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { describeProofs, proveAlertmanager } from './alertmanager-proofs.ts';
import { proveEnvironmentOverrides, type EnvironmentProof } from './environments.ts';
import { environmentNames } from '../env/overrides.ts';
import {
  planCases,
  probeAndEvaluate,
  PromtoolMissingError,
  promtoolVersion,
  stageRules,
  testFiles,
  TESTS_DIR,
  verdict,
  type CaseResult,
  type Synthesizer,
  type TestFile,
} from './runner.ts';

export interface TestRunOptions {
  /** The output directory, as the user named it (generated/). */
  out: string;
  /** Write nothing; compare the test files with a fresh run. */
  check: boolean;
  /** Also prove inhibitions on a throwaway real Alertmanager. */
  live: boolean;
  promtool: string;
  /** Run the user-written tests alone, without the generated boundary cases. */
  generatedOff: boolean;
}

export interface Stale {
  changed: string[];
  missing: string[];
  extra: string[];
}

/** What `vigil test` found, for the CLI to print; the workflow stops at the first of the three outcomes. */
export type TestRun =
  /** The definitions do not compile: nothing was tested. */
  | { outcome: 'invalid'; diagnostics: Diagnostic[] }
  | { outcome: 'promtool-missing'; message: string }
  /** The RuleTests could not be planned (a problem in a test definition). */
  | { outcome: 'unplanned'; diagnostics: Diagnostic[] }
  | TestReport;

export interface TestReport {
  outcome: 'tested';
  promtool: string;
  generatedOff: boolean;
  /** Compile warnings and the planning problems below error level. */
  diagnostics: Diagnostic[];
  results: CaseResult[];
  failed: CaseResult[];
  files: TestFile[];
  /** Set when the test files were written (without --check and every test passed). */
  written?: { written: string[]; unchanged: string[]; removed: string[] };
  /** Set with --check when every test passed. */
  stale?: Stale;
  staleCount: number;
  /** Why the final promtool run did not use <out>/prometheus/rules. */
  verdictNote?: string;
  verdictFailures: number;
  coverage: CoverageReport;
  proofs: ReturnType<typeof describeProofs>;
  /** Each silence with the alert levels it mutes (kind: Silences); informational, never a failure. */
  silences: SilenceReport[];
  environments: EnvironmentProof[];
  envFailed: { environment: string; result: CaseResult }[];
  ok: boolean;
}

/**
 * The workflow of `vigil test` on loaded definitions: compile, plan the user-written and generated cases, probe them
 * with the real promtool, write (or compare) <out>/tests, run promtool over the completed files as the final verdict,
 * then coverage, the Alertmanager proofs and the environments' overrides.
 */
export async function runTests(loaded: LoadResult, options: TestRunOptions): Promise<TestRun> {
  // Shared with the environments' compiles below: the same expressions are analysed once.
  const caches = newAnalysisCaches();
  const compiled = withoutDisableVerdicts(compile(loaded, { caches }), loaded);
  const { model, artifacts } = compiled;
  if (hasErrors(compiled.diagnostics)) return { outcome: 'invalid', diagnostics: compiled.diagnostics };

  let version: string;
  try {
    version = await promtoolVersion(options.promtool);
  } catch (e) {
    if (e instanceof PromtoolMissingError) return { outcome: 'promtool-missing', message: e.message };
    throw e;
  }

  const synthesize: Synthesizer | undefined = options.generatedOff ? undefined : synthesizeAlert;
  const plan = planCases(model, loaded.dir, synthesize);
  const diagnostics: Diagnostic[] = [...compiled.diagnostics, ...plan.problems];
  if (hasErrors(plan.problems)) return { outcome: 'unplanned', diagnostics };

  const results = await probeAndEvaluate(model, plan.cases, artifacts, options.promtool);
  const probePassed = results.every((r) => r.passed);
  const files = probePassed ? testFiles(model, results, artifacts) : [];

  let stale: Stale | undefined;
  let written: TestReport['written'];
  let verdictNote: string | undefined;
  // A failed test has no completed form, so there is nothing to write or to compare with.
  if (probePassed && options.check) stale = await compareTestFiles(options.out, files);
  else if (probePassed) written = await writeTestFiles(options.out, files);

  // The final verdict: the real promtool over the completed files. Straight on <out>/tests when its rule files are
  // those of this build; otherwise on a copy beside freshly compiled rules.
  let verdictFailures = 0;
  if (probePassed && files.length) {
    const rulesFresh = await rulesUpToDate(options.out, artifacts);
    let root = options.out;
    let temp: string | undefined;
    if (options.check || !rulesFresh) {
      temp = root = await stageRules(artifacts);
      await Promise.all(files.map((f) => writeFile(path.join(root, f.path), f.content)));
      if (!rulesFresh) verdictNote = `${path.posix.join(options.out, 'prometheus/rules')}/ is missing or not what \`vigil build\` writes now, so the final promtool run used freshly compiled rules; run \`vigil build\` before committing`;
    }
    try {
      verdictFailures = (await verdict(model, root, files, options.promtool)).length;
    } finally {
      if (temp) await rm(temp, { recursive: true, force: true });
    }
  }

  const required = model.project?.policies.testCoverage ?? 0;
  const coverage = computeCoverage(
    model,
    results.map((r) => ({ name: r.planned.testCase.name, covers: r.planned.testCase.covers, passed: r.passed })),
    plan.syntheses,
    required,
  );
  const proofs = describeProofs(await proveAlertmanager(model, artifacts, options.live));
  const environments = synthesize ? await proveEnvironmentOverrides(loaded, options.promtool, synthesize, caches) : [];
  const envFailed = environments.flatMap((e) => e.results.filter((r) => !r.passed).map((r) => ({ environment: e.environment, result: r })));
  const failed = results.filter((r) => !r.passed);
  const staleCount = stale ? stale.changed.length + stale.missing.length + stale.extra.length : 0;
  const ok = failed.length === 0 && verdictFailures === 0 && coverage.ok && staleCount === 0 && proofs.ok && envFailed.length === 0;

  return {
    outcome: 'tested',
    promtool: version,
    generatedOff: options.generatedOff,
    diagnostics,
    results,
    failed,
    files,
    ...(written ? { written } : {}),
    ...(stale ? { stale } : {}),
    staleCount,
    ...(verdictNote ? { verdictNote } : {}),
    verdictFailures,
    coverage,
    proofs,
    silences: silenceReports(model, createCheckContext(model, [], caches).ctx.labels),
    environments,
    envFailed,
    ok,
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// generated/tests/: Vigil owns the *.test.yml files there (vigil build lists them as not its own and leaves them alone).

async function existingTestFiles(out: string): Promise<string[]> {
  try {
    return (await readdir(path.join(out, TESTS_DIR), { withFileTypes: true }))
      .filter((e) => e.isFile() && e.name.endsWith('.test.yml'))
      .map((e) => `${TESTS_DIR}/${e.name}`)
      .sort();
  } catch {
    return [];
  }
}

async function compareTestFiles(out: string, files: readonly TestFile[]): Promise<Stale> {
  const stale: Stale = { changed: [], missing: [], extra: [] };
  for (const f of files) {
    const current = await readFile(path.join(out, f.path), 'utf8').catch(() => undefined);
    if (current === undefined) stale.missing.push(f.path);
    else if (current !== f.content) stale.changed.push(f.path);
  }
  const wanted = new Set(files.map((f) => f.path));
  stale.extra.push(...(await existingTestFiles(out)).filter((f) => !wanted.has(f)));
  return stale;
}

async function writeTestFiles(out: string, files: readonly TestFile[]): Promise<{ written: string[]; unchanged: string[]; removed: string[] }> {
  const summary = { written: [] as string[], unchanged: [] as string[], removed: [] as string[] };
  const wanted = new Set(files.map((f) => f.path));
  for (const f of files) {
    const target = path.join(out, f.path);
    if ((await readFile(target, 'utf8').catch(() => undefined)) === f.content) {
      summary.unchanged.push(f.path);
      continue;
    }
    await writeFileAtomic(target, f.content);
    summary.written.push(f.path);
  }
  for (const f of await existingTestFiles(out)) {
    if (wanted.has(f)) continue;
    await rm(path.join(out, f), { force: true });
    summary.removed.push(f);
  }
  return summary;
}

async function rulesUpToDate(out: string, artifacts: readonly Artifact[]): Promise<boolean> {
  const rules = artifacts.filter((a) => a.path.startsWith(PROMETHEUS_RULES_DIR));
  const current = await Promise.all(rules.map((a) => readFile(path.join(out, a.path), 'utf8').catch(() => undefined)));
  return rules.every((a, i) => current[i] === a.content);
}

/**
 * A disable comment may silence a problem only an environment's overrides cause: the shared compile alone cannot
 * call it unused. `vigil validate` and `build` compile every environment and judge the comments; here they are judged
 * only when there is no environment.
 */
function withoutDisableVerdicts<R extends { diagnostics: Diagnostic[] }>(compiled: R, loaded: LoadResult): R {
  if (environmentNames(loaded.definitions).length === 0) return compiled;
  return { ...compiled, diagnostics: compiled.diagnostics.filter((d) => d.code !== 'disable/unused') };
}
