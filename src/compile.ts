import { buildManifest } from './build/manifest.ts';
import { CHECKS } from './checks/index.ts';
import type { Check, CheckContext } from './checks/check.ts';
import { applyCheckConfig, policyProblems, type CheckReport } from './checks/config.ts';
import { compareDiagnostics, dedupeDiagnostics, hasErrors, type Diagnostic } from './diagnostics.ts';
import type { Artifact } from './emit/artifact.ts';
import type { Definition, LoadResult } from './load/index.ts';
import { LabelInference } from './model/alert-labels.ts';
import { collectBroken, noteUnknownCatalogues, type BrokenDefinitions } from './model/broken.ts';
import { buildModel } from './model/build.ts';
import { Catalog } from './model/catalog.ts';
import type { ExpressionModel, Model } from './model/types.ts';
import { analyzePromql, type PromqlAnalysis } from './promql/index.ts';
import { KINDS, type KindName } from './spec/kinds.ts';
import { conformingByIdentity, validateDefinitions, type TypedDefinition } from './spec/validate.ts';
import { analyzeGoTemplate, type TemplateAnalysis } from './templates/go-template.ts';
import { EMITTERS } from './emit/index.ts';
import { secretsList } from './emit/secret-slots.ts';
import { applyEnvironment } from './env/overrides.ts';
import { FileScopes, knownConforming, plainDiagnostic, type FileItems, type ResultStore } from './compile-scopes.ts';
import { textSha256 } from './load/text-hash.ts';

export interface CompileResult {
  model: Model;
  diagnostics: Diagnostic[];
  /** Empty when there are errors: nothing half-valid is ever emitted. */
  artifacts: Artifact[];
  checksRun: number;
  /** Milliseconds per stage, for benchmarks and VIGIL_TIMINGS. */
  timings: Record<string, number>;
}

export interface CompileOptions {
  checks?: readonly Check[];
  /** Emit even when checks found errors (used by tests of emitters). */
  emitOnError?: boolean;
  /** False: check only, emit nothing (`vigil validate`). */
  emit?: boolean;
  /**
   * False: artifacts carry no `data` (what `vigil diff` reads instead of parsing the rule files again). `vigil build`
   * only writes the files: the 10,000-alert project's rule documents are ≈ 9 MB kept through the rest of the emit.
   */
  artifactData?: boolean;
  /** Compile for this Environment: its overrides merged in, its prometheus.yml emitted. */
  environment?: string;
  /** Analyses to reuse across compiles of the same definitions (the shared tree and each environment's). */
  caches?: AnalysisCaches;
  /** What silence/expired compares with (default: the clock); nothing emitted depends on it. */
  now?: Date;
}

/** PromQL and template analyses by text: pure functions of the text, so any compile may reuse them. */
export interface AnalysisCaches {
  promql: Map<string, PromqlAnalysis>;
  templates: Map<string, TemplateAnalysis>;
  /** Per-file check reports and emitted parts of earlier compiles (see compile-scopes.ts); none: all computed. */
  results?: ResultStore;
  /** Generated files' texts made per file, read only when asked for (see FileScopes.memoText); none: kept in `results`. */
  texts?: ResultStore;
  /** Definitions earlier compiles found conforming to their schema (see conformingByIdentity). */
  conforming?: WeakMap<Definition, KindName>;
  /** Reports of checks whose per-file part reads only the file's documents, by the file's first definition (see runPerFile). */
  documentReports?: WeakMap<Definition, Map<string, DocumentReports>>;
}

/** What a documents-only per-file part reported over these very documents. */
interface DocumentReports {
  documents: readonly { kind: string; def: Definition }[];
  diagnostics: Diagnostic[];
}

export function newAnalysisCaches(): AnalysisCaches {
  return { promql: new Map(), templates: new Map(), conforming: new WeakMap(), documentReports: new WeakMap() };
}

