/**
 * Message templates (kind Templates): Handlebars a team writes for a relay channel, compiled once, chosen per notice,
 * and rendered from a view of the notice whose every value is already escaped for the channel. The same functions
 * serve the relay at run time and `vigil build`, which renders each template against sample alerts first.
 *
 * Handlebars runs strict (a name the view does not have is an error, not an empty string), knows only its block
 * helpers (if, unless, each, with, lookup), and has no partials: a template can neither read beyond the view nor
 * pull in anything else. Values are escaped by the view, not by Handlebars (`noEscape`), so `{{x}}` and `{{{x}}}`
 * print the same safe text: a label value cannot add markdown, a link, a tag or a mention, however it is written.
 */
import { requirePackage } from '../../util/packages.ts';
import type { AlertRecord } from '../types.ts';
import { cutText, escapeHtml, markdownText, markdownUrl, plainLine } from './escape.ts';
import { labelsThatMatter, titleLine, type Shape } from './message.ts';
import { formatTime } from './time.ts';
import type { Notice } from './types.ts';
import { WORDS } from './words.ts';

export type TemplateChannel = 'dingtalk' | 'wecomRobot' | 'sms' | 'email';

/** A template as relay.yml (and the definitions) hold it. */
export interface TemplateSource {
  name: string;
  channel: TemplateChannel;
  receivers?: string[];
  severities?: string[];
  language?: 'zh' | 'en';
  title?: string;
  body: string;
}

export interface CompiledTemplate {
  source: TemplateSource;
  title?: HandlebarsTemplateDelegate;
  body: HandlebarsTemplateDelegate;
}

/** What went wrong in a template, with the 1-based line and column in its field when Handlebars says. */
export class TemplateError extends Error {
  constructor(
    message: string,
    readonly field: 'title' | 'body',
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
  }
}

/** The channels a field serves: WeCom's robot markdown has no title, and a text message has none either. */
export const TITLED_CHANNELS: readonly TemplateChannel[] = ['dingtalk', 'email'];

// An environment of its own: helpers or partials registered elsewhere in the process never reach a template. Loaded
// at the first compile, not with this module: a build whose renders all come from the incremental cache, or that
// has no templates, never loads Handlebars.
let environment: typeof import('handlebars') | undefined;
function handlebarsEnvironment(): typeof import('handlebars') {
  environment ??= requirePackage<typeof import('handlebars')>('handlebars').create();
  return environment;
}
const OPTIONS: CompileOptions = { strict: true, knownHelpersOnly: true, noEscape: true, knownHelpers: { log: false }, preventIndent: true };

/** Compiles both fields; a syntax error, an unknown helper, a partial or a decorator is a TemplateError. */
export function compileTemplate(source: TemplateSource): CompiledTemplate {
  const compiled: CompiledTemplate = { source, body: compileField(source.body, 'body') };
  if (source.title !== undefined) compiled.title = compileField(source.title, 'title');
  return compiled;
}

/** What Handlebars' own compile and precompile use of an environment (its types leave them out). */
interface HandlebarsCompilers {
  Compiler: new () => { compile(program: hbs.AST.Program, options: CompileOptions): unknown };
  JavaScriptCompiler: new () => { compile(environment: unknown, options: CompileOptions, context?: unknown, asObject?: boolean): unknown };
  template(spec: unknown): HandlebarsTemplateDelegate;
}

/** Handlebars' parse of a program already parsed (its whitespace control again), as compile and precompile do. */
function reparsed(handlebars: typeof import('handlebars'), program: hbs.AST.Program, options: CompileOptions): hbs.AST.Program {
  return (handlebars.parse as unknown as (input: hbs.AST.Program, options: CompileOptions) => hbs.AST.Program)(program, options);
}

