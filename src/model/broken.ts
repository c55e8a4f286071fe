import type { Diagnostic } from '../diagnostics.ts';
import type { Definition, SourceFile } from '../load/definition.ts';
import { BUILT_IN_CATALOGUES } from '../catalogues/index.ts';
import { KINDS, type KindName } from '../spec/kinds.ts';
import { defaultAlertName } from '../slo/index.ts';

/** The name spaces definitions declare and other definitions refer to. */
export type Namespace = 'alert' | 'metric' | 'receiver' | 'severity' | 'dashboard' | 'source' | 'template';

const KIND_NAMES = new Set<string>(KINDS.map((k) => k.kind));

/** Which name spaces each kind declares into: a broken definition of the kind may hold any name of them. */
const DECLARES: Record<KindName, readonly Namespace[]> = {
  Project: [],
  Metrics: ['metric', 'source'],
  Severities: ['severity'],
  AlertRules: ['alert'],
  RecordingRules: ['metric'],
  SLOs: ['alert', 'metric'],
  Receivers: ['receiver'],
  Routes: [],
  Dashboard: ['dashboard'],
  RuleTests: [],
  Environment: [],
  Templates: ['template'],
  Silences: [],
};

const HISTOGRAM_SERIES = ['', '_bucket', '_sum', '_count'];

/**
 * What the definitions that failed before the model (load, YAML, TypeScript or schema errors) may have declared.
 * The model holds only valid definitions, so a name missing from it is either really missing or declared by one of
 * these: a reference check asks `mayDeclare` before calling a reference dangling, and a check that reads a whole
 * kind (the Project's policies, the Routes tree) is skipped while a definition of that kind is broken.
 */
export class BrokenDefinitions {
  /** Kinds with at least one broken definition. */
  readonly kinds = new Set<KindName>();
  /** A file failed whose kind could not be told: it may declare anything. */
  unknownKind = false;
  private readonly names = new Map<Namespace, Set<string>>();
  private readonly prefixes: string[] = [];
  /** Name spaces a broken definition declares into without its names being readable (a file that did not parse). */
  private readonly opaque = new Set<Namespace>();

  get empty(): boolean {
    return this.kinds.size === 0 && !this.unknownKind;
  }

  /** Whether a definition of `kind` (or of an unknown kind) is broken. */
  has(kind: KindName): boolean {
    return this.unknownKind || this.kinds.has(kind);
  }

  /** Whether a broken definition may declare `name`: a reference to it is then not reported as dangling. */
  mayDeclare(namespace: Namespace, name: string): boolean {
    if (this.opaque.has(namespace)) return true;
    if (this.names.get(namespace)?.has(name)) return true;
    return namespace === 'metric' && this.prefixes.some((p) => name.startsWith(p));
  }

  /** Any name of the name space may be declared by a broken definition. */
  markOpaque(namespace: Namespace): void {
    this.opaque.add(namespace);
  }

  markKind(kind: KindName, readable: boolean): void {
    this.kinds.add(kind);
    if (!readable) for (const ns of DECLARES[kind]) this.opaque.add(ns);
  }

  /** How many names were read from broken definitions. */
  count = 0;

  add(namespace: Namespace, name: unknown): void {
    if (typeof name !== 'string' && typeof name !== 'number') return;
    this.count++;
    const set = this.names.get(namespace) ?? this.names.set(namespace, new Set()).get(namespace)!;
    set.add(String(name));
  }

  addPrefix(prefix: unknown): void {
    if (typeof prefix !== 'string' || prefix === '') return;
    this.count++;
    this.prefixes.push(prefix);
  }
}

/**
 * Collects what failed: definitions the schema rejected (their values are read for the names they declare, under
 * every kind when the kind itself is wrong) and files that failed to load (their kinds guessed from the text).
 */
export function collectBroken(sources: readonly SourceFile[], loadDiagnostics: readonly Diagnostic[], rejected: readonly Definition[]): BrokenDefinitions {
  const broken = new BrokenDefinitions();
  for (const def of rejected) {
    const value = def.value;
    const kind = isRecord(value) && typeof value.kind === 'string' && KIND_NAMES.has(value.kind) ? (value.kind as KindName) : undefined;
    if (kind) broken.markKind(kind, true);
    else {
      // A misspelt kind: whatever it holds may be what the author meant, so read it under every kind.
      for (const k of KINDS) if (declaresSomething(k.kind, value)) broken.markKind(k.kind, true);
    }
    for (const k of kind ? [kind] : KINDS.map((i) => i.kind)) readNames(k, value, broken);
  }
  const failedFiles = new Set(loadDiagnostics.filter((d) => d.severity === 'error' && d.span).map((d) => d.span!.file));
  const texts = new Map(sources.map((s) => [s.file, s.text]));
  for (const file of failedFiles) readFailedFile(file, texts.get(file) ?? '', broken);
  return broken;
}

