import { DeployError } from './errors.ts';

export interface HttpResponse {
  status: number;
  text: string;
  json<T = unknown>(): T;
}

export interface RequestOptions {
  method?: string;
  body?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * One HTTP request to a service, with a timeout, turning network failures into a DeployError that names the service
 * and the URL. HTTP error statuses are returned, not thrown: each adapter knows what its service's statuses mean.
 */
export async function request(service: string, url: string, options: RequestOptions = {}): Promise<HttpResponse> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      body: options.body,
      headers: options.headers,
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = (e as Error).name === 'TimeoutError' ? `no answer within ${(options.timeoutMs ?? 15_000) / 1000} s` : (cause?.code ?? cause?.message ?? (e as Error).message);
    throw new DeployError(`cannot reach ${service} at ${redact(url)}: ${why}`, 'check the URL in the Environment definition and that the service runs and is reachable from here', 'deploy/unreachable');
  }
  const text = await response.text();
  return {
    status: response.status,
    text,
    json<T>() {
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new DeployError(`${service} at ${redact(url)} answered HTTP ${response.status} with something that is not JSON: ${text.slice(0, 200)}`, 'is the URL that of the service’s API?', 'deploy/protocol');
      }
    },
  };
}

/** The URL without credentials, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** Fails with the service's own message when the status is not the expected one. */
export function expectStatus(service: string, what: string, r: HttpResponse, ok: number[] = [200]): void {
  if (ok.includes(r.status)) return;
  let detail = r.text.trim();
  try {
    const body = JSON.parse(r.text) as { message?: string; error?: string };
    detail = body.message ?? body.error ?? detail;
  } catch {
    // plain text body
  }
  throw new DeployError(`${service}: ${what} failed with HTTP ${r.status}${detail ? `: ${detail.slice(0, 500)}` : ''}`, 'the service refused the request; its message (above) and its log say why', 'deploy/http');
}
