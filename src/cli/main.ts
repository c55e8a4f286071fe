import { parseArgs, type ParseArgsConfig } from 'node:util';
import pkg from '../../package.json' with { type: 'json' };
import { UsageError, type CliIO } from './io.ts';
import { argumentProblem, formatOf } from './options.ts';
import { closest } from '../util/closest.ts';

import { EXIT } from './exit.ts';
// Every command's module is imported when that command runs, never at start-up: `vigil validate` does not evaluate
// the relay, the deploy clients or the database drivers only other commands use (issue #12 §3, start-up time).

export { EXIT };

const HELP = `vigil — monitoring and alerting as code for Prometheus, Alertmanager and Grafana

Usage: vigil <command> [dir] [options]

Commands:
  init [dir]       scaffold a monitoring repository: definitions, CI workflow, editor settings (--example)
  validate [dir]   load and check every definition (default dir: monitoring)
  build [dir]      validate, then write Prometheus rules, alertmanager.yml, Grafana dashboards and docs
  test [dir]       run the rule unit tests with promtool, prove routing with amtool (--live: inhibition too)
  diff [dir]       what a change does, per environment: alerts, rules, routes, receivers, dashboards (--against REF)
  plan [dir]       compare one environment's build with its running services (exit 3: changes pending)
  deploy [dir]     pre-flight, write, reload, verify and (on failure) roll back one environment
  relay            run the notification relay (DingTalk delivery, escalation, confirm/close, alert history)
  import rules     turn Prometheus rule files and PrometheusRule manifests into Vigil definitions (--verify: prove it)
  import slo       turn Sloth specs and Pyrra ServiceLevelObjectives into SLOs (--verify: compare the rules in promtool)
  export data      write the series of a PromQL expression over a time range from Prometheus as CSV or JSON
  catalog update   record a live exporter's metrics (names, types, labels) as a catalogue: --from URL
  checks           list every check with its id

Options:
  --format FORMAT   how the result is printed (default: text); every command takes text and json,
                    validate, build and test also github (annotations on a pull request),
                    plan and diff also markdown (a pull-request comment)
  -h, --help        help for a command
  --version         print the version

Exit codes: 0 clean (warnings allowed); 1 problems in the definitions, stale output with --check, or a failed deploy;
2 usage or internal error; 3 changes pending (plan); 130/143 deploy cancelled by SIGINT/SIGTERM (rolled back).
Run \`vigil <command> --help\` for the command's options.`;

interface Command {
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(io: CliIO, dir: string, values: Record<string, unknown>, positionals: string[]): Promise<number>;
  /** Takes any number of positional arguments (files), not one directory. */
  manyPositionals?: boolean;
  /** Options that may stand without their value (`--live` alone); they then get "". */
  valueOptional?: readonly string[];
}
/** A command defined, help and options with it, in its own module: imported for its help too. */
type CommandModule = () => Promise<Command>;

const FORMAT_OPTION = { format: { type: 'string' as const, default: 'text' } };
const ENV_FILE_OPTION = { 'environment-file': { type: 'string' as const } };
const envFile = (values: Record<string, unknown>) => (typeof values['environment-file'] === 'string' ? values['environment-file'] : undefined);
const WATCH_CACHE_OPTIONS = { watch: { type: 'boolean' as const, default: false }, 'cache-dir': { type: 'string' as const }, 'no-cache': { type: 'boolean' as const, default: false } };
const WATCH_AND_CACHE_HELP = `--watch runs again whenever a definition file changes and prints only what changed: new problems, fixed
ones, files written (text only; Ctrl-C or SIGTERM stop it, exit 130 or 143).
Parsed files, TypeScript exports and PromQL analyses are cached by content in node_modules/.cache/vigil of the
nearest package.json (--cache-dir DIR or VIGIL_CACHE_DIR elsewhere, --no-cache to bypass): a cached run gives the
same problems and files as a cold one.`;
const cacheOptions = (values: Record<string, unknown>) => ({ dir: optionalString(values['cache-dir']), disabled: values['no-cache'] === true });
/** --watch prints changes as text; --check compares once. */
function textOnlyWatch(command: 'validate' | 'build', values: Record<string, unknown>): Record<string, never> {
  if (formatOf(command, values) !== 'text') throw new UsageError('--watch prints text only; leave out --format');
  if (values.check === true) throw new UsageError('--watch and --check do not go together: --check compares once, for CI');
  if (values.live !== undefined || values.env !== undefined) throw new UsageError('--watch and --live do not go together: --live asks the server once');
  return {};
}

