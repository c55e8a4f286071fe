/** The compiler as a library: load → compile → artifacts, usable without the CLI (`import … from 'vigil/compiler'`). */
export { compile, type CompileResult, type CompileOptions } from './compile.ts';
export { loadDirectory, loadYamlSources, type LoadResult } from './load/index.ts';
export type { Diagnostic, Span, Severity } from './diagnostics.ts';
export type { Artifact } from './emit/artifact.ts';
