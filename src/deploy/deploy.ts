import path from 'node:path';
import type { DeployEnvironment } from '../build/environment.ts';
import { sweepAtomicLeftovers } from '../util/atomic-write.ts';
import type { BuildView } from '../build/read.ts';
import { AlertmanagerAdapter } from './alertmanager.ts';
import { throwIfCancelled } from './cancel.ts';
import { DeployError } from './errors.ts';
import { GrafanaAdapter, withOwnershipTag } from './grafana.ts';
import { InfluxAdapter } from './influxdb.ts';
import { acquireLock } from './lock.ts';
import { preflight, sweepStaleStages, type PreflightInput } from './preflight.ts';
import { desiredGroup, PrometheusAdapter } from './prometheus.ts';
import { RelayAdapter } from './relay.ts';
import { ALERTMANAGER_SILENCES_PATH, ENVIRONMENT_PATH } from '../build/paths.ts';
import { parseSilencesFile } from '../silences/document.ts';
import { SilencesAdapter } from './silences.ts';
import { isUnavailable, materialise, processSecrets, secretFileContent, secretFileLineBreakNotes, secretValue, type SecretSource } from './secrets.ts';
import type { Target, TargetPlan } from './target.ts';
import { testPause } from './test-pause.ts';
import { allInOrder } from '../util/all-in-order.ts';

export interface DeployInput {
  /** Where the services are: the trusted build's environment.json. */
  environment: DeployEnvironment;
  /** The files to deploy: the build of this environment (generated/<env>/, read and checked against its manifest). */
  build: BuildView;
  secrets?: SecretSource;
  /** Where secrets that only go into config files come from; defaults to `secrets` (a plan passes a lenient one). */
  configSecrets?: SecretSource;
  /** Stored with each Grafana dashboard version: which commit deployed it. */
  message?: string;
}

export interface Targets {
  targets: Target[];
  prometheus: PrometheusAdapter[];
  /** Every rule file of the build by name; the pre-flight checks those about to change. */
  ruleFiles: Map<string, string>;
  /** alertmanager.yml with its secrets and templates, for amtool. */
  alertmanager?: PreflightInput['alertmanager'];
}

