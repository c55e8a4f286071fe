import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ENVIRONMENT_PATH } from '../build/paths.ts';
import { isStale, staleInputs } from '../build/freshness.ts';
import { BuildError, builtEnvironments, readBuild, type BuildView } from '../build/read.ts';
import type { DeployEnvironment } from '../build/environment.ts';
import { deployEnvironment, planTargets, prepareTargets } from '../deploy/deploy.ts';
import { DeployCancelled } from '../deploy/cancel.ts';
import { DeployError } from '../deploy/errors.ts';
import { sweepStaleStages } from '../deploy/preflight.ts';
import { countChanges, renderPlanMarkdown, renderPlanText } from '../deploy/render.ts';
import { maskSecrets, onlySecretsOf, processSecrets, rememberingSecrets, tolerantSecrets } from '../deploy/secrets.ts';
import { definitionInputs } from '../load/index.ts';
import { printableName } from '../load/file-names.ts';
import { styleFor, UsageError, type CliIO } from './io.ts';
import { EXIT } from './exit.ts';
import { interruptible, type Interruption } from './interrupt.ts';
import { closest } from '../util/closest.ts';

export interface EnvCommandOptions {
  env?: string;
  /** Refused: plan and deploy read a build, and a build is made with `vigil build --environment-file`. */
  envFile?: string;
  /** The build to deploy, or (plan) to compare with the services: a generated/ tree; default generated. */
  build?: string;
  /**
   * plan: the trusted build whose environment.json and secrets.json say where the services are and which secrets may
   * be read (the default branch's generated/), when --build is another tree such as a pull request's; default generated.
   */
  targets?: string;
  format: 'text' | 'json' | 'markdown';
}

const DEFAULT_BUILD = 'generated';

/** A trusted build of one environment, with the environment it deploys to. */
interface OpenedBuild {
  view: BuildView;
  environment: DeployEnvironment;
  shown: string;
}

/**
 * Opens the trusted build of the chosen environment: `buildDir/<env>/`, checked file by file against its manifest,
 * with its environment.json, and made from the definitions in `dir` as they are now (when the build recorded them
 * and `dir` is there to compare): deploy compiles nothing, so a build older than the definitions would put into
 * service something nobody built from them.
 */
async function openTrustedBuild(io: CliIO, dir: string, buildDir: string, options: EnvCommandOptions, command: 'plan' | 'deploy'): Promise<OpenedBuild> {
  if (options.envFile !== undefined) {
    throw new UsageError(
      `${command} reads a build and compiles nothing, so it takes no --environment-file: build with \`vigil build ${dir} --environment-file ${printableName(options.envFile)} --out DIR\`, then \`vigil ${command} ${dir} ${command === 'plan' ? '--targets' : '--build'} DIR --env NAME\``,
    );
  }
  const shownDir = printableName(buildDir);
  const names = await builtEnvironments(buildDir);
  if (names === undefined) throw new BuildError(`there is no build in ${shownDir}/`, `run \`vigil build${dir === 'monitoring' ? '' : ` ${dir}`}${buildDir === DEFAULT_BUILD ? '' : ` --out ${shownDir}`}\` first: ${command} reads the build and compiles nothing (or pass --build DIR)`);
  let name = options.env;
  if (name === undefined) {
    if (names.length === 1) name = names[0]!;
    else throw new UsageError(names.length ? `--env is required: ${shownDir}/ holds builds of ${names.join(', ')}` : `${shownDir}/ holds no environment's build; declare a \`kind: Environment\` and run \`vigil build\``);
  } else if (!names.includes(name)) {
    const guess = closest(name, names);
    throw new UsageError(
      names.length
        ? `${shownDir}/ holds no build of environment "${name}" (built: ${names.join(', ')})${guess ? `; did you mean "${guess}"?` : ''}`
        : `${shownDir}/ holds no environment's build (--env ${name}); declare a \`kind: Environment\` and run \`vigil build\``,
    );
  }
  const view = await readBuild(buildDir, name);
  const shown = `${shownDir}/${name}/`;
  if (!view.environment) throw new BuildError(`${shown}${ENVIRONMENT_PATH} is missing (a build by an older Vigil?)`, 'build again with `vigil build`: deploy reads where the services are from the build');
  if (view.inputs) await refuseStale(io, dir, view.inputs, shown);
  return { view, environment: view.environment, shown };
}