const COMMANDS: Record<string, Command | CommandModule> = {
  init: async () => (await import('./init.ts')).initCommand,
  validate: {
    help: `Usage: vigil validate [dir] [--format text|json|github] [--watch] [--cache-dir DIR | --no-cache]
                      [--live [URL] [--env NAME] [--live-lookback 1h] [--live-timeout 10s]]

Loads every *.yaml and *.ts definition under dir (default: monitoring), checks the schema, PromQL, references,
thresholds, templates, naming and secrets, and prints every problem with file:line:col and a hint.
Exit 0 when there are no errors (warnings allowed), 1 when there are.
${WATCH_AND_CACHE_HELP}
--live URL also asks a running Prometheus about the definitions, like pint's live checks:
  live/series-missing  a selector of an alert, recording rule or panel matches no series (the matcher that empties
                       it is named)
  live/label-missing   no series of the metric carries a label a matcher uses
  live/type-mismatch   the server's metadata gives a metric another type than the catalogue
With --env NAME, that environment's definitions are judged, and --live without a URL asks its first Prometheus.
  --live-lookback  how far back a series counts as present (default 1h)
  --live-timeout   the limit for each request (default 10s); the whole pass ends within 6 times that
A server that cannot be asked, answers late or not as Prometheus does is one live/unreachable error (exit 1).`,
    options: { ...FORMAT_OPTION, ...ENV_FILE_OPTION, ...WATCH_CACHE_OPTIONS, live: { type: 'string' }, env: { type: 'string' }, 'live-lookback': { type: 'string', default: '1h' }, 'live-timeout': { type: 'string', default: '10s' } },
    valueOptional: ['live'],
    run: async (io, dir, values) =>
      values.watch === true
        ? (await import('./watch.ts')).watchValidate(io, dir, { envFile: envFile(values), cache: cacheOptions(values), ...textOnlyWatch('validate', values) })
        : (await import('./validate.ts')).runValidate(io, dir, formatOf('validate', values), envFile(values), cacheOptions(values), liveRequest(values)),
  },
  build: {
    help: `Usage: vigil build [dir] [--out generated] [--check] [--format text|json|github] [--watch]
                   [--cache-dir DIR | --no-cache]

Validates dir (default: monitoring) and writes, deterministically, under --out (default: generated):
  prometheus/rules/<group>.yml         Prometheus rule files (promtool check rules --lint-fatal clean)
  alertmanager/alertmanager.yml        Alertmanager configuration (+ templates/)
  grafana/dashboards/<uid>.json        Grafana dashboards
  relay/relay.yml                      DingTalk/SMS channels (secret references only) and escalation, for the relay
  docs/alerts.md, docs/routing.md      the alert catalogue and the routing matrix
  manifest.json                        every file with its sha256 and source definitions
With Environments, each <env>/ holds environment.json and only the files that differ from the shared tree
(its overlay; the manifest lists them and the shared files it lacks): a change that reads the same in every
environment rewrites the shared file and the manifest only. Plan and deploy read an environment's tree merged.
Nothing is written when there are errors. With --check nothing is written either: the command exits 1 and lists the
files that differ from a fresh build (use it in CI to catch a stale generated/).
${WATCH_AND_CACHE_HELP}`,
    options: { ...FORMAT_OPTION, ...ENV_FILE_OPTION, ...WATCH_CACHE_OPTIONS, out: { type: 'string', default: 'generated' }, check: { type: 'boolean', default: false } },
    run: async (io, dir, values) =>
      values.watch === true
        ? (await import('./watch.ts')).watchBuild(io, dir, String(values.out), { envFile: envFile(values), cache: cacheOptions(values), ...textOnlyWatch('build', values) })
        : (await import('./build.ts')).runBuild(io, dir, { out: String(values.out), check: values.check === true, format: formatOf('build', values), envFile: envFile(values), cache: cacheOptions(values) }),
  },
  checks: {
    help: 'Usage: vigil checks [--format text|json]\n\nLists every check: its id, default severity and what it verifies.',
    options: FORMAT_OPTION,
    run: async (io, _dir, values) => (await import('./checks.ts')).runChecks(io, formatOf('checks', values)),
  },
  test: async () => (await import('./test.ts')).testCommand,
  plan: {
    help: `Usage: vigil plan [dir] --env NAME [--build DIR] [--targets DIR] [--format text|json|markdown]

Compares the build of one environment (DIR/<env>/, default generated/<env>/, written by \`vigil build\`) with what
its services run now: Prometheus rules (/api/v1/rules), each Alertmanager peer's loaded configuration
(/api/v2/status), Grafana dashboards by uid (only those tagged vigil-managed are candidates for removal), the
InfluxDB retention policy, and the relay's relay.yml (when the Environment sets relay.buildDir). Nothing is changed
and nothing is compiled: the build must be that of the definitions in dir (default monitoring) as they are now, or
the plan stops and says which files changed.
--build DIR compares another tree, e.g. a pull request's build downloaded as an artifact: only files its manifest
lists, with their sha256, are read, and none of its code runs. Where the services are and which secrets may be read
always come from --targets DIR (default generated: the checkout's own, reviewed build).
--format markdown prints a pull-request comment. Secrets that are not set are compared masked.
Exit 0 when there is nothing to change, 3 when changes are pending, 1 on problems, 2 on usage errors.`,
    options: { format: { type: 'string', default: 'text' }, env: { type: 'string' }, build: { type: 'string' }, targets: { type: 'string' }, ...ENV_FILE_OPTION },
    run: async (io, dir, values) =>
      (await import('./deploy.ts')).runPlan(io, dir, { env: optionalString(values.env), envFile: envFile(values), build: optionalString(values.build), targets: optionalString(values.targets), format: formatOf('plan', values) }),
  },
  deploy: {
    help: `Usage: vigil deploy [dir] --env NAME [--build DIR] [--message TEXT] [--format text|json]

Deploys the build of one environment (DIR/<env>/, default generated/<env>/, written by \`vigil build\`; in CI the
committed tree after \`vigil build --check\`). Nothing is compiled: the build must be that of the definitions in
dir (default monitoring) as they are now, and every file must match the build's manifest. Then, safely:
  1. secrets: filled in from the environment (a missing one fails here, naming it)
  2. lock: one deploy per environment at a time
  3. plan and pre-flight, together: every target is read before anything is written (an unreachable one fails
     here: nothing changes), and promtool check rules/config and amtool check-config run on exactly the files
     about to be written
  4. for each target with changes: write atomically, reload (every Prometheus replica, every Alertmanager peer),
     verify (rule groups and counts, loaded Alertmanager config, Grafana versions, InfluxDB retention, the relay.yml
     the relay serves, with relay.buildDir)
  5. on any failure: roll every touched target back to its previous files and reload it, then exit 1
  6. on SIGINT or SIGTERM (a cancelled CI job): no further target is started, the touched ones are rolled back as in
     5, then exit 130 (SIGINT) or 143 (SIGTERM); a second signal waits for the rollback, a third stops at once
A deploy of a build that is already live changes nothing and says so.`,
    options: { format: { type: 'string', default: 'text' }, env: { type: 'string' }, build: { type: 'string' }, message: { type: 'string' }, ...ENV_FILE_OPTION },
    run: async (io, dir, values) =>
      (await import('./deploy.ts')).runDeploy(io, dir, { env: optionalString(values.env), envFile: envFile(values), build: optionalString(values.build), format: formatOf('deploy', values), message: optionalString(values.message) }),
  },
  import: async () => (await import('./import.ts')).importCommand,
  export: async () => (await import('./export.ts')).exportCommand,
  catalog: async () => (await import('./catalog.ts')).catalogCommand,
  diff: async () => {
    const { DIFF_HELP, diffFormat, runDiff } = await import('./diff.ts');
    return {
      help: DIFF_HELP,
      options: { format: { type: 'string', default: 'text' }, against: { type: 'string' }, generated: { type: 'string', default: 'generated' }, build: { type: 'string' } },
      run: (io, dir, values) => runDiff(io, dir, { generated: String(values.generated), against: optionalString(values.against), build: optionalString(values.build), format: diffFormat(values) }),
    };
  },
  relay: {
    help: `Usage: vigil relay [--env NAME] [--build DIR] [--listen HOST:PORT] [--store sqlite:PATH|postgres://…] [--language zh|en]
                   [--time-zone ZONE] [--insecure-open-notify]

Runs the notification relay for one environment's build (DIR/<env>/relay/relay.yml, default generated/; without
--env, the shared tree of a project without environments). Alertmanager posts its webhooks to
/api/v1/notify/<channel>/<receiver>; each is stored before the relay answers (5xx when it cannot be, so Alertmanager
retries), then delivered (DingTalk, SMS through Aliyun, Tencent Cloud or an HTTP gateway, email for escalation
tiers), with retries, per-robot rate limits (what does not fit becomes a digest), escalation after the severity's
delays, confirm/close through the API or signed links in the messages (with publicUrl), and a silence in Alertmanager
for a closed alert.
Settings come from the build's relay: section (Project or Environment): token (required: the bearer token Alertmanager
sends; --insecure-open-notify starts without one), apiTokens.read / apiTokens.operate (the alerts API), listen
(default 127.0.0.1 and the port of url), store (default sqlite:vigil-relay.db; postgres://user@host/db with
storePassword for several replicas), language (zh), timeZone (Asia/Shanghai); the flags override them.
Endpoints: /-/healthy, /-/ready, POST /-/reload, /metrics, /api/v1/status, /api/v1/alerts, /api/v1/alerts/statistics,
/api/v1/alerts/{id}, POST /api/v1/alerts/{id}/confirm|close, GET/POST /a/<link token>.
Stops on SIGINT/SIGTERM; what is not done stays in the store for the next start.`,
    options: {
      env: { type: 'string' },
      build: { type: 'string' },
      listen: { type: 'string' },
      store: { type: 'string' },
      language: { type: 'string' },
      'time-zone': { type: 'string' },
      'insecure-open-notify': { type: 'boolean', default: false },
    },
    run: async (io, dir, values) =>
      (await import('./relay.ts')).runRelay(io, dir, {
        env: optionalString(values.env),
        build: optionalString(values.build),
        listen: optionalString(values.listen),
        store: optionalString(values.store),
        language: optionalString(values.language),
        timeZone: optionalString(values['time-zone']),
        insecureOpenNotify: values['insecure-open-notify'] === true,
      }),
  },
};

