import { unusedInEvery } from './checks/config.ts';
import { compile, newAnalysisCaches, type CompileOptions, type CompileResult } from './compile.ts';
import { compareDiagnostics, dedupeDiagnostics, hasErrors, type Diagnostic } from './diagnostics.ts';
import type { Artifact } from './emit/artifact.ts';
import type { LoadResult } from './load/index.ts';
import { environmentNames } from './env/overrides.ts';
import { layeredArtifacts } from './build/overlay.ts';
import { sharingRenders } from './checks/template-message-renders.ts';

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

/**
 * Compiles the shared definitions and every declared environment. The compiles share analyses by text and message
 * template renders by template and sample notice: an environment's compile redoes only what its overrides change.
 */
export function compileProject(loaded: LoadResult, options: Omit<CompileOptions, 'environment'> = {}): ProjectBuild {
  const caches = options.caches ?? newAnalysisCaches();
  const names = environmentNames(loaded.definitions);
  const { base, environments } = sharingRenders(() => ({
    base: compile(loaded, { ...options, caches }),
    environments: names.map((name) => ({ name, result: compile(loaded, { ...options, caches, environment: name }) })),
  }));
  const compiles = [base, ...environments.map((e) => e.result)];
  const diagnostics = dedupeDiagnostics(compiles.flatMap((r) => r.diagnostics)).filter(unusedInEvery(compiles)).sort(compareDiagnostics);
  const artifacts = hasErrors(diagnostics) ? [] : layeredArtifacts(base.artifacts, environments.map((e) => ({ name: e.name, artifacts: e.result.artifacts })));
  return { base, environments, artifacts, diagnostics };
}

