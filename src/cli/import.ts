import { ownValue } from '../util/own.ts';
import { hasErrors, type Diagnostic } from '../diagnostics.ts';
import { foldGroups, type ImportNote } from '../import/fold.ts';
import { importRules, type RulesImport } from '../import/import-rules.ts';
import { verifyRules, type RoundTrip } from '../import/verify-rules.ts';
import { runImportAlertmanager } from './import-alertmanager.ts';
import { runImportDashboards } from './import-dashboards.ts';
import { alertLevels, importSlos } from '../import/slo.ts';
import { verifySlos, type SloRoundTrip } from '../import/slo-verify.ts';
import { promtoolAvailable, promtoolVerify, type PromtoolVerdict } from '../import/slo-promtool.ts';
import { buildImported, importJson, readImportInputs, refuseInput, writeImported, type ImportOptions } from './import-io.ts';
import { EXIT } from './exit.ts';
import { styleFor, UsageError, type CliIO } from './io.ts';
import { countSummary } from './print.ts';
import { formatOf } from './options.ts';

const HELP = `Usage: vigil import rules FILE... --out DIR [--verify] [--format text|json]
       vigil import alertmanager FILE --out DIR [--verify] [--format text|json]
       vigil import dashboards FILE... --out DIR [--verify] [--format text|json]
       vigil import slo FILE... --out DIR [--verify] [--page-severity S] [--ticket-severity S] [--format text|json]

Turns the rule files a team already runs into Vigil definitions, written under DIR (a new or empty directory) as a
project that builds on its own:
  rules/<group>.yaml       one AlertRules (and RecordingRules) definition per rule group
  metrics/imported.yaml    the metrics the rules read: counters and histograms inferred from their use, the rest
                           listed by name for review
  project.yaml, severities.yaml, routes.yaml, receivers.yaml   what a project needs to build (replace the last two
                           with \`vigil import alertmanager\` once it exists, or your own)
FILE may be a Prometheus rule file (groups:), a PrometheusRule manifest, a List of them, a ConfigMap holding rule
files, or several YAML documents of these. An alert whose severities differ only in the threshold becomes one alert
with thresholds; every other alert is kept rule by rule. Bad input is reported with file:line:col and nothing is
written.
--verify builds the written definitions and compares the rule files Vigil makes with the input: the same alerts
(name, expression up to whitespace and parentheses, for, keep_firing_for, labels, annotations, group) and recording
rules; every difference is listed. A folded alert's threshold annotation is listed as a change by design.

vigil import alertmanager reads one alertmanager.yml (or the Kubernetes Secret holding it) and writes receivers.yaml,
routes.yaml (tree, inhibit rules, time intervals), project.yaml (global settings, templates, smtp) and severities.yaml.
Integrations that fit a Vigil channel become one; the rest are kept in the receiver's alertmanager: block. Literal
secrets become { env: NAME } references: the command lists the variables to set, by name only. Names Vigil cannot
take are renamed; what Routes cannot say is listed as needing review. --verify builds the definitions and routes
every label set the input's matchers imply through both files (and through amtool config routes test when amtool is
installed), compares inhibit rules, time intervals and receivers, and runs amtool check-config on the build.

vigil import dashboards reads Grafana dashboard JSON (bare, or Grafana's export format with __inputs), or the
ConfigMaps (a ConfigMapList, a List, several documents) that provision them, and writes dashboards/<uid>.yaml, a
Dashboard definition carrying dashboards/<uid>.json as it was (export datasource inputs become the project's
datasource), metrics/imported.yaml for the metrics the queries read, and project.yaml. --verify builds the definitions
and compares each built dashboard with its input: panels (type, title, layout, unit, thresholds) and queries
(expression up to whitespace, legendFormat).

vigil import slo reads Sloth specs (version: "prometheus/v1", or the PrometheusServiceLevel resource) and Pyrra
ServiceLevelObjective manifests and writes slos/<service or name>.yaml (kind: SLOs), metrics/imported.yaml and
project.yaml. Sloth's page and ticket alerts become the SLO alert's page and ticket levels: the first two levels of
Severities, or --page-severity / --ticket-severity. What Vigil's SLOs cannot say (Sloth plugins and raw SLIs, Pyrra
native histograms, per-level labels) is listed as not imported or needing review. --verify builds the definitions
and checks the rules hold the source's objective, period, error ratio and burn windows, runs promtool check rules,
and, given Sloth's generated rule file among the FILEs, runs both rule sets in promtool over the same series.
Exit 0 when imported (and verified), 1 on bad input or a difference, 2 on usage errors.`;

