import type { Registry } from 'prom-client';

export interface PushOptions {
  /** The Pushgateway's base URL, e.g. http://pushgateway:9091 (a path prefix is kept). */
  url: string;
  /** The `job` label of the pushed series (with honor_labels, the job Prometheus stores them under). */
  job: string;
  /**
   * Further labels of the group, e.g. { instance: host, job_id }: each group is replaced or deleted on its own, so a
   * job pushes under a key no other pusher uses.
   */
  groupingKey?: Record<string, string>;
  /** The registry to push; prom-client's default registry unless given. */
  registry?: Registry;
  /** Give up after this many milliseconds (default 10 000). */
  timeoutMs?: number;
}

/** The gateway could not be reached or refused the push. */
export class PushgatewayError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'PushgatewayError';
  }
}

/**
 * PUT: the group becomes exactly this registry's metrics; metrics pushed earlier and absent now are dropped. Use it
 * for the periodic push of a job's whole state, so a series the job removed (a finished job's timestamp) goes too.
 */
export async function pushToGateway(options: PushOptions): Promise<void> {
  await send('PUT', options);
}

/** POST: replaces only the metrics (by name) this registry holds; other metrics of the group stay. */
export async function pushAddToGateway(options: PushOptions): Promise<void> {
  await send('POST', options);
}

/**
 * DELETE: removes the whole group, e.g. when a job ends and its last state should no longer be scraped. The gateway
 * answers 202 and deletes asynchronously: a scrape right after this resolves may still see the group.
 */
export async function deleteFromGateway(options: Omit<PushOptions, 'registry'>): Promise<void> {
  await send('DELETE', options);
}

export interface PeriodicPush {
  /** Pushes once more now (the job's final state), then stops. */
  stop(): Promise<void>;
  /** The last push's error, if it failed; pushing goes on. */
  lastError(): PushgatewayError | undefined;
}

/** PUTs every `intervalMs` until stopped: the push loop of a training job. A failed push is kept, not thrown. */
export function pushPeriodically(options: PushOptions & { intervalMs: number }): PeriodicPush {
  let error: PushgatewayError | undefined;
  let running: Promise<void> = Promise.resolve();
  const once = () => (running = pushToGateway(options).then(() => void (error = undefined), (e: PushgatewayError) => void (error = e)));
  const timer = setInterval(() => void once(), options.intervalMs);
  void once();
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await pushToGateway(options);
    },
    lastError: () => error,
  };
}

/** /metrics/job/<job>/<label>/<value>…, each value base64url-encoded (label@base64) when a path segment cannot hold it. */
export function groupPath(job: string, groupingKey: Record<string, string> = {}): string {
  if (!job) throw new PushgatewayError('the job name of a push must not be empty');
  if ('job' in groupingKey) throw new PushgatewayError('the grouping key must not name job: it is the push\'s job option');
  const segments = [['job', job] as const, ...Object.entries(groupingKey)].map(([name, value]) => {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) throw new PushgatewayError(`grouping key label "${name}" is not a valid label name`);
    if (value === '' || value !== encodeURIComponent(value)) {
      return `${name}@base64/${Buffer.from(value).toString('base64url') || '='}`;
    }
    return `${name}/${value}`;
  });
  return `/metrics/${segments.join('/')}`;
}

async function send(method: 'PUT' | 'POST' | 'DELETE', options: Omit<PushOptions, 'registry'> & { registry?: Registry }): Promise<void> {
  const base = options.url.replace(/\/+$/, '');
  const target = `${base}${groupPath(options.job, options.groupingKey)}`;
  let body: string | undefined;
  let contentType: string | undefined;
  if (method !== 'DELETE') {
    const registry = options.registry ?? (await import('prom-client')).register;
    body = await registry.metrics();
    contentType = registry.contentType;
  }
  let response: Response;
  try {
    response = await fetch(target, {
      method,
      body,
      headers: contentType ? { 'Content-Type': contentType } : undefined,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (err) {
    throw new PushgatewayError(`cannot reach the Pushgateway at ${base} (${method} ${target}): ${reason(err)}; is it running, and is the url right?`);
  }
  if (!response.ok) {
    const text = (await response.text().catch(() => '')).trim();
    throw new PushgatewayError(`the Pushgateway at ${base} answered ${response.status} to ${method} ${target}${text ? `: ${text}` : ''}`, response.status);
  }
}

function reason(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'no answer in time';
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}
