// `npm run test:unit` / `npm run test:integration`: one part of the suite (scripts/test-kinds.mjs says which files),
// with coverage collected in-process by vitest and from the node subprocesses the tests start (NODE_V8_COVERAGE, set
// in each test worker by scripts/subprocess-coverage.setup.mjs). Prints the part's duration against its budget and
// fails when the tests fail; over budget it says so and lists the slowest files, and fails only with
// VIGIL_ENFORCE_BUDGETS=1: wall time on a shared machine measures the machine's load as much as the tests, so the
// budget is a figure to read in CI's output, not a reason to refuse a change. Further arguments go to vitest.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { buildCoverageBundle, coverageBundleDir, ROOT } from './coverage-bundle.mjs';
import { BUDGETS_MS, budgetLine, formatDuration } from './test-budget.mjs';

/** The slowest test files of a vitest JSON report: where the time goes. */
function slowestFiles(reportFile, count) {
  try {
    const report = JSON.parse(readFileSync(reportFile, 'utf8'));
    return report.testResults
      .map((r) => ({ file: path.relative(ROOT, r.name), ms: r.endTime - r.startTime }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, count);
  } catch {
    return [];
  }
}

const part = process.argv[2];
if (!(part in BUDGETS_MS)) {
  process.stderr.write(`usage: node scripts/test-suite.mjs unit|integration [vitest arguments]\n`);
  process.exit(2);
}
const reports = path.join(ROOT, 'coverage', part);
const subprocessCoverage = path.join(ROOT, 'coverage', `${part}-subprocess`);
for (const dir of [reports, subprocessCoverage]) rmSync(dir, { recursive: true, force: true });
mkdirSync(subprocessCoverage, { recursive: true });

const env = { ...process.env, VIGIL_SUBPROCESS_COVERAGE: subprocessCoverage };
try {
  env.VIGIL_COVERAGE_BUNDLE = await buildCoverageBundle(coverageBundleDir(part));
} catch (error) {
  process.stderr.write(`${part} tests: cannot bundle src/ for the coverage of subprocesses; they run unmeasured\n${error.message}\n`);
}

const started = performance.now();
const vitest = path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const timings = path.join(reports, 'test-results.json');
const args = [vitest, 'run', '--config', `vitest.${part}.config.ts`, '--coverage', '--reporter=default', '--reporter=json', `--outputFile.json=${timings}`];
const run = spawnSync(process.execPath, [...args, ...process.argv.slice(3)], { cwd: ROOT, env, stdio: 'inherit' });
const elapsed = performance.now() - started;

const over = elapsed > BUDGETS_MS[part];
process.stdout.write(`\n${budgetLine(part, elapsed)}\n`);
process.stdout.write(`slowest files:\n${slowestFiles(timings, over ? 10 : 5).map((f) => `  ${formatDuration(f.ms).padStart(7)}  ${f.file}\n`).join('')}`);
const enforce = process.env.VIGIL_ENFORCE_BUDGETS === '1';
process.exit(run.status !== 0 ? run.status ?? 1 : over && enforce ? 1 : 0);
