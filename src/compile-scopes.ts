import { createHash } from 'node:crypto';
import { serialize } from 'node:v8';
import type { Diagnostic, Span } from './diagnostics.ts';
import type { Definition, LoadResult } from './load/index.ts';
import { textSha256 } from './load/text-hash.ts';
import { sha256 } from './build/manifest.ts';
import type { DashboardModel, ExpressionModel, Model, RuleGroupModel } from './model/types.ts';
import type { KindName } from './spec/kinds.ts';
import type { KnownConforming } from './spec/validate.ts';
import { objectArray } from './util/object-array.ts';

/**
 * Results kept between compiles (issue #12 §3): in memory in `--watch`, in the incremental cache for `vigil build`.
 * Keys name exactly what a result was computed from, so a value read back is the value a cold run computes.
 */
export interface ResultStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  /** Whether `key` has a value, which then stays kept for later compiles whether or not this one reads it. */
  keep(key: string): boolean;
}

/** A generated file's text made by a per-file part, read when first asked for, and the sha256 of its UTF-8 bytes. */
export interface KeptText {
  sha256: string;
  text(): string;
}

/** What one definition file contributes to the model: the items a per-file check or emitter part reads. */
export interface FileItems {
  file: string;
  /** The file's schema-valid documents (those in the model), with their kinds. */
  documents: { kind: string; def: Definition }[];
  groups: RuleGroupModel[];
  dashboards: DashboardModel[];
  expressions: ExpressionModel[];
}

/**
 * Kinds whose documents only add items of their own (alerts, dashboards): nothing else in the model is derived from
 * them. A file holding only these kinds is "item-only"; every other file (Project, Severities, Receivers, Routes,
 * Metrics, RecordingRules — alerts' labels may read recorded series —, SLOs, Environments, tests…) is project-wide.
 */
const ITEM_KINDS = new Set(['AlertRules', 'Dashboard']);

/** The start of a check's part name (compile.ts): such parts without other files' reads are kept per file together. */
const CHECK_PART = 'check ';

/**
 * The model split by definition file, and a memo of per-file results keyed by the file's content and the project-wide
 * facts: the sha256 of every project-wide file, the environment compiled for. A per-file part may read its file's
 * items and any project-wide fact (catalogue, severities, receivers, routes, project settings), never another item
 * file's items: then its result is a function of exactly what its key hashes. With a broken definition (one the
 * model could not take in) nothing is memoised: what checks drop depends on what every file may declare.
 */
export class FileScopes {
  readonly files: FileItems[];
  private readonly fingerprints = new Map<string, string>();
  private readonly projectWide: string | undefined;
  private readonly bundles = new Map<string, { key: string; parts: Map<string, unknown>; added: boolean }>();

  constructor(
    loaded: LoadResult,
    definitions: readonly Definition[],
    model: Model,
    environment: string | undefined,
    private readonly store: ResultStore | undefined,
    private readonly texts: ResultStore | undefined = store,
  ) {
    const byFile = new Map<string, FileItems>();
    const items = (file: string): FileItems => {
      let f = byFile.get(file);
      if (!f) byFile.set(file, (f = { file, documents: objectArray(), groups: objectArray(), dashboards: objectArray(), expressions: objectArray() }));
      return f;
    };
    for (const s of loaded.sources) items(s.file);
    for (const [kind, defs] of model.definitionsByKind) for (const def of defs) items(def.file).documents.push({ kind, def });
    for (const g of model.groups) items(g.origin.def.file).groups.push(g);
    for (const d of model.dashboards) items(d.origin.def.file).dashboards.push(d);
    for (const e of model.expressions) items(e.origin.def.file).expressions.push(e);
    this.files = [...byFile.values()];
    this.projectWide = store && model.broken.empty ? this.fingerprint(loaded, definitions, environment) : undefined;
  }

  /** Whether results are kept and reused in this compile. */
  get memoised(): boolean {
    return this.projectWide !== undefined;
  }

  /**
   * `compute()`, or its result from an earlier compile with the same file and the same project-wide facts. A part
   * that reads items of other files too names them in `part` (which items) and `reads` (their files): the key then
   * holds those files' contents as well.
   */
  memo<T>(file: string, part: string, compute: () => T, reads: readonly string[] = []): T {
    const fileHash = this.projectWide === undefined ? undefined : this.fingerprints.get(file);
    if (fileHash === undefined || !this.store) return compute();
    if (reads.length === 0 && part.startsWith(CHECK_PART)) return this.bundled(file, fileHash, part, compute);
    const key = this.keyOf(part, fileHash, reads);
    if (key === undefined) return compute();
    const kept = this.store.get(key);
    if (kept !== undefined) return kept as T;
    const value = compute();
    this.store.set(key, value);
    return value;
  }

