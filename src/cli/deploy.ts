import { access } from 'node:fs/promises';
import path from 'node:path';
import { buildView } from '../build/read.ts';
import { compile } from '../compile.ts';
import { hasErrors } from '../diagnostics.ts';
import { deployEnvironment, planTargets, prepareTargets } from '../deploy/deploy.ts';
import { DeployCancelled } from '../deploy/cancel.ts';
import { DeployError } from '../deploy/errors.ts';
import { sweepStaleStages } from '../deploy/preflight.ts';
import { countChanges, renderPlanMarkdown, renderPlanText } from '../deploy/render.ts';
import { readBuild } from '../deploy/read-build.ts';
import { maskSecrets, onlySecretsOf, processSecrets, rememberingSecrets, tolerantSecrets } from '../deploy/secrets.ts';
import { environmentNames } from '../env/overrides.ts';
import type { Artifact } from '../emit/artifact.ts';
import type { EnvironmentModel } from '../model/types.ts';
import { loadDefinitions, styleFor, UsageError, type CliIO } from './io.ts';
import { EXIT } from './exit.ts';
import { interruptible, type Interruption } from './interrupt.ts';
import { countSummary, printDiagnostics } from './print.ts';
import { compareArtifacts } from './write.ts';
import { closest } from '../util/closest.ts';

export interface EnvCommandOptions {
  env?: string;
  envFile?: string;
  /** plan: compare this generated/ tree (e.g. a pull request's, as an artifact) instead of building the definitions. */
  build?: string;
  format: 'text' | 'json' | 'markdown';
}

async function compileEnvironment(io: CliIO, dir: string, options: EnvCommandOptions, command: 'plan' | 'deploy'): Promise<{ environment: EnvironmentModel; compiled: ReturnType<typeof compile> } | number> {
  const loaded = await loadDefinitions(dir, options.envFile);
  const names = environmentNames(loaded.definitions);
  let name = options.env;
  if (name === undefined) {
    if (names.length === 1) name = names[0]!;
    else throw new UsageError(names.length ? `--env is required: choose one of ${names.join(', ')}` : 'no Environment is declared; add a `kind: Environment` definition or pass --environment-file');
  } else if (!names.includes(name)) {
    // A name typed wrong on the command line is a usage error, not a problem of the definitions.
    const guess = closest(name, names);
    throw new UsageError(
      names.length
        ? `no Environment named "${name}" (declared: ${names.join(', ')})${guess ? `; did you mean "${guess}"?` : ''}`
        : `no Environment is declared (--env ${name}); add a \`kind: Environment\` definition or pass --environment-file`,
    );
  }
  const compiled = compile(loaded, { environment: name });
  if (hasErrors(compiled.diagnostics) || !compiled.model.environment) {
    printDiagnostics(io, 'text', loaded, compiled.diagnostics);
    io.err(`${styleFor(io).red(command === 'plan' ? 'nothing planned' : 'nothing deployed')}: the definitions for environment ${name} have problems (${countSummary(compiled.diagnostics)})\n`);
    return EXIT.problems;
  }
  return { environment: compiled.model.environment, compiled };
}

/**
 * CI deploys what is committed (it runs `build --check` first); by hand, a deploy from definitions whose generated/
 * was not rebuilt would put into service something no reviewer saw. Say so (the deploy still uses the fresh build).
 */
async function noteIfCommittedTreeDiffers(io: CliIO, environment: string, artifacts: readonly Artifact[]): Promise<void> {
  const dir = path.posix.join('generated', environment);
  try {
    await access(dir);
  } catch {
    return; // an environment from --environment-file, or a project that does not commit generated/
  }
  const stale = await compareArtifacts(dir, artifacts);
  const files = [...stale.changed, ...stale.missing, ...stale.extra];
  if (files.length) io.err(`  ${styleFor(io).yellow('note')}: ${dir}/ is not what these definitions build (${files.length} file${files.length === 1 ? '' : 's'}: ${files.slice(0, 3).join(', ')}${files.length > 3 ? ', …' : ''}); run \`vigil build\` and commit it, so the repository shows what runs\n`);
}

function formatDeployError(io: CliIO, command: string, e: DeployError): string {
  return `${styleFor(io).red(`${command} failed`)} [${e.code}]: ${e.message}\n  hint: ${e.hint}\n`;
}

function reportError(io: CliIO, command: string, e: unknown): number {
  if (!(e instanceof DeployError)) throw e;
  io.err(formatDeployError(io, command, e));
  return EXIT.problems;
}

export async function runPlan(io: CliIO, dir: string, options: EnvCommandOptions): Promise<number> {
  const compiled = await compileEnvironment(io, dir, options, 'plan');
  if (typeof compiled === 'number') return compiled;
  const { environment } = compiled;
  if (options.format === 'text' && options.build === undefined) await noteIfCommittedTreeDiffers(io, environment.name, compiled.compiled.artifacts);
  await sweepStaleStages(); // what SIGKILLed deploys left in the pre-flight's private folder
  const missing: string[] = [];
  // Every secret value the plan reads is masked in whatever it prints (a pull-request comment is public to readers).
  const seen = new Set<string>();
  const secrets = rememberingSecrets(processSecrets, seen);
  try {
    // With --build, the definitions here say where the services are and which secrets exist; the build says what
    // would run there, and none of its code runs (it is data: files checked against their manifest).
    const artifacts = options.build === undefined ? compiled.compiled.artifacts : await readBuild(options.build, environment.name);
    const trusted = buildView(compiled.compiled.artifacts).secrets;
    const configSecrets = tolerantSecrets(options.build === undefined ? secrets : onlySecretsOf(secrets, trusted), missing);
    const prepared = await prepareTargets({ environment, model: compiled.compiled.model, artifacts, secrets, configSecrets });
    const plans = maskSecrets(await planTargets(prepared.targets), seen);
    if (missing.length) plans.find((p) => p.target.startsWith('alertmanager'))?.notes.push(`secrets not available to the plan (${missing.join(', ')}): configuration compared as the services show it, with secrets masked`);
    if (options.format === 'json') io.out(JSON.stringify({ environment: environment.name, changes: countChanges(plans), targets: plans }, null, 2) + '\n');
    else if (options.format === 'markdown') io.out(renderPlanMarkdown(environment.name, plans));
    else io.out(renderPlanText(environment.name, plans));
    return countChanges(plans) ? EXIT.changes : EXIT.ok;
  } catch (e) {
    return reportError(io, 'plan', maskSecrets(e, seen));
  }
}