export const importCommand = {
  help: HELP,
  manyPositionals: true,
  options: {
    format: { type: 'string' as const, default: 'text' },
    out: { type: 'string' as const },
    verify: { type: 'boolean' as const, default: false },
    'page-severity': { type: 'string' as const },
    'ticket-severity': { type: 'string' as const },
  },
  run: async (io: CliIO, _dir: string, values: Record<string, unknown>, positionals: string[]): Promise<number> => {
    const [what, ...files] = positionals;
    const kinds = Object.keys(IMPORTERS).join(', ');
    if (what === undefined) throw new UsageError(`say what to import (${kinds}): vigil import rules FILE...`);
    // Its own entries only: `vigil import constructor` is no importer.
    const importer = ownValue(IMPORTERS, what);
    if (!importer) throw new UsageError(`cannot import "${what}" yet: vigil import ${kinds} FILE...`);
    if (files.length === 0) throw new UsageError(`name at least one ${what} file`);
    if (typeof values.out !== 'string' || values.out === '') throw new UsageError('--out DIR is required (a new or empty directory)');
    const format = formatOf('import', values);
    const severities = { page: optionalSeverity(values, 'page-severity'), ticket: optionalSeverity(values, 'ticket-severity') };
    if (what !== 'slo' && (severities.page || severities.ticket)) throw new UsageError('--page-severity and --ticket-severity are for vigil import slo');
    if (what === 'slo') return runImportSlo(io, files, { out: values.out, verify: values.verify === true, format }, severities);
    return importer(io, files, { out: values.out, verify: values.verify === true, format });
  },
};

/** One importer per kind of input: `vigil import <kind> FILE... --out DIR [--verify]`. */
const IMPORTERS: Record<string, (io: CliIO, files: string[], options: ImportOptions) => Promise<number>> = {
  rules: (io, files, options) => runImportRules(io, files, options),
  alertmanager: (io, files, options) => runImportAlertmanager(io, files, options),
  dashboards: (io, files, options) => runImportDashboards(io, files, options),
  slo: (io, files, options) => runImportSlo(io, files, options, {}),
};

function optionalSeverity(values: Record<string, unknown>, key: string): string | undefined {
  const value = values[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[a-z][a-z0-9_]*$/.test(value)) throw new UsageError(`--${key} takes a severity name (lower case letters, digits and _), not ${JSON.stringify(value)}`);
  return value;
}

/** `vigil import slo FILE... --out DIR [--verify]`: Sloth and Pyrra SLOs to kind: SLOs. */
export async function runImportSlo(io: CliIO, files: string[], options: ImportOptions, severities: { page?: string; ticket?: string }): Promise<number> {
  const style = styleFor(io);
  const { inputs, unreadable } = await readImportInputs(files);
  if (unreadable.length) return refuseInput(io, options, unreadable, inputs);
  const result = importSlos(inputs, severities);
  if (hasErrors(result.diagnostics)) return refuseInput(io, options, result.diagnostics, inputs);
  await writeImported(options.out, result.files);

  const levels = alertLevels(severities);
  const { verdict, buildProblems } = await verifyBuild(io, options, async (ruleFiles) => ({
    trip: verifySlos(result.definitions, ruleFiles, levels),
    promtool: promtoolAvailable() ? await promtoolVerify(result.definitions, ruleFiles, result.generated, levels) : undefined,
  }));
  const trip: SloRoundTrip | undefined = verdict?.trip;
  const promtool: PromtoolVerdict | undefined = verdict?.promtool;
  const differences = [...(trip?.differences ?? []), ...(promtool?.problems ?? [])];
  const failed = buildProblems.length > 0 || differences.length > 0;
  const notes = result.notes.map((n) => ({ kind: n.kind, message: n.message, ...(n.at ? { file: n.at.file } : {}) }));
  if (options.format === 'json') {
    io.out(importJson(options, !failed, { files: result.files, counts: result.counts, notes, ...(trip ? { verify: { ...trip, promtool: promtool ?? 'not installed', differences } } : {}) }, buildProblems));
    return failed ? EXIT.problems : EXIT.ok;
  }
  const c = result.counts;
  const sources = [c.sloth ? `${c.sloth} Sloth spec${c.sloth === 1 ? '' : 's'}` : '', c.pyrra ? `${c.pyrra} Pyrra SLO${c.pyrra === 1 ? '' : 's'}` : ''].filter(Boolean).join(' and ');
  io.out(`imported ${c.slos} SLO${c.slos === 1 ? '' : 's'} from ${sources || 'no spec'}${c.notImported ? ` (${c.notImported} thing${c.notImported === 1 ? '' : 's'} not imported, listed below)` : ''}; ${result.files.length} files written to ${options.out}/\n`);
  for (const kind of ['mapped', 'review', 'not imported'] as const) {
    const list = result.notes.filter((n) => n.kind === kind);
    if (list.length === 0) continue;
    io.out(`${kind === 'mapped' ? 'mapped' : kind === 'review' ? style.yellow('needs review') : style.yellow('not imported')} (${list.length}):\n`);
    for (const n of list) io.out(`  ${n.message}\n`);
  }
  if (buildProblems.length > 0) io.err(`${style.red('verify failed')}: the imported definitions do not build (${countSummary(buildProblems)})\n`);
  if (trip) {
    if (differences.length === 0) {
      io.out(`verified: the build has the source's objective, period, error ratio and ${trip.compared.burnPairs} burn pairs of ${trip.compared.slos} SLOs\n`);
      if (promtool) io.out(`verified: promtool check rules accepts the ${promtool.checked.length} rule files\n`);
      else io.out('promtool is not installed: the rule files were not checked with it\n');
      for (const e of promtool?.evaluated ?? []) io.out(`verified: ${e.slo} records the same values and alerts at the same times as Sloth's generated rules over synthetic series${e.fired ? ' (its alerts fired during the burns)' : ' (its alerts did not fire over these series: only the quiet states were compared)'}\n`);
    } else {
      for (const d of differences) io.err(`  difference: ${d}\n`);
      io.err(`${style.red('verify failed')}: ${differences.length} difference${differences.length === 1 ? '' : 's'} between the source and the build\n`);
    }
  }
  return failed ? EXIT.problems : EXIT.ok;
}