function compileField(text: string, field: 'title' | 'body'): HandlebarsTemplateDelegate {
  const handlebars = handlebarsEnvironment();
  const compilers = handlebars as unknown as HandlebarsCompilers;
  // What Handlebars' compile and precompile do with these options (both add `data`).
  const options: CompileOptions = { ...OPTIONS, data: true };
  let program: hbs.AST.Program;
  let checked: unknown;
  try {
    program = handlebars.parse(text);
    refuseIncludes(program, field);
    // The compiler runs now (unknown helpers are found at compile time, not at the first render): precompile's first
    // steps.
    checked = new compilers.Compiler().compile(reparsed(handlebars, program, options), options);
  } catch (e) {
    throw asTemplateError(e, field);
  }
  // The template from that compile: what compile() does at the first render (it parses and compiles the program
  // again), and what precompile writes as JavaScript text (whose errors are the template's errors).
  let spec: unknown;
  try {
    spec = new compilers.JavaScriptCompiler().compile(checked, options, undefined, true);
  } catch (e) {
    throw asTemplateError(e, field);
  }
  try {
    return compilers.template(spec);
  } catch {
    // Not expected (the steps above passed): failing as before, with compile()'s error at the first render.
    return handlebars.compile(program, OPTIONS);
  }
}

/** Partials and decorators would reach outside the template: neither has a use in a message. */
function refuseIncludes(program: hbs.AST.Program, field: 'title' | 'body'): void {
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    const n = node as { type?: string; loc?: hbs.AST.SourceLocation };
    if (n.type === 'PartialStatement' || n.type === 'PartialBlockStatement' || n.type === 'Decorator' || n.type === 'DecoratorBlock') {
      const what = n.type.startsWith('Partial') ? 'partials ({{> …}})' : 'decorators ({{* …}})';
      throw new TemplateError(`${what} are not supported in message templates`, field, n.loc?.start.line, (n.loc?.start.column ?? 0) + 1);
    }
    for (const [key, value] of Object.entries(n)) if (key !== 'loc') visit(value);
  };
  visit(program.body);
}

function asTemplateError(e: unknown, field: 'title' | 'body'): TemplateError {
  if (e instanceof TemplateError) return e;
  const error = e as { message?: string; lineNumber?: number; column?: number };
  // Handlebars appends " - line:col" to its own messages and says it again in lineNumber and column (0-based).
  const message = String(error.message ?? e).replace(/ - \d+:\d+$/, '').replace(/ in \[object Object\]$/, '');
  return new TemplateError(message, field, error.lineNumber, error.column === undefined ? undefined : error.column + 1);
}