/**
 * A file that did not load. A YAML file declares a name only by writing it, so every word of its text is a name it
 * may declare: "oncal" stays a dangling reference while the file only holds "oncall". Where the text does not spell
 * its names out (TypeScript computes them; YAML escapes, aliases and merges; metric prefixes), the kind's name spaces
 * are opaque: any name may be in it.
 */
function readFailedFile(file: string, text: string, broken: BrokenDefinitions): void {
  const found = kindsInText(text);
  const kinds = found ?? KINDS.map((k) => k.kind);
  if (!found) broken.unknownKind = true;
  const spelledOut = !file.endsWith('.ts') && !/\\|[*&][A-Za-z0-9_]|<<\s*:|\bprefixes\b|\bcatalogue\b/.test(text);
  for (const kind of kinds) {
    if (found) broken.markKind(kind, spelledOut);
    else if (!spelledOut) broken.markKind(kind, false);
    if (spelledOut) for (const ns of DECLARES[kind]) for (const word of text.match(/[A-Za-z0-9_:.+@-]+/g) ?? []) broken.add(ns, word);
  }
}

/** Kinds a file that did not load names: `kind: X` in YAML or TypeScript, `defineX(` in TypeScript. */
function kindsInText(text: string): KindName[] | undefined {
  const found = new Set<KindName>();
  for (const m of text.matchAll(/\bkind\s*:\s*["']?([A-Za-z]+)|\bdefine([A-Z][A-Za-z]+)\s*\(/g)) {
    const name = m[1] ?? m[2]!;
    if (KIND_NAMES.has(name)) found.add(name as KindName);
    else if (m[1] !== undefined) return undefined; // a misspelt kind in a file that did not parse: it may be anything
  }
  return found.size > 0 ? [...found] : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function list(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

function declaresSomething(kind: KindName, value: unknown): boolean {
  const probe = new BrokenDefinitions();
  readNames(kind, value, probe);
  return probe.count > 0;
}

/**
 * A Metrics definition the schema accepts may still name a catalogue Vigil does not ship (reported by its mapper,
 * which leaves the entry out): the metrics it meant are unknown, so no reference to a metric is called dangling.
 */
export function noteUnknownCatalogues(value: unknown, broken: BrokenDefinitions): void {
  if (!isRecord(value)) return;
  for (const e of list(value.external)) {
    if (typeof e.catalogue !== 'string' || BUILT_IN_CATALOGUES.has(e.catalogue)) continue;
    broken.markKind('Metrics', true);
    readCatalogue(e.catalogue, broken);
  }
}

/** A built-in catalogue declares its metrics, their series and its source; a name Vigil does not ship may be anything. */
function readCatalogue(name: unknown, broken: BrokenDefinitions): void {
  const catalogue = typeof name === 'string' ? BUILT_IN_CATALOGUES.get(name) : undefined;
  if (!catalogue) {
    broken.markOpaque('metric');
    return;
  }
  broken.add('source', catalogue.source);
  for (const m of catalogue.metrics) for (const suffix of m.type === 'histogram' ? HISTOGRAM_SERIES : ['']) broken.add('metric', m.name + suffix);
}

function readNames(kind: KindName, value: unknown, broken: BrokenDefinitions): void {
  if (!isRecord(value)) return;
  switch (kind) {
    case 'Metrics':
      broken.add('source', value.source);
      for (const m of list(value.metrics)) {
        broken.add('source', m.source);
        for (const suffix of HISTOGRAM_SERIES) if (typeof m.name === 'string') broken.add('metric', m.name + suffix);
      }
      for (const e of list(value.external)) {
        broken.add('source', e.source);
        if (Array.isArray(e.names)) e.names.forEach((n) => broken.add('metric', n));
        for (const m of list(e.metrics)) broken.add('metric', m.name);
        if (Array.isArray(e.prefixes)) e.prefixes.forEach((p) => broken.addPrefix(p));
        if (e.catalogue !== undefined) readCatalogue(e.catalogue, broken);
      }
      break;
    case 'RecordingRules':
      for (const r of list(value.rules)) broken.add('metric', r.record);
      break;
    case 'SLOs':
      broken.addPrefix('slo:');
      for (const s of list(value.slos)) broken.add('alert', isRecord(s.alert) && typeof s.alert.name === 'string' ? s.alert.name : typeof s.name === 'string' ? defaultAlertName(s.name) : undefined);
      break;
    case 'AlertRules':
      for (const a of list(value.alerts)) broken.add('alert', a.name);
      break;
    case 'Receivers':
      for (const r of list(value.receivers)) broken.add('receiver', r.name);
      break;
    case 'Templates':
      for (const t of list(value.templates)) broken.add('template', t.name);
      break;
    case 'Severities':
      for (const l of list(value.levels)) broken.add('severity', l.name);
      break;
    case 'Dashboard':
      broken.add('dashboard', value.uid);
      if (isRecord(value.dashboard)) broken.add('dashboard', value.dashboard.uid);
      break;
    default:
      break;
  }
}
