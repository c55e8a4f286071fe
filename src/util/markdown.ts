/**
 * Escaping for the Markdown Vigil generates (docs/alerts.md, docs/routing.md, the plan's pull-request comment), which
 * GitHub renders with GFM: every value a definition controls must stay literal text — no link, image, HTML, autolink
 * or table cell it did not intend. Each helper returns one line.
 */

/** Line breaks in every form a renderer or editor honours: a value may never start a new Markdown block. */
const LINE_BREAKS = /\r\n|[\n\r\u000b\u000c\u0085\u2028\u2029]/g;
/** Other control characters, and the bidirectional controls that make text display differently from what it is. */
const INVISIBLE = /[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

const visible = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Any character either of the above replaces (all of C0 but the tab, C1, the bidi controls, U+2028/9, U+FEFF). */
const REPLACED = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff]/;

/** One line of plain text: breaks become spaces, invisible and bidi controls their `\uXXXX` spelling. */
export function oneLine(s: string): string {
  // Nearly every value has none of them: one test instead of two replacements (every cell of the generated docs).
  if (!REPLACED.test(s)) return s;
  return s.replace(LINE_BREAKS, ' ').replace(INVISIBLE, visible);
}

/**
 * Markdown inline text that renders as exactly the characters given (as one line, without edge whitespace). Backslash escapes cover CommonMark's syntax
 * (emphasis, links, images, HTML, entities, code, tables, headings, lists, blockquotes) and GitHub's extensions:
 * math (`$`), strikethrough (`~`), and the autolinks GFM makes from bare `scheme://`, `//host`, `www.` and emails.
 */
export function mdText(s: string): string {
  // Markdown drops a paragraph's or cell's edge whitespace anyway; trimmed, a leading `    ` cannot make a code block.
  const text = oneLine(s).trim();
  // Most names, files and labels hold nothing to escape: one test instead of six replacements (every cell of the docs).
  if (!ESCAPES_SOMETHING.test(text)) return text;
  return markdownEscapes(text);
}

