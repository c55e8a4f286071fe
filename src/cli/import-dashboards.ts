import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { compileProject } from '../compile-project.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { verifyDashboards, type DashboardsRoundTrip } from '../import/dashboard-verify.ts';
import { importDashboards, type DashboardsImport } from '../import/dashboards.ts';
import { toJsonDiagnostics } from '../report/json.ts';
import { formatText } from '../report/text.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { EXIT } from './exit.ts';
import { emptyOutput, type ImportOptions } from './import.ts';
import { loadDefinitions, styleFor, UsageError, type CliIO } from './io.ts';
import { countSummary, printDiagnostics } from './print.ts';

/** `vigil import dashboards FILE... --out DIR [--verify]`. */
export async function runImportDashboards(io: CliIO, files: string[], options: ImportOptions): Promise<number> {
  const style = styleFor(io);
  const inputs: { file: string; text: string }[] = [];
  const unreadable: Diagnostic[] = [];
  for (const file of files) {
    try {
      inputs.push({ file, text: await readFile(file, 'utf8') });
    } catch (e) {
      unreadable.push({ code: 'import/read', severity: 'error', message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    }
  }
  const result: DashboardsImport = unreadable.length ? { files: [], notes: [], diagnostics: unreadable, dashboards: [], counts: { dashboards: 0, panels: 0, queries: 0 } } : importDashboards(inputs);
  if (result.diagnostics.some((d) => d.severity === 'error')) {
    if (options.format === 'json') io.out(JSON.stringify({ ok: false, written: [], diagnostics: toJsonDiagnostics(result.diagnostics, inputs) }, null, 2) + '\n');
    else io.err(`${formatText(result.diagnostics, inputs, style)}${style.red('import failed')}: ${countSummary(result.diagnostics)}; nothing was written\n`);
    return EXIT.problems;
  }
  await emptyOutput(options.out);
  for (const f of result.files) {
    const target = path.join(options.out, f.path);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFileAtomic(target, f.content);
  }

  let trip: DashboardsRoundTrip | undefined;
  let buildProblems: Diagnostic[] = [];
  if (options.verify) {
    const loaded = await loadDefinitions(options.out);
    const project = compileProject(loaded);
    buildProblems = project.diagnostics.filter((d) => d.severity === 'error');
    if (buildProblems.length > 0) {
      if (options.format === 'text') printDiagnostics(io, 'text', loaded, buildProblems);
    } else trip = verifyDashboards(result.dashboards, new Map(project.base.artifacts.map((a) => [a.path, a.content])));
  }
  const bad = buildProblems.length > 0 || (trip?.differences.length ?? 0) > 0;
  if (options.format === 'json') {
    io.out(
      JSON.stringify(
        {
          ok: !bad,
          written: result.files.map((f) => path.join(options.out, f.path)),
          counts: result.counts,
          notes: result.notes.map((n) => ({ kind: n.kind, message: n.message })),
          ...(trip ? { verify: trip } : {}),
          ...(buildProblems.length ? { buildErrors: buildProblems.length } : {}),
        },
        null,
        2,
      ) + '\n',
    );
    return bad ? EXIT.problems : EXIT.ok;
  }
  const c = result.counts;
  io.out(`imported ${c.dashboards} dashboard${c.dashboards === 1 ? '' : 's'} (${c.panels} panels, ${c.queries} queries) as Grafana JSON carried by Dashboard definitions; ${result.files.length} files written to ${options.out}/\n`);
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
