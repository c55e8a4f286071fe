import { openCache, type CacheOptions, type DefinitionCache } from '../cache/index.ts';
import type { ProjectBuild } from '../compile-project.ts';
import { compareDiagnostics, hasErrors } from '../diagnostics.ts';
import type { Definition, LoadResult } from '../load/index.ts';
import { isDeclarativeDashboard } from '../model/kinds/dashboard.ts';
import { loadDefinitions, type CliIO } from './io.ts';
import { EXIT } from './exit.ts';
import { UsageError } from './io.ts';
import { parseDuration } from '../util/duration.ts';
import { closest } from '../util/closest.ts';
import { alertCount, countSummary, jsonReport, printDiagnostics } from './print.ts';

/** `--live [URL] [--env NAME]` as given on the command line; `url` is '' for `--live` without a URL. */
export interface LiveRequest {
  url?: string;
  env?: string;
  lookback: string;
  timeout: string;
}

export async function runValidate(io: CliIO, dir: string, format: 'text' | 'json' | 'github', envFile?: string, cacheOptions: CacheOptions = {}, live?: LiveRequest): Promise<number> {
  const liveSettings = live && liveSettingsOf(live);
  const cache = await openCache(cacheOptions);
  const { loaded, project } = await checkProject(dir, envFile, cache, { emit: false });
  let diagnostics = project.diagnostics;
  let liveSummary: string | undefined;
  if (live && liveSettings) {
    const target = liveTarget(project, live);
    const { runLiveChecks } = await import('../live/run.ts');
    const result = await runLiveChecks(target.model, loaded.sources, { ...liveSettings, url: target.url });
    diagnostics = [...diagnostics.filter(result.stillUnused), ...result.diagnostics].sort(compareDiagnostics);
    liveSummary = result.summary;
  }
  const result = { model: project.base.model, diagnostics };
  if (format === 'json') {
    io.out(jsonReport({ files: loaded.sources.length, ...(liveSummary ? { live: liveSummary } : {}) }, loaded, result.diagnostics));
  } else {
    printDiagnostics(io, format, loaded, result.diagnostics);
    if (format === 'text' && liveSummary) io.out(`${liveSummary}\n`);
    if (format === 'text') io.out(`${validateSummary(dir, loaded, { ...project, diagnostics })}\n`);
  }
  return hasErrors(result.diagnostics) ? EXIT.problems : EXIT.ok;
}

function liveSettingsOf(live: LiveRequest) {
  const lookbackMs = parseDuration(live.lookback);
  if (!(lookbackMs > 0)) throw new UsageError(`--live-lookback must be a duration such as 30m, 1h or 1d, not ${JSON.stringify(live.lookback)}`);
  const timeoutMs = parseDuration(live.timeout);
  if (!(timeoutMs > 0)) throw new UsageError(`--live-timeout must be a duration such as 5s or 1m, not ${JSON.stringify(live.timeout)}`);
  if (live.url === undefined && live.env !== undefined) throw new UsageError('--env NAME picks the environment --live asks about; add --live (its first Prometheus) or --live URL');
  return { lookbackSeconds: lookbackMs / 1000, lookbackText: live.lookback, timeoutMs };
}

/** The definitions to judge (an environment's, with its overrides, or the shared ones) and the server to ask. */
function liveTarget(project: ProjectBuild, live: LiveRequest): { model: ProjectBuild['base']['model']; url: string } {
  if (live.env === undefined) {
    if (!live.url) throw new UsageError('--live needs a URL (--live http://prometheus:9090), or --env NAME to ask that environment\'s first Prometheus');
    return { model: project.base.model, url: live.url };
  }
  const names = project.environments.map((e) => e.name);
  const chosen = project.environments.find((e) => e.name === live.env);
  if (!chosen) {
    const guess = closest(live.env, names);
    throw new UsageError(names.length ? `environment "${live.env}" is not declared (declared: ${names.join(', ')})${guess ? `; did you mean "${guess}"?` : ''}` : `--env ${live.env}: the project declares no environment (kind: Environment)`);
  }
  const url = live.url || chosen.result.model.environment?.prometheus[0]?.url;
  if (!url) throw new UsageError(`environment "${live.env}" names no Prometheus; give --live URL`);
  return { model: chosen.result.model, url };
}

export function validateSummary(dir: string, loaded: LoadResult, project: ProjectBuild): string {
  const envs = project.environments.length ? `, environments ${project.environments.map((e) => e.name).join(', ')}` : '';
  return `${dir}: ${loaded.sources.length} files, ${alertCount(loaded, project.base.model).text}${envs}: ${countSummary(project.diagnostics)}`;
}

/** Loads (through the cache, when there is one) and compiles every environment; the cache keeps what was new. */
export async function checkProject(dir: string, envFile: string | undefined, cache: DefinitionCache | undefined, options: { emit: boolean; artifactData?: boolean }): Promise<{ loaded: LoadResult; project: ProjectBuild; loadMs: number }> {
  const started = performance.now();
  // The compiler's modules (most of the command's code) are imported once the files are read and the TypeScript
  // loader process started, so that their evaluation overlaps that process instead of delaying its start.
  let compiler: ReturnType<typeof compilerModules> | undefined;
  // A declarative dashboard is built with the Grafana Foundation SDK (≈ 240 CommonJS modules, 60–100 ms): required
  // while the TypeScript loader process runs, this thread would otherwise wait idle for it.
  let sdk: Promise<void> | undefined;
  // Not when the cache holds an earlier build's per-file results: dashboards and their checks then come from it
  // unless their file changed, and the SDK is required only if one is built (a one-file change of the 10,000-alert
  // project spent 60–120 ms of CPU requiring it for nothing).
  const yamlParsed = (definitions: readonly Definition[]) => {
    if (cache !== undefined && cache.results.size > 0) return;
    if (definitions.some((d) => isDeclarativeDashboard(d.value))) sdk = import('../emit/grafana-dashboards.ts').then((m) => m.loadDashboardSdk());
  };
  const loaded = await loadDefinitions(dir, envFile, { cache, whileLoading: () => (compiler ??= compilerModules()), yamlParsed });
  const loadMs = performance.now() - started;
  const { compileProject, cachedAnalysisCaches, sharingRenders } = await (compiler ?? compilerModules());
  await sdk;
  // Message template renders are kept in the cache too (they are pure functions of the template and the sample notice).
  const project = sharingRenders(() => compileProject(loaded, { emit: options.emit, artifactData: options.artifactData, caches: cachedAnalysisCaches(cache) }), cache?.renders);
  await cache?.flush();
  return { loaded, project, loadMs };
}

async function compilerModules() {
  const [{ compileProject }, { cachedAnalysisCaches }, { sharingRenders }] = await Promise.all([import('../compile-project.ts'), import('./cached-analyses.ts'), import('../checks/template-message-renders.ts')]);
  return { compileProject, cachedAnalysisCaches, sharingRenders };
}