/** Everything a plan or deploy talks to, with the files it would write (secrets filled in: a missing one fails here). */
export async function prepareTargets(input: DeployInput): Promise<Targets> {
  const { environment: env, build } = input;
  const secrets = input.secrets ?? processSecrets;
  const configSecrets = input.configSecrets ?? secrets;
  // The only secrets this deploy reads: those secrets.json names, each for its exact place in a file.
  const uses = build.secrets;
  const ruleFiles = new Map(build.ruleGroups.map((f) => [f.name, f.content]));
  // Rule files straight from the emitter carry their groups as data; any other file (altered after compiling, or read
  // from disk) makes the adapter parse them all, with its own errors.
  const fromModel = build.ruleGroups.every((f) => f.carried) ? build.ruleGroups.flatMap((f) => f.groups.map((g) => desiredGroup(f.name, g))) : undefined;
  const problems: string[] = [];
  const attempt = async <T>(f: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await f();
    } catch (e) {
      if (!(e instanceof DeployError)) throw e;
      problems.push(e.message);
      return undefined;
    }
  };

  const prometheus: PrometheusAdapter[] = [];
  for (const replica of env.prometheus) {
    const file = build.prometheusConfigs.get(replica.name);
    const config = replica.configFile && file !== undefined ? await attempt(() => materialise(file.path, file.content, uses, configSecrets)) : undefined;
    prometheus.push(new PrometheusAdapter({ replica, ruleFiles, config, groups: fromModel }));
  }

  const targets: Target[] = [];
  if (env.influxdb) {
    const influx = env.influxdb;
    // A lenient plan reads the retention policies without the password when it is not available: enough for an
    // InfluxDB without authentication, and an HTTP 401 that names the server otherwise.
    const read = await (influx.password ? attempt(() => secretValue(influx.password!, 'the InfluxDB password', input.configSecrets ?? secrets)) : undefined);
    const password = read !== undefined && isUnavailable(read) ? undefined : read;
    targets.push(new InfluxAdapter({ url: influx.url, database: influx.database, retention: influx.retention, username: influx.username, password }));
  }

  // The relay is deploy's to manage where the Environment says where its build goes (relay.buildDir).
  if (env.relay?.buildDir) {
    const relay = env.relay;
    const relayConfig = build.relayConfig?.content;
    const environmentJson = build.files.find((f) => f.path === ENVIRONMENT_PATH)?.content;
    // A plan reads the relay's status (the read token); only a deploy reloads it (the operate token, which a plan may
    // lack: read leniently, like the secrets of config files).
    const readToken = relay.readToken ? await attempt(() => secretValue(relay.readToken!, 'the relay read token', secrets)) : undefined;
    const operate = relay.operateToken ? await attempt(() => secretValue(relay.operateToken!, 'the relay operate token', configSecrets)) : undefined;
    const operateToken = operate !== undefined && !isUnavailable(operate) ? operate : undefined;
    // Before Alertmanager: a receiver new in this build is known to the relay before Alertmanager posts to it.
    if (relayConfig !== undefined && environmentJson !== undefined) {
      targets.push(new RelayAdapter({ environment: env.name, url: relay.url, buildDir: relay.buildDir!, ...(readToken !== undefined ? { readToken } : {}), ...(operateToken !== undefined ? { operateToken } : {}), relayConfig, environmentJson }));
    }
  }

  let alertmanager: Targets['alertmanager'];
  if (env.alertmanager.length) {
    const file = build.alertmanagerConfig;
    const config = file !== undefined ? await attempt(() => materialise(file.path, file.content, uses, configSecrets)) : undefined;
    const templates = build.alertmanagerTemplates;
    const secretFiles: { name: string; content: string }[] = [];
    for (const use of uses.filter((u) => u.as === 'file' && u.env && u.path)) {
      const where = secretFileProblem(env, use.env!, use.path!);
      if (where) {
        problems.push(where);
        continue;
      }
      const value = await attempt(() => secretValue({ env: use.env }, `secret $${use.env} (for ${use.path})`, configSecrets));
      if (value !== undefined && !secretFiles.some((f) => f.name === use.env)) secretFiles.push({ name: use.env!, content: secretFileContent(value) });
    }
    if (config) {
      targets.push(new AlertmanagerAdapter({ peers: env.alertmanager, config, templates, secretFiles }));
      alertmanager = { config: config.content, templates };
    }
    // The project's silences (kind: Silences), synced through the API after the configuration.
    const silences = build.files.find((f) => f.path === ALERTMANAGER_SILENCES_PATH)?.content;
    if (silences !== undefined) {
      try {
        targets.push(new SilencesAdapter({ peers: env.alertmanager, file: parseSilencesFile(silences) }));
      } catch (e) {
        problems.push(`${ALERTMANAGER_SILENCES_PATH} is not what Vigil writes (${(e as Error).message}): build again`);
      }
    }
  }
  targets.push(...prometheus);

  if (env.grafana) {
    const grafana = env.grafana;
    if (!grafana.token) problems.push('grafana.token is not set in the Environment: dashboards cannot be deployed without a service account token');
    const token = grafana.token ? await attempt(() => secretValue(grafana.token!, 'the Grafana token', secrets)) : undefined;
    const dashboards = new Map<string, Record<string, unknown>>();
    for (const json of build.dashboards.values()) {
      dashboards.set(String(json.uid), withOwnershipTag(json));
    }
    if (token !== undefined) {
      targets.push(new GrafanaAdapter({ url: grafana.url, token, folder: grafana.folder, dashboards, message: input.message ?? `vigil deploy ${env.name}` }));
    }
  }

  if (problems.length) {
    throw new DeployError(`environment "${env.name}" cannot be deployed from here:\n${problems.map((p) => `  - ${p}`).join('\n')}`, 'nothing was changed', 'deploy/secret');
  }
  return { targets, prometheus, ruleFiles, alertmanager };
}

/**
 * A secret file goes to each peer's secretsDir under the variable's name, while alertmanager.yml names it where the
 * servers read it: that must be the file `serverSecretsDir/NAME`, or the build was made for another Environment (or
 * altered), and a deploy would write a file nobody reads.
 */
