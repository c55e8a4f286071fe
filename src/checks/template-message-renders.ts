import { createHash } from 'node:crypto';
import { compileTemplate, TemplateError, type CompiledTemplate } from '../relay/channels/template.ts';
import type { Notice } from '../relay/channels/types.ts';
import type { MessageTemplateModel } from '../model/types.ts';
import type { KeptOutcome } from '../cache/index.ts';

/** What rendering a template against one sample notice found; undefined: nothing wrong. */
export type RenderOutcome = { fails: TemplateError } | { bytes: number } | { markup: string[] } | undefined;

/**
 * Compiling and rendering are pure functions of the template's text and the sample notice, and the compiles of one
 * project (the shared definitions and each environment's) mostly render the same ones: within `sharingRenders`, each
 * is done once and its outcome reused. The keys hold every input, so a reused outcome is the one a render would give.
 */
interface Renders {
  compiled: Map<string, CompiledTemplate | TemplateError>;
  /**
   * By template (templateKey) and notice without its language and links (noticeKeyOf): two keys a caller keeps, so
   * that V8 hashes each string once, not a joined key at every look-up.
   */
  shapes: Map<string, Map<string, ShapeRenders>>;
}

interface ShapeRenders {
  /**
   * Renders of this run, each with what it read of the language and the links: a render that read neither gives its
   * outcome for a notice in the other language too (an email template says nothing in the notice's language unless it
   * prints the title or the "… and N more" words), and for the notice with other links; one of a notice without links
   * that did not look for them, for the notice with links too (the shared definitions have no public URL, the
   * environments each their own, and a resolved notice shows no links).
   */
  renders: ShapeRender[];
  /** By whether the notice has links, and its language. */
  notices: Map<string, NoticeRenders>;
}

/** The renders of one template for one notice, the notice's links left out (each environment has its own public URL). */
interface NoticeRenders extends RenderSlot {
  known?: { outcome: RenderOutcome; readsLinks: boolean };
  /** For renders that read the links, by the links' base. */
  linked: Map<string | undefined, RenderOutcome>;
}

/**
 * What renderOutcome gives `render` within `sharingRenders`, one per template and notice without its links: `key`
 * holds every other input (JSON), and `kept` is where template/message keeps what it made with stand-in links, to
 * make the texts of another links base from.
 */
export interface RenderSlot {
  key: string;
  kept?: unknown;
}

interface ShapeRender {
  outcome: RenderOutcome;
  /** The language it read, if it did. */
  language?: string;
  /** Whether the notice had links, then their base. */
  hasLinks: boolean;
  linksBase?: string;
  /**
   * Whether it read the links: called them, or, of a notice without links, looked for them (a render of a notice with
   * links may have looked for them without calling them: it serves no notice without links).
   */
  readsLinks: boolean;
}

/** Whether `r` is the render of a notice with the same JSON in `language` with `linksBase`'s links (undefined: none). */
function serves(r: ShapeRender, language: string, linksBase: string | undefined): boolean {
  if (r.language !== undefined && r.language !== language) return false;
  if (r.hasLinks) return linksBase !== undefined && (!r.readsLinks || r.linksBase === linksBase);
  return !r.readsLinks || linksBase === undefined;
}

let shared: (Renders & { kept?: KeptRenders }) | undefined;

/**
 * Render outcomes kept across runs (the incremental cache), keyed by the sha256 of the same keys as within a run:
 * `o:` + key → the outcome and whether the render read the links, `l:` + key and links base → a linked outcome,
 * `c:` + template → whether it compiles (`none`) or its error (`fails`).
 */
export interface KeptRenders {
  get(key: string): { outcome: KeptOutcome; readsLinks?: boolean } | undefined;
  set(key: string, value: { outcome: KeptOutcome; readsLinks?: boolean }): void;
}

