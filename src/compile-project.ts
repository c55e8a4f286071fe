import { unusedInEvery } from './checks/config.ts';
import { compile, newAnalysisCaches, type CompileOptions, type CompileResult } from './compile.ts';
import { compareDiagnostics, dedupeDiagnostics, hasErrors, type Diagnostic } from './diagnostics.ts';
import type { Artifact } from './emit/artifact.ts';
import type { LoadResult } from './load/index.ts';
import { environmentNames } from './env/overrides.ts';
import { layeredArtifacts } from './build/overlay.ts';
import { sharingRenders } from './checks/template-message-renders.ts';
import { sharingDashboards } from './emit/grafana-dashboards.ts';

export interface ProjectBuild {
  /** The shared definitions without any environment's overrides (what `vigil test` proves). */
  base: CompileResult;
  /** One compile per environment, in declaration order. */
  environments: { name: string; result: CompileResult }[];
  /**
   * What `vigil build` writes: the shared definitions' tree at the root (what `vigil test` proves) and each
   * environment's under `<env>/` as an overlay of it (see build/overlay.ts), one manifest.json for all.
   */
  artifacts: Artifact[];
  /** Every problem of every compile, each once. */
  diagnostics: Diagnostic[];
}

export interface ProjectOptions extends Omit<CompileOptions, 'environment'> {
  /**
   * False: each compile computes its message template renders and dashboards itself, as a compile of its own would
   * (tests compare the two; `caches` still decides what analyses and per-file results are shared).
   */
  share?: boolean;
}

/**
 * Compiles the shared definitions and every declared environment. The compiles share analyses by text, message
 * template renders by template and sample notice, and dashboards by definition and what else they read: an
 * environment's compile redoes only what its overrides change.
 */
export function compileProject(loaded: LoadResult, options: ProjectOptions = {}): ProjectBuild {
  const { share = true, ...compileOptions } = options;
  const caches = compileOptions.caches ?? newAnalysisCaches();
  const names = environmentNames(loaded.definitions);
  const all = () => ({
    base: compile(loaded, { ...compileOptions, caches }),
    environments: names.map((name) => ({ name, result: compile(loaded, { ...compileOptions, caches, environment: name }) })),
  });
  // Without environments there is one compile: nothing to share its dashboards with.
  const { base, environments } = share ? sharingRenders(() => (names.length > 0 ? sharingDashboards(all) : all())) : all();
  const compiles = [base, ...environments.map((e) => e.result)];
  const diagnostics = dedupeDiagnostics(compiles.flatMap((r) => r.diagnostics)).filter(unusedInEvery(compiles)).sort(compareDiagnostics);
  const artifacts = hasErrors(diagnostics) ? [] : layeredArtifacts(base.artifacts, environments.map((e) => ({ name: e.name, artifacts: e.result.artifacts })));
  return { base, environments, artifacts, diagnostics };
}

