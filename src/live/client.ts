/**
 * The HTTP side of `vigil validate --live`: the few Prometheus API calls the live checks need, each bounded in time
 * and size, because the server may be anything the user points at (a proxy, a login page, a hostile endpoint).
 */

/** Why the server could not be asked: the whole live pass stops with one live/unreachable diagnostic. */
export class LiveUnreachable extends Error {}

/** The server refused one query (HTTP 400/422, bad_data): that selector is skipped, the others go on. */
export class LiveRefused extends Error {}

export interface ClientOptions {
  /** Base URL of Prometheus (a path prefix is kept: http://host/prometheus). */
  url: string;
  /** Each request, headers and body, must finish within this. */
  timeoutMs: number;
  /** Every request together must finish within this. */
  deadlineMs: number;
  /** An answer longer than this is refused (a misconfigured proxy or a hostile server must not fill the memory). */
  maxBodyBytes: number;
  fetch?: typeof fetch;
}

/** What the live checks ask of the server; a recorded double implements it in unit tests. */
export interface LiveServer {
  /** Label names of the series matching `match` between start and end (unix seconds); empty when none matches. */
  labelNames(match: string, start: number, end: number): Promise<string[]>;
  /** Values of one label among the series matching `match`. */
  labelValues(label: string, match: string, start: number, end: number): Promise<string[]>;
  /** The types scraped targets declare for a metric (/api/v1/metadata); empty when unknown. */
  metricTypes(metric: string): Promise<string[]>;
  /** Names of the recording rules the server has loaded. */
  recordingRules(): Promise<Set<string>>;
}

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** The URL as it may be printed: without a password. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** A usable base URL, or why not. */
export function parseBaseUrl(url: string): { base: URL; authorization?: string } | { problem: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { problem: `"${url}" is not a URL; give Prometheus' address, e.g. http://prometheus:9090` };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { problem: `"${displayUrl(url)}" is not an http:// or https:// URL` };
  // fetch refuses URLs with credentials: send them as basic authentication instead.
  const authorization = u.username || u.password ? `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}` : undefined;
  u.username = '';
  u.password = '';
  u.search = '';
  u.hash = '';
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return { base: u, ...(authorization ? { authorization } : {}) };
}

export function createClient(options: ClientOptions): LiveServer {
  const parsed = parseBaseUrl(options.url);
  if ('problem' in parsed) throw new LiveUnreachable(parsed.problem);
  const { base, authorization } = parsed;
  const doFetch = options.fetch ?? fetch;
  const overall = AbortSignal.timeout(options.deadlineMs);
  const shown = displayUrl(options.url);

  async function get(path: string, params: [string, string][]): Promise<unknown> {
    const url = new URL(path, base);
    for (const [k, v] of params) url.searchParams.append(k, v);
    const where = `${shown}/${path}`;
    const signal = AbortSignal.any([overall, AbortSignal.timeout(options.timeoutMs)]);
    let response: Response;
    let text: string;
    try {
      response = await doFetch(url, { redirect: 'manual', signal, headers: { Accept: 'application/json', ...(authorization ? { Authorization: authorization } : {}) } });
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel().catch(() => undefined);
        const to = response.headers.get('location');
        throw new LiveUnreachable(`${shown} answered HTTP ${response.status}${to ? `, a redirect to ${displayUrl(to)}` : ''}; Vigil does not follow redirects: give the final URL`);
      }
      text = await readCapped(response, options.maxBodyBytes, shown);
    } catch (e) {
      throw failure(e, shown, overall.aborted ? `the live checks' deadline (${options.deadlineMs / 1000} s)` : `the timeout (${options.timeoutMs / 1000} s)`);
    }
    let json: { status?: unknown; data?: unknown; error?: unknown; errorType?: unknown };
    try {
      json = JSON.parse(text);
    } catch {
      throw new LiveUnreachable(`${where} answered HTTP ${response.status} with something that is not Prometheus' JSON: ${preview(text)}`);
    }
    if (typeof json !== 'object' || json === null) throw new LiveUnreachable(`${where} answered HTTP ${response.status} with JSON that is not a Prometheus answer: ${preview(text)}`);
    if (response.status === 400 || response.status === 422 || json.errorType === 'bad_data') throw new LiveRefused(`${json.errorType ?? `HTTP ${response.status}`}: ${String(json.error ?? preview(text))}`);
    if (response.status !== 200 || json.status !== 'success') throw new LiveUnreachable(`${where} answered HTTP ${response.status}${json.error ? `: ${String(json.error).slice(0, 200)}` : ''}`);
    return json.data;
  }

  const strings = (data: unknown, what: string): string[] => {
    if (!Array.isArray(data) || data.some((x) => typeof x !== 'string')) throw new LiveUnreachable(`${shown}: the ${what} answer is not a list of strings`);
    return data as string[];
  };
  const window = (start: number, end: number): [string, string][] => [
    ['start', start.toFixed(3)],
    ['end', end.toFixed(3)],
  ];

  return {
    async labelNames(match, start, end) {
      return strings(await get('api/v1/labels', [['match[]', match], ...window(start, end)]), '/api/v1/labels');
    },
    async labelValues(label, match, start, end) {
      return strings(await get(`api/v1/label/${encodeURIComponent(label)}/values`, [['match[]', match], ...window(start, end)]), '/api/v1/label/…/values');
    },
    async metricTypes(metric) {
      const data = (await get('api/v1/metadata', [['metric', metric]])) as Record<string, unknown> | null;
      const entries = data && typeof data === 'object' ? data[metric] : undefined;
      if (!Array.isArray(entries)) return [];
      return entries.map((e) => (e && typeof e === 'object' ? (e as { type?: unknown }).type : undefined)).filter((t): t is string => typeof t === 'string');
    },
    async recordingRules() {
      const data = (await get('api/v1/rules', [['type', 'record']])) as { groups?: { rules?: { name?: unknown; type?: unknown }[] }[] } | null;
      const names = new Set<string>();
      for (const group of Array.isArray(data?.groups) ? data.groups : []) {
        for (const rule of Array.isArray(group?.rules) ? group.rules : []) if (typeof rule?.name === 'string') names.add(rule.name);
      }
      return names;
    },
  };
}

/** The body as text, refusing more than `max` bytes (the reading stops there, the rest is never downloaded). */
async function readCapped(response: Response, max: number, shown: string): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    await response.body?.cancel().catch(() => undefined);
    throw new LiveUnreachable(`${shown} sent an answer of ${declared} bytes, more than the ${max} Vigil reads`);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw new LiveUnreachable(`${shown} sent an answer of more than ${max} bytes, more than Vigil reads`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function failure(e: unknown, shown: string, limit: string): Error {
  if (e instanceof LiveUnreachable) return e;
  const error = e as Error & { cause?: { code?: string; message?: string; errors?: { code?: string }[] } };
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return new LiveUnreachable(`${shown} did not answer within ${limit}`);
  const cause = error.cause?.code ?? error.cause?.errors?.[0]?.code ?? error.cause?.message ?? error.message;
  return new LiveUnreachable(`${shown} cannot be reached: ${cause}`);
}

function preview(text: string): string {
  const flat = text.slice(0, 120).replace(/\s+/g, ' ').trim();
  return flat === '' ? '(an empty body)' : JSON.stringify(flat);
}