async function refuseStale(io: CliIO, dir: string, recorded: NonNullable<BuildView['inputs']>, shown: string): Promise<void> {
  try {
    if (!(await stat(dir)).isDirectory()) return;
  } catch {
    io.err(`  note: no definitions at ${printableName(dir)}: whether ${shown} is their build was not checked\n`);
    return;
  }
  const stale = staleInputs(recorded, await definitionInputs(dir));
  if (!isStale(stale)) return;
  const list = (what: string, files: string[]) => (files.length ? [`${what}: ${files.slice(0, 3).join(', ')}${files.length > 3 ? `, … (${files.length})` : ''}`] : []);
  const parts = [...list('changed', stale.changed), ...list('added', stale.added), ...list('removed', stale.removed)];
  throw new BuildError(`${shown} was not built from the definitions in ${printableName(dir)}/ as they are now (${parts.join('; ')})`, 'run `vigil build` (and commit generated/), then run this again: plan and deploy read the build and compile nothing', 'deploy/stale-build');
}

function formatDeployError(io: CliIO, command: string, e: DeployError): string {
  return `${styleFor(io).red(`${command} failed`)} [${e.code}]: ${e.message}\n  hint: ${e.hint}\n`;
}

function reportError(io: CliIO, command: string, e: unknown): number {
  const error = e instanceof BuildError ? new DeployError(e.message, e.hint, e.code) : e;
  if (!(error instanceof DeployError)) throw e;
  io.err(formatDeployError(io, command, error));
  return EXIT.problems;
}

export async function runPlan(io: CliIO, dir: string, options: EnvCommandOptions): Promise<number> {
  let trusted: OpenedBuild;
  let candidate: BuildView;
  try {
    // Never the compared build by default: a pull request's build must not say where the plan sends secrets.
    const targets = options.targets ?? DEFAULT_BUILD;
    trusted = await openTrustedBuild(io, dir, targets, options, 'plan');
    const other = options.build !== undefined && path.resolve(options.build) !== path.resolve(targets);
    candidate = other ? await readBuild(options.build!, trusted.environment.name) : trusted.view;
  } catch (e) {
    return reportError(io, 'plan', e);
  }
  const { environment } = trusted;
  await sweepStaleStages(); // what SIGKILLed deploys left in the pre-flight's private folder
  const missing: string[] = [];
  // Every secret value the plan reads is masked in whatever it prints (a pull-request comment is public to readers).
  const seen = new Set<string>();
  const secrets = rememberingSecrets(processSecrets, seen);
  try {
    // A pull request's build is data (files checked against their manifest, none of its code runs); which services
    // it is compared with and which secrets may be read come from the trusted build alone.
    const configSecrets = tolerantSecrets(candidate === trusted.view ? secrets : onlySecretsOf(secrets, trusted.view.secrets), missing);
    const prepared = await prepareTargets({ environment, build: candidate, secrets, configSecrets });
    const plans = maskSecrets(await planTargets(prepared.targets), seen);
    if (missing.length) plans.find((p) => p.target.startsWith('alertmanager'))?.notes.push(`secrets not available to the plan (${missing.join(', ')}): configuration compared as the services show it, with secrets masked`);
    const targetsNote = candidate !== trusted.view && candidate.environment && JSON.stringify(candidate.environment) !== JSON.stringify(environment) ? `the compared build changes environment.json (where the services are): it takes effect with its deploy; this plan uses ${trusted.shown}${ENVIRONMENT_PATH}` : undefined;
    if (targetsNote) plans[0]?.notes.push(targetsNote);
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
  let opened: OpenedBuild;
  try {
    opened = await openTrustedBuild(io, dir, options.build ?? DEFAULT_BUILD, options, 'deploy');
  } catch (e) {
    return reportError(io, 'deploy', e);
  }
  const { environment } = opened;
  if (options.format === 'text') io.err(`  deploying ${opened.shown} to environment ${environment.name}\n`);
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
        { environment, build: opened.view, secrets, message: options.message ?? (await defaultMessage(dir, environment.name)) },
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