/** mdText's replacements, every one tried (what ESCAPES_SOMETHING lets mdText skip when none would match). */
export function markdownEscapes(text: string): string {
  return text
    .replace(/[\\`*_[\]<>!|&~#$@]/g, '\\$&')
    .replace(/:(?=\/)/g, '\\:')
    .replace(/\/(?=\/)/g, '/\\')
    .replace(/(www)\./gi, '$1\\.')
    .replace(/^(\s*)([-+=])/, '$1\\$2')
    .replace(/^(\s*\d+)([.)])/, '$1\\$2');
}

/** Whether one of mdText's replacements matches: a character it escapes, `:/`, `//`, `www.`, or a list or heading start. */
const ESCAPES_SOMETHING = /[\\`*_[\]<>!|&~#$@]|[:/]\/|www\.|^\s*(?:[-+=]|\d+[.)])/i;

/**
 * A code span holding `s` literally: the fence is one backtick longer than the longest run inside, and padded with a
 * space where CommonMark would otherwise read a backtick or space at the edge as part of the fence. In a GFM table
 * cell (`inTable`), `|` must be escaped even inside code; GitHub and markdown-it drop that backslash again.
 */
export function mdCode(s: string, inTable = false): string {
  let text = oneLine(s);
  if (text === '') return '`""`';
  if (inTable) text = text.replace(/\|/g, '\\|');
  const longest = text.includes('`') ? Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length)) : 0;
  const fence = '`'.repeat(longest + 1);
  const pad = /^[` ]|[` ]$/.test(text) && text.trim() !== '' ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** A table cell of text: the inline escape already covers `|`; a cell is never empty-looking by accident. */
export const mdCell = (s: string) => mdText(s);

/** What mdFence replaces (line breaks but \n, invisible characters) or must fence around (backticks). */
const FENCE_CHANGES = /[`\r\u0085\u2028\u2029\u0000-\u0008\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

/**
 * A fenced code block (lines) for `content`: backtick fence longer than any backtick run inside, so no line of the
 * content can close it; `info` is Vigil's own (e.g. `promql`, `diff`).
 */
export function mdFence(content: string, info = ''): string[] {
  // Most expressions hold no backtick, no line break but \n and nothing invisible: the lines as they are.
  if (!FENCE_CHANGES.test(content)) return [`\`\`\`${info}`, ...content.split('\n'), '```'];
  const body = content.replace(/\r\n?|[\u0085\u2028\u2029]/g, '\n').replace(INVISIBLE, visible);
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [`${fence}${info}`, ...body.split('\n'), fence];
}

/** mdFence's lines joined by line breaks (the common case without the array of lines). */
export function mdFenceText(content: string, info = ''): string {
  if (!FENCE_CHANGES.test(content)) return `\`\`\`${info}\n${content}\n\`\`\``;
  return mdFence(content, info).join('\n');
}

/** Text inside an HTML element of the Markdown (e.g. `<summary>`), where Markdown is not parsed: HTML-escaped. */
export function htmlText(s: string): string {
  return oneLine(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * The http(s) URL a definition declares as a link target (a runbook, a dashboard), when it is safe to render as one:
 * it parses, its scheme is http or https, and it is already in the canonical form a browser would request (so what the
 * reader sees is where the link goes, and the `<…>` destination cannot be broken out of: the WHATWG serialisation
 * percent-encodes spaces, `<`, `>` and controls). Anything else (a template, javascript:, data:, odd spellings) is
 * undefined, and is shown as code instead.
 */
export function safeHttpUrl(url: string): string | undefined {
  if (url.includes('{{')) return undefined;
  return plainHttpUrl(url) ?? parsedHttpUrl(url);
}

/**
 * safeHttpUrl without a URL parser, for the common spelling (a catalogue has a runbook per alert): http(s), a
 * lower-case host whose labels are letters, digits and `-` — the last starting with a letter, so it is never read as
 * an IPv4 address, none `xn--` (IDNA) — no port or user, a path of unreserved characters without `.` or `..`
 * segments, no query or fragment. Such a URL is what the WHATWG parser writes (with `/` for an empty path).
 * Undefined: not recognised, ask the parser (markdown.test.ts compares the two).
 */
export function plainHttpUrl(url: string): string | undefined {
  if (!PLAIN_HTTP_URL.test(url)) return undefined;
  return url.indexOf('/', url.indexOf('//') + 2) === -1 ? `${url}/` : url;
}

/** Host labels (none starting `xn--`, the last starting with a letter), then `/segment`s other than `.` and `..`. */
const PLAIN_HTTP_URL = /^https?:\/\/(?:(?!xn--)[a-z0-9-]+\.)*(?!xn--)[a-z][a-z0-9-]*(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9._~-]*)*$/;

/** safeHttpUrl by the WHATWG URL parser. */
export function parsedHttpUrl(url: string): string | undefined {
  if (url.includes('{{')) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  const href = parsed.href;
  if (href !== url && href !== `${url}/`) return undefined;
  return /[\s<>`]/.test(href) ? undefined : href;
}

/**
 * A link to a declared URL, shown as itself: an autolink (`<https://…>`) where that is unambiguous, else a link whose
 * text is the URL. A URL that is not safeHttpUrl becomes a code span.
 */
export function mdAutolink(url: string): string {
  const href = safeHttpUrl(url);
  if (href === undefined) return mdCode(url);
  // Renderers disagree on entity references inside autolinks (`&amp;`): never leave them the choice.
  return href.includes('&') ? mdLink(href, href) : `<${href}>`;
}

/** A link to a declared http(s) URL, with `label` as its text; a URL that is not safeHttpUrl becomes a code span. */
export function mdLink(label: string, url: string): string {
  const href = safeHttpUrl(url);
  // In a link destination entity references are decoded: `\&` keeps `&amp;` from becoming another URL.
  return href === undefined ? mdCode(url) : `[${mdText(label)}](<${href.replace(/&/g, '\\&')}>)`;
}

/** GitHub's anchor for a heading of plain text: lower case, punctuation other than `-` and `_` removed, spaces to `-`. */
export function mdAnchor(heading: string): string {
  // Most alert names are letters, digits, `_` and `-`: nothing to remove or replace.
  if (/^[A-Za-z0-9_-]*$/.test(heading)) return heading.toLowerCase();
  return oneLine(heading)
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}