export async function runDeploy(io: CliIO, dir: string, options: EnvCommandOptions & { message?: string }): Promise<number> {
  // From the start: a signal during the compile must also end as a cancellation, not kill the process half-way.
  const interruption = interruptible(io);
  try {
    return await deployCommand(io, dir, options, interruption);
  } finally {
    interruption.dispose();
  }
}

async function deployCommand(io: CliIO, dir: string, options: EnvCommandOptions & { message?: string }, interruption: Interruption): Promise<number> {
  const compiled = await compileEnvironment(io, dir, options, 'deploy');
  if (typeof compiled === 'number') return compiled;
  const { environment } = compiled;
  if (options.format === 'text') await noteIfCommittedTreeDiffers(io, environment.name, compiled.compiled.artifacts);
  const style = styleFor(io);
  const started = performance.now();
  const failed = (e: DeployError) => (e instanceof DeployCancelled ? (interruption.exitCode() ?? EXIT.problems) : EXIT.problems);
  const heading = (e: DeployError) => (e instanceof DeployCancelled ? `${style.yellow('deploy cancelled')} [${e.code}]: ${e.message}\n  hint: ${e.hint}\n` : formatDeployError(io, 'deploy', e));
  // Every secret value the deploy reads is masked in whatever it prints (CI logs are read by many).
  const seen = new Set<string>();
  const secrets = rememberingSecrets(processSecrets, seen);
  try {
    const report = maskSecrets(
      await deployEnvironment(
        { environment, model: compiled.compiled.model, artifacts: compiled.compiled.artifacts, secrets, message: options.message ?? (await defaultMessage(dir, environment.name)) },
        { progress: (line) => options.format === 'text' && io.err(`  ${maskSecrets(line, seen)}\n`), signal: interruption.signal },
      ),
      seen,
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (options.format === 'json') {
      io.out(JSON.stringify({ environment: environment.name, ok: !report.failure, changes: countChanges(report.plans), preflight: report.preflight, applied: report.applied, targets: report.plans, notes: report.notes, failure: report.failure && { code: report.failure.error.code, message: report.failure.error.message, hint: report.failure.error.hint, rolledBack: report.failure.rolledBack, rollbackIncomplete: report.failure.rollbackIncomplete, rollbackFailures: report.failure.rollbackFailures } }, null, 2) + '\n');
      return report.failure ? failed(report.failure.error) : EXIT.ok;
    }
    if (report.failure) {
      const f = report.failure;
      io.err(heading(f.error));
      if (f.rolledBack.length) io.err(`  rolled back: ${f.rolledBack.join(', ')} (previous files restored and reloaded)\n`);
      for (const r of f.rollbackFailures) io.err(`  ${style.red('rollback incomplete')}: ${r}\n`);
      if (f.error instanceof DeployCancelled && !f.rollbackFailures.length) io.err(`  every target serves the build it served before this deploy; the lock is released\n`);
      return failed(f.error);
    }
    const total = countChanges(report.plans);
    if (total === 0) io.out(`No changes: environment ${environment.name} already runs this build (${report.plans.length} targets checked, ${seconds} s).\n`);
    else {
      io.out(renderPlanText(environment.name, report.plans.filter((p) => p.changes.length)).replace(/^Plan for/, 'Deployed to').replace(/\n[^\n]*pending[^\n]*\n$/, '\n'));
      io.out(`${style.bold('deployed')}: ${total} change${total === 1 ? '' : 's'} to ${report.applied.join(', ')}; every target verified (${seconds} s).\n`);
    }
    if (interruption.signal.aborted) io.err(`  note: the signal came after the last target was verified: the deploy is complete\n`);
    for (const n of report.notes) io.err(`  note: ${n}\n`);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof DeployCancelled) {
      io.err(heading(e));
      return failed(e);
    }
    return reportError(io, 'deploy', maskSecrets(e, seen));
  }
}

/**
 * The version note Grafana stores with each dashboard a deploy saves, when --message is not given: the commit the
 * definitions come from (and whether they had uncommitted changes), so a dashboard's history points back to git.
 */
async function defaultMessage(dir: string, environment: string): Promise<string> {
  try {
    // Loaded here, not at start-up: every other command would pay for it.
    const { simpleGit } = await import('simple-git');
    const git = simpleGit(dir);
    const commit = (await git.revparse(['--short', 'HEAD'])).trim();
    const dirty = !(await git.status(['--porcelain', '--', '.'])).isClean();
    return `vigil deploy ${environment} from ${commit}${dirty ? ' with uncommitted changes' : ''}`;
  } catch {
    return `vigil deploy ${environment}`;
  }
}