/**
 * --verify: builds the written definitions and hands the build's rule files (path → text) to `compare`. Without
 * --verify, or when the build fails, there is no verdict (the build's errors say why).
 */
async function verifyBuild<T>(io: CliIO, options: ImportOptions, compare: (ruleFiles: Map<string, string>) => Promise<T>): Promise<{ verdict?: T; buildProblems: Diagnostic[] }> {
  if (!options.verify) return { buildProblems: [] };
  const built = await buildImported(io, options);
  if (!built.artifacts) return { buildProblems: built.buildProblems };
  const ruleFiles = new Map(built.artifacts.filter((a) => a.path.startsWith('prometheus/rules/')).map((a) => [a.path, a.content]));
  return { verdict: await compare(ruleFiles), buildProblems: built.buildProblems };
}

export async function runImportRules(io: CliIO, files: string[], options: ImportOptions): Promise<number> {
  const style = styleFor(io);
  const { inputs, unreadable } = await readImportInputs(files);
  if (unreadable.length) return refuseInput(io, options, unreadable, inputs);
  const result: RulesImport = importRules(inputs);
  if (hasErrors(result.diagnostics)) return refuseInput(io, options, result.diagnostics, inputs);
  await writeImported(options.out, result.files);

  const { verdict: trip, buildProblems } = await verifyBuild(io, options, async (ruleFiles): Promise<RoundTrip> => verifyRules(foldGroups(result.groups).groups, ruleFiles));
  const failed = buildProblems.length > 0 || (trip?.differences.length ?? 0) > 0;
  if (options.format === 'json') {
    io.out(importJson(options, !failed, { files: result.files, counts: result.counts, notes: result.notes.map(noteJson), ...(trip ? { verify: trip } : {}) }, buildProblems));
    return failed ? EXIT.problems : EXIT.ok;
  }
  const c = result.counts;
  io.out(`imported ${c.groups} group${c.groups === 1 ? '' : 's'}: ${c.alertRules} alerting rules as ${c.alerts} alerts (${c.folded} folded), ${c.recordingRules} recording rules; ${result.files.length} files written to ${options.out}/\n`);
  for (const kind of ['folded', 'kept', 'inferred', 'review'] as const) {
    const notes = result.notes.filter((n) => n.kind === kind);
    if (notes.length === 0) continue;
    io.out(`${kind === 'review' ? style.yellow('needs review') : kind} (${notes.length}):\n`);
    for (const n of notes) io.out(`  ${n.message}${n.at ? ` (${n.at.file})` : ''}\n`);
  }
  if (buildProblems.length > 0) io.err(`${style.red('verify failed')}: the imported definitions do not build (${countSummary(buildProblems)})\n`);
  if (trip) {
    for (const d of trip.byDesign) io.out(`  by design: ${d}\n`);
    if (trip.differences.length === 0) io.out(`verified: the build has the same ${trip.compared.alertRules} alerting and ${trip.compared.recordingRules} recording rules in ${trip.compared.groups} groups as the input\n`);
    else {
      for (const d of trip.differences) io.err(`  difference: ${d}\n`);
      io.err(`${style.red('verify failed')}: ${trip.differences.length} difference${trip.differences.length === 1 ? '' : 's'} between the input and the build\n`);
    }
  }
  return failed ? EXIT.problems : EXIT.ok;
}

const noteJson = (n: ImportNote) => ({ kind: n.kind, message: n.message, ...(n.at ? { file: n.at.file } : {}) });
