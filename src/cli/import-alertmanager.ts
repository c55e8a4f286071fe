import type { Diagnostic } from '../diagnostics.ts';
import type { AlertmanagerNoteKind } from '../import/alertmanager-context.ts';
import { verifyImportedAlertmanager, type AlertmanagerVerification } from '../import/alertmanager-roundtrip.ts';
import { importAlertmanager } from '../import/import-alertmanager.ts';
import { EXIT } from './exit.ts';
import { buildImported, importJson, readImportInputs, refuseInput, writeImported, type ImportOptions } from './import-io.ts';
import { styleFor, UsageError, type CliIO } from './io.ts';
import { countSummary } from './print.ts';

const SECTIONS: [AlertmanagerNoteKind, string][] = [
  ['mapped', 'mapped to first-class channels'],
  ['passthrough', 'carried as passthrough (alertmanager:)'],
  ['renamed', 'renamed'],
  ['by design', 'by design'],
  ['review', 'needs review'],
];

/** `vigil import alertmanager FILE --out DIR [--verify]`. Secrets are named, never shown. */
export async function runImportAlertmanager(io: CliIO, files: string[], options: ImportOptions): Promise<number> {
  if (files.length !== 1) throw new UsageError('import one alertmanager.yml (or the Secret holding it) at a time');
  const style = styleFor(io);
  const { inputs, unreadable } = await readImportInputs(files);
  if (unreadable.length) return refuseInput(io, options, unreadable, inputs);
  const [{ file, text }] = inputs as [{ file: string; text: string }];
  const result = importAlertmanager(file, text);
  if (result.diagnostics.length > 0) return refuseInput(io, options, result.diagnostics, inputs);
  await writeImported(options.out, result.files);

  let trip: AlertmanagerVerification | undefined;
  let buildProblems: Diagnostic[] = [];
  if (options.verify) {
    const built = await buildImported(io, options);
    buildProblems = built.buildProblems;
    if (built.artifacts) trip = await verifyImportedAlertmanager(result, built.artifacts);
  }
  const bad = buildProblems.length > 0 || (trip?.differences.length ?? 0) > 0;
  const variables = result.secrets.map((s) => s.env);
  if (options.format === 'json') {
    io.out(importJson(options, !bad, { files: result.files, counts: result.counts, environment: result.secrets, notes: result.notes.map((n) => ({ kind: n.kind, message: n.message })), ...(trip ? { verify: trip } : {}) }, buildProblems));
    return bad ? EXIT.problems : EXIT.ok;
  }
  const c = result.counts;
  io.out(
    `imported ${c.receivers} receivers (${c.mapped} integrations mapped to first-class channels, ${c.passthrough} carried as passthrough), ${c.routes} routes, ${c.inhibitRules} inhibit rules, ${c.timeIntervals} time intervals; ${c.secrets} secrets extracted; ${result.files.length} files written to ${options.out}/\n`,
  );
  for (const [kind, title] of SECTIONS) {
    const notes = result.notes.filter((n) => n.kind === kind);
    if (notes.length === 0) continue;
    io.out(`${kind === 'review' ? style.yellow(title) : title} (${notes.length}):\n`);
    for (const n of notes) io.out(`  ${n.message}\n`);
  }
  if (variables.length) {
    io.out(`set these environment variables (the secrets of the input, now referenced by name) before building or deploying (${variables.length}):\n`);
    for (const s of result.secrets) io.out(`  ${s.env}  (${s.where})\n`);
  }
  if (buildProblems.length > 0) io.err(`${style.red('verify failed')}: the imported definitions do not build (${countSummary(buildProblems)})\n`);
  if (trip) {
    const amtool = trip.amtool ? ', with amtool config routes test on both files and amtool check-config on the build' : '; amtool not found, its half skipped';
    if (trip.differences.length === 0) {
      io.out(
        `verified: the build routes ${trip.compared.labelSets} label sets to the same receivers with the same grouping and timing, and has the same ${trip.compared.inhibitRules} inhibit rules, ${trip.compared.timeIntervals} time intervals and ${trip.compared.receivers} receivers${amtool}\n`,
      );
    } else {
      for (const d of trip.differences) io.err(`  difference: ${d}\n`);
      io.err(`${style.red('verify failed')}: ${trip.differences.length} difference${trip.differences.length === 1 ? '' : 's'} between the input and the build${amtool}\n`);
    }
  }
  return bad ? EXIT.problems : EXIT.ok;
}