export function secretFileProblem(env: DeployEnvironment, name: string, named: string): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return `alertmanager.yml names a secret file for "${name}", which is not an environment variable name`;
  const serverDir = env.alertmanagerServerSecretsDir;
  if (serverDir === undefined) {
    return `the Alertmanager peers write their secret files to different directories (${[...new Set(env.alertmanager.map((p) => p.secretsDir ?? '(none)'))].join(', ')}): set alertmanager.serverSecretsDir to the directory the servers read them from`;
  }
  if (named !== `${serverDir.replace(/\/+$/, '')}/${name}`) return `alertmanager.yml reads $${name} from ${named}, but this Environment's Alertmanager reads secret files from ${serverDir}: build again for this environment`;
  const unwritable = env.alertmanager.filter((p) => !p.secretsDir).map((p) => p.url);
  if (unwritable.length) return `no secretsDir (or configFile) for Alertmanager peer ${unwritable.join(', ')}, so its secret file for $${name} cannot be written`;
  return undefined;
}

/** The pre-flight's input narrowed to what would change on disk (every rule file, on a first deploy). */
async function changedFiles(prepared: Targets): Promise<PreflightInput> {
  const pending = await Promise.all(prepared.prometheus.map(async (p) => ({ p, checks: await p.pendingChecks() })));
  const ruleFiles = new Map<string, string>();
  for (const { checks } of pending) for (const name of checks.ruleFiles) ruleFiles.set(name, prepared.ruleFiles.get(name)!);
  const prometheusConfigs = pending.filter((x) => x.checks.config !== undefined).map((x) => ({ replica: x.p.replicaName, content: x.checks.config! }));
  return {
    ruleFiles,
    prometheusConfigs,
    alertmanager: prepared.alertmanager,
    promtool: process.env.VIGIL_PROMTOOL || 'promtool',
    amtool: process.env.VIGIL_AMTOOL || 'amtool',
  };
}

/** Every directory a deploy of this environment writes files into. */
function targetDirectories(env: DeployEnvironment): string[] {
  const dirs = new Set<string>();
  for (const p of env.prometheus) {
    dirs.add(p.rulesDir);
    if (p.configFile) dirs.add(path.dirname(p.configFile));
  }
  for (const peer of env.alertmanager) {
    if (peer.configFile) {
      dirs.add(path.dirname(peer.configFile));
      dirs.add(path.join(path.dirname(peer.configFile), 'templates'));
    }
    if (peer.secretsDir) dirs.add(peer.secretsDir);
  }
  if (env.relay?.buildDir) for (const sub of ['', 'relay']) dirs.add(path.join(env.relay.buildDir, env.name, sub));
  return [...dirs];
}

async function sweepLeftovers(env: DeployEnvironment): Promise<string[]> {
  const removed: string[] = [];
  for (const dir of targetDirectories(env)) for (const name of await sweepAtomicLeftovers(dir)) removed.push(path.join(dir, name));
  return removed;
}

/**
 * Reads every target (all before any write) and says what a deploy would change. Side by side; when several fail
 * (services unreachable), the first target's failure is told, whichever answered first.
 */
export async function planTargets(targets: readonly Target[]): Promise<TargetPlan[]> {
  return allInOrder(targets.map((t) => t.plan()));
}

export interface DeployReport {
  plans: TargetPlan[];
  preflight: string[];
  /** Targets written, reloaded and verified. */
  applied: string[];
  notes: string[];
  /**
   * Set when the deploy failed or was cancelled (the error is then a DeployCancelled): what stopped it, and for each
   * target touched, one outcome: rolled back whole, or not (then what could not be undone).
   */
  failure?: { error: DeployError } & RollbackOutcome;
}

export interface RollbackOutcome {
  /** Targets whose rollback undid everything, in the order they were rolled back. */
  rolledBack: string[];
  /** Targets whose rollback left something undone: each is in this list or in rolledBack, never both. */
  rollbackIncomplete: string[];
  /** What could not be undone, each line naming its target. */
  rollbackFailures: string[];
}

/**
 * Rolls the touched targets back in reverse. A target counts as rolled back only when nothing of its rollback failed,
 * so the output says one true thing per target; a rollback that throws is a failure of that target, and the others
 * are still rolled back.
 */