  /**
   * Like memo, for a part that makes a generated file: what describes the file (`compute()` without its `content`)
   * and the content's sha256 are kept in one entry, the content in another, read from the store only when text() is
   * first called. A build whose output already holds the file never reads it (the write step compares digests).
   */
  memoText<M extends object>(file: string, part: string, compute: () => M & { content: string }, reads: readonly string[] = []): M & KeptText {
    const fileHash = this.projectWide === undefined ? undefined : this.fingerprints.get(file);
    const key = fileHash === undefined || !this.store ? undefined : this.keyOf(part, fileHash, reads);
    return key === undefined ? describedText(compute()) : this.keptText(key, compute);
  }

  /**
   * Like memo, with the sha256 of the part's value (of its V8 serialization) kept in an entry of its own: a document
   * joined from every file's part is then taken whole from an earlier compile when no part changed (memoDocument),
   * and the parts are read only when it is made. Undefined when nothing is kept in this compile.
   */
  memoPart<T>(file: string, part: string, compute: () => T): { digest: string; value: () => T } | undefined {
    const fileHash = this.projectWide === undefined ? undefined : this.fingerprints.get(file);
    const key = fileHash === undefined || !this.store ? undefined : this.keyOf(part, fileHash, []);
    if (key === undefined) return undefined;
    const store = this.store!;
    const digestKey = `${key}\0sha256`;
    const digest = store.get(digestKey) as string | undefined;
    if (digest !== undefined && store.keep(key)) {
      let value: T | undefined;
      // A value entry found damaged when read is made again: the same key, so the same value.
      return { digest, value: () => (value ??= (store.get(key) as T | undefined) ?? compute()) };
    }
    const value = compute();
    store.set(key, value);
    const made = createHash('sha256').update(serialize(value)).digest('hex');
    store.set(digestKey, made);
    return { digest: made, value: () => value };
  }

  /**
   * The part `part` of every file with rule groups, each a memoPart, for a document joined from them all: the parts by
   * file (each read when called), and what names them all for memoDocument — each file, its part's digest and
   * `describe(file)` (whatever else of the file the document reads) — or undefined when some part is not kept here.
   */
  groupFileParts<T>(part: string, make: (file: FileItems) => T, describe: (file: FileItems) => string): { parts: Map<string, () => T>; inputs?: string } {
    const parts = new Map<string, () => T>();
    let inputs: string | undefined = '';
    for (const file of this.files) {
      if (!file.groups.length) continue;
      const compute = () => make(file);
      const kept = this.memoPart(file.file, part, compute);
      if (kept === undefined) {
        inputs = undefined;
        parts.set(file.file, () => this.memo(file.file, part, compute));
        continue;
      }
      if (inputs !== undefined) inputs += `${file.file}\0${kept.digest}\0${describe(file)}\n`;
      parts.set(file.file, kept.value);
    }
    return { parts, inputs };
  }

  /**
   * A generated file made from project-wide facts and per-file parts only (`inputs` names each part: its file, its
   * memoPart digest and whatever else of the file the document reads), kept like memoText's: the same inputs and
   * project-wide facts give the same file, so it is taken from an earlier compile, unread until it must be written.
   */
  memoDocument<M extends object>(name: string, inputs: string, compute: () => M & { content: string }): M & KeptText {
    if (this.projectWide === undefined || !this.store) return describedText(compute());
    return this.keptText(`document ${name}\0${this.projectWide}\0${sha256(inputs)}`, compute);
  }

  private keptText<M extends object>(key: string, compute: () => M & { content: string }): M & KeptText {
    const store = this.store!;
    const texts = this.texts ?? store;
    const textKey = `${key}\0text`;
    const kept = store.get(key) as (M & { sha256: string }) | undefined;
    // Without its text entry (a compaction keeps both, a damaged or deleted cache file may not) the part is made again.
    if (kept !== undefined && texts.keep(textKey)) {
      let text: string | undefined;
      return {
        ...kept,
        text: () => {
          // A text entry missing or found damaged when read is made again: the same key, so the same content.
          text ??= (texts.get(textKey) as string | undefined) ?? compute().content;
          return text;
        },
      };
    }
    const { content, ...described } = compute();
    const made = { ...(described as M), sha256: sha256(content) };
    store.set(key, made);
    texts.set(textKey, content);
    return { ...made, text: () => content };
  }

  /** The key of a per-file part: the part, the project-wide facts, the file and the other files it reads. */
  private keyOf(part: string, fileHash: string, reads: readonly string[]): string | undefined {
    let key = `${part}\0${this.projectWide}\0${fileHash}`;
    for (const other of reads) {
      const hash = this.fingerprints.get(other);
      if (hash === undefined) return undefined;
      key += `\0${hash}`;
    }
    return key;
  }