/** schema → model → checks → emit. Pure: takes loaded definitions, returns diagnostics and file contents. */
export function compile(loaded: LoadResult, options: CompileOptions = {}): CompileResult {
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = (timings[name] ?? 0) + (now - mark);
    mark = now;
  };
  const diagnostics: Diagnostic[] = [...loaded.diagnostics];
  let definitions = loaded.definitions;
  if (options.environment !== undefined) {
    const view = applyEnvironment(definitions, options.environment);
    definitions = view.definitions;
    diagnostics.push(...view.diagnostics);
  }
  const byText = options.caches?.results && knownConforming(loaded, options.caches.results);
  const schema = validateDefinitions(definitions, options.caches?.conforming ? conformingByIdentity(options.caches.conforming, byText) : byText);
  diagnostics.push(...schema.diagnostics);
  lap('schema');
  const { model, diagnostics: modelDiagnostics } = buildModel(schema.valid);
  diagnostics.push(...modelDiagnostics);
  model.broken = brokenDefinitions(loaded, definitions, schema.valid, modelDiagnostics);
  if (options.environment !== undefined) model.environment = model.environments.find((e) => e.name === options.environment);
  lap('model');

  const checks = options.checks ?? CHECKS;
  diagnostics.push(...policyProblems(model.project, checks));
  const context = createCheckContext(model, [], options.caches);
  // Every expression's analysis stays in a persistent cache, read or not: per-file results reused below mean most are
  // not read in a small change, and the next change of another file needs them. Through the incremental cache the
  // keys are named when the cache is written, only if it is (a threshold edit adds no analysis); a plain map (a cold
  // build's, `--watch`'s) keeps every analysis anyway, and asking it for each key kept nothing (a cold build of
  // 10,000 alerts made 11,200 keys for that).
  const promql = options.caches?.promql as (AnalysisCaches['promql'] & { keepLater?(keys: () => Iterable<string>): void }) | undefined;
  promql?.keepLater?.(() => model.expressions.map(analysisKey));
  if (options.now) context.ctx.now = options.now;
  const scopes = new FileScopes(loaded, definitions, model, options.environment, options.caches?.results, options.caches?.texts);
  lap('scopes');
  const skipped = skippedChecks(checks, model);
  if (skipped.diagnostic) diagnostics.push(skipped.diagnostic);
  for (const check of checks) {
    if (skipped.ids.has(check.id)) continue;
    context.current = check;
    try {
      check.run(context.ctx);
      if (check.perFile) for (const file of scopes.files) runPerFile(check, file, context, scopes, options.caches?.documentReports);
    } catch (e) {
      diagnostics.push({ code: 'internal', severity: 'error', message: `check ${check.id} failed: ${(e as Error).message}`, hint: 'this is a bug in Vigil; please report it with the definitions that trigger it' });
    }
    lap(`check ${check.id}`);
  }
  scopes.keepCheckParts();
  // The project's severities and the definitions' disable comments apply to what the check modules reported only.
  diagnostics.push(...applyCheckConfig(context.reports, model.project, loaded.sources, checks));
  const sorted = dedupeDiagnostics(diagnostics).sort(compareDiagnostics);
  const ok = !hasErrors(sorted);
  const artifacts = options.emit !== false && (ok || options.emitOnError) ? emitAll(model, context.ctx, scopes, lap, buildInputs(loaded), options.artifactData !== false) : [];
  return { model, diagnostics: sorted, artifacts, checksRun: checks.length, timings };
}

/** What the definitions left out of the model may declare; an invalid route matcher leaves its Routes incomplete. */
function brokenDefinitions(loaded: LoadResult, definitions: readonly Definition[], valid: readonly TypedDefinition[], modelDiagnostics: readonly Diagnostic[]): BrokenDefinitions {
  const kept = new Set(valid.map((t) => t.def));
  const broken = collectBroken(loaded.sources, loaded.diagnostics, definitions.filter((d) => !kept.has(d)));
  if (modelDiagnostics.some((d) => d.severity === 'error' && d.code === 'route/matcher')) broken.markKind('Routes', true);
  for (const t of valid) if (t.kind === 'Metrics') noteUnknownCatalogues(t.def.value, broken);
  return broken;
}