/**
 * Runs `work` (synchronous compiles) with one store of template compiles and renders; nested calls share the outer
 * one. With `kept`, renders are also looked up in and added to it.
 */
export function sharingRenders<T>(work: () => T, kept?: KeptRenders): T {
  if (shared) return work();
  shared = { compiled: new Map(), shapes: new Map(), ...(kept ? { kept } : {}) };
  try {
    return work();
  } finally {
    shared = undefined;
  }
}

/**
 * A template's texts and channel as JSON (the key of its compile and the start of its renders' keys): made once per
 * template object, not at each of its renders.
 */
const templateTexts = new WeakMap<MessageTemplateModel, string>();

function templateKey(t: MessageTemplateModel): string {
  let key = templateTexts.get(t);
  if (key === undefined) templateTexts.set(t, (key = JSON.stringify([t.channel, t.title, t.body])));
  return key;
}

const keptKey = (kind: 'o' | 'l' | 'c', key: string) => `${kind}:${createHash('sha256').update(key).digest('hex')}`;

function toKept(outcome: RenderOutcome): KeptOutcome {
  if (outcome === undefined) return { none: true };
  if ('fails' in outcome) {
    const e = outcome.fails;
    return { fails: { message: e.message, field: e.field, ...(e.line !== undefined ? { line: e.line } : {}), ...(e.column !== undefined ? { column: e.column } : {}) } };
  }
  return outcome;
}

function fromKept(kept: KeptOutcome): RenderOutcome {
  if ('none' in kept) return undefined;
  if ('fails' in kept) return { fails: new TemplateError(kept.fails.message, kept.fails.field, kept.fails.line, kept.fails.column) };
  return kept;
}

/**
 * The notice as renderOutcome keys it: its JSON without its language (and without its links, a function JSON leaves
 * out). A caller that asks for the same notice in several languages or with several links bases can make it once.
 */
export function noticeKeyOf(notice: Notice): string {
  return JSON.stringify({ ...notice, language: undefined });
}

/** The template's compiled fields, or the TemplateError compiling them gave. */
export function compiledTemplate(t: MessageTemplateModel): CompiledTemplate | TemplateError {
  const key = templateKey(t);
  const known = shared?.compiled.get(key);
  if (known) return known instanceof TemplateError ? known : { ...known, source: t };
  const kept = shared?.kept?.get(keptKey('c', key));
  let result: CompiledTemplate | TemplateError;
  if (kept) {
    // Compiled in an earlier run: its error as it was, or the template compiled only if a render needs it.
    const outcome = fromKept(kept.outcome);
    result = outcome && 'fails' in outcome ? outcome.fails : compiledWhenUsed(t);
  } else {
    try {
      result = compileTemplate(t);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      result = e;
    }
    shared?.kept?.set(keptKey('c', key), { outcome: result instanceof TemplateError ? toKept({ fails: result }) : { none: true } });
  }
  shared?.compiled.set(key, result);
  return result;
}

/** A template known to compile, compiled at its first render (a run whose renders all come from the cache never does). */
function compiledWhenUsed(t: MessageTemplateModel): CompiledTemplate {
  let compiled: CompiledTemplate | undefined;
  const now = () => (compiled ??= compileTemplate(t));
  const lazy: CompiledTemplate = { source: t, body: (context, options) => now().body(context, options) };
  if (t.title !== undefined) lazy.title = (context, options) => now().title!(context, options);
  return lazy;
}

/**
 * The outcome of rendering `t` for `notice`: `render`'s, or that of the same render earlier in `sharingRenders`.
 * The notice's links (a function of its alert and `linksBase`, the public URL; undefined: it has none) are the one
 * input JSON leaves out of the key: a render that never called them gave what it would give with any other base.
 * `knownNoticeKey`: noticeKeyOf(notice), when the caller has it.
 */