export async function rollBack(touched: readonly Target[], progress: (line: string) => void = () => undefined): Promise<RollbackOutcome> {
  const outcome: RollbackOutcome = { rolledBack: [], rollbackIncomplete: [], rollbackFailures: [] };
  for (const target of [...touched].reverse()) {
    progress(`${target.name}: rolling back`);
    let failures: string[];
    try {
      failures = await target.rollback();
    } catch (e) {
      failures = [(e as Error).message];
    }
    if (failures.length === 0) outcome.rolledBack.push(target.name);
    else {
      outcome.rollbackIncomplete.push(target.name);
      outcome.rollbackFailures.push(...failures.map((f) => (f.startsWith(`${target.name}:`) || f.startsWith(`${target.name} `) ? f : `${target.name}: ${f}`)));
    }
    await testPause(`rolled-back:${target.name}`);
  }
  return outcome;
}

export interface DeployHooks {
  /** Progress lines: "writing", "reloading", "verified", … */
  progress?(line: string): void;
  /**
   * Cancels the deploy when aborted (its reason names why, e.g. "SIGTERM"). Before any write it ends with a
   * DeployCancelled and nothing changed; once targets were written, the target in progress finishes its step (an atomic
   * write is never cut short), no further target is started, and every target touched is rolled back as on a failure.
   * The rollback itself is never cancelled.
   */
  signal?: AbortSignal;
}

/**
 * Secrets → lock → plan (every target read before anything is written) together with the pre-flight (the real tools
 * on the files about to change) → for each target with changes: write, reload, verify → on any failure or
 * cancellation, roll back every target touched so far, in reverse, and reload them. Unchanged targets are not touched,
 * so a second deploy of the same build changes nothing.
 */
export async function deployEnvironment(input: DeployInput, hooks: DeployHooks = {}): Promise<DeployReport> {
  const progress = hooks.progress ?? (() => undefined);
  const { signal } = hooks;
  const unchanged = 'nothing was changed';
  await sweepStaleStages();
  throwIfCancelled(signal, unchanged);
  const prepared = await prepareTargets(input);
  const lock = await acquireLock(input.environment.prometheus[0]!.rulesDir, input.environment.name);
  try {
    // What a SIGKILLed deploy left half-written (with secrets, perhaps) goes before anything else is written.
    for (const name of await sweepLeftovers(input.environment)) progress(`removed ${name}, left by a deploy that was killed`);
    throwIfCancelled(signal, unchanged);
    const [plans, checked] = await allInOrder([planTargets(prepared.targets), changedFiles(prepared).then((files) => preflight(files, signal))]);
    throwIfCancelled(signal, unchanged);
    for (const line of checked) progress(`pre-flight ok: ${line}`);
    progress('planned');
    const report: DeployReport = { plans, preflight: checked, applied: [], notes: plans.flatMap((p) => p.notes.map((n) => `${p.target}: ${n}`)) };
    // Files the user provides for Alertmanager's *_file fields, where this machine can read them.
    for (const note of await secretFileLineBreakNotes(input.build.secrets, input.configSecrets ?? input.secrets ?? processSecrets)) {
      report.notes.push(note);
      progress(note);
    }
    const touched: Target[] = [];
    try {
      for (const [i, target] of prepared.targets.entries()) {
        if (plans[i]!.changes.length === 0) continue;
        throwIfCancelled(signal, touched.length ? `${target.name} and the targets after it were not started` : unchanged);
        touched.push(target);
        progress(`${target.name}: applying ${plans[i]!.changes.length} change${plans[i]!.changes.length === 1 ? '' : 's'}`);
        await target.apply();
        await testPause(`applied:${target.name}`);
        await target.verify();
        progress(`${target.name}: verified`);
        report.applied.push(target.name);
        await testPause(`verified:${target.name}`);
      }
      // A signal during the last target's step still means "not this build": roll it all back like any other.
      throwIfCancelled(signal, touched.length ? `it came while ${touched.at(-1)!.name} was being applied` : unchanged);
    } catch (e) {
      const error = e instanceof DeployError ? e : new DeployError((e as Error).message, 'this is a bug in Vigil; please report it', 'internal');
      if (touched.length) await testPause('rollback');
      report.failure = { error, ...(await rollBack(touched, progress)) };
      return report;
    }
    for (const p of prepared.prometheus) report.notes.push(...p.continuityNotes);
    return report;
  } finally {
    await lock.release();
  }
}
