import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, requireBearer, sendJson } from '../http.ts';
import type { RelayContext } from '../server.ts';

/** GET /-/healthy: the process serves HTTP. */
export function healthy(_ctx: RelayContext, _req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'text/plain' }).end('Vigil relay is healthy.\n');
}

/** GET /-/ready: the store answers, so a notification posted now would be persisted. */
export async function ready(ctx: RelayContext, _req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    await ctx.store.gauges(ctx.now());
  } catch (e) {
    throw new HttpError(503, 'not_ready', `the store does not answer: ${(e as Error).message}`);
  }
  res.writeHead(200, { 'Content-Type': 'text/plain' }).end('Vigil relay is ready.\n');
}

/** POST /-/reload: reads the build again; work in flight goes on with the configuration it started with. */
export async function reload(ctx: RelayContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  requireBearer(req, ctx.tokens.operate, 'reloading the relay');
  try {
    await ctx.reload();
  } catch (e) {
    throw new HttpError(500, 'reload_failed', `the build could not be read; the relay keeps serving the previous one: ${(e as Error).message}`);
  }
  sendJson(res, 200, { status: 'reloaded', build: ctx.state().build });
}

/** GET /api/v1/status: which build the relay serves (deploy verifies it by the relay.yml hash). */
export function status(ctx: RelayContext, req: IncomingMessage, res: ServerResponse): void {
  requireBearer(req, [...ctx.tokens.read, ...ctx.tokens.operate], 'the status endpoint');
  sendJson(res, 200, { build: ctx.state().build, started_at: new Date(ctx.startedAt).toISOString() });
}

/** GET /metrics: Prometheus text format; behind the read token when one is set. */
export async function metrics(ctx: RelayContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (ctx.tokens.read.length) requireBearer(req, [...ctx.tokens.read, ...ctx.tokens.operate], 'the metrics endpoint');
  const text = await ctx.metrics.registry.metrics();
  res.writeHead(200, { 'Content-Type': ctx.metrics.registry.contentType }).end(text);
}