export function renderOutcome(
  t: MessageTemplateModel,
  notice: Notice,
  linksBase: string | undefined,
  render: (notice: Notice, slot?: RenderSlot) => RenderOutcome,
  knownNoticeKey?: string,
): RenderOutcome {
  if (!shared) return render(notice);
  const { kept } = shared;
  const noticeKey = knownNoticeKey ?? noticeKeyOf(notice);
  const texts = templateKey(t);
  // A render that read neither the notice's language nor its links serves any language and links base: with the same
  // reads it takes the same steps (the other inputs are in the key, and the view reads the language only when asked).
  let ofTemplate = shared.shapes.get(texts);
  if (!ofTemplate) shared.shapes.set(texts, (ofTemplate = new Map()));
  let shape = ofTemplate.get(noticeKey);
  if (!shape) ofTemplate.set(noticeKey, (shape = { renders: [], notices: new Map() }));
  const same = shape.renders.find((r) => serves(r, notice.language, linksBase));
  // The whole notice as the cache names it: JSON.stringify([t.channel, t.title, t.body, linksBase !== undefined,
  // { ...notice, language: undefined }]), then its language (JSON has no raw NUL: the language is told apart).
  const key = kept && `${texts.slice(0, -1)},${linksBase !== undefined},${noticeKey}]\u0000${notice.language}`;
  if (same) {
    // Kept as the render it stands for would be, so that a later run finds it by its own key.
    if (key) {
      const readsLinks = same.readsLinks && linksBase !== undefined;
      kept.set(keptKey('o', key), { outcome: toKept(same.outcome), readsLinks });
      if (readsLinks) kept.set(keptKey('l', `${key}\u0000${linksBase}`), { outcome: toKept(same.outcome) });
    }
    return same.outcome;
  }
  const noticeRendersKey = `${linksBase !== undefined}${notice.language}`;
  let renders = shape.notices.get(noticeRendersKey);
  if (!renders) shape.notices.set(noticeRendersKey, (renders = { key: `${texts.slice(0, -1)},${noticeKey}]`, linked: new Map() }));
  let known = renders.known;
  if (!known && key) {
    const stored = kept.get(keptKey('o', key));
    if (stored) renders.known = known = { outcome: fromKept(stored.outcome), readsLinks: stored.readsLinks === true };
  }
  if (known && !known.readsLinks) return known.outcome;
  if (known && renders.linked.has(linksBase)) return renders.linked.get(linksBase);
  if (known && key) {
    const stored = kept.get(keptKey('l', `${key}\u0000${linksBase}`));
    if (stored) {
      const outcome = fromKept(stored.outcome);
      renders.linked.set(linksBase, outcome);
      return outcome;
    }
  }
  let readsLinks = false;
  let readsLanguage = false;
  const links = notice.links;
  const probed: Notice = Object.defineProperty({ ...notice, ...(links ? { links: (alert: Parameters<typeof links>[0]) => ((readsLinks = true), links(alert)) } : {}) }, 'language', {
    enumerable: true,
    get: () => ((readsLanguage = true), notice.language),
  });
  // Without links, looking for them is reading them (their absence): then the render serves no notice that has some.
  if (!links) Object.defineProperty(probed, 'links', { get: () => void (readsLinks = true) });
  const outcome = render(probed, renders);
  shape.renders.push({ outcome, hasLinks: links !== undefined, ...(links !== undefined ? { linksBase } : {}), readsLinks, ...(readsLanguage ? { language: notice.language } : {}) });
  // By the notice's own key, a notice without links reads none.
  const calledLinks = readsLinks && links !== undefined;
  if (!known) {
    renders.known = { outcome, readsLinks: calledLinks };
    if (key) kept.set(keptKey('o', key), { outcome: toKept(outcome), readsLinks: calledLinks });
  }
  if (calledLinks) {
    renders.linked.set(linksBase, outcome);
    if (key) kept.set(keptKey('l', `${key}\u0000${linksBase}`), { outcome: toKept(outcome) });
  }
  return outcome;
}
