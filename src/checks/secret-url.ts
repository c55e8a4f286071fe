/**
 * Finds credentials inside URL-shaped strings. Pure: a string in, findings out; a finding names the kind of secret and
 * never carries its value, so a message built from it cannot leak what it reports.
 *
 * Decisions (docs/en/checks.md, secret/literal):
 * - Any user-info is a credential (`user:pass@`, `TOKEN@`, `:pass@`): Vigil's URLs never need one, and a bare user
 *   name is how many services take a token, so telling a name from a token would be guesswork.
 * - A parameter is secret by its name, wherever it is (query, fragment, `;` path parameters) and however it is
 *   written (percent-encoded, `+` or spaces, any case, `-`/`_`/`.`, `[]`), when it has a non-empty value.
 *   `key` counts (WeCom, Google APIs); names that merely contain it (`monkey`, `keyboard`) do not.
 * - Providers whose token is the path (Slack, Telegram, Feishu/Lark, Discord, Teams, PagerDuty) are known by host.
 * - Long opaque segments and values are tokens when they mix character classes the way random strings do; hex (commit
 *   ids, digests, UUIDs, also joined to words as in Notion links) and word-like slugs are not, nor Google Docs/Drive
 *   ids (addresses; who may open them is decided by Google accounts).
 */

export interface UrlSecret {
  /** What was found, in words, e.g. `a Slack webhook token in its path`. Never the secret itself. */
  kind: string;
}

export interface UrlInText {
  /** Character range of the URL in the text. */
  start: number;
  end: number;
  /** The host the URL points at, when it has one: safe to show. */
  host?: string;
  secrets: UrlSecret[];
}

const MAX_DECODE_ROUNDS = 5;
const MAX_NESTING = 2;
const MAX_SHOWN_NAME = 40;

/** Every URL-shaped part of a string and the secrets each carries (only URLs that carry one). */
export function findUrlSecrets(text: string, depth = 0): UrlInText[] {
  return isPlainLink(text) ? [] : parsedUrlSecrets(text, depth);
}

/**
 * A plain http(s) link: a lower-case host of letters, digits, `-` and dots, then path segments of letters, digits, `-`
 * and `_`, each shorter than any token format (the shortest, Slack's `xoxb-` and ten more, is also excluded by its
 * prefix) and than an opaque value; no user-info, port, query, fragment, `;`, `%`, `\`, template or space. It carries
 * nothing parsedUrlSecrets looks for unless its host is a provider's whose path is the token (then it is parsed): the
 * common case (a runbook link per alert: 10,000 of them in a large project), answered without parsing the URL.
 */
const PLAIN_LINK = /^https?:\/\/([a-z0-9-]+(?:\.[a-z0-9-]+)*)(?:\/[A-Za-z0-9_-]{1,19})*\/?$/;

export function isPlainLink(text: string): boolean {
  const m = PLAIN_LINK.exec(text);
  if (!m || text.includes('xox')) return false;
  const host = m[1]!;
  for (const p of PROVIDERS) if (p.host.test(host)) return false;
  return true;
}

/** findUrlSecrets without its shortcut for plain links: the general reading, which the shortcut's test compares with. */
export function parsedUrlSecrets(text: string, depth = 0): UrlInText[] {
  const masked = maskTemplates(text);
  const out: UrlInText[] = [];
  const push = (start: number, end: number, url: string, base?: string) => {
    const parts = parseUrl(url, base);
    const secrets = parts ? secretsOf(parts, depth) : [];
    if (secrets.length) out.push({ start, end, host: parts?.host || undefined, secrets });
  };
  const whole = masked.trim();
  const offset = masked.indexOf(whole);
  // A value that is one URL is read whole, even with a space in it (clients encode it, the secret is still sent).
  if (URL_AT_START.test(whole) && !whole.includes('\n')) {
    push(offset, offset + whole.length, whole);
    return out;
  }
  let any = false;
  for (const m of masked.matchAll(URL_IN_TEXT)) {
    any = true;
    const url = withoutTrailingPunctuation(m[0]);
    push(m.index, m.index + url.length, url);
  }
  if (any) return out;
  // Scheme-less forms that still reach a server: `user:pass@host:port` (scrape targets, smarthosts), `/path?query`.
  if (AUTHORITY_WITH_USERINFO.test(whole)) push(offset, offset + whole.length, `http://${whole}`);
  else if (RELATIVE_WITH_PARAMETERS.test(whole)) push(offset, offset + whole.length, whole, 'http://relative.invalid');
  return out;
}

