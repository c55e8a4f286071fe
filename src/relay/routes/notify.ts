import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, readBody, requireBearer, sendJson } from '../http.ts';
import { ingestInput, MAX_BODY_BYTES, parsePayload, PayloadError } from '../payload.ts';
import type { RelayContext } from '../server.ts';
import { CHANNEL_NAMES } from '../../channels/index.ts';

/**
 * POST /api/v1/notify/<channel>/<receiver>: Alertmanager's webhook. The notification is persisted before the answer:
 * 200 only once it is stored, 5xx when it could not be (Alertmanager retries only 5xx), 400 for a payload that no
 * retry can fix (recorded with its reason), 401 without the notify token.
 */
export async function notify(ctx: RelayContext, req: IncomingMessage, res: ServerResponse, params: { channel: string; receiver: string }): Promise<void> {
  const { channel, receiver } = params;
  // The path is the caller's to choose, also without a token: only channel names Vigil knows become label values.
  const label = (CHANNEL_NAMES as readonly string[]).includes(channel) ? channel : 'other';
  const count = (result: string) => ctx.metrics.received.inc({ channel: label, result });
  try {
    if (ctx.tokens.notify.length) requireBearer(req, ctx.tokens.notify, 'the notify endpoint');
  } catch (e) {
    count('unauthorized');
    throw e;
  }
  const body = await readBody(req, MAX_BODY_BYTES);
  const now = ctx.now();
  const route = ctx.state().config.receivers.get(receiver);
  const channelConfig = route?.[channel as keyof typeof route];
  if (!channelConfig) {
    // Alertmanager may run a newer build than this relay (deploy order): a 503 makes it retry until a reload.
    await ctx.store.recordRejected(now, receiver, channel, 'not in this relay’s build', body).catch(() => undefined);
    count('unknown_receiver');
    throw new HttpError(503, 'unknown_receiver', `receiver "${receiver}" has no ${channel} channel in this relay's build; reload the relay with the build Alertmanager runs`);
  }
  let payload;
  try {
    payload = parsePayload(body);
  } catch (e) {
    if (!(e instanceof PayloadError)) throw e;
    await ctx.store.recordRejected(now, receiver, channel, e.message, body).catch(() => undefined);
    count('rejected');
    throw new HttpError(400, 'bad_payload', e.message);
  }
  let result;
  try {
    result = await ctx.store.ingest(ingestInput(payload, { receiver, channel, sendResolved: channelConfig.sendResolved }, ctx.state().config.escalation, now, ctx.dedupeWindowMs));
  } catch (e) {
    ctx.metrics.storeErrors.inc({ operation: 'ingest' });
    count('store_error');
    ctx.log(`store error on ingest: ${(e as Error).message}`);
    throw new HttpError(503, 'store_unavailable', 'the notification could not be stored; Alertmanager will retry');
  }
  count('ok');
  if (result.job) ctx.kick();
  // A closed alert that now resolved no longer needs its silence: expire it (without holding up the answer).
  const resolvedClosed = result.alerts.filter((a, i) => payload.alerts[i]!.status === 'resolved' && a.status === 'closed' && a.silenceId);
  for (const a of resolvedClosed) {
    void ctx
      .silencer()
      .expire(a.silenceId!)
      .then(() => ctx.store.setSilence(a.id, ''))
      .catch((e) => ctx.log(`the silence ${a.silenceId} of resolved alert ${a.id} could not be expired: ${(e as Error).message}`));
  }
  sendJson(res, 200, { status: 'stored', alerts: result.alerts.length, queued: result.job ? result.job.alertIds.length : 0 });
}
