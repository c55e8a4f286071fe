import { compile } from '../compile.ts';
import { hasErrors } from '../diagnostics.ts';
import { allAlerts } from '../model/types.ts';
import { loadDefinitions, type CliIO } from './io.ts';
import { EXIT } from './main.ts';
import { countSummary, jsonReport, printDiagnostics } from './print.ts';

export async function runValidate(io: CliIO, dir: string, format: 'text' | 'json' | 'github'): Promise<number> {
  const loaded = await loadDefinitions(dir);
  const result = compile(loaded);
  if (format === 'json') {
    io.out(jsonReport({ files: loaded.sources.length }, loaded, result.diagnostics));
  } else {
    printDiagnostics(io, format, loaded, result.diagnostics);
    if (format === 'text') {
      io.out(`${dir}: ${loaded.sources.length} files, ${allAlerts(result.model).length} alerts: ${countSummary(result.diagnostics)}\n`);
    }
  }
  return hasErrors(result.diagnostics) ? EXIT.problems : EXIT.ok;
}