/** Checks that cannot run on this model: those reading a kind with a broken definition. */
function skippedChecks(checks: readonly Check[], model: Model): { ids: Set<string>; diagnostic?: Diagnostic } {
  const byKind = new Map<string, string[]>();
  for (const check of checks) {
    const kinds = (check.dependsOn ?? []).filter((k) => model.broken.has(k));
    for (const k of kinds) (byKind.get(k) ?? byKind.set(k, []).get(k)!).push(check.id);
  }
  const ids = new Set([...byKind.values()].flat());
  if (ids.size === 0) return { ids };
  const parts = [
    ...[...byKind].map(([kind, list]) => `${list.join(', ')} (${list.length > 1 ? 'they read' : 'it reads'} ${KINDS.find((k) => k.kind === kind)?.cardinality === 'one' ? `the ${kind} definition, which has` : `every ${kind} definition, and one has`} errors)`),
  ];
  return {
    ids,
    diagnostic: { code: 'skipped', severity: 'warning', message: `${ids.size} check${ids.size > 1 ? 's were' : ' was'} skipped because some definitions have errors: ${parts.join('; ')}`, hint: 'fix the errors above and run again' },
  };
}

/** The analysis of a text without "{{" or "}}" (shared: read only). */
const PLAIN_TEXT: TemplateAnalysis = Object.freeze({ problems: Object.freeze([]) as unknown as TemplateAnalysis['problems'], labelRefs: Object.freeze([]) as unknown as TemplateAnalysis['labelRefs'] });

export function createCheckContext(model: Model, sink: Diagnostic[], caches: AnalysisCaches = newAnalysisCaches()): { ctx: CheckContext; current: Check | undefined; reports: CheckReport[] } {
  const holder: { ctx: CheckContext; current: Check | undefined; reports: CheckReport[] } = { ctx: undefined as unknown as CheckContext, current: undefined, reports: [] };
  const analyses = new Map<ExpressionModel, PromqlAnalysis>();
  // The same text (a recording rule's output queried by several panels) is analysed once.
  const byText = caches.promql;
  const templates = caches.templates;
  const analyze = (e: ExpressionModel): PromqlAnalysis => {
    let a = analyses.get(e);
    if (!a) {
      const key = analysisKey(e);
      a = byText.get(key) ?? analyzePromql(e.text, { grafana: e.grafana });
      byText.set(key, a);
      analyses.set(e, a);
    }
    return a;
  };
  const catalog = new Catalog(model);
  const readsBrokenMetric = (e: ExpressionModel) => !model.broken.empty && analyze(e).metrics.some((m) => !catalog.resolve(m.name) && model.broken.mayDeclare('metric', m.name));
  holder.ctx = {
    model,
    catalog,
    analyze,
    labels: new LabelInference(model, catalog, analyze),
    templates: (text) => {
      // No "{{" and no "}}": no action and no stray end, nothing analyzeGoTemplate could find (a runbook link: 10,000
      // distinct ones in a large project, none worth analysing or keeping).
      if (!text.includes('{{') && !text.includes('}}')) return PLAIN_TEXT;
      let t = templates.get(text);
      if (!t) {
        t = analyzeGoTemplate(text);
        templates.set(text, t);
      }
      return t;
    },
    report: (problem) => {
      if (problem.dangling && model.broken.mayDeclare(problem.dangling.namespace, problem.dangling.name)) return;
      if (problem.uses && readsBrokenMetric(problem.uses)) return;
      const check = holder.current!;
      const diagnostic: Diagnostic = {
        code: problem.code ?? check.id,
        severity: problem.severity ?? check.severity,
        message: problem.message,
        ...(problem.span ? { span: problem.span } : {}),
        ...(problem.hint ? { hint: problem.hint } : {}),
        ...(problem.related ? { related: problem.related } : {}),
        ...(problem.conceal ? { conceal: true as const } : {}),
      };
      sink.push(diagnostic);
      holder.reports.push({ diagnostic, checkId: check.id });
    },
  };
  return holder;
}