  /**
   * A check's part of a file, kept with the file's other checks' parts in one entry (two dozen checks by hundreds of
   * files are thousands of entries to look up and check otherwise): the same key, the same values, fewer entries.
   */
  private bundled<T>(file: string, fileHash: string, part: string, compute: () => T): T {
    let bundle = this.bundles.get(file);
    if (bundle === undefined) {
      const key = `${CHECK_PART}\0${this.projectWide}\0${fileHash}`;
      const kept = this.store!.get(key) as Record<string, unknown> | undefined;
      this.bundles.set(file, (bundle = { key, parts: new Map(kept ? Object.entries(kept) : []), added: false }));
    }
    if (bundle.parts.has(part)) return bundle.parts.get(part) as T;
    const value = compute();
    bundle.parts.set(part, value);
    bundle.added = true;
    return value;
  }

  /** Keeps the checks' parts made in this compile (see bundled); called once every check ran. */
  keepCheckParts(): void {
    for (const bundle of this.bundles.values()) {
      if (!bundle.added) continue;
      this.store!.set(bundle.key, Object.fromEntries(bundle.parts));
      bundle.added = false;
    }
  }

  private fingerprint(loaded: LoadResult, definitions: readonly Definition[], environment: string | undefined): string | undefined {
    const defsOf = new Map<string, Definition[]>();
    for (const d of definitions) (defsOf.get(d.file) ?? defsOf.set(d.file, []).get(d.file)!).push(d);
    const project = createHash('sha256').update(`environment ${environment ?? ''}\n`);
    for (const source of loaded.sources) {
      const defs = defsOf.get(source.file) ?? [];
      let digest = textSha256(source);
      // A TypeScript file's exports depend on what it imports, not on its text alone; an environment's overrides
      // change a document's value (with fileAt naming the override's file, which is project-wide).
      if (defs.some((d) => d.origin !== 'yaml') || environment !== undefined) {
        try {
          digest = createHash('sha256').update(digest).update(serialize(defs.map((d) => d.value))).digest('hex');
        } catch {
          return undefined;
        }
      }
      const itemOnly = defs.length > 0 && defs.every((d) => ITEM_KINDS.has(kindOf(d)));
      this.fingerprints.set(source.file, digest);
      if (!itemOnly) project.update(`${source.file}\0${digest}\n`);
    }
    // Definitions of files that are not among the sources (none today) would escape the key: no memo then.
    for (const d of definitions) if (!this.fingerprints.has(d.file)) return undefined;
    return project.digest('hex');
  }
}

/**
 * Schema outcomes by the text of the file a definition was read from (its sha256), one entry per file listing the
 * kind of each conforming document by its place: for a YAML document of a loaded file, untouched by an environment's
 * overrides and with no part read from another file (a dashboard's `json:` file), the value is a function of that
 * text alone, and so is whether it conforms.
 */
export function knownConforming(loaded: LoadResult, store: ResultStore): KnownConforming {
  const loadedDefinitions = new Set(loaded.definitions);
  const sources = new Map(loaded.sources.map((s) => [s.file, s]));
  const byFile = new Map<string, { key: string; kinds: (KindName | null)[]; added: boolean }>();
  const entryOf = (def: Definition) => {
    if (def.origin !== 'yaml' || def.fileAt !== undefined || !loadedDefinitions.has(def)) return undefined;
    let entry = byFile.get(def.file);
    if (entry === undefined) {
      const source = sources.get(def.file);
      if (source === undefined) return undefined;
      const key = `schema\0${textSha256(source)}`;
      const kept = store.get(key) as (KindName | null)[] | undefined;
      byFile.set(def.file, (entry = { key, kinds: kept ? [...kept] : [], added: false }));
    }
    return entry;
  };
  return {
    kindOf: (def) => entryOf(def)?.kinds[def.index] ?? undefined,
    remember: (def, kind) => {
      const entry = entryOf(def);
      if (entry === undefined) return;
      while (entry.kinds.length < def.index) entry.kinds.push(null);
      entry.kinds[def.index] = kind;
      entry.added = true;
    },
    done: () => {
      for (const entry of byFile.values()) if (entry.added) store.set(entry.key, entry.kinds);
    },
  };
}

function describedText<M extends object>(made: M & { content: string }): M & KeptText {
  const { content, ...described } = made;
  return { ...(described as M), sha256: sha256(content), text: () => content };
}

function kindOf(d: Definition): string {
  const v = d.value as { kind?: unknown } | null;
  return v && typeof v === 'object' && typeof v.kind === 'string' ? v.kind : '';
}

/** A diagnostic with its spans read (model spans are lazy getters), as it can be kept and handed out again. */
export function plainDiagnostic(d: Diagnostic): Diagnostic {
  const out: Diagnostic = { ...d };
  if (d.span) out.span = plainSpan(d.span);
  if (d.related) out.related = d.related.map((r) => ({ ...r, span: plainSpan(r.span) }));
  return out;
}

function plainSpan(s: Span): Span {
  return { file: s.file, start: s.start, end: s.end };
}
