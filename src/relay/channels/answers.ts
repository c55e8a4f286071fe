/** Reading a provider's answer: shared by every channel that talks HTTP. */

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
