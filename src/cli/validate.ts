import { openCache, type CacheOptions, type DefinitionCache } from '../cache/index.ts';
import { cachedAnalysisCaches } from './cached-analyses.ts';
import { compileProject, type ProjectBuild } from '../compile-project.ts';
import { hasErrors } from '../diagnostics.ts';
import type { LoadResult } from '../load/index.ts';
import { loadDefinitions, type CliIO } from './io.ts';
import { EXIT } from './exit.ts';
import { alertCount, countSummary, jsonReport, printDiagnostics } from './print.ts';

export async function runValidate(io: CliIO, dir: string, format: 'text' | 'json' | 'github', envFile?: string, cacheOptions: CacheOptions = {}): Promise<number> {
  const cache = await openCache(cacheOptions);
  const { loaded, project } = await checkProject(dir, envFile, cache, { emit: false });
  const result = { model: project.base.model, diagnostics: project.diagnostics };
  if (format === 'json') {
    io.out(jsonReport({ files: loaded.sources.length }, loaded, result.diagnostics));
  } else {
    printDiagnostics(io, format, loaded, result.diagnostics);
    if (format === 'text') io.out(`${validateSummary(dir, loaded, project)}\n`);
  }
  return hasErrors(result.diagnostics) ? EXIT.problems : EXIT.ok;
}

export function validateSummary(dir: string, loaded: LoadResult, project: ProjectBuild): string {
  const envs = project.environments.length ? `, environments ${project.environments.map((e) => e.name).join(', ')}` : '';
  return `${dir}: ${loaded.sources.length} files, ${alertCount(loaded, project.base.model).text}${envs}: ${countSummary(project.diagnostics)}`;
}

/** Loads (through the cache, when there is one) and compiles every environment; the cache keeps what was new. */
export async function checkProject(dir: string, envFile: string | undefined, cache: DefinitionCache | undefined, options: { emit: boolean }): Promise<{ loaded: LoadResult; project: ProjectBuild; loadMs: number }> {
  const started = performance.now();
  const loaded = await loadDefinitions(dir, envFile, { cache });
  const loadMs = performance.now() - started;
  const project = compileProject(loaded, { emit: options.emit, caches: cachedAnalysisCaches(cache?.promql) });
  await cache?.flush();
  return { loaded, project, loadMs };
}

