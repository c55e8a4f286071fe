import { compileProject } from '../compile-project.ts';
import { hasErrors } from '../diagnostics.ts';
import { loadDefinitions, type CliIO } from './io.ts';
import { EXIT } from './exit.ts';
import { alertCount, countSummary, jsonReport, printDiagnostics } from './print.ts';

export async function runValidate(io: CliIO, dir: string, format: 'text' | 'json' | 'github', envFile?: string): Promise<number> {
  const loaded = await loadDefinitions(dir, envFile);
  const project = compileProject(loaded, { emit: false });
  const result = { model: project.base.model, diagnostics: project.diagnostics };
  if (format === 'json') {
    io.out(jsonReport({ files: loaded.sources.length }, loaded, result.diagnostics));
  } else {
    printDiagnostics(io, format, loaded, result.diagnostics);
    if (format === 'text') {
      const envs = project.environments.length ? `, environments ${project.environments.map((e) => e.name).join(', ')}` : '';
      io.out(`${dir}: ${loaded.sources.length} files, ${alertCount(loaded, result.model).text}${envs}: ${countSummary(result.diagnostics)}\n`);
    }
  }
  return hasErrors(result.diagnostics) ? EXIT.problems : EXIT.ok;
}
