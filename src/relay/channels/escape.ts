/**
 * Escaping for the chat markdown the relay sends (DingTalk, WeCom): label and annotation values come from whoever
 * controls the metrics, so they must stay literal text — no link, image, heading, HTML, code or mention they did not
 * intend. Only the relay's own text makes links (`markdownLink`), and only to http(s) URLs.
 */

/** Line breaks, other control characters, and the bidirectional controls that make text display unlike what it is. */
const CONTROLS = /\r\n|[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff]/g;
/** Characters the chat renderers give a meaning; CommonMark accepts a backslash before any ASCII punctuation. */
const MARKDOWN_SPECIALS = /[\\*_[\]()#>!`~|<&]/g;
/** `@` before a name or number would mention someone: the full-width ＠ reads the same and mentions nobody. */
const MENTION = /@(?=[\p{L}\p{N}_])/gu;
const FULL_WIDTH_AT = '\uff20';

/** One line of plain text: breaks and control characters become spaces; nothing in it can mention anyone. */
export function plainLine(s: string): string {
  return s.replace(CONTROLS, ' ').replace(MENTION, FULL_WIDTH_AT);
}

/** Markdown inline text that renders as the characters given (on one line), and mentions nobody. */
export function markdownText(s: string): string {
  return (
    plainLine(s)
      .replace(MARKDOWN_SPECIALS, '\\$&')
      // A bare URL or www. name would be auto-linked by clients that linkify.
      .replace(/:(?=\/\/)/g, '\\:')
      .replace(/\b(www)\./gi, '$1\\.')
      // At the start of a line, these would begin a list or an underline heading.
      .replace(/^(\s*)([-+=])/, '$1\\$2')
      .replace(/^(\s*\d+)([.)])/, '$1\\$2')
  );
}

/**
 * A URL fit to stand in `[text](…)`: http or https only, in its canonical form, with the characters that could end
 * the link or start another one percent-encoded. Undefined for anything else (a relative path, `javascript:`, text).
 */
export function markdownUrl(raw: string): string | undefined {
  const known = urls.get(raw);
  if (known !== undefined || urls.has(raw)) return known;
  let url: URL | undefined;
  try {
    url = new URL(raw.trim());
  } catch {
    url = undefined;
  }
  const made = url && (url.protocol === 'http:' || url.protocol === 'https:') ? url.href.replace(/[()<>`|\\]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`) : undefined;
  if (urls.size >= URLS_KEPT) urls.clear();
  urls.set(raw, made);
  return made;
}

/**
 * markdownUrl's answers by the text given: parsing a URL is the costliest step of a message view, and `vigil build`
 * renders every template against sample notices that share a few URLs (runbooks, dashboards, the relay's links).
 * Emptied when full, so a long-running relay keeps only recent ones.
 */
const urls = new Map<string, string | undefined>();
const URLS_KEPT = 1000;

/** `[text](url)` when the URL is one `markdownUrl` accepts; the text is the relay's own words, escaped all the same. */
export function markdownLink(text: string, rawUrl: string): string | undefined {
  const url = markdownUrl(rawUrl);
  return url === undefined ? undefined : `[${markdownText(text)}](${url})`;
}

/**
 * The first `maxChars` characters of `s` followed by "…", or `s` itself when it is not longer. Cut by code point,
 * before escaping: the cut can split neither a multi-byte character nor an escape sequence.
 */
export function cutText(s: string, maxChars: number): string {
  const chars = Array.from(s);
  return chars.length <= maxChars ? s : `${chars.slice(0, maxChars).join('')}…`;
}

/** Text for HTML element content and attribute values alike (the relay's mail and its confirmation page). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