/**
 * Scheme-qualified URLs; special schemes also without `//` (WHATWG reads `https:host` and `https:\\host`). Every
 * repetition that could start at many places is bounded, so a hostile string costs linear time.
 */
const URL_IN_TEXT = /\b(?:[a-z][a-z0-9+.-]{0,31}:\/\/|(?:https?|wss?|ftp):[\\/]*)[^\s"'<>`]+/gi;
const URL_AT_START = /^(?:[a-z][a-z0-9+.-]{0,31}:\/\/|(?:https?|wss?|ftp):[\\/]*)\S/i;
const AUTHORITY_WITH_USERINFO = /^[^\s/@]+@[A-Za-z0-9.\-[\]:]+:\d+$/;
const RELATIVE_WITH_PARAMETERS = /^\/\S*[?#;]/;

/** Sentence punctuation after a URL in text (`see https://x/a.`, `(https://x/a)`) is not part of it. */
function withoutTrailingPunctuation(url: string): string {
  let end = url.length;
  while (end > 0 && '.,;:!?)]}'.includes(url[end - 1]!)) end--;
  return url.slice(0, end);
}

/** Go-template actions and `${…}` placeholders stand for values chosen elsewhere; same length keeps positions. */
function maskTemplates(text: string): string {
  if (!text.includes('{')) return text;
  return text.replace(/\{\{[^}]{0,256}\}\}|\$\{[^}]{0,256}\}/g, (m) => 't'.repeat(m.length));
}

interface UrlParts {
  username: string;
  password: string;
  host: string;
  /** Path segments, percent-decoded, each with its `;` parameters split off. */
  segments: { name: string; params: string[] }[];
  query: string;
  fragment: string;
}

function parseUrl(url: string, base?: string): UrlParts | undefined {
  let u: URL | undefined;
  try {
    u = new URL(url, base);
  } catch {
    u = undefined;
  }
  if (u) return partsOf(u.username, u.password, base ? '' : u.hostname, u.pathname, u.search, u.hash);
  // Not a URL to WHATWG (a bad port, a space in the host): read its parts leniently, a client may still send it.
  const m = /^(?:[a-z][a-z0-9+.-]*:)?[\\/]*([^\\/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/is.exec(url);
  if (!m) return undefined;
  const authority = m[1] ?? '';
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at) : '';
  const colon = userinfo.indexOf(':');
  const hostPort = authority.slice(at + 1);
  return partsOf(
    colon >= 0 ? userinfo.slice(0, colon) : userinfo,
    colon >= 0 ? userinfo.slice(colon + 1) : '',
    base ? '' : hostPort.replace(/:\d*$/, '').toLowerCase(),
    (m[2] ?? '').replace(/\\/g, '/'),
    m[3] ?? '',
    m[4] ?? '',
  );
}

function partsOf(username: string, password: string, hostname: string, pathname: string, search: string, hash: string): UrlParts {
  const segments = pathname
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      const [name, ...params] = s.split(';');
      return { name: decode(name!), params };
    });
  return {
    username: decode(username),
    password: decode(password),
    host: decode(hostname).toLowerCase().replace(/\.$/, ''),
    segments,
    query: search.replace(/^\?/, ''),
    fragment: hash.replace(/^#/, ''),
  };
}

/** Percent-decoding, repeated until stable (bounded): `%2574oken` is `token` to a server that decodes twice. */
export function decode(s: string): string {
  let current = s;
  for (let round = 0; round < MAX_DECODE_ROUNDS && current.includes('%'); round++) {
    const next = current.replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
      const bytes = new Uint8Array(run.length / 3);
      for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(run.slice(i * 3 + 1, i * 3 + 3), 16);
      return UTF8.decode(bytes);
    });
    if (next === current) break;
    current = next;
  }
  return current;
}
const UTF8 = new TextDecoder('utf-8', { fatal: false });

