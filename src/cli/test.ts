import path from 'node:path';
import { lineColAt, type Diagnostic } from '../diagnostics.ts';
import type { LoadResult } from '../load/index.ts';
import { annotation, formatGithub } from '../report/github.ts';
import { toJsonDiagnostics } from '../report/json.ts';
import { formatText } from '../report/text.ts';
import { formatPercent, type CoverageReport } from '../synth/coverage.ts';
import type { SilenceReport } from '../silences/report.ts';
import type { EnvironmentProof } from '../testing/environments.ts';
import { junitXml, type JUnitCase, type JUnitSuite } from '../testing/junit.ts';
import { runTests } from '../testing/run.ts';
import { TESTS_DIR, type CaseResult } from '../testing/runner.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { oneLine } from '../util/markdown.ts';
import { definitionsDirectory, loadDefinitions, styleFor, UsageError, type CliIO } from './io.ts';
import { formatOf } from './options.ts';
import { outputDirectoryProblem } from './write.ts';
import { countSummary, forDisplay, jsonReport, printDiagnostics } from './print.ts';

/** main.ts's exit codes; not imported from it, because main.ts imports this module (see testCommand). */
import { EXIT } from './exit.ts';

export interface TestOptions {
  out: string;
  check: boolean;
  /** Also prove inhibitions on a throwaway real Alertmanager. */
  live?: boolean;
  junit?: string;
  format: 'text' | 'json' | 'github';
}

export const TEST_HELP = `Usage: vigil test [dir] [--out generated] [--junit FILE] [--check] [--live] [--format text|json|github]

Runs the rule unit tests with the real promtool: the tests written in RuleTests files, and boundary tests generated
for every level of every enabled alert. Expectations are partial (level + the labels that matter); Vigil asks promtool
what really fires, matches the expectations one to one, and writes the completed tests as ordinary promtool unit tests:
  <out>/tests/<group>.test.yml         generated tests of a rule group
  <out>/tests/<file>.user.test.yml     the tests of one RuleTests file
then runs \`promtool test rules\` over exactly those files as the final verdict. Nothing is written when a test fails.
Reports every alert level as passed, failed (with expected and got) or untested, and the coverage: tested levels
against policies.testCoverage of the Project.
  --junit FILE   also write a JUnit XML report
  --check        write nothing; exit 1 and list the test files that differ from a fresh run (for CI)
  --live         also start a throwaway Alertmanager with the generated config and prove every inhibition on it
Every alert level's routing is also proved with the real amtool (config routes test), row by row.
Exit 0 when every test passes and coverage is met; 1 on a failed test, low coverage, stale files or a failed
routing/inhibition proof; 2 on a usage error or when promtool is missing (set VIGIL_PROMTOOL to use another binary).
VIGIL_TEST_SYNTHESIZER=off runs the user-written tests alone (the generated test files are then reported as no longer
generated, or removed).`;

/** The command as main.ts registers it: `test: (await import('./test.ts')).testCommand`. */
export const testCommand = {
  help: TEST_HELP,
  options: {
    format: { type: 'string' as const, default: 'text' },
    out: { type: 'string' as const, default: 'generated' },
    junit: { type: 'string' as const },
    check: { type: 'boolean' as const, default: false },
    live: { type: 'boolean' as const, default: false },
  },
  run: (io: CliIO, dir: string, values: Record<string, unknown>): Promise<number> => {
    const format = formatOf('test', values);
    const junit = values.junit === undefined ? undefined : String(values.junit);
    if (junit === '') throw new UsageError('--junit needs a file name');
    return runTest(io, dir, { out: String(values.out), check: values.check === true, live: values.live === true, format, ...(junit ? { junit } : {}) });
  },
};