/** The command of that name, its module imported if it defines it; undefined for any other name (`constructor` too). */
async function commandNamed(name: string): Promise<Command | undefined> {
  if (!Object.hasOwn(COMMANDS, name)) return undefined;
  const entry = COMMANDS[name]!;
  return typeof entry === 'function' ? entry() : entry;
}

const optionalString = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** validate's --live options, when --live or --env is given. */
function liveRequest(values: Record<string, unknown>) {
  if (values.live === undefined && values.env === undefined) return undefined;
  return { url: optionalString(values.live), env: optionalString(values.env), lookback: String(values['live-lookback']), timeout: String(values['live-timeout']) };
}

/**
 * `--live` followed by nothing, another option or a directory stands alone (""): the next argument is its value only
 * when it reads as a URL (scheme://… or host:port).
 */
function withOptionalValues(args: string[], names: readonly string[] = []): string[] {
  return args.map((arg, i) => {
    if (!names.some((n) => arg === `--${n}`)) return arg;
    const next = args[i + 1];
    return next !== undefined && /^([a-z][a-z0-9+.-]*:\/\/|[^\s/:]+:\d+)/i.test(next) ? arg : `${arg}=`;
  });
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const command = topic === undefined ? undefined : await commandNamed(topic);
    io.out((command ? command.help : HELP) + '\n');
    return EXIT.ok;
  }
  if (name === '--version' || name === 'version') {
    io.out(`vigil ${await version()}\n`);
    return EXIT.ok;
  }
  // Node reads `--env-file FILE` as its own option wherever it stands (Node 20), before Vigil runs: a NODE_OPTIONS
  // line in that file takes effect. Vigil's flag is --environment-file; this one is refused, never taken as a file.
  const nodesOwn = rest.find((a) => a === '--env-file' || a.startsWith('--env-file='));
  if (nodesOwn) {
    io.err(`vigil ${name}: --env-file is Node's own option (Node reads that file as environment variables before Vigil starts); use --environment-file FILE\n`);
    return EXIT.usage;
  }
  const command = await commandNamed(name);
  if (!command) {
    const guess = closest(name, Object.keys(COMMANDS));
    io.err(`vigil: unknown command "${name}"${guess ? `; did you mean ${guess}?` : ''}\n\n${HELP}\n`);
    return EXIT.usage;
  }
  const options = { ...command.options, help: { type: 'boolean' as const, short: 'h' } };
  try {
    const { values, positionals } = parseArgs({ args: withOptionalValues(rest, command.valueOptional), options, allowPositionals: true, strict: true });
    if (values.help) {
      io.out(command.help + '\n');
      return EXIT.ok;
    }
    if (positionals.length > 1 && !command.manyPositionals) throw new UsageError(`expected at most one directory, got ${positionals.length}: ${positionals.join(' ')}`);
    return await command.run(io, positionals[0] ?? 'monitoring', values as Record<string, unknown>, positionals);
  } catch (e) {
    const problem = e instanceof UsageError ? e.message : argumentProblem(e as Error & { code?: string }, options);
    if (problem !== undefined) {
      io.err(`vigil ${name}: ${problem}\nRun \`vigil ${name} --help\` for usage.\n`);
      return EXIT.usage;
    }
    io.err(`vigil ${name}: internal error: ${(e as Error).message}\nThis is a bug in Vigil; please report it together with the command you ran.\n`);
    if (process.env.VIGIL_DEBUG) io.err(`${(e as Error).stack}\n`);
    return EXIT.usage;
  }
}

async function version(): Promise<string> {
  return pkg.version;
}
