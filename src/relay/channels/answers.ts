/** Talking to a provider and reading its answer: shared by every channel that talks HTTP. */
import type { Fetch } from './types.ts';

/** A network failure in words: fetch's message, and the cause it wraps (ECONNREFUSED, a TLS error, a timeout). */
export function networkReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

/** The answer as JSON, or undefined when it is not JSON (a proxy's page, an empty body). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * An endpoint that speaks plain HTTP (no provider errcodes): 2xx is sent; 429 is "too fast"; 408 and 5xx may pass on
 * a retry; any other status (4xx, or a 3xx fetch did not follow) will be the same every time.
 */
export function classifyHttpStatus(status: number, answer: unknown): { ok: boolean; retryable: boolean; throttled?: boolean; status: number; error?: string; answer: unknown } {
  if (status >= 200 && status < 300) return { ok: true, retryable: false, status, answer };
  if (status === 429) return { ok: false, retryable: true, throttled: true, status, error: 'HTTP 429', answer };
  if (status >= 500 || status === 408) return { ok: false, retryable: true, status, error: `HTTP ${status}`, answer };
  return { ok: false, retryable: false, status, error: `HTTP ${status}`, answer };
}

/**
 * POSTs `body` and reads the answer; a network failure or no answer within `timeoutMs` comes back as the words to
 * record (never the URL or the headers: they may hold the credential). Both are worth a retry.
 */
export async function postForAnswer(fetch: Fetch, url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<{ status: number; text: string } | { failure: string }> {
  try {
    const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, text: await response.text() };
  } catch (error) {
    const name = (error as { name?: unknown } | null)?.name;
    const timedOut = name === 'TimeoutError' || name === 'AbortError';
    return { failure: timedOut ? `no answer within ${timeoutMs} ms` : `network error: ${networkReason(error)}` };
  }
}
