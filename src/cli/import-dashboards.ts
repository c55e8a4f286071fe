import type { Diagnostic } from '../diagnostics.ts';
import { verifyDashboards, type DashboardsRoundTrip } from '../import/dashboard-verify.ts';
import { importDashboards, type DashboardsImport } from '../import/dashboards.ts';
import { EXIT } from './exit.ts';
import { buildImported, importJson, readImportInputs, refuseInput, writeImported, type ImportOptions } from './import-io.ts';
import { styleFor, type CliIO } from './io.ts';
import { countSummary } from './print.ts';

/** `vigil import dashboards FILE... --out DIR [--verify]`. */
export async function runImportDashboards(io: CliIO, files: string[], options: ImportOptions): Promise<number> {
  const style = styleFor(io);
  const { inputs, unreadable } = await readImportInputs(files);
  if (unreadable.length) return refuseInput(io, options, unreadable, inputs);
  const result: DashboardsImport = importDashboards(inputs);
  if (result.diagnostics.some((d) => d.severity === 'error')) return refuseInput(io, options, result.diagnostics, inputs);
  await writeImported(options.out, result.files);

  let trip: DashboardsRoundTrip | undefined;
  let buildProblems: Diagnostic[] = [];
  if (options.verify) {
    const built = await buildImported(io, options);
    buildProblems = built.buildProblems;
    if (built.artifacts) trip = verifyDashboards(result.dashboards, new Map(built.artifacts.map((a) => [a.path, a.content])));
  }
  const bad = buildProblems.length > 0 || (trip?.differences.length ?? 0) > 0;
  if (options.format === 'json') {
    io.out(importJson(options, !bad, { files: result.files, counts: result.counts, notes: result.notes.map((n) => ({ kind: n.kind, message: n.message })), ...(trip ? { verify: trip } : {}) }, buildProblems));
    return bad ? EXIT.problems : EXIT.ok;
  }
  const c = result.counts;
  const carried = c.dashboards - c.declarative;
  const how = [c.declarative ? `${c.declarative} declarative (${c.declarativePanels} of their panels declarative)` : '', carried ? `${carried} carried as Grafana JSON` : ''].filter(Boolean).join(', ');
  io.out(`imported ${c.dashboards} dashboard${c.dashboards === 1 ? '' : 's'} (${c.panels} panels, ${c.queries} queries)${how ? `: ${how}` : ''}; ${result.files.length} files written to ${options.out}/\n`);
  for (const kind of ['inferred', 'review'] as const) {
    const notes = result.notes.filter((n) => n.kind === kind);
    if (notes.length === 0) continue;
    io.out(`${kind === 'review' ? style.yellow('needs review') : kind} (${notes.length}):\n`);
    for (const n of notes) io.out(`  ${n.message}\n`);
  }
  if (buildProblems.length > 0) io.err(`${style.red('verify failed')}: the imported definitions do not build (${countSummary(buildProblems)})\n`);
  if (trip) {
    if (trip.differences.length === 0) io.out(`verified: the build has the same ${trip.compared.panels} panels (type, title, layout, unit, thresholds) and ${trip.compared.queries} queries in ${trip.compared.dashboards} dashboards as the input\n`);
    else {
      for (const d of trip.differences) io.err(`  difference: ${d}\n`);
      io.err(`${style.red('verify failed')}: ${trip.differences.length} difference${trip.differences.length === 1 ? '' : 's'} between the input and the build\n`);
    }
  }
  return bad ? EXIT.problems : EXIT.ok;
}
