/** The library entry: load → compile → artifacts, usable without the CLI. */
export { compile, type CompileResult, type CompileOptions } from './compile.ts';
export { loadDirectory, loadYamlSources, type LoadResult } from './load/index.ts';
export type { Diagnostic, Span, Severity } from './diagnostics.ts';
export type { Artifact } from './emit/artifact.ts';
export * from './spec/define.ts';
export type * from './spec/types.gen.ts';