export async function runTest(io: CliIO, dir: string, options: TestOptions): Promise<number> {
  const style = styleFor(io);
  await definitionsDirectory(dir);
  const outProblem = await outputDirectoryProblem(dir, options.out);
  if (outProblem) throw new UsageError(outProblem);
  const loaded = await loadDefinitions(dir);
  const run = await runTests(loaded, {
    out: options.out,
    check: options.check,
    live: options.live === true,
    promtool: process.env.VIGIL_PROMTOOL || 'promtool',
    // VIGIL_TEST_SYNTHESIZER=off runs the user-written tests alone (to tell a failing test from a failing generated case).
    generatedOff: process.env.VIGIL_TEST_SYNTHESIZER === 'off',
  });
  if (run.outcome === 'invalid') {
    if (options.format === 'json') io.out(jsonReport({ files: loaded.sources.length }, loaded, run.diagnostics));
    else {
      printDiagnostics(io, options.format, loaded, run.diagnostics);
      if (options.format === 'text') io.err(`${style.red('test failed')}: the definitions have problems (${countSummary(run.diagnostics)}); fix them first\n`);
    }
    return EXIT.problems;
  }
  if (run.outcome === 'promtool-missing') {
    io.err(`vigil test: ${run.message}\n`);
    return EXIT.usage;
  }
  if (run.outcome === 'unplanned') {
    if (options.format === 'json') io.out(jsonReport({ files: loaded.sources.length }, loaded, run.diagnostics));
    else printDiagnostics(io, options.format, loaded, run.diagnostics);
    return EXIT.problems;
  }
  const { promtool: version, generatedOff, diagnostics, results, failed, files, written, stale, staleCount, verdictNote, verdictFailures, coverage, proofs, silences, environments, envFailed, ok } = run;
  const testsDir = path.join(options.out, TESTS_DIR);

  if (options.junit) await writeFileAtomic(options.junit, junitXml([...junitSuites(results, coverage, loaded), ...environmentSuites(environments)]));

  const failureDiagnostics = [...failed.map((r) => ({ result: r, environment: undefined as string | undefined })), ...envFailed.map((x) => ({ result: x.result, environment: x.environment }))].flatMap(({ result, environment }) =>
    result.failures.map((f): Diagnostic & { diff?: string } => ({ code: f.code, severity: 'error', message: environment ? `environment ${environment}: ${f.message}` : f.message, ...(f.span ? { span: f.span } : {}), ...(f.diff ? { diff: f.diff } : {}) })),
  );

  if (options.format === 'json') {
    io.out(
      JSON.stringify(
        {
          ok,
          promtool: version,
          generated: !generatedOff,
          cases: results.map((r) => caseJson(r, loaded)),
          levels: coverage.levels,
          coverage: { covered: coverage.covered, total: coverage.total, percent: coverage.percent, required: coverage.required, ok: coverage.ok, uncovered: coverage.uncovered.map((l) => ({ alert: l.alert, level: l.level, ...(l.unsupported ? { unsupported: l.unsupported } : {}) })) },
          alertmanager: { ok: proofs.ok, summary: proofs.summary, failures: proofs.failures },
          silences,
          environments: environments.map((e) => ({ environment: e.environment, alerts: e.alerts, untested: e.untested, disabled: e.disabled, cases: e.results.map((r) => caseJson(r, loaded)) })),
          files: files.map((f) => path.posix.join(options.out, f.path)),
          ...(written ? { written: written.written, unchanged: written.unchanged, removed: written.removed } : {}),
          ...(stale ? { stale, upToDate: staleCount === 0 } : {}),
          diagnostics: toJsonDiagnostics(forDisplay(loaded, diagnostics).diagnostics, forDisplay(loaded, []).sources),
        },
        null,
        2,
      ) + '\n',
    );
    return ok ? EXIT.ok : EXIT.problems;
  }

  if (options.format === 'github') {
    const shown = forDisplay(loaded, [...diagnostics, ...failureDiagnostics.map((d) => ({ ...d, message: d.diff ? `${d.message}\n${d.diff}` : d.message }))]);
    const annotate = io.annotate ?? io.out;
    annotate(formatGithub(shown.diagnostics, shown.sources));
    for (const f of proofs.failures) annotate(annotation('error', { title: 'test/alertmanager' }, f));
    if (!coverage.ok) annotate(annotation('error', { title: 'test/coverage' }, `${coverageLine(coverage)}${coverage.uncovered.length ? `\nuntested: ${coverage.uncovered.map((l) => `${l.alert} ${l.level}`).join(', ')}` : ''}`));
    if (stale) for (const [why, list] of [['changed', stale.changed], ['missing', stale.missing], ['no longer generated', stale.extra]] as const) for (const f of list) annotate(annotation('error', { file: path.posix.join(options.out, f), title: 'test/stale' }, `${why}: run \`vigil test\` and commit the result`));
    return ok ? EXIT.ok : EXIT.problems;
  }

  // Text: problems on stderr (each failure with its expected/got), the summary on stdout.
  printDiagnostics(io, 'text', loaded, diagnostics);
  for (const d of failureDiagnostics) {
    const shown = forDisplay(loaded, [d]);
    io.err(formatText(shown.diagnostics, shown.sources, style));
    if (d.diff) io.err(d.diff.split('\n').map((l) => `    ${l}`).join('\n') + '\n');
  }
  if (verdictNote) io.err(`  ${style.yellow('note')}: ${verdictNote}\n`);
  for (const f of proofs.failures) io.err(`${style.red('error')}[test/alertmanager]: ${f}\n`);
  if (stale) for (const [why, list] of [['changed', stale.changed], ['missing', stale.missing], ['no longer generated', stale.extra]] as const) for (const f of list) io.err(`  ${why}: ${path.posix.join(options.out, f)}\n`);

  const userCases = results.filter((r) => r.planned.user);
  const generated = results.length - userCases.length;
  const userFiles = new Set(userCases.map((r) => r.planned.user!.test.origin.def.file)).size;
  const outStyle = styleFor(io, 'out');
  const lines = [
    `${outStyle.bold('vigil test')} ${dir} → ${path.posix.join(options.out, TESTS_DIR)}/`,
    `  promtool     ${version}`,
    `  cases        ${plural(userCases.length, 'user test')} (${plural(userFiles, 'file')}), ${generated} generated${generatedOff ? ' (turned off by VIGIL_TEST_SYNTHESIZER=off)' : ''}`,
    `  levels`,
    ...levelLines(coverage, outStyle),
    `  coverage     ${coverageLine(coverage)}`,
    ...(coverage.uncovered.length ? [`    untested: ${coverage.uncovered.map((l) => `${l.alert} ${l.level}`).join(', ')}`] : []),
    ...proofs.summary.map((l) => `  ${l}`),
    ...silenceLines(silences),
    ...environmentLines(environments),
  ];
  if (written) lines.push(`  files        ${files.length} (${written.written.length} written, ${written.unchanged.length} unchanged${written.removed.length ? `, ${written.removed.length} removed` : ''})`);
  else if (stale) lines.push(`  files        ${staleCount === 0 ? `${testsDir}/ is up to date (${files.length} files)` : `${staleCount} stale in ${testsDir}/; run \`vigil test\` and commit the result`}`);
  else lines.push(`  files        ${options.check ? `${testsDir}/ not compared` : `nothing written to ${testsDir}/`} because a test failed`);
  lines.push(`  result       ${results.length - failed.length} passed, ${failed.length} failed${verdictFailures ? `, final promtool run failed ${verdictFailures}×` : ''}`);
  io.out(lines.join('\n') + '\n');
  if (!ok) {
    const why = [failed.length ? plural(failed.length, 'failed test') : '', envFailed.length ? plural(envFailed.length, 'failed environment case') : '', verdictFailures ? 'promtool rejects the completed tests' : '', coverage.ok ? '' : `coverage ${formatPercent(coverage.percent)}% is below the required ${coverage.required}%`, proofs.ok ? '' : 'Alertmanager proofs failed', staleCount ? plural(staleCount, 'stale file') : ''].filter(Boolean);
    io.err(`${style.red('test failed')}: ${why.join('; ')}\n`);
  }
  return ok ? EXIT.ok : EXIT.problems;
}

/** Each silence with its window and the alert levels it mutes (the receivers they would otherwise reach). */
function silenceLines(silences: readonly SilenceReport[]): string[] {
  if (silences.length === 0) return [];
  const out = [`  silences     ${plural(silences.length, 'silence')}`];
  for (const s of silences) {
    out.push(`    ${oneLine(s.name)} ${s.startsAt} → ${s.endsAt}${s.environments ? ` (${oneLine(s.environments.join(', '))})` : ''}: ${s.mutes.length ? `mutes ${plural(s.mutes.length, 'alert level')}` : 'mutes nothing'}`);
    for (const m of s.mutes) out.push(`      ${oneLine(`${m.alert} ${m.level}`)}${m.extent === 'some' ? ` where ${oneLine(m.dependsOn.join(', '))} ${m.dependsOn.length === 1 ? 'matches' : 'match'}` : ''} → ${oneLine(m.receivers.join(', ') || '(no receiver)')}`);
  }
  return out;
}

/** One line per environment whose overridden alerts were tested at its own thresholds. */
function environmentLines(environments: readonly EnvironmentProof[]): string[] {
  if (environments.length === 0) return [];
  const lines = ['  environments overridden alerts, boundary cases at the environment’s thresholds'];
  const width = Math.max(...environments.map((e) => e.environment.length));
  for (const e of environments) {
    const passed = e.results.filter((r) => r.passed).length;
    const parts = [
      e.alerts.length ? `${e.alerts.join(', ')}: ${passed}/${e.results.length} cases passed` : '',
      e.untested.length ? `untested (no generated cases): ${e.untested.join(', ')}` : '',
      e.disabled.length ? `disabled there: ${e.disabled.join(', ')}` : '',
    ].filter(Boolean);
    lines.push(`    ${e.environment.padEnd(width)}  ${parts.join('; ')}`);
  }
  return lines;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function coverageLine(c: CoverageReport): string {
  return `${c.covered}/${c.total} levels tested (${formatPercent(c.percent)}%), required ${c.required}%: ${c.ok ? 'met' : 'below'}`;
}

function levelLines(coverage: CoverageReport, style: ReturnType<typeof styleFor>): string[] {
  const width = Math.max(0, ...coverage.levels.map((l) => l.alert.length));
  const levelWidth = Math.max(0, ...coverage.levels.map((l) => l.level.length));
  let previous = '';
  return coverage.levels.map((l) => {
    const name = l.alert === previous ? ' '.repeat(width) : l.alert.padEnd(width);
    previous = l.alert;
    const status =
      l.status === 'passed'
        ? `passed   ${plural(l.cases.length, 'case')}${l.unsupported ? ', none generated' : ''}`
        : l.status === 'failed'
          ? style.red(`FAILED   ${l.failed.map((n) => `"${n}"`).join(', ')}`)
          : style.yellow(`untested${l.unsupported ? `: ${l.unsupported}` : ''}`);
    return `    ${name}  ${l.level.padEnd(levelWidth)}  ${status}`;
  });
}

function caseJson(r: CaseResult, loaded: LoadResult): Record<string, unknown> {
  const tc = r.planned.testCase;
  const where = (span: { file: string; start: number } | undefined) => position(loaded, span);
  return {
    name: tc.name,
    source: tc.source,
    output: `${TESTS_DIR}/${r.planned.output}`,
    ...(r.planned.user ? { definition: where(spanOfName(r)) } : {}),
    covers: tc.covers,
    status: r.passed ? 'passed' : 'failed',
    failures: r.failures.map((f) => ({ code: f.code, message: f.message, ...(f.diff ? { diff: f.diff } : {}), ...where(f.span) })),
  };
}

/** `{ file, line, col }` with the file named as the user can open it. */
function position(loaded: LoadResult, span: { file: string; start: number } | undefined): { file?: string; line?: number; col?: number } {
  if (!span) return {};
  const file = loaded.displayNames?.get(span.file) ?? span.file;
  const text = loaded.sources.find((s) => s.file === span.file)?.text;
  return text === undefined ? { file } : { file, ...lineColAt(text, span.start) };
}

function spanOfName(r: CaseResult) {
  const origin = r.planned.user!.test.origin;
  return origin.def.locate([...origin.path, 'name']);
}

function junitSuites(results: readonly CaseResult[], coverage: CoverageReport, loaded: LoadResult): JUnitSuite[] {
  const display = (file: string) => loaded.displayNames?.get(file) ?? file;
  const suites = new Map<string, JUnitCase[]>();
  for (const r of [...results].sort((a, b) => a.planned.id - b.planned.id)) {
    const tc = r.planned.testCase;
    const suite = r.planned.user ? display(r.planned.user.test.origin.def.file) : `${r.planned.alert ? display(r.planned.alert.origin.def.file) : 'generated'} (generated)`;
    let file: string | undefined;
    if (r.planned.user) {
      const p = position(loaded, spanOfName(r));
      file = p.line ? `${p.file}:${p.line}` : p.file;
    }
    const details = r.failures.map((f) => (f.diff ? `${f.message}\n${f.diff}` : f.message)).join('\n\n');
    suites.set(suite, [
      ...(suites.get(suite) ?? []),
      { name: tc.name, classname: suite, ...(file ? { file } : {}), ...(r.passed ? {} : { failure: { message: r.failures[0]?.message ?? 'failed', details } }) },
    ]);
  }
  const out: JUnitSuite[] = [...suites].map(([name, cases]) => ({ name, cases }));
  out.push({
    name: 'coverage',
    cases: [
      { name: `policies.testCoverage ${coverage.required}%`, classname: 'coverage', ...(coverage.ok ? {} : { failure: { message: coverageLine(coverage), details: coverage.uncovered.map((l) => `${l.alert} ${l.level}${l.unsupported ? `: ${l.unsupported}` : ''}`).join('\n') } }) },
      ...coverage.uncovered.map((l) => ({ name: `${l.alert} ${l.level}`, classname: 'coverage', skipped: l.unsupported ? `untested: ${l.unsupported}` : 'untested' })),
    ],
  });
  return out;
}

/** One suite per environment: the boundary cases of its overridden alerts at its own thresholds. */
function environmentSuites(environments: readonly EnvironmentProof[]): JUnitSuite[] {
  return environments.map((e) => {
    const name = `environment ${e.environment} (generated)`;
    const cases: JUnitCase[] = e.results.map((r) => ({
      name: r.planned.testCase.name,
      classname: name,
      ...(r.passed ? {} : { failure: { message: r.failures[0]?.message ?? 'failed', details: r.failures.map((f) => (f.diff ? `${f.message}\n${f.diff}` : f.message)).join('\n\n') } }),
    }));
    for (const alert of e.untested) cases.push({ name: alert, classname: name, skipped: 'untested: no generated cases' });
    return { name, cases };
  });
}
