import { hasErrors, type Diagnostic } from '../diagnostics.ts';
import { foldGroups, type ImportNote } from '../import/fold.ts';
import { importRules, type RulesImport } from '../import/import-rules.ts';
import { verifyRules, type RoundTrip } from '../import/verify-rules.ts';
import { runImportAlertmanager } from './import-alertmanager.ts';
import { runImportDashboards } from './import-dashboards.ts';
import { buildImported, importJson, readImportInputs, refuseInput, writeImported, type ImportOptions } from './import-io.ts';
import { EXIT } from './exit.ts';
import { styleFor, UsageError, type CliIO } from './io.ts';
import { countSummary } from './print.ts';
import { formatOf } from './options.ts';

const HELP = `Usage: vigil import rules FILE... --out DIR [--verify] [--format text|json]
       vigil import alertmanager FILE --out DIR [--verify] [--format text|json]
       vigil import dashboards FILE... --out DIR [--verify] [--format text|json]

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
Exit 0 when imported (and verified), 1 on bad input or a difference, 2 on usage errors.`;

export const importCommand = {
  help: HELP,
  manyPositionals: true,
  options: { format: { type: 'string' as const, default: 'text' }, out: { type: 'string' as const }, verify: { type: 'boolean' as const, default: false } },
  run: async (io: CliIO, _dir: string, values: Record<string, unknown>, positionals: string[]): Promise<number> => {
    const [what, ...files] = positionals;
    const kinds = Object.keys(IMPORTERS).join(', ');
    if (what === undefined) throw new UsageError(`say what to import (${kinds}): vigil import rules FILE...`);
    const importer = IMPORTERS[what];
    if (!importer) throw new UsageError(`cannot import "${what}" yet: vigil import ${kinds} FILE...`);
    if (files.length === 0) throw new UsageError(`name at least one ${what} file`);
    if (typeof values.out !== 'string' || values.out === '') throw new UsageError('--out DIR is required (a new or empty directory)');
    const format = formatOf('import', values);
    return importer(io, files, { out: values.out, verify: values.verify === true, format });
  },
};

/** One importer per kind of input: `vigil import <kind> FILE... --out DIR [--verify]`. */
const IMPORTERS: Record<string, (io: CliIO, files: string[], options: ImportOptions) => Promise<number>> = {
  rules: (io, files, options) => runImportRules(io, files, options),
  alertmanager: (io, files, options) => runImportAlertmanager(io, files, options),
  dashboards: (io, files, options) => runImportDashboards(io, files, options),
};


export async function runImportRules(io: CliIO, files: string[], options: ImportOptions): Promise<number> {
  const style = styleFor(io);
  const { inputs, unreadable } = await readImportInputs(files);
  if (unreadable.length) return refuseInput(io, options, unreadable, inputs);
  const result: RulesImport = importRules(inputs);
  if (hasErrors(result.diagnostics)) return refuseInput(io, options, result.diagnostics, inputs);
  await writeImported(options.out, result.files);

  let trip: RoundTrip | undefined;
  let buildProblems: Diagnostic[] = [];
  if (options.verify) {
    const built = await buildImported(io, options);
    buildProblems = built.buildProblems;
    if (built.artifacts) {
      const ruleFiles = new Map(built.artifacts.filter((a) => a.path.startsWith('prometheus/rules/')).map((a) => [a.path, a.content]));
      trip = verifyRules(foldGroups(result.groups).groups, ruleFiles);
    }
  }
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