/** `name=value` pairs of a query or fragment; `;` separates too (and so splits an HTML-escaped `&amp;`). */
function pairs(text: string, separators: RegExp): { name: string; value: string }[] {
  if (!text) return [];
  return text.split(separators).flatMap((piece) => {
    const eq = piece.indexOf('=');
    if (eq < 0) return [];
    return [{ name: decode(piece.slice(0, eq).replace(/\+/g, ' ')), value: decode(piece.slice(eq + 1).replace(/\+/g, ' ')) }];
  });
}

/** Lower case without separators, spaces and array brackets: `X-Amz-Signature`, `access token`, `token[]` compare plainly. */
export function normalizeName(name: string): string {
  return name
    .toLowerCase()
    .replace(/\[\d*\]/g, '')
    .replace(/[\s\-_.[\]]/g, '')
    .replace(/\d+$/, '');
}

const SECRET_NAMES = new Set([
  'key', 'sig', 'sign', 'auth', 'pwd', 'pass', 'passwd', 'password', 'passphrase', 'secret', 'token', 'jwt', 'bearer',
  'apikey', 'session', 'sessionid', 'credential', 'credentials', 'signature',
]);
/** Endings that make any name secret: `access_token`, `client_secret`, `X-Amz-Signature`, `routing_key`. */
const SECRET_ENDINGS = [
  'token', 'secret', 'password', 'passwd', 'apikey', 'signature', 'credential', 'credentials', 'sessionid', 'accesskey',
  'secretkey', 'privatekey', 'routingkey', 'integrationkey', 'servicekey', 'authkey', 'webhookkey',
];

export function isSecretName(name: string): boolean {
  const n = normalizeName(name);
  return SECRET_NAMES.has(n) || SECRET_ENDINGS.some((e) => n.endsWith(e));
}

/**
 * Known token formats, wherever they appear in a URL. A format whose characters include `-` starts only where a run of
 * token characters starts (not at every `-` inside one), which keeps a hostile run linear.
 */
const TOKEN_FORMATS: { name: string; pattern: RegExp }[] = [
  { name: 'a GitHub token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/ },
  { name: 'a GitLab token', pattern: /(?<![A-Za-z0-9_-])glpat-[A-Za-z0-9_-]{20,}/ },
  { name: 'a Slack token', pattern: /(?<![A-Za-z0-9_-])xox[abposr]-[A-Za-z0-9-]{10,}/ },
  { name: 'an AWS access key id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { name: 'a Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}/ },
  { name: 'a Stripe secret key', pattern: /\b[sr]k_live_[0-9A-Za-z]{20,}/ },
  { name: 'a JSON Web Token', pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/ },
];

/** Services whose URL path is itself the credential. */
const PROVIDERS: { name: string; host: RegExp; path: RegExp }[] = [
  { name: 'a Slack webhook token', host: /^hooks\.slack\.com$/, path: /^\/(?:services|workflows|triggers)\/[^/]+\/./ },
  { name: 'a Telegram bot token', host: /^api\.telegram\.org$/, path: /^\/(?:file\/)?bot\d+:[^/]+/ },
  { name: 'a Feishu/Lark bot hook id', host: /^open\.(?:feishu\.cn|larksuite\.com)$/, path: /^\/open-apis\/bot\/v\d+\/hook\/[^/]+/ },
  { name: 'a Discord webhook token', host: /^(?:[a-z]+\.)?discord(?:app)?\.com$/, path: /^\/api\/(?:v\d+\/)?webhooks\/\d+\/[^/]+/ },
  { name: 'a Microsoft Teams webhook', host: /(?:^|\.)webhook\.office\.com$|^outlook\.office(?:365)?\.com$/, path: /^\/webhook(?:b2)?\/[^/]+/ },
  { name: 'a PagerDuty integration key', host: /^events\.(?:[a-z]+\.)?pagerduty\.com$/, path: /^\/(?:integration|x-ere)\/[^/]+/ },
];