/** Renders one field; a name the view lacks (strict mode) or a runaway helper is a TemplateError. */
export function renderField(template: HandlebarsTemplateDelegate, view: MessageView, field: 'title' | 'body'): string {
  try {
    return template(view, { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false });
  } catch (e) {
    throw asTemplateError(e, field);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Choosing

export interface TemplateTarget {
  channel: TemplateChannel;
  receiver: string;
  severity: string;
  language: 'zh' | 'en';
}

export function templateMatches(t: TemplateSource, target: TemplateTarget): boolean {
  return (
    t.channel === target.channel &&
    (t.receivers === undefined || t.receivers.includes(target.receiver)) &&
    (t.severities === undefined || t.severities.includes(target.severity)) &&
    (t.language === undefined || t.language === target.language)
  );
}

/** How narrowly a template is aimed: a receiver list outweighs a severity list, which outweighs a language. */
export function specificity(t: TemplateSource): number {
  return (t.receivers ? 4 : 0) + (t.severities ? 2 : 0) + (t.language ? 1 : 0);
}

/** The most specific template for the target (the build refuses two equally specific ones that overlap). */
export function chooseTemplate<T extends TemplateSource>(templates: readonly T[], target: TemplateTarget): T | undefined {
  let best: T | undefined;
  for (const t of templates) if (templateMatches(t, target) && (!best || specificity(t) > specificity(best))) best = t;
  return best;
}

/** The first alert's severity chooses: the notice is ordered firing first, then oldest. */
export function noticeSeverity(notice: Notice): string {
  return notice.alerts[0]?.severity ?? '';
}

// ---------------------------------------------------------------------------------------------------------------
// The view

/** How a channel's text is made safe: markdown for the robots, HTML for email, one plain line for SMS. */
export type Escaping = 'markdown' | 'html' | 'plain';

export const ESCAPING: Record<TemplateChannel, Escaping> = { dingtalk: 'markdown', wecomRobot: 'markdown', email: 'html', sms: 'plain' };

const escapeText: Record<Escaping, (s: string) => string> = {
  markdown: markdownText,
  html: (s) => escapeHtml(plainLine(s)),
  plain: plainLine,
};

/** An http(s) URL as the escaping needs it, or '' (a template guards a link with {{#if …}}). */
const escapeUrl: Record<Escaping, (s: string | undefined) => string> = {
  markdown: (s) => (s ? (markdownUrl(s) ?? '') : ''),
  html: (s) => {
    const url = s ? markdownUrl(s) : undefined;
    return url ? escapeHtml(url) : '';
  },
  plain: (s) => (s ? (markdownUrl(s) ?? '') : ''),
};

/** How the view prints a link of a notice (confirmUrl, closeUrl) in a field escaped by `escaping`. */
export function viewUrl(escaping: Escaping, raw: string | undefined): string {
  return escapeUrl[escaping](raw);
}

const LINK_FIELDS = new Set(['confirmUrl', 'closeUrl']);

/**
 * Whether the template uses the links of a notice (confirmUrl, closeUrl) only by printing them in its body
 * (`{{confirmUrl}}`) or testing them there (`{{#if confirmUrl}}`, `{{#unless …}}`), and not in its title: then two
 * notices that differ only in their links render to the same title and to bodies that differ only where a link is
 * printed, as long as each link is empty in both or in neither. Conservative, on the parsed fields: no `lookup` (a
 * key computed at render time), no block parameters (`as |x|`), no literal where a name is looked up
 * (`{{#"confirmUrl"}}`), no link field with a property after it (`confirmUrl.length`), as a helper's argument or as
 * a block, and no `#each` over anything but a named path that is not an array element (`this`, `alerts.[0]`):
 * iterating an alert's view would make a link the context, whose characters the template could then read. A field
 * that does not parse is not.
 */
export function linksOnlyPrinted(source: TemplateSource): boolean {
  return (source.title === undefined || linkUses(source.title, false)) && linkUses(source.body, true);
}

function linkUses(text: string, printed: boolean): boolean {
  let program: hbs.AST.Program;
  try {
    program = handlebarsEnvironment().parse(text);
  } catch {
    return false;
  }
  // The link paths in the places allowed, found first; any other link path the walk meets makes it false.
  const allowed = new Set<unknown>();
  let ok = true;
  const isLink = (p: hbs.AST.PathExpression) => p.parts.some((part) => LINK_FIELDS.has(part));
  const printable = (p: hbs.AST.PathExpression) => printed && p.type === 'PathExpression' && LINK_FIELDS.has(p.parts.at(-1)!) && p.parts.filter((part) => LINK_FIELDS.has(part)).length === 1;
  const visit = (node: unknown): void => {
    if (!ok || typeof node !== 'object' || node === null) return;
    if (Array.isArray(node)) return node.forEach(visit);
    const n = node as { type?: string } & Record<string, unknown>;
    if (n.type === 'Program' && Array.isArray(n.blockParams) && n.blockParams.length > 0) ok = false;
    if (n.type === 'MustacheStatement' || n.type === 'BlockStatement' || n.type === 'SubExpression') {
      const s = n as unknown as hbs.AST.MustacheStatement | hbs.AST.BlockStatement | hbs.AST.SubExpression;
      if (s.path.type !== 'PathExpression') {
        ok = false;
        return;
      }
      const head = s.path as hbs.AST.PathExpression;
      if (head.parts[0] === 'lookup') ok = false;
      const plain = s.params.length === 0 && !s.hash;
      if (n.type === 'MustacheStatement' && plain && printable(head)) allowed.add(head);
      if (n.type === 'BlockStatement' && (head.original === 'if' || head.original === 'unless') && s.params.length === 1 && !s.hash && printable(s.params[0] as hbs.AST.PathExpression)) allowed.add(s.params[0]);
      if (n.type === 'BlockStatement' && head.original === 'each') {
        const p = s.params[0] as hbs.AST.PathExpression | undefined;
        if (!p || p.type !== 'PathExpression' || p.parts.length === 0 || /^\d+$/.test(p.parts.at(-1)!)) ok = false;
      }
    }
    if (n.type === 'PathExpression' && isLink(n as unknown as hbs.AST.PathExpression) && !allowed.has(n)) ok = false;
    for (const [key, value] of Object.entries(n)) if (key !== 'loc') visit(value);
  };
  visit(program);
  return ok;
}

export interface AlertView {
  id: string;
  alertname: string;
  severity: string;
  /** open, confirmed, resolved or closed. */
  status: string;
  summary: string;
  description: string;
  /** The `value` annotation when the rule has one (Alertmanager's payload carries no sample value). */
  value: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The labels that matter (all but alertname, severity and `__…`), sorted. */
  labelList: { name: string; value: string }[];
  startsAt: string;
  endsAt: string;
  runbookUrl: string;
  dashboardUrl: string;
  confirmUrl: string;
  closeUrl: string;
}

export interface MessageView {
  kind: Notice['kind'];
  firing: boolean;
  resolved: boolean;
  escalation: boolean;
  /** The built-in title line, e.g. `[FIRING] critical: GpuTemperatureHigh`. */
  title: string;
  receiver: string;
  language: 'zh' | 'en';
  /** Alerts in the notice. */
  count: number;
  alerts: AlertView[];
  /** Alerts the message leaves out to stay under the channel's size limit, and the words that say so. */
  more: number;
  moreText: string;
  alertmanagerUrl: string;
}

/**
 * The notice as a template sees it: escaped for `escaping`, cut to `shape` (the size search of message.ts). A field
 * that takes work to make (an escaped text, a URL, the labels) is made when the template first reads it, then kept:
 * a template reads a few of them, and `vigil build` renders every template against every alert that can reach it.
 */
export function messageView(notice: Notice, shape: Shape, escaping: Escaping): MessageView {
  const text = escapeText[escaping];
  const url = escapeUrl[escaping];
  // The language is read only by the fields that say something in it (template/message shares a render that reads
  // none of them between the languages).
  const words = () => WORDS[notice.language];
  const label = (v: string) => text(shape.labelChars === undefined ? v : cutText(v, shape.labelChars));
  const prose = (v: string) => text(shape.textChars === undefined ? v : cutText(v, shape.textChars));
  const more = notice.alerts.length - shape.shown;
  return lazyObject<MessageView>({
    kind: notice.kind,
    firing: notice.kind === 'firing',
    resolved: notice.kind === 'resolved',
    escalation: notice.kind === 'escalation',
    title: new Lazy(() => text(titleLine(notice, words()))),
    receiver: new Lazy(() => text(notice.receiver)),
    language: new Lazy(() => notice.language),
    count: notice.alerts.length,
    alerts: notice.alerts.slice(0, shape.shown).map((a) => alertView(a, notice, { text, url, label, prose })),
    more,
    moreText: new Lazy(() => (more > 0 ? text(words().more(more)) : '')),
    alertmanagerUrl: new Lazy(() => url(notice.externalURL)),
  });
}

function alertView(
  alert: AlertRecord,
  notice: Notice,
  escape: { text: (s: string) => string; url: (s: string | undefined) => string; label: (s: string) => string; prose: (s: string) => string },
): AlertView {
  const { text, url, label, prose } = escape;
  const a = alert.annotations;
  // Asked for once, by the first of confirmUrl and closeUrl the template reads.
  const links = new Lazy(() => (notice.kind === 'resolved' ? undefined : notice.links?.(alert)));
  return lazyObject<AlertView>({
    id: alert.id,
    alertname: new Lazy(() => label(alert.alertname)),
    severity: new Lazy(() => label(alert.severity)),
    status: alert.status,
    summary: new Lazy(() => prose(a.summary ?? '')),
    description: new Lazy(() => prose(a.description ?? '')),
    value: new Lazy(() => text(a.value ?? '')),
    labels: new Lazy(() => lazyValues(alert.labels, label)),
    annotations: new Lazy(() => lazyValues(a, prose)),
    labelList: new Lazy(() => labelsThatMatter(alert.labels).map(([name, value]) => ({ name: text(name), value: label(value) }))),
    startsAt: new Lazy(() => text(formatTime(alert.startsAt, notice.timeZone))),
    endsAt: new Lazy(() => (alert.endsAt === undefined ? '' : text(formatTime(alert.endsAt, notice.timeZone)))),
    runbookUrl: new Lazy(() => url(a.runbook_url ?? a.runbook)),
    dashboardUrl: new Lazy(() => url(a.dashboard_url ?? a.dashboard)),
    confirmUrl: new Lazy(() => url(links.get()?.confirm)),
    closeUrl: new Lazy(() => url(links.get()?.close)),
  });
}

/** A value made by `make` when first asked for, then kept. */
class Lazy<T> {
  private made = false;
  private value: T | undefined;
  constructor(private readonly make: () => T) {}
  get(): T {
    if (!this.made) {
      this.value = this.make();
      this.made = true;
    }
    return this.value as T;
  }
}

/** Where a view keeps its fields, and a record of values what it escapes (symbols: no template, `#each`, Object.keys or JSON sees them). */
const FIELDS = Symbol('view fields');
const VALUES = Symbol('view values');
type WithFields = { [FIELDS]: Record<string, Lazy<unknown>> };
type WithValues = { [VALUES]: { record: Record<string, string>; escape: (s: string) => string; made: Map<string, string> } };

/**
 * The accessors of the fields named `key`, one for every view (of lazy fields, and of values in a record): a getter
 * of its own per object gave each view a hidden class of its own, which V8 makes by copying the property descriptors
 * at every field (most of the cost of a view, when `vigil build` makes a few hundred). At most DESCRIPTORS_KEPT names
 * (labels and annotations too).
 */
const descriptors = { fields: new Map<string, PropertyDescriptor>(), values: new Map<string, PropertyDescriptor>() };
const DESCRIPTORS_KEPT = 1000;

function sharedDescriptor(kind: keyof typeof descriptors, key: string): PropertyDescriptor {
  const known = descriptors[kind];
  let descriptor = known.get(key);
  if (!descriptor) {
    if (known.size >= DESCRIPTORS_KEPT) known.clear();
    descriptor = {
      enumerable: true,
      configurable: true,
      get:
        kind === 'fields'
          ? function (this: WithFields) {
              return this[FIELDS][key]!.get();
            }
          : function (this: WithValues) {
              const { record, escape, made } = this[VALUES];
              let value = made.get(key);
              if (value === undefined) made.set(key, (value = escape(record[key]!)));
              return value;
            },
    };
    known.set(key, descriptor);
  }
  return descriptor;
}

/**
 * What every view and record of values inherits: none of Object.prototype's names, so that a strict lookup of
 * `{{labels.constructor}}` or `{{toString}}` fails like that of any other name the view lacks (on a plain object
 * `in` finds them, and the template printed an empty string where `{{labels.instance}}` is an error); a view
 * printed whole still reads "[object Object]", and Handlebars' own "… not defined in [object Object]" still forms.
 */
const VIEW_PROTOTYPE: object = Object.freeze(Object.create(null, { [Symbol.toPrimitive]: { value: () => '[object Object]' } }));

/**
 * The fields in their order, each Lazy one an enumerable property made when first read (then kept): to whatever
 * reads it — Handlebars' strict lookups (`in`, own properties), `#each` over it, Object.keys, JSON — the same object
 * as with every field made at once.
 */
function lazyObject<T extends object>(fields: { [K in keyof T]: T[K] | Lazy<T[K]> }): T {
  const out = Object.create(VIEW_PROTOTYPE) as T;
  Object.defineProperty(out, FIELDS, { value: fields });
  for (const key of Object.keys(fields)) {
    const field = (fields as Record<string, unknown>)[key];
    if (field instanceof Lazy) Object.defineProperty(out, key, sharedDescriptor('fields', key));
    else Object.defineProperty(out, key, { value: field, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A record's values escaped by `escape`, each when first read, in the record's order. */
function lazyValues(record: Record<string, string>, escape: (s: string) => string): Record<string, string> {
  const out = Object.create(VIEW_PROTOTYPE) as Record<string, string>;
  Object.defineProperty(out, VALUES, { value: { record, escape, made: new Map() } });
  for (const key of Object.keys(record)) Object.defineProperty(out, key, sharedDescriptor('values', key));
  return out;
}

/** The template's title (plain text, one line) and body for a notice cut to `shape`. */
export function renderTemplate(template: CompiledTemplate, notice: Notice, shape: Shape): { title?: string; body: string } {
  // The title first: when both fail, its error is the one thrown (template/message reports the same one).
  const title = template.title && titleText(renderField(template.title, messageView(notice, shape, 'plain'), 'title'));
  const body = renderField(template.body, messageView(notice, shape, ESCAPING[template.source.channel]), 'body');
  return title === undefined ? { body } : { title, body };
}

/** A rendered title field as a message carries it: plain text on one line. */
export function titleText(rendered: string): string {
  return plainLine(rendered).trim();
}

// ---------------------------------------------------------------------------------------------------------------
// Markup the channel would break on

/** Tags of HTML that have no closing tag. */
const VOID_TAGS = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);
/** WeCom's robot markdown knows these three colours only. */
const WECOM_COLOURS = new Set(['info', 'comment', 'warning']);

/**
 * What in a rendered message the channel would show broken: an unclosed `**` or code fence, a link without a target
 * or to something not http(s), unbalanced HTML tags. Escaped values cannot cause any of these; the template can.
 */
export function markupProblems(channel: TemplateChannel, rendered: string): string[] {
  const problems: string[] = [];
  if (ESCAPING[channel] === 'markdown') {
    // Escaped characters (\* \[ …) are text, not markup.
    const markup = rendered.replace(/\\[\\`*_{}[\]()#+\-.!|<>&~:@]/g, '');
    if ((markup.match(/```/g) ?? []).length % 2 === 1) problems.push('a code fence (```) is opened and not closed');
    const outsideCode = markup.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
    if ((outsideCode.match(/\*\*/g) ?? []).length % 2 === 1) problems.push('bold (**) is opened and not closed');
    for (const link of outsideCode.matchAll(/\[([^\]\n]*)\]\(([^)\n]*)\)/g)) {
      const target = link[2]!.trim();
      if (target === '') problems.push(`the link [${link[1]}]() has no URL (guard it: {{#if confirmUrl}}…{{/if}})`);
      else if (!/^https?:\/\//i.test(target)) problems.push(`the link [${link[1]}](${target}) is not to an http(s) URL`);
    }
    if (outsideCode.replace(/\[[^\]\n]*\]\([^)\n]*\)/g, '').includes('](')) problems.push('a link [text](… is not closed with ) on its line');
    if (channel === 'wecomRobot') {
      for (const font of outsideCode.matchAll(/<font\s+color="([^"]*)"\s*>/g)) if (!WECOM_COLOURS.has(font[1]!)) problems.push(`<font color="${font[1]}">: WeCom knows only info, comment and warning`);
      const opened = (outsideCode.match(/<font\b/g) ?? []).length;
      const closed = (outsideCode.match(/<\/font>/g) ?? []).length;
      if (opened !== closed) problems.push(`${opened} <font> tags but ${closed} </font>`);
    }
  } else if (channel === 'email') {
    problems.push(...htmlProblems(rendered));
  }
  return problems;
}

function htmlProblems(html: string): string[] {
  const open: string[] = [];
  const problems: string[] = [];
  const withoutComments = html.replace(/<!--[\s\S]*?-->/g, '');
  for (const tag of withoutComments.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9-]*)\b[^>]*?(\/?)>/g)) {
    const [, closing, rawName, selfClosing] = tag;
    const name = rawName!.toLowerCase();
    if (VOID_TAGS.has(name) || selfClosing) continue;
    if (!closing) {
      open.push(name);
      continue;
    }
    const at = open.lastIndexOf(name);
    if (at === -1) {
      problems.push(`</${name}> closes nothing`);
      continue;
    }
    for (const unclosed of open.splice(at).slice(1)) problems.push(`<${unclosed}> is not closed before </${name}>`);
  }
  for (const unclosed of open) problems.push(`<${unclosed}> is not closed`);
  if (/<[a-zA-Z!/][^>]*$/.test(withoutComments)) problems.push('a tag is opened and not ended with >');
  return problems;
}
