import { compileTemplate, TemplateError, type CompiledTemplate } from '../relay/channels/template.ts';
import type { Notice } from '../relay/channels/types.ts';
import type { MessageTemplateModel } from '../model/types.ts';

/** What rendering a template against one sample notice found; undefined: nothing wrong. */
export type RenderOutcome = { fails: TemplateError } | { bytes: number } | { markup: string[] } | undefined;

/**
 * Compiling and rendering are pure functions of the template's text and the sample notice, and the compiles of one
 * project (the shared definitions and each environment's) mostly render the same ones: within `sharingRenders`, each
 * is done once and its outcome reused. The keys hold every input, so a reused outcome is the one a render would give.
 */
interface Renders {
  compiled: Map<string, CompiledTemplate | TemplateError>;
  /** By template and notice, the notice's links left out (each environment has its own public URL)… */
  outcomes: Map<string, { outcome: RenderOutcome; readsLinks: boolean }>;
  /** …and, for renders that read the links, by the links' base as well. */
  linked: Map<string, RenderOutcome>;
}

let shared: Renders | undefined;

/** Runs `work` (synchronous compiles) with one store of template compiles and renders; nested calls share the outer one. */
export function sharingRenders<T>(work: () => T): T {
  if (shared) return work();
  shared = { compiled: new Map(), outcomes: new Map(), linked: new Map() };
  try {
    return work();
  } finally {
    shared = undefined;
  }
}

/** The template's compiled fields, or the TemplateError compiling them gave. */
export function compiledTemplate(t: MessageTemplateModel): CompiledTemplate | TemplateError {
  const key = JSON.stringify([t.channel, t.title, t.body]);
  const known = shared?.compiled.get(key);
  if (known) return known instanceof TemplateError ? known : { ...known, source: t };
  let result: CompiledTemplate | TemplateError;
  try {
    result = compileTemplate(t);
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    result = e;
  }
  shared?.compiled.set(key, result);
  return result;
}

/**
 * The outcome of rendering `t` for `notice`: `render`'s, or that of the same render earlier in `sharingRenders`.
 * The notice's links (a function of its alert and `linksBase`, the public URL; undefined: it has none) are the one
 * input JSON leaves out of the key: a render that never called them gave what it would give with any other base.
 */
export function renderOutcome(t: MessageTemplateModel, notice: Notice, linksBase: string | undefined, render: (notice: Notice) => RenderOutcome): RenderOutcome {
  if (!shared) return render(notice);
  const key = JSON.stringify([t.channel, t.title, t.body, linksBase !== undefined, notice]);
  const known = shared.outcomes.get(key);
  if (known && !known.readsLinks) return known.outcome;
  const linkedKey = `${key}\u0000${linksBase}`;
  if (known && shared.linked.has(linkedKey)) return shared.linked.get(linkedKey);
  let readsLinks = false;
  const links = notice.links;
  const probed: Notice = links ? { ...notice, links: (alert) => ((readsLinks = true), links(alert)) } : notice;
  const outcome = render(probed);
  if (!known) shared.outcomes.set(key, { outcome, readsLinks });
  if (readsLinks) shared.linked.set(linkedKey, outcome);
  return outcome;
}