/** The key of an expression's analysis: its dialect and text. */
function analysisKey(e: ExpressionModel): string {
  return `${e.grafana ? 'g' : 'p'}:${e.text}`;
}

/** A check's part over one file, or the reports it made over the same file and project-wide facts before. */
function runPerFile(check: Check, file: FileItems, context: { ctx: CheckContext; reports: CheckReport[] }, scopes: FileScopes, byDocuments?: AnalysisCaches['documentReports']): void {
  if (!scopes.memoised) return perFileOrEarlier(check, file, context, byDocuments);
  const reads = check.perFileReads?.(context.ctx, file);
  const kept = scopes.memo(file.file, `check ${check.id}${reads ? ` ${reads.part}` : ''}`, () => {
    const from = context.reports.length;
    perFileOrEarlier(check, file, context, byDocuments);
    // Kept as plain data (spans read), and handed back in place of the reports just made: a reused result and a
    // fresh one are the same objects' copies either way.
    return context.reports.splice(from).map((r) => plainDiagnostic(r.diagnostic));
  }, reads?.files);
  for (const diagnostic of kept) context.reports.push({ diagnostic: { ...diagnostic }, checkId: check.id });
}

/**
 * A check's part over one file, or — for a part that reads only the file's documents — the reports an earlier compile
 * (the shared definitions', before an environment's) made over the very same definitions, as the part would make them.
 */
function perFileOrEarlier(check: Check, file: FileItems, context: { ctx: CheckContext; reports: CheckReport[] }, byDocuments: AnalysisCaches['documentReports']): void {
  const first = file.documents[0]?.def;
  if (!check.perFileReadsDocumentsOnly || !byDocuments || first === undefined) return check.perFile!(context.ctx, file);
  let parts = byDocuments.get(first);
  const earlier = parts?.get(check.id);
  if (earlier && sameDocuments(earlier.documents, file.documents)) {
    for (const diagnostic of earlier.diagnostics) context.reports.push({ diagnostic: { ...diagnostic }, checkId: check.id });
    return;
  }
  const from = context.reports.length;
  check.perFile!(context.ctx, file);
  if (!parts) byDocuments.set(first, (parts = new Map()));
  parts.set(check.id, { documents: [...file.documents], diagnostics: context.reports.slice(from).map((r) => plainDiagnostic(r.diagnostic)) });
}

function sameDocuments(a: readonly { kind: string; def: Definition }[], b: readonly { kind: string; def: Definition }[]): boolean {
  return a.length === b.length && a.every((d, i) => d.def === b[i]!.def && d.kind === b[i]!.kind);
}

/** The definition files a build is made from, as manifest.json records them; none for in-memory sources. */
function buildInputs(loaded: LoadResult): { path: string; sha256: string }[] | undefined {
  if (!loaded.displayNames) return undefined;
  return loaded.sources.filter((s) => !s.outside).map((s) => ({ path: s.file, sha256: textSha256(s) }));
}

function emitAll(model: Model, ctx: CheckContext, scopes: FileScopes, lap: (name: string) => void, inputs: { path: string; sha256: string }[] | undefined, withData: boolean): Artifact[] {
  const artifacts = EMITTERS.flatMap((emitter) => {
    const emitted = emitter.emit(model, ctx, scopes, { data: withData });
    const out = withData ? emitted : emitted.map((a) => (a.data === undefined ? a : withoutData(a)));
    lap(`emit ${emitter.name}`);
    return out;
  });
  const secrets = secretsList(artifacts);
  if (secrets) artifacts.push(secrets);
  artifacts.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return [...artifacts, buildManifest(artifacts, inputs)];
}

function withoutData(artifact: Artifact): Artifact {
  const { data: _data, ...rest } = artifact;
  return rest;
}

export { MANIFEST_PATH } from './build/paths.ts';