function secretsOf(url: UrlParts, depth: number): UrlSecret[] {
  const found: string[] = [];
  const note = (kind: string) => {
    if (!found.includes(kind)) found.push(kind);
  };
  const shown = (name: string) => JSON.stringify(name.trim().replace(/[\u0000-\u001f\u007f]/g, '').slice(0, MAX_SHOWN_NAME));

  if (url.password) note('a password in its user-info (user:password@)');
  else if (url.username) note('a credential as its user name (user@)');

  const path = '/' + url.segments.map((s) => s.name).join('/');
  const provider = PROVIDERS.find((p) => p.host.test(url.host) && p.path.test(path));
  if (provider) note(`${provider.name} in its path`);

  const params: { name: string; value: string; where: string }[] = [
    ...pairs(url.query, /[&;]/).map((p) => ({ ...p, where: 'query' })),
    ...pairs(url.fragment, /[&;?#]/).map((p) => ({ ...p, where: 'fragment' })),
    ...url.segments.flatMap((s) => pairs(s.params.join(';'), /;/).map((p) => ({ ...p, where: 'path' }))),
  ];
  for (const { name, value, where } of params) {
    if (!value.trim()) continue;
    if (isSecretName(name)) note(`a secret in the ${where} parameter ${shown(name)}`);
    else if (looksOpaque(value)) note(`an opaque token-like value of the ${where} parameter ${shown(name)}`);
    if (depth < MAX_NESTING && value.includes(':')) {
      for (const nested of findUrlSecrets(value, depth + 1)) for (const s of nested.secrets) note(`${s.kind}, in a URL nested in the ${where} parameter ${shown(name)}`);
    }
  }

  const decoded = [url.username, url.password, path, decode(url.query), decode(url.fragment)].join(' ');
  for (const t of TOKEN_FORMATS) if (t.pattern.test(decoded)) note(t.name);

  // Google document and folder ids are addresses; who may open them is decided by Google accounts.
  const documentIds = /^(?:docs|drive)\.google\.com$/.test(url.host);
  if (!provider && !documentIds && url.segments.some((s) => looksOpaque(s.name))) note('an opaque token-like segment in its path');
  if (url.fragment && !url.fragment.includes('=') && looksOpaque(decode(url.fragment))) note('an opaque token-like fragment');
  return found.map((kind) => ({ kind }));
}

const MIN_OPAQUE_LENGTH = 20;
const MIN_ENTROPY_BITS = 3.5;
const MIN_SWITCH_RATIO = 0.25;
const MIN_HEX_ID = 16;

/**
 * A long string that reads like random output: token characters only, not hex, at least two of lower/upper/digit,
 * high Shannon entropy, and frequent switches between letters and digits or into upper case. CamelCase words switch
 * about once per word; random base62 about every other character.
 */
export function looksOpaque(text: string): boolean {
  if (text.length < MIN_OPAQUE_LENGTH || !/^[A-Za-z0-9_~+/=.-]+$/.test(text)) return false;
  // Hex ids joined to words (Notion's `Runbook-GPU-Memory-<32 hex>`) are ids; random tokens almost never hold a long
  // all-hex piece.
  const s = text
    .split(/[-_.~]/)
    .filter((piece) => !(piece.length >= MIN_HEX_ID && /^[0-9a-f]+$/i.test(piece)))
    .join('-');
  if (s.length < MIN_OPAQUE_LENGTH || /^[0-9a-f-]+$/i.test(s)) return false;
  const alnum = s.replace(/[^A-Za-z0-9]/g, '');
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((c) => c.test(alnum)).length;
  if (classes < 2 || alnum.length < MIN_OPAQUE_LENGTH) return false;
  const kind = (c: string) => (c >= '0' && c <= '9' ? 'd' : c >= 'a' && c <= 'z' ? 'l' : 'u');
  let switches = 0;
  for (let i = 1; i < alnum.length; i++) {
    const a = kind(alnum[i - 1]!);
    const b = kind(alnum[i]!);
    if ((a === 'd') !== (b === 'd') || (a === 'l' && b === 'u')) switches++;
  }
  return switches / (alnum.length - 1) >= MIN_SWITCH_RATIO && entropy(s) >= MIN_ENTROPY_BITS;
}

function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / s.length) * Math.log2(n / s.length);
  return bits;
}
